-- One row per CRM contact id (including merged-away and archived ids) → the lead it belongs to.
-- Merged contacts fold into their survivor (hs_merged_object_ids); contacts sharing an email
-- are one lead; the lead's primary contact (crm_id) is the earliest-created active one.
{{ config(post_hook=["analyze {{ this }}"]) }}
with contacts as (
    select * from {{ ref('stg_hubspot__contacts') }}
),

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
)

{%- set previous = load_relation(this) %}
select
    keyed.contact_id,
    leads.lead_id,
    leads.crm_id,
    keyed.survivor_id,
    keyed.was_merged,
    keyed.contact_id = leads.crm_id as is_primary,
    -- the contact's own normalised email (Mailchimp events attribute through it)
    c.email,
    -- the lead this contact belonged to in the previous run (incremental scoring recomputes
    -- both leads when a merge or an email change moves a contact)
    {% if previous is not none %}previous.lead_id{% else %}null::text{% endif %} as previous_lead_id,
    c.extracted_at
from keyed
join leads on leads.lead_key = keyed.lead_key
join contacts as c on c.contact_id = keyed.contact_id
{% if previous is not none %}left join {{ previous }} as previous on previous.contact_id = keyed.contact_id{% endif %}
