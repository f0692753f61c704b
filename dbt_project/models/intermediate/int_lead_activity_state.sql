-- Engagement state per lead and activity type, maintained incrementally.
--
-- Exponential decay is memoryless: the decayed sum at T1 is the sum at T0 times
-- 0.5^((T1 - T0) / half-life) plus the new activities' decayed points. A daily run therefore
-- only touches leads with something new, and never rescans the others:
--   * re-based rows (lead × activity type, only those with changes): the previous state row is
--     decayed to T1 (sum × 0.5^(Δt / half-life))
--     plus the activities first loaded since the previous run's watermark (late arrivals
--     too: a sum of decayed points does not depend on arrival order), plus activities loaded
--     earlier that came due in (T0, T1] (future-dated rows), minus windowed activities that
--     left their window;
--   * recomputed leads (from all their activities up to T1): leads with an already counted
--     activity that was re-extracted with new values, and leads that gained or lost a
--     contact (new contacts, merges, email changes);
--   * all other rows are kept as they are; int_lead_activities_aggregated decays every row
--     from its own reference time (ref_at) to the scoring time. A type a recomputed lead no
--     longer has gets an empty row (activity_count 0), which readers skip.
-- Every branch reads int_activities_unioned through an index (loaded_at, first_loaded_at via
-- loaded_at, occurred_at, lead_id), so the cost follows the new data, not the history.
-- A full recompute happens on the first run, `--full-refresh`, a rules change (rules_version),
-- or a scoring time earlier than the previous one.
-- Known limit: an activity deleted or quarantined after it was counted leaves its lead's
-- state only when that lead is otherwise recomputed or at the next full refresh (the DAG's
-- full_refresh param); schedule one weekly. Rows of leads that no longer exist (every
-- contact archived) are ignored downstream and cleared on a full recompute.
{%- set rules = scoring_rules() %}
{%- set version = rules_version() %}
{%- set windows = rules.activities.values() | selectattr('window_days', 'defined') | map(attribute='window_days') | reject('none') | list %}
{%- set runs_table = '{{ this.schema }}.int_lead_activity_state_runs' %}
{#- upsert (macros/incremental_upsert.sql) needs the unique (lead_id, activity_type) index: the
    pre-hook also creates it in a warehouse built before it existed -#}
{{ config(
    materialized='incremental',
    incremental_strategy='upsert',
    unique_key=['lead_id', 'activity_type'],
    on_schema_change='fail',
    pre_hook=[
        "create table if not exists " ~ runs_table ~ " (invocation_id text, as_of timestamptz, watermark timestamptz, rules_version text, mode text, recorded_at timestamptz default now())",
        "{% if is_incremental() %}{{ ensure_index('int_lead_activity_state_lead_type', '(lead_id, activity_type)', unique=true) }}{% endif %}",
    ],
    post_hook=[
        "{{ ensure_index('int_lead_activity_state_lead_type', '(lead_id, activity_type)', unique=true) }}",
        "drop index if exists {{ this.schema }}.int_lead_activity_state_lead",
        "{{ ensure_fillfactor(80) }}",
        "insert into " ~ runs_table ~ " (invocation_id, as_of, watermark, rules_version, mode) select '{{ invocation_id }}', {{ as_of() }}, greatest((select max(loaded_at) from {{ ref('int_activities_unioned') }}), (select max(extracted_at) from {{ ref('int_contacts_mapped_to_leads') }})), '" ~ version ~ "', {% if is_incremental() %}coalesce((select case when p.rules_version = '" ~ version ~ "' and p.as_of <= {{ as_of() }} and p.watermark is not null then 'incremental' else 'full' end from " ~ runs_table ~ " as p order by p.recorded_at desc limit 1), 'full'){% else %}'full'{% endif %}",
        "delete from {{ this }} as s where not exists (select 1 from {{ ref('int_leads_joined') }} as l where l.lead_id = s.lead_id) and (select mode from " ~ runs_table ~ " order by recorded_at desc limit 1) = 'full'",
        "{{ analyze_if_stale() }}",
    ],
) }}

-- depends_on: {{ ref('int_leads_joined') }}

{#- Decide the mode at execution time from the previous run's record. -#}
{%- set mode = 'full' %}
{%- set t0 = none %}
{%- set w0 = none %}
{%- if execute and is_incremental() %}
    {%- set runs_table = this.schema ~ '.int_lead_activity_state_runs' %}
    {%- set prev = previous_run(runs_table, version) %}
    {%- if prev is not none %}
        {%- set mode = 'incremental' %}
        {%- set t0 = prev.t0 %}
        {%- set w0 = prev.w0 %}
    {%- endif %}
    {{ log("int_lead_activity_state: " ~ mode ~ " (rules " ~ version ~ ")", info=True) }}
{%- endif %}
{%- if is_incremental() and mode == 'full' %}
    {#- the upsert only replaces the rows it writes: a full recompute also clears the rest -#}
    {% do run_query("delete from " ~ this) if execute %}
{%- endif %}

with rule_params (activity_type, points, half_life_days, window_days) as (
    values
    {%- for t, a in rules.activities.items() %}
        ('{{ t }}', {{ a.points }}::double precision, {{ a.get('half_life_days') if a.get('half_life_days') is not none else 'null' }}::double precision,
         {{ a.get('window_days') if a.get('window_days') is not none else 'null' }}::double precision){{ ',' if not loop.last }}
    {%- endfor %}
),

activities as not materialized (
    -- not materialized: each use below filters through an index of int_activities_unioned
    select
        a.lead_id,
        a.activity_type,
        a.occurred_at,
        a.loaded_at,
        a.first_loaded_at,
        coalesce(p.points, 0) as points,
        p.half_life_days,
        p.window_days
    from {{ ref('int_activities_unioned') }} as a
    left join rule_params as p on p.activity_type = a.activity_type
    where a.occurred_at <= {{ as_of() }}
      and a.lead_id is not null
),

{% if mode != 'full' %}
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
    select
        lead_id,
        activity_type,
        count(*) filter (where src = 'due') as new_count,
        min(occurred_at) filter (where src = 'due') as new_first_at,
        max(occurred_at) filter (where src = 'due') as new_last_at,
        sum(case when src = 'due' and counted then 1 when src = 'leaving' then -1 else 0 end) as counted_change,
        sum(case when src = 'due' and counted then points when src = 'leaving' then -points else 0 end) as undecayed_change,
        sum(case when src = 'due' and counted or src = 'leaving' then
                (case when src = 'leaving' then -1 else 1 end)
                * case when half_life_days is null then points
                       else points * power(0.5::double precision, {{ age_days('occurred_at') }} / half_life_days) end
            else 0 end) as decayed_change
    from (
        select due.*, 'due' as src,
               (window_days is null or occurred_at >= {{ as_of() }} - window_days * interval '1 day') as counted
        from due
        union all
        select leaving.*, 'leaving' as src, true from leaving
    ) as changes
    group by lead_id, activity_type
),

rebased as (
    -- the (lead, type) rows with changes: previous state re-based to T1 plus the changes
    -- (rows without changes keep their own reference time)
    select
        coalesce(s.lead_id, d.lead_id) as lead_id,
        coalesce(s.activity_type, d.activity_type) as activity_type,
        coalesce(s.activity_count, 0) + coalesce(d.new_count, 0) as activity_count,
        least(s.first_at, d.new_first_at) as first_at,
        greatest(s.last_at, d.new_last_at) as last_at,
        coalesce(s.counted_count, 0) + coalesce(d.counted_change, 0) as counted_count,
        coalesce(s.undecayed_points, 0) + coalesce(d.undecayed_change, 0) as undecayed_points,
        coalesce(
            case when p.half_life_days is null then s.decayed_ref
                 else s.decayed_ref * power(0.5::double precision, {{ age_days('s.ref_at') }} / p.half_life_days) end,
            0) + coalesce(d.decayed_change, 0) as decayed_ref
    from delta as d
    left join {{ this }} as s on s.lead_id = d.lead_id and s.activity_type = d.activity_type
    left join rule_params as p on p.activity_type = coalesce(s.activity_type, d.activity_type)
),
{% endif %}

recomputed as (
    select
        a.lead_id,
        a.activity_type,
        count(*) as activity_count,
        min(a.occurred_at) as first_at,
        max(a.occurred_at) as last_at,
        count(*) filter (where a.window_days is null or a.occurred_at >= {{ as_of() }} - a.window_days * interval '1 day') as counted_count,
        coalesce(sum(a.points) filter (where a.window_days is null or a.occurred_at >= {{ as_of() }} - a.window_days * interval '1 day'), 0) as undecayed_points,
        coalesce(sum(
            case when a.half_life_days is null then a.points
                 else a.points * power(0.5::double precision, {{ age_days('a.occurred_at') }} / a.half_life_days) end
        ) filter (where a.window_days is null or a.occurred_at >= {{ as_of() }} - a.window_days * interval '1 day'), 0) as decayed_ref
    from activities as a
    {%- if mode != 'full' %}
    where a.lead_id in (select lead_id from recompute_leads)
    {%- endif %}
    group by a.lead_id, a.activity_type
),

new_state as (
    select * from recomputed
    {% if mode != 'full' %}
    union all
    select * from rebased
    union all
    -- a recomputed lead's types it no longer has: an empty row (activity_count 0, ignored
    -- downstream) replaces the old one
    select s.lead_id, s.activity_type, 0, null::timestamptz, null::timestamptz, 0, 0, 0
    from {{ this }} as s
    where s.lead_id in (select lead_id from recompute_leads)
      and s.activity_count > 0
      and not exists (select 1 from recomputed as c where c.lead_id = s.lead_id and c.activity_type = s.activity_type)
    {% endif %}
)

select
    md5(lead_id || '|' || activity_type) as lead_activity_type_id,
    lead_id,
    activity_type,
    activity_count::bigint as activity_count,
    first_at,
    last_at,
    counted_count::bigint as counted_count,
    undecayed_points::double precision as undecayed_points,
    decayed_ref::double precision as decayed_ref,
    {{ as_of() }} as ref_at,
    '{{ version }}'::text as rules_version
from new_state
