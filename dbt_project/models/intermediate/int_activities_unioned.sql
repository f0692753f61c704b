-- One unified activity stream: CRM engagements, form submissions, page views and Mailchimp
-- email events, attributed to leads, with a normalised activity_type (see scoring_rules.yml):
-- calls and CRM emails by who made them (ours score nothing), clicks of link scanners apart
-- from the lead's, page types by path in every listed language (macros/rules/activity_normalisation.sql).
-- Unknown types and rows without a timestamp are dropped. Future-dated rows are kept here
-- and ignored by scoring until the scoring time reaches them. Activities of contacts that are
-- not known (yet) are kept with a null lead_id and their contact_key, so they count as soon
-- as the contact arrives.
--
-- Incremental: a daily run reads only raw rows loaded since the newest loaded_at here (an
-- index range scan on raw.<stream>._extracted_at), plus, by primary key, the rows stored
-- here under a new or moved contact (or its email) and every activity of a lead that gained
-- or lost a contact (merges, email changes), and replaces those activities' rows
-- (delete+insert on activity_key). Cost follows the new rows, not the history.
-- When the `normalisation` rules (or the code's types) change, the run re-reads every raw row
-- and retypes it (the table's comment records what typed it).
-- Known limits (a full refresh corrects them; the DAG's full_refresh param, weekly): rows
-- deleted or quarantined in raw after they landed here stay; a click that arrived before its
-- campaign (no send time yet) stays a click.
{%- set rules = scoring_rules() %}
{%- set streams = ['calls', 'meetings', 'emails', 'notes'] %}
-- depends_on: {{ ref('stg_hubspot__contacts') }}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='activity_key',
    on_schema_change='fail',
    indexes=[{'columns': ['lead_id']}, {'columns': ['occurred_at']}, {'columns': ['loaded_at']}, {'columns': ['activity_key']}],
    pre_hook=["set maintenance_work_mem = '{{ var(\"maintenance_work_mem\") }}'"],
    post_hook=[
    "{{ ensure_index('int_activities_unioned_unattributed', '(contact_key) where lead_id is null') }}",
    "{{ ensure_windowed_activities_index() }}",
    "drop index if exists {{ this.schema }}.int_activities_unioned_lead",
    "drop index if exists {{ this.schema }}.int_activities_unioned_contact",
    "{{ analyze_if_stale() }}",
    "comment on table {{ this }} is '{{ activity_normalisation_version() }}'",
]) }}

