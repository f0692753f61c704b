-- One row per lead with activity: what scoring reads of its activities, pivoted so that the
-- daily scoring pass reads one row per lead instead of aggregating the millions of
-- (lead, activity type) rows of int_lead_activity_state:
--   * per scored activity type (scoring_rules.yml `activities`), the decayed points before
--     the cap (`decayed_<type>`), decayed to this row's reference time ref_at;
--     int_lead_signals_evaluated decays them on to the scoring time and applies the caps;
--   * per activity type a signal or tier trigger looks at, the first and last occurrence.
--
-- Incremental: a daily run reads only the state rows written by the state runs this model
-- has not consumed yet (every state row carries the scoring time of the run that wrote it,
-- ref_at) and rewrites their leads: the types read replace the lead's previous values, the
-- others are carried over, decayed on to now. A lead with nothing new keeps its row and only
-- decays when read. Everything is rebuilt when one of those state runs was a full recompute
-- (first run, `--full-refresh`, a rules change, a scoring time going backwards). Written by
-- upsert on lead_id (macros/incremental_upsert.sql).
{%- set rules = scoring_rules() %}
{#- hooks are rendered when they run (their `this` is then the model's relation) -#}
{%- set hook_runs_table = '{{ this.schema }}.int_lead_activities_pivoted_runs' %}
{%- set hook_state_runs = '{{ this.schema }}.int_lead_activity_state_runs' %}
{{ config(
    materialized='incremental',
    incremental_strategy='upsert',
    unique_key='lead_id',
    on_schema_change='sync_all_columns',
    pre_hook=["create table if not exists " ~ hook_runs_table ~ " (invocation_id text, as_of timestamptz, state_recorded_at timestamptz, recorded_at timestamptz default now())"],
    post_hook=[
        "{{ ensure_index('int_lead_activities_pivoted_pk', '(lead_id)', unique=true) }}",
        "{{ ensure_fillfactor(80) }}",
        "insert into " ~ hook_runs_table ~ " (invocation_id, as_of, state_recorded_at) select '{{ invocation_id }}', {{ as_of() }}, (select max(recorded_at) from " ~ hook_state_runs ~ ")",
        "{{ analyze_if_stale() }}",
    ],
) }}

-- depends_on: {{ ref('int_lead_activity_state') }}

{#- Which state rows are new to this model: those written by the state runs recorded after
    the one this model consumed last (their ref_at is at least the earliest of their scoring
    times). A full state recompute among them rebuilds everything. -#}
{%- set mode = 'full' %}
{%- set since = none %}
{%- set runs_table = this.schema ~ '.int_lead_activities_pivoted_runs' %}
{%- set state_runs = this.schema ~ '.int_lead_activity_state_runs' %}
{%- if execute and is_incremental() %}
    {%- set exists = run_query("select to_regclass('" ~ runs_table ~ "') is not null").rows[0][0] %}
    {%- set prev = run_query("select state_recorded_at from " ~ runs_table ~ " order by recorded_at desc limit 1").rows if exists else [] %}
    {%- if prev | length == 1 and prev[0][0] is not none %}
        {%- set pending = run_query("select bool_or(mode = 'full'), " ~ iso_utc('min(as_of)') ~ " from " ~ state_runs
                                    ~ " where recorded_at > (select state_recorded_at from " ~ runs_table ~ " order by recorded_at desc limit 1)").rows[0] %}
        {%- if not pending[0] %}
            {%- set mode = 'incremental' %}
            {%- set since = "cast('" ~ pending[1] ~ "' as timestamptz)" if pending[1] is not none else none %}
        {%- endif %}
    {%- endif %}
    {{ log("int_lead_activities_pivoted: " ~ mode, info=True) }}
    {%- if mode == 'full' %}
        {#- the upsert only replaces the leads it writes: a rebuild also clears the rest -#}
        {% do run_query("delete from " ~ this) %}
    {%- endif %}
{%- endif %}

with state as (
    select * from {{ ref('int_lead_activity_state') }}
),

state_pivoted as (
    -- the state rows read (all, or the changed ones), one row per lead; a type of the lead
    -- among them is listed in types_read even when its row is empty (activity_count 0)
    select
        s.lead_id,
        array_agg(s.activity_type) as types_read,
        {%- for x in rules_signal_activity_types(rules) %}
        max(s.last_at) filter (where s.activity_type = '{{ x }}' and s.activity_count > 0) as last_{{ x }},
        min(s.first_at) filter (where s.activity_type = '{{ x }}' and s.activity_count > 0) as first_{{ x }},
        {%- endfor %}
        {%- for x, a in rules.activities.items() %}
        sum({{ decayed_points('s.decayed_ref', a.get('half_life_days'), age_days('s.ref_at')) }}) filter (where s.activity_type = '{{ x }}' and s.activity_count > 0) as decayed_{{ x }},
        {%- endfor %}
        {{ as_of() }} as ref_at
    from state as s
    {%- if mode == 'incremental' %}
    {%- if since is none %}
    where false
    {%- else %}
    where s.ref_at >= {{ since }}
    {%- endif %}
    {%- else %}
    where s.activity_count > 0
    {%- endif %}
    group by s.lead_id
)

{% if mode == 'incremental' %}
-- a changed lead's types that were not read keep their previous values, decayed on to now
select
    c.lead_id,
    {%- for x in rules_signal_activity_types(rules) %}
    case when '{{ x }}' = any(c.types_read) then c.last_{{ x }} else p.last_{{ x }} end as last_{{ x }},
    case when '{{ x }}' = any(c.types_read) then c.first_{{ x }} else p.first_{{ x }} end as first_{{ x }},
    {%- endfor %}
    {%- for x, a in rules.activities.items() %}
    case when '{{ x }}' = any(c.types_read) then c.decayed_{{ x }}
         when p.decayed_{{ x }} is null then null
         else {{ decayed_points('p.decayed_' ~ x, a.get('half_life_days'), age_days('p.ref_at')) }} end as decayed_{{ x }},
    {%- endfor %}
    c.ref_at
from state_pivoted as c
left join {{ this }} as p on p.lead_id = c.lead_id
{% else %}
select
    lead_id,
    {%- for x in rules_signal_activity_types(rules) %}
    last_{{ x }},
    first_{{ x }},
    {%- endfor %}
    {%- for x in rules.activities %}
    decayed_{{ x }},
    {%- endfor %}
    ref_at
from state_pivoted
{% endif %}
