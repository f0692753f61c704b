-- One row per lead and activity type up to the scoring time: counts, first/last occurrence,
-- and the engagement points of that type after window, exponential decay and cap
-- (rules: scoring_rules.yml `activities`), read from the incremental state
-- (int_lead_activity_state) and decayed from its reference time to the scoring time.
{%- set rules = scoring_rules() %}
-- A view: the decay is computed where the rows are read (lead_score_factors, per lead), so
-- the state's millions of rows are not rewritten daily. Scoring reads the per-lead pivot of
-- the same state (int_lead_activities_pivoted) instead.
{{ config(materialized='view') }}

with rule_params (activity_type, points, half_life_days, window_days, cap) as (
    values
    {%- for t, a in rules.activities.items() %}
        ('{{ t }}', {{ a.points }}::double precision, {{ a.get('half_life_days') if a.get('half_life_days') is not none else 'null' }}::double precision,
         {{ a.get('window_days') if a.get('window_days') is not none else 'null' }}::double precision,
         {{ a.get('cap') if a.get('cap') is not none else 'null' }}::double precision){{ ',' if not loop.last }}
    {%- endfor %}
),

state as (
    -- may still hold rows of a lead that no longer exists (until the next full recompute):
    -- readers join to the leads they report on
    select s.*
    from {{ ref('int_lead_activity_state') }} as s
    where s.activity_count > 0
),

decayed as (
    select
        s.lead_activity_type_id,
        s.lead_id,
        s.activity_type,
        s.activity_count,
        s.first_at,
        s.last_at,
        s.counted_count,
        s.undecayed_points,
        case when p.half_life_days is null then s.decayed_ref
             else s.decayed_ref * power(0.5::double precision, {{ age_days('s.ref_at') }} / p.half_life_days) end
            as decayed_points,
        p.points as points_each,
        p.half_life_days,
        p.window_days,
        p.cap
    from state as s
    left join rule_params as p on p.activity_type = s.activity_type
)

select
    decayed.*,
    case
        when points_each is null then 0::double precision
        else {{ capped_points('decayed_points', 'points_each', 'cap') }}
    end as points
from decayed
