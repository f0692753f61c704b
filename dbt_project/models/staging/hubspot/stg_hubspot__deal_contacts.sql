{#- One row per deal ↔ contact association (the extractor stores the contact ids it read from
    the v4 associations API as `associations.contacts`). Quarantined deals are left out. -#}
with source as (
    select * from {{ source('hubspot', 'hubspot_deals') }}
    where {{ not_quarantined('hubspot_deals', 'id') }}
)

select distinct
    source.id as deal_id,
    contact.contact_id
from source
cross join lateral jsonb_array_elements_text(
    case when jsonb_typeof(source.record -> 'associations' -> 'contacts') = 'array'
         then source.record -> 'associations' -> 'contacts' else '[]'::jsonb end
) as contact(contact_id)
where nullif(btrim(contact.contact_id), '') is not null
