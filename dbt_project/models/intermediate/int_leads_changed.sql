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
-- scoring time earlier than the previous one. The watermark is recorded with the list; each
-- model that consumes it confirms it (incremental_state_confirm), and the next run starts from
-- the newest watermark all of them confirmed, so a run that fails midway is redone.
-- depends_on: {{ ref('int_activities_unioned') }}
-- depends_on: {{ ref('stg_hubspot__contacts') }}
-- depends_on: {{ ref('stg_hubspot__companies') }}
-- depends_on: {{ source('hubspot', 'hubspot_companies') }}
{#- rebuilt every run (no unique_key); the runs record, the decision and the confirmations:
    macros/materializations/incremental_state.sql. Its incremental SELECT reads the previous
    list's leads from int_leads_joined (downstream of this, so not a ref): without it, a full
    run. -#}
{{ config(
    materialized='incremental_state',
    indexes=[{'columns': ['lead_id']}],
    watermark=['int_contacts_mapped_to_leads.extracted_at', 'hubspot.hubspot_companies._extracted_at', 'int_activities_unioned.loaded_at'],
    confirmed_by=['int_leads_joined', 'int_lead_fit_evaluated', 'int_lead_attributes_evaluated'],
    requires=['int_leads_joined'],
    analyze=true,
) }}

{#- none on a full run, else the previous confirmed run's scoring time (as_of) and watermark -#}
{%- set previous = incremental_state_previous() %}
{%- set mode = 'incremental' if previous else 'full' %}
{%- set prev_leads = adapter.get_relation(this.database, this.schema, 'int_leads_joined') if previous %}
{%- set t0, w0 = (previous.as_of, previous.watermark) if previous else (none, none) %}

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
