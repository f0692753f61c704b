-- The leads whose time-independent inputs (contacts, company, form answers) changed since the
-- last complete scoring run: the per-lead models that depend only on those inputs
-- (int_leads_joined, int_lead_fit_evaluated, int_lead_attributes_evaluated) recompute just
-- these leads, so a daily run costs what changed, not the number of leads.
--
-- A lead is listed when one of its contacts was re-extracted, is new or moved between leads
-- (merges, email changes; the lead it left too), its primary contact was re-extracted (the
-- lead may be gone: every contact archived), its company was re-extracted, or a form of its
-- was loaded or came due (form answers count up to the scoring time).
-- Every lead is listed (mode 'full') on the first run, `--full-refresh`, a rules change, or a
-- scoring time earlier than the previous one. The watermark is recorded here; each model that
-- consumes this list confirms it (macro leads_changed_consumed), and the next run starts from
-- the newest watermark all of them confirmed, so a run that fails midway is redone. (Each
-- model confirms by itself because Cosmos runs every model as its own dbt invocation.)
{%- set version = rules_version() %}
{%- set runs_table = this.schema ~ '.int_leads_changed_runs' %}
-- depends_on: {{ ref('int_activities_unioned') }}
-- depends_on: {{ ref('stg_hubspot__contacts') }}
-- depends_on: {{ ref('stg_hubspot__companies') }}
-- depends_on: {{ source('hubspot', 'hubspot_companies') }}
{{ config(
    materialized='table',
    post_hook=[
        "{{ ensure_index('int_leads_changed_lead', '(lead_id)') }}",
        "{{ analyze_if_stale() }}",
    ],
) }}

{%- set mode = 'full' %}
{%- set t0 = none %}
{%- set w0 = none %}
{%- set prev_leads = none %}
{%- set w1 = "cast(null as timestamptz)" %}
{%- if execute %}
    {%- set prev_leads = adapter.get_relation(this.database, this.schema, 'int_leads_joined') %}
    {%- set exists = run_query("select to_regclass('" ~ runs_table ~ "') is not null").rows[0][0] %}
    {%- if exists and prev_leads is not none and not flags.FULL_REFRESH %}
        {%- set prev = previous_run(runs_table, version, "consumed_by @> array['int_leads_joined', 'int_lead_fit_evaluated', 'int_lead_attributes_evaluated']") %}
        {%- if prev is not none %}
            {%- set mode = 'incremental' %}
            {%- set t0 = prev.t0 %}
            {%- set w0 = prev.w0 %}
        {%- endif %}
    {%- endif %}
    {#- the watermark this run reads up to: the newest contact, company or activity loaded -#}
    {%- set w1 = timestamp_literal("greatest((select max(extracted_at) from " ~ ref('int_contacts_mapped_to_leads') ~ "), (select max(_extracted_at) from " ~ source('hubspot', 'hubspot_companies') ~ "), (select max(loaded_at) from " ~ ref('int_activities_unioned') ~ "))") or "cast(null as timestamptz)" %}
    {{ log("int_leads_changed: " ~ mode ~ " (rules " ~ version ~ ")", info=True) }}
    {% do run_query("create table if not exists " ~ runs_table ~ " (invocation_id text primary key, as_of timestamptz, watermark timestamptz, rules_version text, mode text, consumed_by text[] not null default '{}', recorded_at timestamptz default now())") %}
    {% do run_query("insert into " ~ runs_table ~ " (invocation_id, as_of, watermark, rules_version, mode) values ('" ~ invocation_id ~ "', " ~ as_of() ~ ", " ~ w1 ~ ", '" ~ version ~ "', '" ~ mode ~ "') on conflict (invocation_id) do update set as_of = excluded.as_of, watermark = excluded.watermark, rules_version = excluded.rules_version, mode = excluded.mode") %}
{%- endif %}

with mapping as not materialized (
    -- not materialized: read twice below, and a materialized copy of every contact cost more
    -- (0.35 s at 1M contacts) than the scans and index lookups it saved
    select * from {{ ref('int_contacts_mapped_to_leads') }}
)

{% if mode == 'full' %}
select distinct lead_id, '{{ mode }}'::text as mode
from mapping
{% else %}
, changed as (
    -- contacts re-extracted, new, or moved between leads (both leads)
    select lead_id from mapping
    where extracted_at > {{ w0 }} or previous_lead_id is distinct from lead_id
    union
    select previous_lead_id from mapping
    where previous_lead_id is not null and previous_lead_id is distinct from lead_id
    union
    -- the lead's primary contact re-extracted (the lead may no longer exist)
    select p.lead_id from {{ prev_leads }} as p
    where p.crm_id in (select contact_id from {{ ref('stg_hubspot__contacts') }} where extracted_at > {{ w0 }})
    union
    -- its company re-extracted
    select p.lead_id from {{ prev_leads }} as p
    where p.company_id in (select company_id from {{ ref('stg_hubspot__companies') }} where extracted_at > {{ w0 }})
    union
    -- a form loaded, or one that came due since the previous scoring time
    select lead_id from {{ ref('int_activities_unioned') }}
    where (loaded_at > {{ w0 }} or (occurred_at > {{ t0 }} and occurred_at <= {{ as_of() }}))
      and starts_with(activity_key, 'hubspot_form_submissions:')
      and lead_id is not null
)

select lead_id, '{{ mode }}'::text as mode
from changed
where lead_id is not null
{% endif %}
