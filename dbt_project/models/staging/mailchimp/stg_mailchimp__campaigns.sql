with source as (
    select * from {{ source('mailchimp', 'mailchimp_campaigns') }}
),

renamed as (
    select
        -- ids
        source.id as campaign_id,
        nullif(source.record -> 'recipients' ->> 'list_id', '') as list_id,

        -- attributes
        lower({{ clean_text("source.record ->> 'type'") }}) as campaign_type,
        lower({{ clean_text("source.record ->> 'status'") }}) as status,
        {{ clean_text("source.record -> 'settings' ->> 'subject_line'") }} as subject_line,
        {{ clean_text("source.record -> 'settings' ->> 'title'") }} as title,

        -- timestamps
        {{ parse_timestamp("source.record ->> 'send_time'") }} as sent_at

    from source
    where {{ not_quarantined('mailchimp_campaigns') }}
)

select * from renamed
