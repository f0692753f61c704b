with source as (
    select * from {{ source('hubspot', 'hubspot_emails') }}
),

renamed as (
    select
        -- ids
        source.id as email_id,

        -- attributes
        lower({{ clean_text("source.record -> 'properties' ->> 'hs_email_direction'") }}) as email_direction,
        {{ clean_text("source.record -> 'properties' ->> 'hs_email_subject'") }} as email_subject,

        -- shared by every engagement: contact_ids, occurred_at, is_archived, extracted_at
        {{ hubspot_engagement_columns() }}

    from source
    where {{ not_quarantined('hubspot_emails') }}
)

select * from renamed
