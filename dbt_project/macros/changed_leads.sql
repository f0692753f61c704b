{#- The per-lead models that recompute only the leads listed in int_leads_changed
    (int_leads_joined, int_lead_fit_evaluated, int_lead_attributes_evaluated) share these. -#}

{#- Pre-hook: drop the listed leads' rows before they are recomputed (so a lead that no longer
    exists, or no longer matches, disappears). -#}
{% macro delete_changed_leads() -%}
    {%- if is_incremental() -%}
    delete from {{ this }} where lead_id in (select lead_id from {{ ref('int_leads_changed') }})
    {%- endif -%}
{%- endmacro %}

{#- A WHERE clause limiting `column` to the listed leads on an incremental run; empty on a
    full build. -#}
{% macro where_changed_lead(column='lead_id') -%}
    {%- if is_incremental() -%}
    where {{ column }} in (select lead_id from {{ ref('int_leads_changed') }})
    {%- endif -%}
{%- endmacro %}
