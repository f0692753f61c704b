with source as (
    select * from {{ source('mailchimp', 'mailchimp_email_activity') }}
),

renamed as (
    select
        -- ids
        source.id as email_activity_id,
        nullif(source.record ->> 'campaign_id', '') as campaign_id,
        nullif(source.record ->> 'list_id', '') as list_id,
        nullif(source.record ->> 'email_id', '') as member_id,

        -- activity
        {{ normalised('email', clean_email("source.record ->> 'email_address'")) }} as email,
        lower({{ clean_text("source.record ->> 'action'") }}) as action,
        lower({{ clean_text("source.record ->> 'type'") }}) as bounce_type,
        {{ clean_text("source.record ->> 'url'") }} as url,

        -- timestamps
        {{ parse_timestamp("source.record ->> 'timestamp'") }} as occurred_at,
        source._extracted_at as extracted_at

    from source
    {{- normalised_joins('mailchimp_email_activity', ['email']) }}
    where {{ not_quarantined('mailchimp_email_activity') }}
)

select * from renamed
