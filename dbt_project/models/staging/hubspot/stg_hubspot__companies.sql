with source as (
    select * from {{ source('hubspot', 'hubspot_companies') }}
),

renamed as (
    select
        -- ids
        source.id as company_id,

        -- attributes
        {{ clean_text("source.record -> 'properties' ->> 'name'") }} as company_name,
        lower(regexp_replace({{ clean_text("source.record -> 'properties' ->> 'domain'") }}, '^(https?://)?(www\.)?', '')) as company_domain,
        lower({{ normalised('industry', clean_text("source.record -> 'properties' ->> 'industry'")) }}) as industry,
        {{ clean_text("source.record -> 'properties' ->> 'country'") }} as country,

        -- numerics: EU/US separators, suffixes and currencies parsed by the quality step;
        -- a value it quarantined is null here while the company stays
        {{ normalised('employees', parse_number("source.record -> 'properties' ->> 'numberofemployees'"), '::numeric') }} as employees,
        {{ normalised('annual_revenue', parse_number("source.record -> 'properties' ->> 'annualrevenue'"), '::numeric') }} as annual_revenue,

        -- timestamps
        {{ crm_timestamp('createdate', 'createdAt') }} as created_at,
        {{ crm_timestamp('hs_lastmodifieddate', 'updatedAt') }} as updated_at,

        -- flags
        {{ crm_is_archived() }} as is_archived,
        source._extracted_at as extracted_at

    from source
    {{- normalised_joins('hubspot_companies', ['industry', 'employees', 'annual_revenue']) }}
    where {{ not_quarantined('hubspot_companies') }}
)

select * from renamed
