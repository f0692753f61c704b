-- One row per lead: where it stood in the CRM at the scoring time. A lead that had converted
-- by then is a `customer`, one with a deal open then (or in the opportunity stage) is
-- `in_pipeline`: neither is a lead to qualify, so lead_scores gives them those tiers and
-- every conversion figure leaves them out.
--
-- Point in time: deals count from their create date and stop being open at their close
-- date; the lifecycle stage is the last one whose hs_lifecyclestage_<stage>_date is on or
-- before the scoring time. A lead whose contacts carry no stage dates falls back to today's
-- stage (a current value: a backtest of such a portal sees today's stage, see the README).
with outcomes as (
    select * from {{ ref('int_lead_outcomes_aggregated') }}
),

open_deals as (
    select
        lead_id,
        count(*) as deals,
        count(*) filter (where not (is_closed and closed_at <= {{ as_of() }})) as open_deals
    from {{ ref('int_lead_deals_joined') }}
    where created_at <= {{ as_of() }}
    group by lead_id
),

staged as (
    select
        outcomes.lead_id,
        outcomes.converted_at,
        outcomes.is_converted_undated,
        coalesce(open_deals.deals, 0) as deals,
        coalesce(open_deals.open_deals, 0) as open_deals,
        case
            {%- for stage in dated_lifecycle_stages() | reverse %}
            when outcomes.became_{{ stage }}_at <= {{ as_of() }} then '{{ stage }}'
            {%- endfor %}
        end as dated_stage,
        ({% for stage in dated_lifecycle_stages() %}outcomes.became_{{ stage }}_at is not null{{ ' or ' if not loop.last }}{% endfor %}) as has_stage_dates
    from outcomes
    left join open_deals on open_deals.lead_id = outcomes.lead_id
)

select
    lead_id,
    converted_at,
    deals,
    open_deals,
    dated_stage as stage_at_scoring,
    has_stage_dates,
    case
        when converted_at <= {{ as_of() }} then 'customer'
        -- a customer today that the CRM gives no date for (the backtest leaves it out)
        when is_converted_undated then 'customer'
        when open_deals > 0 then 'in_pipeline'
        -- a team that tracks no deals for this lead: the opportunity stage is the pipeline (a
        -- lead whose deals were all lost is a lead again, whatever stage the CRM left it in)
        when deals = 0 and dated_stage = 'opportunity' then 'in_pipeline'
    end as standing
from staged
