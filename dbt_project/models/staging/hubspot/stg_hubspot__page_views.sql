with source as (
    select * from {{ source('hubspot', 'hubspot_page_views') }}
),

renamed as (
    select
        -- ids
        source.id as page_view_id,
        nullif(source.record ->> 'objectId', '') as contact_id,

        -- page
        {{ clean_text("source.record -> 'properties' ->> 'hs_url'") }} as url,
        {{ url_path("(source.record -> 'properties' ->> 'hs_url')") }} as url_path,
        {{ clean_text("source.record -> 'properties' ->> 'hs_page_title'") }} as page_title,

        -- timestamps
        {{ parse_timestamp("source.record ->> 'occurredAt'") }} as occurred_at,
        source._extracted_at as extracted_at

    from source
    where {{ not_quarantined('hubspot_page_views') }}
)

select * from renamed
