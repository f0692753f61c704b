-- One row per lead: the lead's identity and CRM columns (passed on from
-- int_lead_attributes_evaluated), fit and engagement scores (raw and clamped to 0..100), every signal of
-- scoring_rules.yml as a boolean plus evidence text, the framework criteria and counts,
-- disqualifiers (the attribute ones precomputed, the activity ones such as a hard bounce
-- evaluated here) and the SQL triggers (hand-raise, sequences). Tiers are assigned in lead_scores.
-- A view: engagement decays and activity windows move with the scoring time, so this changes
-- daily for every engaged lead; lead_scores reads it once per run and lead_score_factors per
-- lead. The attribute-only parts come precomputed from int_lead_attributes_evaluated, the
-- activity parts from the per-lead activity state (int_lead_activities_accumulated). A
-- signal's evidence is its first attribute condition that holds, else its first
-- activity/engagement one.
{%- set rules = scoring_rules() %}
{%- set sql_t = rules.tiers.sql %}
{%- set types = rules_signal_activity_types(rules) %}
{%- set model = conversion_model(rules) %}
{{ config(materialized='view') }}

with leads as (
    select * from {{ ref('int_lead_attributes_evaluated') }}
),

activities as (
    select * from {{ ref('int_lead_activities_accumulated') }}
),

engaged as (
    -- the engagement points: each scored type's decayed points, decayed on from the row's
    -- reference time to the scoring time, then capped (rules: scoring_rules.yml `activities`).
    -- One decay factor per distinct half-life, and none for the types a lead lacks (most).
    {%- set half_lives = rules.activities.values() | selectattr('half_life_days', 'defined') | map(attribute='half_life_days') | reject('none') | unique | list %}
    select
        lead_id,
        {%- for x in types %}
        last_{{ x }},
        first_{{ x }},
        count_{{ x }},
        {%- endfor %}
        0::double precision
        {%- for x, a in rules.activities.items() %}
        {%- set v = 'decayed_' ~ x ~ ('' if a.get('half_life_days') is none else ' * decay_' ~ (a.half_life_days | string | replace('.', '_'))) %}
        + case when decayed_{{ x }} is null then 0 else {{ capped_points(v, a.points, a.cap if a.get('cap') is not none else 'null::double precision') }} end
        {%- endfor %} as engagement_raw,
        -- the conversion model's activity features: per type the decayed count (its decayed
        -- points over its points; the count in its window, or all, for a type without points),
        -- their share of the logit summed here (macros/conversion_model.sql activity_logit) and
        -- the last time the lead did anything with positive points
        {%- for x in rules_activity_types() %}
        greatest(0, coalesce({{ decayed_count(x, rules) }}, 0)) as decayed_count_{{ x }},
        {%- endfor %}
        {{ activity_logit(model, rules) }} as activity_logit,
        {%- set engaging = [] %}{% for x, a in rules.activities.items() if a.points > 0 %}{% do engaging.append('last_' ~ x) %}{% endfor %}
        {% if engaging %}greatest({{ engaging | join(', ') }}){% else %}null::timestamptz{% endif %} as last_engaged_at
    from (
        select
            a.*
            {%- for h in half_lives %},
            coalesce(f.decay_{{ h | string | replace('.', '_') }}, power(0.5::double precision, ({{ age_days('a.ref_at') }})::double precision / {{ h }})) as decay_{{ h | string | replace('.', '_') }}
            {%- endfor %}
        from activities as a
        -- the decay factors per reference time: the state's rows carry the scoring times of
        -- the runs that wrote them (a few dozen distinct values), so each factor is computed
        -- once per time instead of once per lead and use (inlined, power() ran about 75 times
        -- per lead: 0.8 s at 1M leads). GROUP BY keeps the subquery from being inlined; a time
        -- missing from the runs table falls back to computing per lead.
        left join (
            select
                as_of as ref_at
                {%- for h in half_lives %},
                power(0.5::double precision, ({{ age_days('as_of') }})::double precision / {{ h }}) as decay_{{ h | string | replace('.', '_') }}
                {%- endfor %}
            from {{ activity_state_runs_table(ref('int_lead_activities_accumulated')) }}
            group by as_of
        ) as f on f.ref_at = a.ref_at
    ) as p
),

