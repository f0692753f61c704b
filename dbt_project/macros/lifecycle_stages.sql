{#- The lifecycle stages HubSpot dates on a contact (hs_lifecyclestage_<stage>_date, staged as
    became_<stage>_at), in funnel order. -#}
{% macro dated_lifecycle_stages() -%}
    {{ return(['lead', 'marketingqualifiedlead', 'salesqualifiedlead', 'opportunity', 'customer', 'evangelist']) }}
{%- endmacro %}
