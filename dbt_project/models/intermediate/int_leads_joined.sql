-- One row per lead: the primary contact's CRM fields (gaps filled from the lead's other
-- contacts), its company, and the latest stated form answers (up to the scoring time).
-- Incremental: only the leads in int_leads_changed are recomputed (their rows deleted first,
-- so a lead that no longer exists disappears).
-- depends_on: {{ ref('int_leads_changed') }}
-- depends_on: {{ ref('int_activities_unioned') }}
{{ changed_leads_model_config(unique=true) }}

with mapping as (
    select * from {{ ref('int_contacts_mapped_to_leads') }}
    {{ where_changed_lead() }}
),

contacts as (
    select
        mapping.lead_id,
        mapping.is_primary,
        c.*
    from mapping
    join {{ ref('stg_hubspot__contacts') }} as c on c.contact_id = mapping.contact_id
    where not c.is_archived or mapping.is_primary
),

contact_fields as (
    select
        lead_id,
        max(contact_id) filter (where is_primary) as crm_id,
        {% for col in ['email', 'first_name', 'last_name', 'job_title', 'company_name', 'company_id', 'country',
                       'lifecyclestage', 'lead_status', 'meddic_metrics', 'meddic_economic_buyer',
                       'meddic_decision_criteria', 'meddic_decision_process', 'meddic_identified_pain',
                       'meddic_champion'] %}
        (array_agg({{ col }} order by is_primary desc, updated_at desc nulls last, contact_id)
            filter (where {{ col }} is not null))[1] as {{ col }},
        {% endfor %}
        bool_or(lifecyclestage in ('customer', 'evangelist') or closed_at is not null) as is_converted,
        min(created_at) as created_at,
        count(*) as contact_count
    from contacts
    group by lead_id
),

forms as (
    select mapping.lead_id, f.*
    from {{ ref('stg_hubspot__form_submissions') }} as f
    join mapping on mapping.contact_id = f.contact_id
    where f.occurred_at <= {{ as_of() }}
    {%- if not incremental_state_full() %}
      -- the changed leads' forms, looked up by primary key
      and f.form_submission_id in (
          select substr(activity_key, length('hubspot_form_submissions:') + 1)
          from {{ ref('int_activities_unioned') }}
          where lead_id in (select lead_id from {{ ref('int_leads_changed') }})
            and starts_with(activity_key, 'hubspot_form_submissions:'))
    {%- endif %}
),

form_answers as (
    select
        lead_id,
        {% for col in ['budget_range', 'purchase_timeframe', 'challenge', 'decision_role', 'company_name'] %}
        (array_agg({{ col }} order by occurred_at desc, form_submission_id)
            filter (where {{ col }} is not null))[1] as {{ col }}{{ ',' if not loop.last }}
        {% endfor %}
    from forms
    group by lead_id
),

companies as (
    select * from {{ ref('stg_hubspot__companies') }}
    where not is_archived
)

select
    -- ids
    cf.lead_id,
    cf.crm_id,
    cf.company_id,

    -- person
    cf.email,
    split_part(cf.email, '@', 2) as email_domain,
    cf.first_name,
    cf.last_name,
    cf.job_title,
    fa.decision_role,
    cf.country as contact_country,

    -- company
    coalesce(co.company_name, cf.company_name, fa.company_name) as company_name,
    co.company_domain,
    co.industry,
    co.employees,
    co.annual_revenue,
    coalesce(co.country, cf.country) as country,

    -- stated answers
    fa.budget_range,
    fa.purchase_timeframe,
    fa.challenge,

    -- CRM
    cf.lifecyclestage,
    cf.lead_status,
    cf.meddic_metrics,
    cf.meddic_economic_buyer,
    cf.meddic_decision_criteria,
    cf.meddic_decision_process,
    cf.meddic_identified_pain,
    cf.meddic_champion,
    cf.is_converted,
    cf.contact_count,
    cf.created_at

from contact_fields as cf
left join form_answers as fa on fa.lead_id = cf.lead_id
left join companies as co on co.company_id = cf.company_id
