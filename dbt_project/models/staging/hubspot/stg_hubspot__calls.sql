with source as (
    select * from {{ source('hubspot', 'hubspot_calls') }}
),

renamed as (
    select
        -- ids
        source.id as call_id,
        coalesce(
            array(select jsonb_array_elements_text(
                case when jsonb_typeof(source.record -> 'associations' -> 'contacts') = 'array'
                     then source.record -> 'associations' -> 'contacts' else '[]'::jsonb end)),
            array[]::text[]
        ) as contact_ids,

        -- attributes
        lower({{ clean_text("source.record -> 'properties' ->> 'hs_call_direction'") }}) as call_direction,
        {{ parse_number("source.record -> 'properties' ->> 'hs_call_duration'") }} as call_duration_ms,
        {{ clean_text("source.record -> 'properties' ->> 'hs_call_disposition'") }} as call_disposition,

        -- timestamps
        coalesce(
            {{ parse_timestamp("source.record -> 'properties' ->> 'hs_timestamp'") }},
            {{ parse_timestamp("source.record ->> 'createdAt'") }}
        ) as occurred_at,

        -- flags
        (source.is_deleted or coalesce(source.record ->> 'archived' = 'true', false)) as is_archived,
        source._extracted_at as extracted_at

    from source
    where {{ not_quarantined('hubspot_calls') }}
)

select * from renamed