{%- set since = none %}
{%- set prev_leads = none %}
{%- if execute and is_incremental() %}
    {#- a literal (not a subquery) so the planner sees how few raw rows are new -#}
    {%- set since = timestamp_literal("select coalesce(max(loaded_at), '-infinity') from " ~ this) %}
    {%- if activity_normalisation_changed(this) %}
        {{ log("int_activities_unioned: normalisation changed, re-reading every activity", info=True) }}
        {%- set since = "cast('-infinity' as timestamptz)" %}
    {%- endif %}
    {%- set prev_leads = adapter.get_relation(this.database, this.schema, 'int_leads_joined') %}
{%- endif %}

with mapping as not materialized (
    -- not materialized: each use filters or joins through an index of the mapping
    select * from {{ ref('int_contacts_mapped_to_leads') }}
),

{% if is_incremental() -%}
changed_keys as (
    -- contacts that are new or moved to another lead, and their emails
    select contact_id as contact_key from mapping where previous_lead_id is distinct from lead_id
    union
    select email from mapping where email is not null and previous_lead_id is distinct from lead_id
),

affected_leads as (
    -- leads that gained or lost a contact: all their activities are re-attributed
    select lead_id from mapping where previous_lead_id is distinct from lead_id
    union
    select previous_lead_id from mapping
    where previous_lead_id is not null and previous_lead_id is distinct from lead_id
    {%- if prev_leads is not none %}
    union
    -- leads gone since (every contact archived): their activities become unattributed
    select p.lead_id from {{ prev_leads }} as p
    where p.crm_id in (select contact_id from {{ ref('stg_hubspot__contacts') }} where extracted_at > {{ since }})
      and not exists (select 1 from mapping as m where m.lead_id = p.lead_id)
    {%- endif %}
),

rereads as (
    -- unattributed activities of a new or moved contact (or its email), and every activity of
    -- a lead that gained or lost a contact
    select activity_key from {{ this }}
    where lead_id is null and contact_key in (select contact_key from changed_keys)
    union
    select activity_key from {{ this }}
    where lead_id in (select lead_id from affected_leads)
),
{%- endif %}


crm_engagement_contacts as (
    {%- for kind in streams %}
    select
        'hubspot_{{ kind }}:' || e.{{ kind[:-1] }}_id as activity_key,
        c.contact_id as contact_key,
        {% if kind == 'calls' %}{{ crm_call_type('e.call_direction', 'e.call_disposition', rules) }}
        {%- elif kind == 'emails' %}{{ crm_email_type('e.email_direction') }}
        {%- else %}'crm_{{ kind[:-1] }}'{% endif %} as activity_type,
        'hubspot' as activity_source,
        e.occurred_at,
        {% if kind == 'calls' %}concat_ws(' ', e.call_direction, e.call_disposition)
        {% elif kind == 'meetings' %}concat_ws(' — ', e.meeting_title, e.meeting_outcome)
        {% elif kind == 'emails' %}concat_ws(': ', e.email_direction, e.email_subject)
        {% else %}left(e.note_body, 80){% endif %} as detail,
        e.extracted_at as loaded_at
    from ({{ rows_to_read(since, 'stg_hubspot__' ~ kind, kind[:-1] ~ '_id', 'hubspot_' ~ kind) }}) as e
    cross join lateral unnest(e.contact_ids) as c(contact_id)
    where not e.is_archived
    {{ 'union all' if not loop.last }}
    {% endfor %}
),

crm_engagements as (
    -- an engagement associated with two contacts of the same lead counts once
    select distinct on (coalesce(m.lead_id, '~' || e.contact_key), e.activity_key) e.*
    from crm_engagement_contacts as e
    left join mapping as m on m.contact_id = e.contact_key
    order by coalesce(m.lead_id, '~' || e.contact_key), e.activity_key, e.contact_key
),

forms as (
    select
        'hubspot_form_submissions:' || f.form_submission_id as activity_key,
        f.contact_id as contact_key,
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
    from ({{ rows_to_read(since, 'stg_hubspot__form_submissions', 'form_submission_id', 'hubspot_form_submissions') }}) as f
),

page_views as (
    select
        'hubspot_page_views:' || p.page_view_id as activity_key,
        p.contact_id as contact_key,
        {{ page_type('p.url_path', rules) }} as activity_type,
        'hubspot' as activity_source,
        p.occurred_at,
        p.url_path as detail,
        p.extracted_at as loaded_at
    from ({{ rows_to_read(since, 'stg_hubspot__page_views', 'page_view_id', 'hubspot_page_views') }}) as p
),

campaign_sends as (
    -- when each campaign was sent (a few hundred rows): a click right after is a link scanner's
    select campaign_id, min(sent_at) as sent_at
    from {{ ref('stg_mailchimp__campaigns') }}
    group by campaign_id
),

mailchimp_activities as (
    select
        'mailchimp_email_activity:' || a.email_activity_id as activity_key,
        a.email as contact_key,
        {{ mailchimp_activity_type('a.action', 'a.bounce_type', 'a.occurred_at', 'cs.sent_at', rules) }} as activity_type,
        'mailchimp' as activity_source,
        a.occurred_at,
        coalesce(a.url, a.campaign_id) as detail,
        a.extracted_at as loaded_at
    from ({{ rows_to_read(since, 'stg_mailchimp__email_activity', 'email_activity_id', 'mailchimp_email_activity') }}) as a
    left join campaign_sends as cs on cs.campaign_id = a.campaign_id
    union all
    select
        'mailchimp_unsubscribes:' || u.unsubscribe_id,
        u.email,
        'email_unsubscribe',
        'mailchimp',
        u.occurred_at,
        coalesce(u.reason, u.campaign_id),
        u.extracted_at
    from ({{ rows_to_read(since, 'stg_mailchimp__unsubscribes', 'unsubscribe_id', 'mailchimp_unsubscribes') }}) as u
),

emails as (
    -- email address → lead (the lead keyed by that email wins over merged-away contacts)
    select distinct on (email)
        email,
        lead_id
    from mapping
    where email is not null
    {%- if is_incremental() %}
      and email in (select contact_key from mailchimp_activities)
    {%- endif %}
    order by email, (lead_id = md5('email:' || email)) desc, is_primary desc
),

attributed as (
    -- each stream joins the mapping on its own: joined once below a union of the streams, the
    -- parsing of every page view ran in one process (at 1M leads 20% of a full refresh slower)
    {%- for stream in ['crm_engagements', 'forms', 'page_views'] %}
    select mapping.lead_id, h.*
    from {{ stream }} as h
    left join mapping on mapping.contact_id = h.contact_key
    union all
    {%- endfor %}
    select emails.lead_id, m.*
    from mailchimp_activities as m
    left join emails on emails.email = m.contact_key
),

deduplicated as (
    select *
    -- `offset 0` keeps this filter above the unions: pushed down into the raw scans it would
    -- parse every timestamp and URL twice (once to filter, once to output)
    from (select * from attributed offset 0) as a
    where activity_type is not null and occurred_at is not null and contact_key is not null
)

select
    md5(coalesce(d.lead_id, '~' || d.contact_key) || '|' || d.activity_key) as activity_id,
    d.lead_id,
    d.activity_key,
    d.contact_key,
    d.activity_type,
    d.activity_source,
    d.occurred_at,
    d.detail,
    d.loaded_at,
    {% if is_incremental() %}coalesce(f.first_loaded_at, d.loaded_at){% else %}d.loaded_at{% endif %} as first_loaded_at
from deduplicated as d
{%- if is_incremental() %}
-- when each re-read activity was first loaded (one index probe per row): incremental scoring
-- adds new activities to the decayed state, and recomputes the leads whose already counted
-- activities changed
left join lateral (
    select min(t.first_loaded_at) as first_loaded_at
    from {{ this }} as t
    where t.activity_key = d.activity_key
) as f on true
{%- endif %}
