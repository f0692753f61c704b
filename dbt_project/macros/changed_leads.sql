{#- The per-lead models that recompute only the leads listed in int_leads_changed
    (int_leads_joined, int_lead_fit_evaluated, int_lead_attributes_evaluated) share these. -#}

{#- A WHERE clause limiting `column` to the listed leads on an incremental run; empty when
    every lead is recomputed (incremental_state_full: a new table, --full-refresh, or columns
    that changed). -#}
{% macro where_changed_lead(column='lead_id') -%}
    {%- if not incremental_state_full() -%}
    where {{ column }} in (select lead_id from {{ ref('int_leads_changed') }})
    {%- endif -%}
{%- endmacro %}

{#- The config of such a model (macros/materializations/incremental_state.sql): the listed
    leads' old rows deleted (so a lead that no longer exists, or no longer matches, disappears)
    and their new rows appended, the list confirmed as consumed, an index on lead_id. A consumer
    missing one of these would skip or duplicate leads, so they come together. -#}
{% macro changed_leads_model_config(unique=false, expect_columns=none) -%}
    {{ config(
        materialized='incremental_state',
        listed_in='int_leads_changed',
        indexes=[{'columns': ['lead_id'], 'unique': unique}],
        expect_columns=expect_columns,
        on_schema_change='sync_all_columns' if expect_columns else 'fail',
        analyze=true,
    ) }}
{%- endmacro %}
