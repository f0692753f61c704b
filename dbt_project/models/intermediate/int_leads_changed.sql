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
    pre_hook=["create table if not exists " ~ runs_table ~ " (invocation_id text primary key, as_of timestamptz, watermark timestamptz, rules_version text, mode text, consumed_by text[] not null default '{}', recorded_at timestamptz default now())"],
    post_hook=[
        "create index if not exists int_leads_changed_lead on {{ this }} (lead_id)",
        "analyze {{ this }}",
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
        {%- set prev = run_query("select to_char(as_of at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), to_char(watermark at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), rules_version, as_of <= " ~ as_of() ~ " from " ~ runs_table ~ " where consumed_by @> array['int_leads_joined', 'int_lead_fit_evaluated', 'int_lead_attributes_evaluated'] order by recorded_at desc limit 1") %}
        {%- if prev.rows | length == 1 and prev.rows[0][2] == version and prev.rows[0][3] and prev.rows[0][1] is not none %}
            {%- set mode = 'incremental' %}
            {%- set t0 = "cast('" ~ prev.rows[0][0] ~ "' as timestamptz)" %}
            {%- set w0 = "cast('" ~ prev.rows[0][1] ~ "' as timestamptz)" %}
        {%- endif %}
    {%- endif %}
    {#- the watermark this run reads up to: the newest contact, company or activity loaded -#}
    {%- set w1_row = run_query("select to_char(greatest((select max(extracted_at) from " ~ ref('int_contacts_mapped_to_leads') ~ "), (select max(_extracted_at) from " ~ source('hubspot', 'hubspot_companies') ~ "), (select max(loaded_at) from " ~ ref('int_activities_unioned') ~ ")) at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')") %}
    {%- if w1_row.rows[0][0] is not none %}
        {%- set w1 = "cast('" ~ w1_row.rows[0][0] ~ "' as timestamptz)" %}
    {%- endif %}
    {{ log("int_leads_changed: " ~ mode ~ " (rules " ~ version ~ ")", info=True) }}
    {% do run_query("create table if not exists " ~ runs_table ~ " (invocation_id text primary key, as_of timestamptz, watermark timestamptz, rules_version text, mode text, consumed_by text[] not null default '{}', recorded_at timestamptz default now())") %}
    {% do run_query("insert into " ~ runs_table ~ " (invocation_id, as_of, watermark, rules_version, mode) values ('" ~ invocation_id ~ "', " ~ as_of() ~ ", " ~ w1 ~ ", '" ~ version ~ "', '" ~ mode ~ "') on conflict (invocation_id) do update set as_of = excluded.as_of, watermark = excluded.watermark, rules_version = excluded.rules_version, mode = excluded.mode") %}
{%- endif %}

with mapping as (
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
