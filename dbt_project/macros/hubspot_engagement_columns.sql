{#- The columns every HubSpot engagement (call, meeting, email, note) shares: the contacts it
    is associated with (added by the extractor from the v4 associations API), when it
    happened (hs_timestamp, else createdAt), whether it is archived, and when it was loaded. -#}
{% macro hubspot_engagement_columns(relation='source') -%}
        coalesce(
            array(select jsonb_array_elements_text(
                case when jsonb_typeof({{ relation }}.record -> 'associations' -> 'contacts') = 'array'
                     then {{ relation }}.record -> 'associations' -> 'contacts' else '[]'::jsonb end)),
            array[]::text[]
        ) as contact_ids,
        coalesce(
            {{ parse_timestamp(relation ~ ".record -> 'properties' ->> 'hs_timestamp'") }},
            {{ parse_timestamp(relation ~ ".record ->> 'createdAt'") }}
        ) as occurred_at,
        ({{ relation }}.is_deleted or coalesce({{ relation }}.record ->> 'archived' = 'true', false)) as is_archived,
        {{ relation }}._extracted_at as extracted_at
{%- endmacro %}
