-- One row per lead: fit and engagement scores, grade, qualification frameworks and tier.
-- The table analysts and the reverse sync read. Every score is explained row by row in
-- lead_score_factors (sum of factor points = total_score).
{%- set rules = scoring_rules() %}
{%- set sql_t = rules.tiers.sql %}
{%- set mql_t = rules.tiers.mql %}
{%- set g = rules.grades %}
{%- set fw = sql_t.get('framework') %}
{#- the learned conversion probability (macros/conversion_model.sql): from the stored model, if any -#}
{%- set model = conversion_model(rules) %}
{%- set mode = rules.tiers.get('mode', 'rules') %}
{%- set pt = rules.tiers.get('predicted') %}
{%- set by_model = mode != 'rules' and model is not none %}
{#- pre-hook: the sort behind priority_rank holds every lead's output row; with the
    transform sessions' work_mem it spilled 250MB to disk at 1M leads (0.3-0.5 s).
    post-hook: the columns the pipeline's own queries use are analyzed now (tier_conversion,
    the reverse sync, the output checks); autovacuum analyzes the other forty shortly after
    (0.25 s instead of 0.5 s at 1M leads). -#}
{{ config(
    indexes=[{'columns': ['lead_id'], 'unique': true}, {'columns': ['crm_id']}, {'columns': ['email']}],
    pre_hook=["set work_mem = '{{ var(\"lead_scores_work_mem\") }}'"],
    post_hook=[
        "{{ analyze_if_stale(columns=['lead_id', 'crm_id', 'email', 'tier', 'grade', 'fit_grade', 'engagement_level', 'fit_score', 'engagement_score', 'total_score', 'priority_rank', 'lifecyclestage', 'is_converted', 'rules_version']) }}",
    ],
) }}

with modelled as (
    -- every column of the signals view computed once, by the parallel workers that read it:
    -- OFFSET 0 keeps Postgres from pulling the view up into the next levels, which would
    -- copy the conversion model's logit into every place that reads it (probability, score,
    -- tier, reasons) and compute it in the leader alone. A lead whose first contact was
    -- created after the scoring time did not exist yet (backtests).
    select *
    from {{ ref('int_lead_signals_evaluated') }} as s
    where s.created_at <= {{ as_of() }}
    offset 0
),

signals as (
    -- also carries the lead's identity and CRM columns (macro lead_identity_columns)
    select
        s.*,
        standing.standing,
        standing.open_deals,
        standing.deals,
        standing.has_stage_dates,
        standing.converted_at
    from modelled as s
    left join {{ ref('int_lead_standing_evaluated') }} as standing on standing.lead_id = s.lead_id
),

graded as (
    select
        s.*,
        case
            when s.fit_score >= {{ g.fit.A }} then 'A'
            when s.fit_score >= {{ g.fit.B }} then 'B'
            when s.fit_score >= {{ g.fit.C }} then 'C'
            else 'D'
        end as fit_grade,
        case
            when s.engagement_score >= {{ g.engagement['1'] }} then 1
            when s.engagement_score >= {{ g.engagement['2'] }} then 2
            else 3
        end as engagement_level,
        (s.hand_raise is not null and s.fit_score >= {{ sql_t.get('min_fit', 0) }}) as is_hand_raise_sql,
        {% if fw %}(s.{{ fw.name }}_met >= {{ fw.min_met }}){% else %}false{% endif %} as is_framework_sql,
        (s.fit_score >= {{ mql_t.min_fit }} and s.engagement_score >= {{ mql_t.min_engagement }}) as is_mql
    from signals as s
),

predicted as (
    select
        graded.*,
        {{ logistic('conversion_logit') }} as conversion_probability
    from graded
),

tiered as (
    select
        predicted.*,
        case
            -- not leads: a customer, or a lead sales already works in an open deal
            when standing = 'customer' then 'customer'
            when standing = 'in_pipeline' then 'in_pipeline'
            -- a portal without lifecycle dates: today's stage is all there is
            when standing is null and not has_stage_dates and lifecyclestage = 'opportunity' and deals = 0
                then 'in_pipeline'
            when disqualified_by is not null then 'disqualified'
            {%- if not by_model %}
            when is_hand_raise_sql or sequence_matched is not null or is_framework_sql then 'sql'
            when is_mql then 'mql'
            {%- else %}
            {%- if mode == 'hybrid' %}
            when is_hand_raise_sql or sequence_matched is not null then 'sql'
            {%- endif %}
            when conversion_probability >= {{ pt.sql }} then 'sql'
            when conversion_probability >= {{ pt.mql }} then 'mql'
            {%- endif %}
            else 'nurture'
        end as tier
    from predicted
)

