{#- One row per deal pipeline (its stages are stg_hubspot__deal_pipeline_stages). -#}
with source as (
    select * from {{ source('hubspot', 'hubspot_deal_pipelines') }}
),

renamed as (
    select
        source.id as pipeline_id,
        {{ clean_text("source.record ->> 'label'") }} as pipeline_label,
        {{ parse_number("source.record ->> 'displayOrder'") }}::integer as display_order,
        {{ crm_is_archived() }} as is_archived,
        source._extracted_at as extracted_at
    from source
    where {{ not_quarantined('hubspot_deal_pipelines') }}
)

select * from renamed
