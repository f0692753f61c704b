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

{#- The config of such a model: rows appended, the listed leads' old rows deleted first, the
    list confirmed as consumed afterwards, an index on lead_id. A consumer missing one of these
    would skip or duplicate leads, so they come together. -#}
{% macro changed_leads_model_config(index_name, unique=false) -%}
    {{ config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook=["{{ delete_changed_leads() }}"],
        post_hook=[
            "{{ leads_changed_consumed() }}",
            "{{ ensure_index('" ~ index_name ~ "', '(lead_id)', unique=" ~ (unique | string | lower) ~ ") }}",
            "{{ analyze_if_stale() }}",
        ],
    ) }}
{%- endmacro %}
