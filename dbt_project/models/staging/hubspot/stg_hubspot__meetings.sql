with source as (
    select * from {{ source('hubspot', 'hubspot_meetings') }}
),

renamed as (
    select
        -- ids
        source.id as meeting_id,
        coalesce(
            array(select jsonb_array_elements_text(
                case when jsonb_typeof(source.record -> 'associations' -> 'contacts') = 'array'
                     then source.record -> 'associations' -> 'contacts' else '[]'::jsonb end)),
            array[]::text[]
        ) as contact_ids,

        -- attributes
        {{ clean_text("source.record -> 'properties' ->> 'hs_meeting_title'") }} as meeting_title,
        lower({{ clean_text("source.record -> 'properties' ->> 'hs_meeting_outcome'") }}) as meeting_outcome,
        {{ parse_timestamp("source.record -> 'properties' ->> 'hs_meeting_start_time'") }} as meeting_start_at,

        -- timestamps
        coalesce(
            {{ parse_timestamp("source.record -> 'properties' ->> 'hs_timestamp'") }},
            {{ parse_timestamp("source.record ->> 'createdAt'") }}
        ) as occurred_at,

        -- flags
        (source.is_deleted or coalesce(source.record ->> 'archived' = 'true', false)) as is_archived,
        source._extracted_at as extracted_at

    from source
    where {{ not_quarantined('hubspot_meetings') }}
)

select * from renamed
