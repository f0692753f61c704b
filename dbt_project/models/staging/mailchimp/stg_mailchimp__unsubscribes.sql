with source as (
    select * from {{ source('mailchimp', 'mailchimp_unsubscribes') }}
),

renamed as (
    select
        -- ids
        source.id as unsubscribe_id,
        nullif(source.record ->> 'campaign_id', '') as campaign_id,
        nullif(source.record ->> 'list_id', '') as list_id,
        nullif(source.record ->> 'email_id', '') as member_id,

        -- attributes
        {{ normalised('email', clean_email("source.record ->> 'email_address'")) }} as email,
        {{ clean_text("source.record ->> 'reason'") }} as reason,

        -- timestamps
        {{ parse_timestamp("source.record ->> 'timestamp'") }} as occurred_at,
        source._extracted_at as extracted_at

    from source
    {{- normalised_joins('mailchimp_unsubscribes', ['email']) }}
    where {{ not_quarantined('mailchimp_unsubscribes') }}
)

select * from renamed
