-- One unified activity stream: CRM engagements, form submissions, page views and Mailchimp
-- email events, attributed to leads, with a normalised activity_type (see scoring_rules.yml).
-- Unknown types and rows without a timestamp are dropped. Future-dated rows are kept here
-- and ignored by scoring until the scoring time reaches them.
--
-- Incremental: a daily run re-reads only raw rows loaded since the newest loaded_at here,
-- plus every activity of contacts that were re-extracted or moved between leads (merges,
-- email changes), and replaces those activities' rows (delete+insert on activity_key).
-- Rows deleted or quarantined in raw after they landed here stay until a full refresh.
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='activity_key',
    on_schema_change='fail',
    post_hook=[
    "create index if not exists int_activities_unioned_lead on {{ this }} (lead_id, activity_type, occurred_at)",
    "create index if not exists int_activities_unioned_occurred on {{ this }} (occurred_at)",
    "create index if not exists int_activities_unioned_loaded on {{ this }} (loaded_at)",
    "create index if not exists int_activities_unioned_key on {{ this }} (activity_key)",
    "analyze {{ this }}",
]) }}

{%- if is_incremental() %}
{%- set since = "(select coalesce(max(loaded_at), '-infinity'::timestamptz) from " ~ this ~ ")" %}
{%- endif %}

with mapping as (
    select * from {{ ref('int_contacts_mapped_to_leads') }}
),

{% if is_incremental() -%}
changed_contacts as (
    select contact_id from mapping
    where extracted_at > {{ since }} or previous_lead_id is distinct from lead_id
),

changed_emails as (
    select distinct c.email
    from {{ ref('stg_hubspot__contacts') }} as c
    join changed_contacts using (contact_id)
    where c.email is not null
),
{%- endif %}

emails as (
    -- email address → lead (the lead keyed by that email wins over merged-away contacts)
    select distinct on (c.email)
        c.email,
        mapping.lead_id
    from {{ ref('stg_hubspot__contacts') }} as c
    join mapping on mapping.contact_id = c.contact_id
    where c.email is not null
    order by c.email, (mapping.lead_id = md5('email:' || c.email)) desc, mapping.is_primary desc
),

crm_engagements as (
    {% for kind, type in [('calls', 'crm_call'), ('meetings', 'crm_meeting'), ('emails', 'crm_email'), ('notes', 'crm_note')] %}
    select
        'hubspot_{{ kind }}:' || e.{{ kind[:-1] }}_id as activity_key,
        c.contact_id,
        '{{ type }}' as activity_type,
        'hubspot' as activity_source,
        e.occurred_at,
        {% if kind == 'calls' %}concat_ws(' ', e.call_direction, e.call_disposition)
        {% elif kind == 'meetings' %}concat_ws(' — ', e.meeting_title, e.meeting_outcome)
        {% elif kind == 'emails' %}concat_ws(': ', e.email_direction, e.email_subject)
        {% else %}left(e.note_body, 80){% endif %} as detail,
        e.extracted_at as loaded_at
    from {{ ref('stg_hubspot__' ~ kind) }} as e
    cross join lateral unnest(e.contact_ids) as c(contact_id)
    where not e.is_archived
    {%- if is_incremental() %}
      and (e.extracted_at > {{ since }}
           or exists (select 1 from changed_contacts as x where x.contact_id = any(e.contact_ids)))
    {%- endif %}
    {{ 'union all' if not loop.last }}
    {% endfor %}
),

forms as (
    select
        'hubspot_form_submissions:' || f.form_submission_id as activity_key,
        f.contact_id,
        case
            when f.form_type in ('demo_request', 'contact_sales', 'pricing_inquiry', 'case_study_request',
                                 'ebook_download', 'webinar_registration', 'event_registration', 'newsletter_signup')
            then f.form_type
            else 'form_other'
        end as activity_type,
        'hubspot' as activity_source,
        f.occurred_at,
        coalesce(f.form_type, 'unknown form') as detail,
        f.extracted_at as loaded_at
    from {{ ref('stg_hubspot__form_submissions') }} as f
    {%- if is_incremental() %}
    where f.extracted_at > {{ since }} or f.contact_id in (select contact_id from changed_contacts)
    {%- endif %}
),

page_views as (
    select
        'hubspot_page_views:' || p.page_view_id as activity_key,
        p.contact_id,
        case
            when p.url_path ~ '^/pricing' then 'page_pricing'
            when p.url_path ~ '^/case-stud' then 'page_case_study'
            when p.url_path ~ '^/product' then 'page_product'
            when p.url_path ~ '^/careers' then 'page_careers'
            when p.url_path ~ '^/blog' then 'page_blog'
            when p.url_path ~ '^/docs' then 'page_docs'
            else 'page_other'
        end as activity_type,
        'hubspot' as activity_source,
        p.occurred_at,
        p.url_path as detail,
        p.extracted_at as loaded_at
    from {{ ref('stg_hubspot__page_views') }} as p
    {%- if is_incremental() %}
    where p.extracted_at > {{ since }} or p.contact_id in (select contact_id from changed_contacts)
    {%- endif %}
),

hubspot_activities as (
    select * from crm_engagements
    union all select * from forms
    union all select * from page_views
),

mailchimp_activities as (
    select
        'mailchimp_email_activity:' || a.email_activity_id as activity_key,
        a.email,
        case
            when a.action = 'open' then 'email_open'
            when a.action = 'click' then 'email_click'
            when a.action = 'bounce' and a.bounce_type = 'hard' then 'email_hard_bounce'
            when a.action = 'bounce' then 'email_soft_bounce'
        end as activity_type,
        'mailchimp' as activity_source,
        a.occurred_at,
        coalesce(a.url, a.campaign_id) as detail,
        a.extracted_at as loaded_at
    from {{ ref('stg_mailchimp__email_activity') }} as a
    {%- if is_incremental() %}
    where a.extracted_at > {{ since }} or a.email in (select email from changed_emails)
    {%- endif %}
    union all
    select
        'mailchimp_unsubscribes:' || u.unsubscribe_id,
        u.email,
        'email_unsubscribe',
        'mailchimp',
        u.occurred_at,
        coalesce(u.reason, u.campaign_id),
        u.extracted_at
    from {{ ref('stg_mailchimp__unsubscribes') }} as u
    {%- if is_incremental() %}
    where u.extracted_at > {{ since }} or u.email in (select email from changed_emails)
    {%- endif %}
),

attributed as (
    select mapping.lead_id, h.activity_key, h.activity_type, h.activity_source, h.occurred_at, h.detail, h.loaded_at
    from hubspot_activities as h
    join mapping on mapping.contact_id = h.contact_id
    union all
    select emails.lead_id, m.activity_key, m.activity_type, m.activity_source, m.occurred_at, m.detail, m.loaded_at
    from mailchimp_activities as m
    join emails on emails.email = m.email
),

deduplicated as (
    -- an engagement associated with two contacts of the same lead counts once
    select distinct on (lead_id, activity_key) *
    from attributed
    where activity_type is not null and occurred_at is not null
    order by lead_id, activity_key
)

select
    md5(lead_id || '|' || activity_key) as activity_id,
    lead_id,
    activity_key,
    activity_type,
    activity_source,
    occurred_at,
    detail,
    loaded_at
from deduplicated
