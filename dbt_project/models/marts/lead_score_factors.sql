-- One row per lead and contributing factor. score_component says which score a row adds to:
-- sum(points) over 'fit' rows = fit_score, over 'engagement' rows = engagement_score (clamp
-- rows make the 0..100 bounds exact), and over all rows = total_score. Framework evidence and
-- disqualifiers are rows with 0 points. The conversion model's rows (category 'model') carry
-- no points: their logit_contribution (coefficient × value, and the intercept) sums to the
-- lead's conversion_logit in lead_scores.
{%- set rules = scoring_rules() %}
{%- set model = conversion_model(rules) %}
--
-- A view over the stored parts (fit rules, decay state, signals; all indexed by lead_id), not a
-- table: the breakdown has about 20 rows per lead, and rewriting all of them every day would
-- cost more than the rest of the daily run. Reading one lead (`leadscore explain`) is an
-- index lookup; the view is recreated by every run, so it always shows that run's scoring time.
{#- its post-hook drops the tables earlier versions used in its place (macros/drop_retired_tables.sql) -#}
{{ config(materialized='view', post_hook=["{{ drop_retired_tables(ref('int_lead_activities_aggregated').schema) }}"]) }}

with signals as (
    select * from {{ ref('int_lead_signals_evaluated') }}
),

fit_rules as (
    select
        lead_id,
        case when points < 0 then 'penalty' else 'fit' end as category,
        'fit' as score_component,
        rule_name as factor,
        detail,
        points,
        null::double precision as logit_contribution
    from {{ ref('int_lead_fit_evaluated') }}
),

engagement_types as (
    select
        lead_id,
        case when points < 0 then 'penalty' else 'engagement' end as category,
        'engagement' as score_component,
        activity_type as factor,
        counted_count || '× ' || activity_type || ' at ' || points_each || ' pts'
            || case when window_days is not null then ', last ' || window_days || ' days only' else '' end
            || case when half_life_days is not null
                    then ', halving every ' || half_life_days || ' days: ' || {{ rounded('undecayed_points', 2) }} || ' → ' || {{ rounded('decayed_points', 2) }}
                    else ': ' || {{ rounded('undecayed_points', 2) }} end
            || case when points <> decayed_points then ', capped at ' || cap else '' end
            || ', last ' || to_char(last_at at time zone 'UTC', 'YYYY-MM-DD') as detail,
        points,
        null::double precision as logit_contribution
    from {{ ref('int_lead_activities_aggregated') }}
    where points <> 0
      and lead_id in (select lead_id from {{ ref('int_leads_joined') }})
),

per_lead as (
    -- the clamps, framework evidence and disqualifiers, unpivoted from the lead's one signals
    -- row (read once, so a filter on lead_id reaches the indexes below)
    select s.lead_id, v.category, v.score_component, v.factor, v.detail, v.points, null::double precision as logit_contribution
    from signals as s
    cross join lateral (
        values
        ('fit', 'fit', 'fit_clamp', 'fit score kept within 0..100 (raw ' || {{ rounded('s.fit_raw', 2) }} || ')',
         s.fit_score - s.fit_raw, s.fit_score <> s.fit_raw),
        ('engagement', 'engagement', 'engagement_clamp',
         'engagement score kept within 0..100 (raw ' || {{ rounded('s.engagement_raw', 2) }} || ')',
         s.engagement_score - s.engagement_raw, s.engagement_score <> s.engagement_raw),
        {%- for f, criteria in rules.frameworks.items() %}
        {%- for crit, sig in criteria.items() %}
        ('framework', 'none', '{{ f }}.{{ crit }}', s.evidence_{{ sig }}, 0::double precision, s.signal_{{ sig }}),
        {%- endfor %}
        {%- endfor %}
        ('penalty', 'none', 'disqualifier', s.disqualified_by, 0::double precision, s.disqualified_by is not null)
    ) as v (category, score_component, factor, detail, points, applies)
    where v.applies
),

{%- if model is not none %}

model_terms as (
    -- the conversion model (macros/conversion_model.sql): the intercept and every feature
    -- that moves the lead's log-odds
    select s.lead_id, 'model' as category, 'probability' as score_component, v.factor, v.detail,
           0::double precision as points, v.contribution as logit_contribution
    from signals as s
    cross join lateral (
        values
        ('(intercept)', {{ sql_str('model ' ~ model.version ~ ': log-odds of a lead with none of the features') }}, {{ model.intercept }}::double precision)
        {%- for name, kind, expr in conversion_features(rules, 's') if name in model.terms %},
        ({{ sql_str(name) }}, {{ sql_str(name ~ ' = ') }} || {% if kind == 'category' %}{{ expr }}{% else %}{{ rounded(feature_value(kind, expr), 3) }}{% endif %}, {{ feature_contribution(kind, expr, model.terms[name]) }})
        {%- endfor %}
    ) as v (factor, detail, contribution)
    where v.contribution <> 0 or v.factor = '(intercept)'
),
{%- endif %}

unioned as (
    select * from fit_rules
    union all select * from engagement_types
    union all select * from per_lead
    {%- if model is not none %}
    union all select * from model_terms
    {%- endif %}
)

select
    md5(lead_id || '|' || category || '|' || factor) as factor_id,
    lead_id,
    category,
    score_component,
    factor,
    detail,
    points::double precision as points,
    logit_contribution,
    {{ as_of() }} as scored_at,
    '{{ rules_version() }}'::text as rules_version
from unioned
