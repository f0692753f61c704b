with source as (
    select * from {{ source('hubspot', 'hubspot_emails') }}
),

renamed as (
    select
        -- ids
        source.id as email_id,
        coalesce(
            array(select jsonb_array_elements_text(
                case when jsonb_typeof(source.record -> 'associations' -> 'contacts') = 'array'
                     then source.record -> 'associations' -> 'contacts' else '[]'::jsonb end)),
            array[]::text[]
        ) as contact_ids,

        -- attributes
        lower({{ clean_text("source.record -> 'properties' ->> 'hs_email_direction'") }}) as email_direction,
        {{ clean_text("source.record -> 'properties' ->> 'hs_email_subject'") }} as email_subject,

        -- timestamps
        coalesce(
            {{ parse_timestamp("source.record -> 'properties' ->> 'hs_timestamp'") }},
            {{ parse_timestamp("source.record ->> 'createdAt'") }}
        ) as occurred_at,

        -- flags
        (source.is_deleted or coalesce(source.record ->> 'archived' = 'true', false)) as is_archived,
        source._extracted_at as extracted_at

    from source
    where {{ not_quarantined('hubspot_emails') }}
)

select * from renamed
