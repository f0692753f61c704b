with source as (
    select * from {{ source('hubspot', 'hubspot_form_submissions') }}
),

renamed as (
    select
        -- ids
        source.id as form_submission_id,
        nullif(source.record ->> 'objectId', '') as contact_id,
        {{ clean_text("source.record -> 'properties' ->> 'hs_form_id'") }} as form_id,

        -- answers
        lower({{ clean_text("source.record -> 'properties' ->> 'form_type'") }}) as form_type,
        {{ clean_text("source.record -> 'properties' ->> 'hs_page_url'") }} as page_url,
        lower({{ clean_text("source.record -> 'properties' ->> 'budget_range'") }}) as budget_range,
        lower({{ clean_text("source.record -> 'properties' ->> 'purchase_timeframe'") }}) as purchase_timeframe,
        left({{ clean_text("source.record -> 'properties' ->> 'challenge'") }}, 1000) as challenge,
        lower({{ clean_text("source.record -> 'properties' ->> 'decision_role'") }}) as decision_role,
        {{ clean_text("source.record -> 'properties' ->> 'company'") }} as company_name,

        -- timestamps
        {{ parse_timestamp("source.record ->> 'occurredAt'") }} as occurred_at,
        source._extracted_at as extracted_at

    from source
    where {{ not_quarantined('hubspot_form_submissions') }}
)

select * from renamed
