-- One row per lead: whether and when it converted, how we know (a closed-won deal or the
-- lifecycle stage's customer date, per var('conversion_event')), and when it first reached the
-- pipeline. The outcome truth every conversion figure reads: the backtest takes "converted
-- within the horizon after a past date" from converted_at, never from today's tier.
{{ config(indexes=[{'columns': ['lead_id'], 'unique': true}]) }}

with primary_contacts as (
    select lead_id, crm_id, email
    from {{ ref('int_contacts_mapped_to_leads') }}
    where is_primary
)

select
    outcomes.lead_id,
    primary_contacts.crm_id,
    primary_contacts.email,
    outcomes.converted_at,
    outcomes.conversion_source,
    outcomes.is_converted_undated,
    outcomes.first_opportunity_at,
    outcomes.first_won_at,
    outcomes.first_won_amount,
    outcomes.became_customer_at,
    outcomes.deals,
    outcomes.won_deals,
    outcomes.lost_deals,
    outcomes.open_deals
from {{ ref('int_lead_outcomes_aggregated') }} as outcomes
left join primary_contacts on primary_contacts.lead_id = outcomes.lead_id