select
    -- ids
    lead_id,
    crm_id,
    email,
    company_name,
    job_title,
    industry,
    employees,

    -- scores
    fit_score,
    engagement_score,
    fit_score + engagement_score as total_score,
    fit_grade,
    engagement_level,
    fit_grade || engagement_level::text as grade,

    -- the learned conversion probability (null until `leadscore train` stores a model):
    -- the chance of converting within the model's horizon, its 0-100 score, its log-odds
    -- (= the sum of the lead's model rows in lead_score_factors) and the model's version.
    -- The score is rounded in double precision: through numeric it cost 6 % of this model.
    conversion_probability,
    round(1000 * conversion_probability) / 10 as predicted_score,
    conversion_logit,
    {{ sql_str(model.version) if model is not none else 'null::text' }} as model_version,

    -- qualification frameworks
    {%- for f, criteria in rules.frameworks.items() %}
    {%- for crit in criteria %}
    {{ f }}_{{ crit }},
    {%- endfor %}
    {{ f }}_met,
    {%- endfor %}
    {% if 'bant' in rules.frameworks %}bant_met >= {{ fw.min_met if fw and fw.name == 'bant' else 3 }} as bant_qualified,{% endif %}

    -- tier
    tier,
    case tier
        when 'customer' then 'customer since ' || coalesce(to_char(converted_at at time zone 'UTC', 'YYYY-MM-DD'), 'an undated conversion')
        when 'in_pipeline' then case when open_deals > 0 then 'in pipeline: ' || open_deals || ' open deal' || case when open_deals > 1 then 's' else '' end
                                     else 'in pipeline: lifecycle stage opportunity' end
        when 'disqualified' then 'disqualified: ' || disqualified_by
        {%- if by_model %}
        when 'sql' then concat_ws('; ',
            {% if mode == 'hybrid' %}case when is_hand_raise_sql then 'hand-raise: ' || hand_raise || ' (fit ' || {{ rounded('fit_score', 1) }} || ' >= {{ sql_t.get('min_fit', 0) }})' end,
            sequence_matched,{% endif %}
            case when conversion_probability >= {{ pt.sql }} then 'conversion probability ' || {{ rounded('100 * conversion_probability', 1) }} || '% >= {{ pt.sql * 100 }}%' end)
        when 'mql' then 'conversion probability ' || {{ rounded('100 * conversion_probability', 1) }} || '% >= {{ pt.mql * 100 }}%'
        else 'conversion probability ' || {{ rounded('100 * conversion_probability', 1) }} || '% < {{ pt.mql * 100 }}%'
        {%- else %}
        when 'sql' then concat_ws('; ',
            case when is_hand_raise_sql then 'hand-raise: ' || hand_raise || ' (fit ' || {{ rounded('fit_score', 1) }} || ' >= {{ sql_t.get('min_fit', 0) }})' end,
            sequence_matched,
            {% if fw %}case when is_framework_sql then '{{ fw.name | upper }} ' || {{ fw.name }}_met || ' of {{ rules.frameworks[fw.name] | length }} criteria met' end{% else %}null{% endif %})
        when 'mql' then 'fit ' || {{ rounded('fit_score', 1) }} || ' >= {{ mql_t.min_fit }} and engagement ' || {{ rounded('engagement_score', 1) }} || ' >= {{ mql_t.min_engagement }}'
        else concat_ws(' and ',
            case when fit_score < {{ mql_t.min_fit }} then 'fit ' || {{ rounded('fit_score', 1) }} || ' < {{ mql_t.min_fit }}' end,
            case when engagement_score < {{ mql_t.min_engagement }} then 'engagement ' || {{ rounded('engagement_score', 1) }} || ' < {{ mql_t.min_engagement }}' end,
            case when hand_raise is not null and not is_hand_raise_sql then 'hand-raise ignored: fit below {{ sql_t.get('min_fit', 0) }}' end)
        {%- endif %}
    end{% if mode != 'rules' and model is none %} || ' (tiers.mode {{ mode }}: no conversion model yet, so the rules decide; run leadscore train)'{% endif %} as tier_reasons,
    row_number() over (
        -- by tier, then total score, fit score and lead_id (byte order: the same on every
        -- server). The leading bigint (tier, then the total in steps of 1e-12; totals are
        -- 0..200) carries the same order as the first two keys and lets the sort of all leads
        -- compare one integer for almost every pair instead of unpacking wide rows (7.2 s ->
        -- 5.8 s at 1M leads); the exact keys after it settle the rare ties.
        order by (case tier when 'sql' then 1 when 'mql' then 2 when 'nurture' then 3 when 'disqualified' then 4
                            when 'in_pipeline' then 5 else 6 end)::bigint * 1000000000000000
                 + floor((200 - (fit_score + engagement_score)) * 1e12)::bigint,
                 fit_score + engagement_score desc, fit_score desc, lead_id collate "C"
    ) as priority_rank,

    -- CRM state (for the reverse sync and conversion analysis)
    lifecyclestage,
    is_converted,
    converted_at,
    created_at,

    -- provenance
    {{ as_of() }} as scored_at,
    '{{ rules_version() }}'::text as rules_version
from tiered
