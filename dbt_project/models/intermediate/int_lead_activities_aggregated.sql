-- One row per lead and activity type up to the scoring time: counts, first/last occurrence,
-- and the engagement points of that type after window, exponential decay and cap
-- (rules: scoring_rules.yml `activities`), unpivoted from the lead's row of the incremental
-- state (int_lead_activities_accumulated) and decayed from its reference time to the scoring
-- time.
{%- set rules = scoring_rules() %}
-- A view: the decay is computed where the rows are read (lead_score_factors, per lead: one
-- index lookup), so nothing is rewritten daily. Scoring reads the state's per-lead row directly.
{{ config(materialized='view') }}

with rule_params (type_no, activity_type, points, half_life_days, window_days, cap) as (
    {{ activity_rule_params(rules) }}
),

per_type as (
    -- may still hold rows of a lead that no longer exists (until the next full recompute):
    -- readers join to the leads they report on
    select s.lead_id, s.ref_at, v.*
    from {{ ref('int_lead_activities_accumulated') }} as s
    cross join lateral (
        values
        {%- for t in rules_activity_types() %}
        ({{ loop.index }}, s.count_{{ t }}, s.first_{{ t }}, s.last_{{ t }}, s.counted_{{ t }}, s.decayed_{{ t }}){{ ',' if not loop.last }}
        {%- endfor %}
    ) as v (type_no, activity_count, first_at, last_at, counted_count, decayed_ref)
    where v.activity_count > 0
),

decayed as (
    select
        md5(s.lead_id || '|' || p.activity_type) as lead_activity_type_id,
        s.lead_id,
        p.activity_type,
        s.activity_count,
        s.first_at,
        s.last_at,
        s.counted_count,
        s.counted_count * p.points as undecayed_points,
        case when p.half_life_days is null then s.decayed_ref
             else s.decayed_ref * power(0.5::double precision, {{ age_days('s.ref_at') }} / p.half_life_days) end
            as decayed_points,
        p.points as points_each,
        p.half_life_days,
        p.window_days,
        p.cap
    from per_type as s
    join rule_params as p on p.type_no = s.type_no
)

select
    decayed.*,
    {{ capped_points('decayed_points', 'points_each', 'cap') }} as points
from decayed
