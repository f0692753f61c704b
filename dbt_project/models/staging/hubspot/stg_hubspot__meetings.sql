with source as (
    select * from {{ source('hubspot', 'hubspot_meetings') }}
),

renamed as (
    select
        -- ids
        source.id as meeting_id,

        -- attributes
        {{ clean_text("source.record -> 'properties' ->> 'hs_meeting_title'") }} as meeting_title,
        lower({{ clean_text("source.record -> 'properties' ->> 'hs_meeting_outcome'") }}) as meeting_outcome,
        {{ parse_timestamp("source.record -> 'properties' ->> 'hs_meeting_start_time'") }} as meeting_start_at,

        -- shared by every engagement: contact_ids, occurred_at, is_archived, extracted_at
        {{ hubspot_engagement_columns() }}

    from source
    where {{ not_quarantined('hubspot_meetings') }}
)

select * from renamed
