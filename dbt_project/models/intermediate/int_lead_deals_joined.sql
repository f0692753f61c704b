-- One row per (lead, deal): every deal associated with any of the lead's contacts, with the
-- dates that place it in time. A fact table: it does not depend on the scoring time, so the
-- backtest builds it once and reads it at every past date.
with deal_contacts as (
    select * from {{ ref('stg_hubspot__deal_contacts') }}
),

deals as (
    select * from {{ ref('stg_hubspot__deals') }}
    where not is_archived
),

mapping as (
    select contact_id, lead_id from {{ ref('int_contacts_mapped_to_leads') }}
    where lead_id is not null
)

select distinct on (mapping.lead_id, deals.deal_id)
    mapping.lead_id,
    deals.deal_id,
    deals.pipeline_id,
    deals.deal_stage_id,
    deals.amount,
    deals.created_at,
    deals.closed_at,
    deals.is_closed,
    deals.is_closed_won
from deal_contacts
join mapping on mapping.contact_id = deal_contacts.contact_id
join deals on deals.deal_id = deal_contacts.deal_id
order by mapping.lead_id, deals.deal_id
