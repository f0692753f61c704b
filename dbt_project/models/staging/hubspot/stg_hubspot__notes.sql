with source as (
    select * from {{ source('hubspot', 'hubspot_notes') }}
),

renamed as (
    select
        -- ids
        source.id as note_id,

        -- attributes
        left({{ clean_text("source.record -> 'properties' ->> 'hs_note_body'") }}, 500) as note_body,

        -- shared by every engagement: contact_ids, occurred_at, is_archived, extracted_at
        {{ hubspot_engagement_columns() }}

    from source
    where {{ not_quarantined('hubspot_notes') }}
)

select * from renamed
