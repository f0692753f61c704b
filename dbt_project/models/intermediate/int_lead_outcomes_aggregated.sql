-- One row per lead: when it converted and how we know, from its deals and its contacts'
-- lifecycle dates. Facts only (no scoring time): the backtest reads the outcomes that happened
-- after each past date from here.
--
-- The conversion event is var('conversion_event'):
--   closed_won_deal     the close date of the lead's first closed-won deal
--   lifecycle_customer  the date its lifecycle stage first reached customer (or evangelist)
--   auto (default)      the first of the two that the CRM has (a deal first, as teams that
--                       use deals record the sale there)
{%- set event = var('conversion_event', 'auto') %}
{%- if event not in ('auto', 'closed_won_deal', 'lifecycle_customer') %}
{{ exceptions.raise_compiler_error("var conversion_event is '" ~ event ~ "': use auto, closed_won_deal or lifecycle_customer") }}
{%- endif %}

with mapping as (
    select contact_id, lead_id from {{ ref('int_contacts_mapped_to_leads') }}
    where lead_id is not null
),

lifecycle as (
    select
        mapping.lead_id,
        {%- for stage in dated_lifecycle_stages() %}
        min(c.became_{{ stage }}_at) as became_{{ stage }}_at,
        {%- endfor %}
        -- a customer the CRM gives no date for cannot be placed in time (see converted_at)
        bool_or(c.lifecyclestage in ('customer', 'evangelist')) as is_customer_now
    from mapping
    join {{ ref('stg_hubspot__contacts') }} as c on c.contact_id = mapping.contact_id
    group by mapping.lead_id
),

deals as (
    select
        lead_id,
        count(*) as deals,
        count(*) filter (where is_closed_won) as won_deals,
        count(*) filter (where is_closed and not is_closed_won) as lost_deals,
        count(*) filter (where not is_closed) as open_deals,
        min(created_at) as first_deal_created_at,
        min(closed_at) filter (where is_closed_won) as first_won_at,
        (array_agg(amount order by closed_at, deal_id) filter (where is_closed_won))[1] as first_won_amount
    from {{ ref('int_lead_deals_joined') }}
    group by lead_id
),

combined as (
    select
        lifecycle.lead_id,
        deals.first_won_at,
        least(lifecycle.became_customer_at, lifecycle.became_evangelist_at) as became_converted_at,
        {%- for stage in dated_lifecycle_stages() %}
        lifecycle.became_{{ stage }}_at,
        {%- endfor %}
        lifecycle.is_customer_now,
        coalesce(deals.deals, 0) as deals,
        coalesce(deals.won_deals, 0) as won_deals,
        coalesce(deals.lost_deals, 0) as lost_deals,
        coalesce(deals.open_deals, 0) as open_deals,
        deals.first_deal_created_at,
        deals.first_won_amount
    from lifecycle
    left join deals on deals.lead_id = lifecycle.lead_id
)

select
    lead_id,
    {%- if event == 'closed_won_deal' %}
    first_won_at as converted_at,
    case when first_won_at is not null then 'closed_won_deal' end as conversion_source,
    {%- elif event == 'lifecycle_customer' %}
    became_converted_at as converted_at,
    case when became_converted_at is not null then 'lifecycle_customer' end as conversion_source,
    {%- else %}
    coalesce(first_won_at, became_converted_at) as converted_at,
    case when first_won_at is not null then 'closed_won_deal'
         when became_converted_at is not null then 'lifecycle_customer' end as conversion_source,
    {%- endif %}
    -- a customer today with no date in the CRM: converted, but when is unknown, so the
    -- backtest leaves it out of every past date's figures
    (is_customer_now and first_won_at is null and became_converted_at is null) as is_converted_undated,
    least(first_deal_created_at, became_opportunity_at) as first_opportunity_at,
    first_won_at,
    first_won_amount,
    {%- for stage in dated_lifecycle_stages() %}
    became_{{ stage }}_at,
    {%- endfor %}
    deals,
    won_deals,
    lost_deals,
    open_deals
from combined
