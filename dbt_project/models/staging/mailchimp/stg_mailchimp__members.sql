with source as (
    select * from {{ source('mailchimp', 'mailchimp_members') }}
),

renamed as (
    select
        -- ids
        source.id as member_id,
        nullif(source.record ->> 'list_id', '') as list_id,

        -- person
        {{ normalised('email', clean_email("source.record ->> 'email_address'")) }} as email,
        {{ clean_text("source.record -> 'merge_fields' ->> 'FNAME'") }} as first_name,
        {{ clean_text("source.record -> 'merge_fields' ->> 'LNAME'") }} as last_name,
        lower({{ clean_text("source.record ->> 'status'") }}) as status,

        -- timestamps
        {{ parse_timestamp("source.record ->> 'timestamp_opt'") }} as opted_in_at,
        {{ parse_timestamp("source.record ->> 'last_changed'") }} as last_changed_at

    from source
    {{- normalised_joins('mailchimp_members', ['email']) }}
    where {{ not_quarantined('mailchimp_members') }}
)

select * from renamed
