-- Activity state per lead, one row per lead with activities, maintained incrementally: per
-- normalised activity type the count, first and last occurrence, the count still inside the
-- type's window, and the decayed points before the cap, decayed to the row's reference time
-- ref_at (columns: macros/activity_state_columns.sql). Scoring (int_lead_signals_evaluated)
-- reads one row per lead and decays it on to the scoring time; int_lead_activities_aggregated
-- unpivots it per type for the explanations.
--
-- Exponential decay is memoryless: the decayed sum at T1 is the sum at T0 times
-- 0.5^((T1 - T0) / half-life) plus the new activities' decayed points. A daily run therefore
-- only touches leads with something new, and never rescans the others:
--   * re-based leads (only those with changes): the previous row is decayed to T1
--     (sum × 0.5^(Δt / half-life), per type) plus the activities first loaded since the
--     previous run's watermark (late arrivals too: a sum of decayed points does not depend on
--     arrival order), plus activities loaded earlier that came due in (T0, T1] (future-dated
--     rows), minus windowed activities that left their window;
--   * recomputed leads (from all their activities up to T1): leads with an already counted
--     activity that was re-extracted with new values, and leads that gained or lost a
--     contact (new contacts, merges, email changes); one left with no activities gets an
--     empty row;
--   * all other rows are kept as they are, each at its own ref_at.
-- Every branch reads int_activities_unioned through an index (loaded_at, first_loaded_at via
-- loaded_at, occurred_at, lead_id), so the cost follows the new data, not the history.
-- A full recompute happens on the first run, `--full-refresh`, a rules change (rules_version),
-- a scoring time earlier than the previous one, or a change of the table's columns (a new
-- activity type in the code).
-- Known limit: an activity deleted or quarantined after it was counted leaves its lead's
-- state only when that lead is otherwise recomputed or at the next full refresh (the DAG's
-- full_refresh param); schedule one weekly. Rows of leads that no longer exist (every
-- contact archived) are ignored downstream and cleared on a full recompute.
{%- set rules = scoring_rules() %}
{%- set windows = rules.activities.values() | selectattr('window_days', 'defined') | map(attribute='window_days') | reject('none') | list %}
{#- macros/materializations/incremental_state.sql: the runs record, the full/incremental
    decision, the upsert on lead_id, fillfactor (docs/physical-tuning.md) and analyze. Its
    columns follow the code's activity types, not the rules (macros/activity_state_columns.sql):
    a new type adds columns and recomputes every lead. -#}
{{ config(
    materialized='incremental_state',
    unique_key='lead_id',
    indexes=[{'columns': ['lead_id'], 'unique': true}],
    watermark=['int_activities_unioned.loaded_at', 'int_contacts_mapped_to_leads.extracted_at'],
    expect_columns='activity_state_columns',
    on_schema_change='sync_all_columns',
    fillfactor=80,
    analyze=true,
    full_run_settings={'enable_hashagg': 'off'},
) }}

-- depends_on: {{ ref('int_contacts_mapped_to_leads') }}
-- depends_on: {{ ref('int_leads_joined') }}

{#- none on a full recompute, else the previous run's scoring time (as_of) and watermark -#}
{%- set previous = incremental_state_previous() %}
{%- set t0, w0 = (previous.as_of, previous.watermark) if previous else (none, none) %}

with activities as not materialized (
    -- not materialized: each use below filters through an index of int_activities_unioned.
    -- Per activity: whether it is inside its type's window (counted) and its points decayed
    -- to the scoring time
    select
        a.*,
        (a.window_days is null or a.occurred_at >= {{ as_of() }} - a.window_days * interval '1 day') as counted,
        case when a.half_life_days is null then a.points
             else a.points * power(0.5::double precision, {{ age_days('a.occurred_at') }} / a.half_life_days) end as decayed
    from (
        -- the type's number and parameters by CASE (macros/activity_state_columns.sql)
        select
            u.lead_id,
            u.activity_type,
            {{ activity_rule_case('u.activity_type', rules, 'type_no') }} as type_no,
            u.occurred_at,
            u.loaded_at,
            u.first_loaded_at,
            {{ activity_rule_case('u.activity_type', rules, 'points') }} as points,
            {{ activity_rule_case('u.activity_type', rules, 'half_life_days') }} as half_life_days,
            {{ activity_rule_case('u.activity_type', rules, 'window_days') }} as window_days
        from {{ ref('int_activities_unioned') }} as u
        where u.occurred_at <= {{ as_of() }}
          and u.lead_id is not null
    ) as a
),

{% if previous %}
recompute_leads as (
    -- activities counted before that changed since (re-extracted with new values)
    select lead_id from activities where loaded_at > {{ w0 }} and first_loaded_at <= {{ w0 }}
    union
    -- leads that gained or lost a contact (new contacts, merges, email changes)
    select lead_id from {{ ref('int_contacts_mapped_to_leads') }}
    where previous_lead_id is distinct from lead_id
    union
    select previous_lead_id from {{ ref('int_contacts_mapped_to_leads') }}
    where previous_lead_id is not null and previous_lead_id is distinct from lead_id
),

due as (
    -- activities new since the previous run (late arrivals too: a sum of decayed points does
    -- not depend on the order they arrive in)
    select a.*
    from activities as a
    where a.loaded_at > {{ w0 }}
      and a.first_loaded_at > {{ w0 }}
      and not exists (select 1 from recompute_leads as r where r.lead_id = a.lead_id)
    union all
    -- activities loaded before that came due in (T0, T1] (future-dated rows)
    select a.*
    from activities as a
    where a.occurred_at > {{ t0 }}
      and a.loaded_at <= {{ w0 }}
      and not exists (select 1 from recompute_leads as r where r.lead_id = a.lead_id)
),

leaving as (
    select a.*
    from activities as a
    where a.window_days is not null
      -- through the partial index of windowed activities (macros/ensure_windowed_activities_index.sql)
      and {{ is_windowed_activity('a.activity_type', rules) }}
      and a.occurred_at <= {{ t0 }}
      and a.occurred_at >= {{ t0 }} - a.window_days * interval '1 day'
      and a.occurred_at < {{ as_of() }} - a.window_days * interval '1 day'
      -- the same test per window length, as index ranges on occurred_at (each one day wide
      -- on a daily run)
      and ({% for w in windows | unique %}(a.occurred_at >= {{ t0 }} - interval '{{ w }} days' and a.occurred_at < {{ as_of() }} - interval '{{ w }} days'){{ ' or ' if not loop.last }}{% endfor %}{{ 'false' if not windows }})
      and a.loaded_at <= {{ w0 }}
      and not exists (select 1 from recompute_leads as r where r.lead_id = a.lead_id)
),

delta as (
    -- per lead and type: the new activities (n, first_at, last_at) and the change of the
    -- counted activities and their decayed points (new ones in, leaving ones out)
    select
        lead_id,
        type_no,
        count(*) filter (where src = 'due') as n,
        min(occurred_at) filter (where src = 'due') as first_at,
        max(occurred_at) filter (where src = 'due') as last_at,
        sum(case when src = 'due' and counted then 1 when src = 'leaving' then -1 else 0 end) as counted,
        sum(case when src = 'due' and counted then decayed when src = 'leaving' then -decayed else 0 end) as decayed
    from (
        select due.*, 'due' as src from due
        union all
        select leaving.*, 'leaving' as src from leaving
    ) as changes
    group by lead_id, type_no
),

delta_pivoted as (
    select lead_id, {{ pivot_activity_types('d') }}
    from delta as d
    group by lead_id
),

rebased as (
    -- the leads with changes: their previous row re-based to T1, plus the changes (leads
    -- without changes keep their row and its reference time)
    select
        d.lead_id,
        {%- for t in rules_activity_types() %}
        {%- set a = rules.activities.get(t, {}) %}
        {%- set n = 'coalesce(s.count_' ~ t ~ ', 0) + coalesce(d.count_' ~ t ~ ', 0)' %}
        nullif({{ n }}, 0) as count_{{ t }},
        least(s.first_{{ t }}, d.first_{{ t }}) as first_{{ t }},
        greatest(s.last_{{ t }}, d.last_{{ t }}) as last_{{ t }},
        case when {{ n }} > 0 then coalesce(s.counted_{{ t }}, 0) + coalesce(d.counted_{{ t }}, 0) end as counted_{{ t }},
        case when {{ n }} > 0 then
            -- no power() for the types the lead had none of (most of them)
            case when s.decayed_{{ t }} is null then 0
                 else {{ decayed_points('s.decayed_' ~ t, a.get('half_life_days'), age_days('s.ref_at')) }} end
            + coalesce(d.decayed_{{ t }}, 0) end as decayed_{{ t }}{{ ',' if not loop.last }}
        {%- endfor %}
    from delta_pivoted as d
    left join {{ this }} as s on s.lead_id = d.lead_id
),
{% endif %}

per_type as (
    -- per lead and type, from all of the lead's activities up to the scoring time
    select
        a.lead_id,
        a.type_no,
        count(*) as n,
        min(a.occurred_at) as first_at,
        max(a.occurred_at) as last_at,
        count(*) filter (where a.counted) as counted,
        coalesce(sum(a.decayed) filter (where a.counted), 0) as decayed
    from activities as a
    {%- if previous %}
    where a.lead_id in (select lead_id from recompute_leads)
    {%- endif %}
    group by a.lead_id, a.type_no
),

recomputed as (
    {%- if previous %}
    -- a listed lead left with no activities gets an empty row (every column null)
    select r.lead_id, {{ pivot_activity_types('p') }}
    from recompute_leads as r
    left join per_type as p on p.lead_id = r.lead_id
    where r.lead_id is not null
    group by r.lead_id
    {%- else %}
    select p.lead_id, {{ pivot_activity_types('p') }}
    from per_type as p
    group by p.lead_id
    {%- endif %}
),

new_state as (
    select * from recomputed
    {%- if previous %}
    union all
    select * from rebased
    {%- endif %}
)

-- columns: lead_id, the pivoted ones (bigint counts, timestamptz times, double decayed points),
-- then these two (the order of macro activity_state_columns)
select
    new_state.*,
    {{ as_of() }} as ref_at,
    '{{ rules_version() }}'::text as rules_version
from new_state
{%- if not previous %}
-- a full recompute also leaves out leads that no longer exist (every contact archived)
where new_state.lead_id in (select lead_id from {{ ref('int_leads_joined') }})
{%- endif %}
