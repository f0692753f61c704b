with source as (
    select * from {{ source('hubspot', 'hubspot_calls') }}
),

renamed as (
    select
        -- ids
        source.id as call_id,

        -- attributes
        lower({{ clean_text("source.record -> 'properties' ->> 'hs_call_direction'") }}) as call_direction,
        {{ parse_number("source.record -> 'properties' ->> 'hs_call_duration'") }} as call_duration_ms,
        {{ clean_text("source.record -> 'properties' ->> 'hs_call_disposition'") }} as call_disposition,

        -- shared by every engagement: contact_ids, occurred_at, is_archived, extracted_at
        {{ hubspot_engagement_columns() }}

    from source
    where {{ not_quarantined('hubspot_calls') }}
)

select * from renamed
