with source as (
    select * from {{ source('hubspot', 'hubspot_contacts') }}
),

renamed as (
    select
        -- ids
        source.id as contact_id,
        nullif(source.record -> 'properties' ->> 'associatedcompanyid', '') as company_id,
        coalesce(
            string_to_array(nullif(regexp_replace(source.record -> 'properties' ->> 'hs_merged_object_ids', '\s', '', 'g'), ''), ';'),
            array[]::text[]
        ) as merged_contact_ids,

        -- person
        {{ normalised('email', clean_email("source.record -> 'properties' ->> 'email'")) }} as email,
        {{ clean_text("source.record -> 'properties' ->> 'email'") }} as email_raw,
        {{ clean_text("source.record -> 'properties' ->> 'firstname'") }} as first_name,
        {{ clean_text("source.record -> 'properties' ->> 'lastname'") }} as last_name,
        {{ normalised('job_title', clean_text("source.record -> 'properties' ->> 'jobtitle'")) }} as job_title,
        {{ clean_text("source.record -> 'properties' ->> 'company'") }} as company_name,
        {{ clean_text("source.record -> 'properties' ->> 'country'") }} as country,
        {{ clean_text("source.record -> 'properties' ->> 'phone'") }} as phone,

        -- lifecycle
        lower({{ clean_text("source.record -> 'properties' ->> 'lifecyclestage'") }}) as lifecyclestage,
        {{ clean_text("source.record -> 'properties' ->> 'hs_lead_status'") }} as lead_status,
        -- when the contact reached each stage (HubSpot's hs_lifecyclestage_<stage>_date)
        {%- for stage in dated_lifecycle_stages() %}
        {{ parse_timestamp("source.record -> 'properties' ->> 'hs_lifecyclestage_" ~ stage ~ "_date'") }} as became_{{ stage }}_at,
        {%- endfor %}

        -- MEDDIC (rep-entered free text)
        {{ clean_text("source.record -> 'properties' ->> 'meddic_metrics'") }} as meddic_metrics,
        {{ clean_text("source.record -> 'properties' ->> 'meddic_economic_buyer'") }} as meddic_economic_buyer,
        {{ clean_text("source.record -> 'properties' ->> 'meddic_decision_criteria'") }} as meddic_decision_criteria,
        {{ clean_text("source.record -> 'properties' ->> 'meddic_decision_process'") }} as meddic_decision_process,
        {{ clean_text("source.record -> 'properties' ->> 'meddic_identified_pain'") }} as meddic_identified_pain,
        {{ clean_text("source.record -> 'properties' ->> 'meddic_champion'") }} as meddic_champion,

        -- timestamps
        {{ crm_timestamp('createdate', 'createdAt') }} as created_at,
        {{ crm_timestamp('lastmodifieddate', 'updatedAt') }} as updated_at,
        {{ parse_timestamp("source.record -> 'properties' ->> 'closedate'") }} as closed_at,

        -- flags
        {{ crm_is_archived() }} as is_archived,
        source._extracted_at as extracted_at

    from source
    {{- normalised_joins('hubspot_contacts', ['email', 'job_title']) }}
    where {{ not_quarantined('hubspot_contacts') }}
)

select * from renamed
