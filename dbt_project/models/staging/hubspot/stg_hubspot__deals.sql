{#- Deals typed from raw JSONB (quarantined rows excluded). Won/closed come from the stage's
    pipeline metadata (stg_hubspot__deal_pipeline_stages); where the stage is unknown (not in
    the pipelines stream, or nulled by the quality step) from hs_is_closed_won / hs_is_closed.
    closedate is the close date of a closed deal and the expected one of an open deal, so it
    lands as closed_at or expected_close_at by that flag. -#}
with source as (
    select * from {{ source('hubspot', 'hubspot_deals') }}
),

stages as (
    select * from {{ ref('stg_hubspot__deal_pipeline_stages') }}
),

renamed as (
    select
        -- ids
        source.id as deal_id,
        {{ clean_text("source.record -> 'properties' ->> 'dealname'") }} as deal_name,
        {{ clean_text("source.record -> 'properties' ->> 'pipeline'") }} as pipeline_id,
        {{ normalised('deal_stage', clean_text("source.record -> 'properties' ->> 'dealstage'")) }} as deal_stage_id,

        -- money: separators, suffixes and currencies parsed by the quality step; a value it
        -- quarantined is null here while the deal stays
        {{ normalised('amount', parse_number("source.record -> 'properties' ->> 'amount'"), '::numeric') }}::double precision
            as amount,

        -- flags as HubSpot computed them ("true"/"false" strings)
        case lower(btrim(source.record -> 'properties' ->> 'hs_is_closed'))
            when 'true' then true when 'false' then false end as hs_is_closed,
        case lower(btrim(source.record -> 'properties' ->> 'hs_is_closed_won'))
            when 'true' then true when 'false' then false end as hs_is_closed_won,

        -- timestamps
        {{ crm_timestamp('createdate', 'createdAt') }} as created_at,
        {{ parse_timestamp("source.record -> 'properties' ->> 'closedate'") }} as close_date,
        {{ crm_timestamp('hs_lastmodifieddate', 'updatedAt') }} as updated_at,

        {{ crm_is_archived() }} as is_archived,
        source._extracted_at as extracted_at

    from source
    {{- normalised_joins('hubspot_deals', ['deal_stage', 'amount']) }}
    where {{ not_quarantined('hubspot_deals') }}
),

flagged as (
    select
        renamed.*,
        coalesce(stage.is_closed, renamed.hs_is_closed, false) as is_closed,
        coalesce(stage.is_closed_won, renamed.hs_is_closed_won, false) as is_closed_won
    from renamed
    left join lateral (
        -- the stage of the deal's own pipeline; a deal naming no pipeline takes the first match
        select s.is_closed, s.is_closed_won from stages as s
        where s.stage_id = renamed.deal_stage_id
          and (s.pipeline_id = renamed.pipeline_id or renamed.pipeline_id is null)
        order by s.pipeline_id
        limit 1
    ) as stage on true
)

select
    deal_id,
    deal_name,
    pipeline_id,
    deal_stage_id,
    amount,
    created_at,
    case when is_closed then close_date end as closed_at,
    case when not is_closed then close_date end as expected_close_at,
    is_closed,
    is_closed_won,
    hs_is_closed_won,
    updated_at,
    is_archived,
    extracted_at
from flagged
