{#- One row per stage of every deal pipeline. Won = probability 1.0 (HubSpot's rule for deal
    stages; 0.0 is closed lost); closed = metadata.isClosed where the portal sends it, else a
    probability of 0.0 or 1.0. -#}
with source as (
    select * from {{ source('hubspot', 'hubspot_deal_pipelines') }}
    where {{ not_quarantined('hubspot_deal_pipelines', 'id') }}
),

stages as (
    select
        source.id as pipeline_id,
        {{ clean_text("source.record ->> 'label'") }} as pipeline_label,
        {{ clean_text("stage ->> 'id'") }} as stage_id,
        {{ clean_text("stage ->> 'label'") }} as stage_label,
        {{ parse_number("stage ->> 'displayOrder'") }}::integer as display_order,
        {{ parse_number("stage -> 'metadata' ->> 'probability'") }}::double precision as probability,
        case lower(btrim(stage -> 'metadata' ->> 'isClosed')) when 'true' then true when 'false' then false end
            as is_closed_flag,
        ({{ crm_is_archived() }}
            or coalesce(stage ->> 'archived' = 'true', false)) as is_archived,
        source._extracted_at as extracted_at
    from source
    cross join lateral jsonb_array_elements(
        case when jsonb_typeof(source.record -> 'stages') = 'array' then source.record -> 'stages' else '[]'::jsonb end
    ) as stage
)

select
    pipeline_id,
    pipeline_label,
    stage_id,
    stage_label,
    display_order,
    probability,
    coalesce(is_closed_flag, probability in (0.0, 1.0)) as is_closed,
    coalesce(probability = 1.0, false) as is_closed_won,
    is_archived,
    extracted_at
from stages