scored as (
    -- every CTE is read once, so a filter on lead_id (lead_score_factors for one lead) reaches
    -- the indexes of the tables below
    select
        l.*,
        {%- for x in types %}
        t.last_{{ x }},
        t.first_{{ x }},
        t.count_{{ x }},
        {%- endfor %}
        {%- for x in rules_activity_types() %}
        coalesce(t.decayed_count_{{ x }}, 0) as decayed_count_{{ x }},
        {%- endfor %}
        t.last_engaged_at,
        t.activity_logit,
        least(100, greatest(0, l.fit_raw))::double precision as fit_score,
        coalesce(t.engagement_raw, 0)::double precision as engagement_raw,
        least(100, greatest(0, coalesce(t.engagement_raw, 0)))::double precision as engagement_score
    from leads as l
    left join engaged as t on t.lead_id = l.lead_id
),

evaluated as (
    select
        t.lead_id,
        {%- for c in lead_identity_columns() %}
        t.{{ c }},
        {%- endfor %}
        t.fit_raw,
        t.fit_score,
        t.engagement_raw,
        t.engagement_score,
        {%- for name, _ in lead_attribute_features(rules) %}
        t.{{ name }},
        {%- endfor %}
        {%- for x in rules_activity_types() %}
        t.decayed_count_{{ x }},
        {%- endfor %}
        t.last_engaged_at,
        t.activity_logit,

        -- signals
        {%- for s, conds in rules.signals.items() %}
        {%- set dyn = [] %}
        {%- for c in conds if 'activity' in c or 'engagement_gte' in c %}{% do dyn.append(c) %}{% endfor %}
        (t.attr_{{ s }}{% for c in dyn %} or {{ signal_condition(c, rules) }}{% endfor %}) as signal_{{ s }},
        (case when t.attr_{{ s }} then t.attr_evidence_{{ s }} {% for c in dyn %}when {{ signal_condition(c, rules) }} then {{ signal_evidence(c, rules) }} {% endfor %}end) as evidence_{{ s }},
        {%- endfor %}
        nullif(concat_ws('; ', t.disqualified_by
        {%- for d in rules.get('disqualifiers', []) if 'activity' in d %},
            case when {{ activity_disqualifier(d) }}
                 then {{ sql_str(d.name ~ ': ' ~ (d.activity | join('/')) ~ ' ') }} || to_char({{ activity_last_at(d.activity) }} at time zone 'UTC', 'YYYY-MM-DD')
                      {%- if d.get('unless_later') %} || {{ sql_str(', nothing since') }}{% endif %} end
        {%- endfor %}), '') as disqualified_by,

        -- SQL triggers
        {%- if sql_t.get('hand_raise') is mapping %}
        case when {{ activity_within(sql_t.hand_raise.activity, sql_t.hand_raise.get('within_days')) }}
             then {{ activities_latest_first(sql_t.hand_raise.activity, sql_t.hand_raise.get('within_days')) }}
        end as hand_raise,
        {%- else %}
        null::text as hand_raise,
        {%- endif %}
        concat_ws('; '
        {%- for q in sql_t.get('sequences', []) %},
            case when {{ activity_within(q.then, q.within_days) }}
                  and {{ activity_within(q.first, q.within_days) }}
                  and {{ activity_first_at(q.first) }} < {{ activity_last_at(q.then) }}
                  and t.fit_score >= {{ q.get('min_fit', 0) }}
                 then {{ sql_str(q.name ~ ' (' ~ (q.first | join('/')) ~ ' then ' ~ (q.then | join('/')) ~ ' within ' ~ q.within_days ~ ' days)') }} end
        {%- endfor %}
        ) as sequence_matched

    from scored as t
)

select
    lead_id,
    {%- for c in lead_identity_columns() %}
    {{ c }},
    {%- endfor %}
    fit_raw,
    fit_score,
    engagement_raw,
    engagement_score,
    -- the conversion model's inputs (macros/conversion_model.sql conversion_features)
    {%- for name, _ in lead_attribute_features(rules) %}
    {{ name }},
    {%- endfor %}
    {%- for x in rules_activity_types() %}
    decayed_count_{{ x }},
    {%- endfor %}
    last_engaged_at,
    {%- for s in rules.signals %}
    signal_{{ s }},
    evidence_{{ s }},
    {%- endfor %}
    {%- for f, criteria in rules.frameworks.items() %}
    {%- for crit, sig in criteria.items() %}
    signal_{{ sig }} as {{ f }}_{{ crit }},
    {%- endfor %}
    ({% for crit, sig in criteria.items() %}signal_{{ sig }}::int{{ ' + ' if not loop.last }}{% endfor %}) as {{ f }}_met,
    {%- endfor %}
    disqualified_by,
    hand_raise,
    nullif(sequence_matched, '') as sequence_matched,
    -- the conversion model's log-odds (macros/conversion_model.sql; null without a stored
    -- model), computed here so that the parallel workers reading the signals compute it
    {{ conversion_logit(model, rules, 'evaluated', 'activity_logit') }} as conversion_logit
from evaluated
