-- One row per CRM contact id (including merged-away and archived ids) → the lead it belongs to.
-- Merged contacts fold into their survivor (hs_merged_object_ids); contacts sharing an email
-- are one lead; the lead's primary contact (crm_id) is the earliest-created active one.
--
-- Incremental: a daily run recomputes only the contacts of the leads touched by contacts
-- extracted since the newest extracted_at here (their old and new leads, the contacts merged
-- into them or that they list as merged), so it reads a few contacts, not all of them.
-- Contacts left without a lead (every contact of it archived or quarantined) are deleted.
-- previous_lead_id is the lead a recomputed contact had before this run; rows not recomputed
-- are reset to "not moved" (previous_lead_id = lead_id) first.
{%- set previous = load_relation(this) %}
{%- set since = none %}
{%- if execute and is_incremental() %}
    {%- set since = timestamp_literal("select coalesce(max(extracted_at), '-infinity') from " ~ this) %}
{%- endif %}
-- depends_on: {{ source('hubspot', 'hubspot_contacts') }}
-- Indexes: the `moved` partial index lists the contacts this run moved to another lead
-- (int_activities_unioned re-attributes their activities); `email` serves Mailchimp events.
{#- the index on extracted_at serves the newest-extraction lookups: this model's own watermark,
    the activity state's and the changed-leads list's (three scans of every contact per daily
    run without it, about 0.25 s at 1M contacts) -#}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='contact_id',
    on_schema_change='fail',
    indexes=[{'columns': ['contact_id'], 'unique': true}, {'columns': ['lead_id']}, {'columns': ['survivor_id']},
             {'columns': ['email']}, {'columns': ['extracted_at']}],
    pre_hook=["{% if is_incremental() %}update {{ this }} set previous_lead_id = lead_id where previous_lead_id is distinct from lead_id{% endif %}"],
    post_hook=[
        "delete from {{ this }} where lead_id is null",
        "{{ ensure_index('int_contacts_mapped_to_leads_moved', '(contact_id) where previous_lead_id is distinct from lead_id') }}",
        "{{ analyze_if_stale() }}",
    ],
) }}

with
{% if is_incremental() -%}
changed as (
    -- contacts loaded since the previous run (quarantined ones too: they may leave a lead)
    select id as contact_id from {{ source('hubspot', 'hubspot_contacts') }}
    where _extracted_at > {{ since }}
),

changed_merges as (
    select m.contact_id
    from {{ ref('stg_hubspot__contacts') }} as c
    cross join lateral unnest(c.merged_contact_ids) as m(contact_id)
    where c.contact_id in (select contact_id from changed)
),

touched_leads as (
    -- the old leads of changed contacts, of contacts merged into them or listed as merged
    select lead_id from {{ this }}
    where contact_id in (select contact_id from changed)
       or survivor_id in (select contact_id from changed)
       or contact_id in (select contact_id from changed_merges)
    union
    -- the leads changed contacts key into now
    select md5(coalesce('email:' || c.email, 'crm:' || c.contact_id))
    from {{ ref('stg_hubspot__contacts') }} as c
    where c.contact_id in (select contact_id from changed)
),

recompute_ids as (
    select contact_id from {{ this }} where lead_id in (select lead_id from touched_leads)
    union
    select contact_id from changed
    union
    select contact_id from changed_merges
),

contacts as (
    select * from {{ ref('stg_hubspot__contacts') }}
    where contact_id in (select contact_id from recompute_ids)
),
{%- else -%}
contacts as (
    select * from {{ ref('stg_hubspot__contacts') }}
),
{%- endif %}

merged_into as (
    -- every id listed in a survivor's hs_merged_object_ids
    select distinct on (merged.contact_id)
        merged.contact_id,
        survivor.contact_id as survivor_id
    from contacts as survivor
    cross join lateral unnest(survivor.merged_contact_ids) as merged(contact_id)
    where merged.contact_id <> survivor.contact_id
    order by merged.contact_id, survivor.updated_at desc nulls last, survivor.contact_id
),

resolved as (
    -- follow merges up to two levels (a survivor that was itself merged later)
    select
        c.contact_id,
        coalesce(m2.survivor_id, m1.survivor_id, c.contact_id) as survivor_id,
        m1.contact_id is not null as was_merged
    from contacts as c
    left join merged_into as m1 on m1.contact_id = c.contact_id
    left join merged_into as m2 on m2.contact_id = m1.survivor_id
),

survivors as (
    select
        s.contact_id,
        s.email,
        s.created_at,
        s.is_archived
    from contacts as s
    where s.contact_id in (select survivor_id from resolved)
),

keyed as (
    select
        r.contact_id,
        r.survivor_id,
        r.was_merged,
        s.is_archived as survivor_archived,
        s.created_at as survivor_created_at,
        coalesce('email:' || s.email, 'crm:' || s.contact_id) as lead_key
    from resolved as r
    join survivors as s on s.contact_id = r.survivor_id
),

leads as (
    -- a lead exists when at least one of its survivor contacts is active (not archived)
    select
        lead_key,
        md5(lead_key) as lead_id,
        (array_agg(survivor_id order by survivor_created_at nulls last, survivor_id)
            filter (where not survivor_archived))[1] as crm_id
    from keyed
    group by lead_key
    having bool_or(not survivor_archived)
),

mapped as (
    select
        keyed.contact_id,
        leads.lead_id,
        leads.crm_id,
        keyed.survivor_id,
        keyed.was_merged,
        keyed.contact_id = leads.crm_id as is_primary,
        -- the contact's own normalised email (Mailchimp events attribute through it)
        c.email,
        c.extracted_at
    from keyed
    join leads on leads.lead_key = keyed.lead_key
    join contacts as c on c.contact_id = keyed.contact_id
    {%- if is_incremental() %}
    union all
    -- recomputed contacts without a lead now: a row (deleted by the post-hook) so that
    -- delete+insert removes their old row
    select r.contact_id, null, null, null, null, null, null, null
    from recompute_ids as r
    where not exists (
        select 1 from keyed join leads on leads.lead_key = keyed.lead_key
        where keyed.contact_id = r.contact_id)
    {%- endif %}
)

select
    mapped.contact_id,
    mapped.lead_id,
    mapped.crm_id,
    mapped.survivor_id,
    mapped.was_merged,
    mapped.is_primary,
    mapped.email,
    -- the lead this contact belonged to before this run (incremental scoring recomputes both
    -- leads when a merge or an email change moves a contact)
    {% if previous is not none %}previous.lead_id{% else %}null::text{% endif %} as previous_lead_id,
    mapped.extracted_at
from mapped
{% if previous is not none %}left join {{ previous }} as previous on previous.contact_id = mapped.contact_id{% endif %}
