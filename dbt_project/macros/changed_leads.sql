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
    full build or when `every_lead`. -#}
{% macro where_changed_lead(column='lead_id', every_lead=false) -%}
    {%- if is_incremental() and not every_lead -%}
    where {{ column }} in (select lead_id from {{ ref('int_leads_changed') }})
    {%- endif -%}
{%- endmacro %}

{#- For a model whose columns follow the rules or the code (a new signal, a new column): when
    the table's column names are not `expected` (in any order: dbt appends added columns at
    the end), every row is cleared now and true is returned, so
    the model recomputes every lead while dbt syncs the columns (on_schema_change
    'sync_all_columns'). Unchanged leads would otherwise keep empty new columns, or the run
    would fail on the schema change. Cleared outside the model's transaction, like the state's
    full recompute: a run that fails after this finds the old columns and clears again. -#}
{% macro recompute_every_lead_if_columns_change(expected) -%}
    {#- only when the model is built: compiling (dbt compile, docs generate) must not clear it -#}
    {%- if execute and is_incremental() and flags.WHICH in ['run', 'build'] %}
        {%- set existing = adapter.get_columns_in_relation(this) | map(attribute='name') | list %}
        {%- if existing | sort != expected | sort %}
            {{ log(this.identifier ~ ": columns changed, recomputing every lead", info=True) }}
            {% do run_query("delete from " ~ this) %}
            {{ return(true) }}
        {%- endif %}
    {%- endif %}
    {{ return(false) }}
{%- endmacro %}

{#- The config of such a model: rows appended, the listed leads' old rows deleted first, the
    list confirmed as consumed afterwards (incremental_state_confirm), an index on lead_id. A
    consumer missing one of these would skip or duplicate leads, so they come together. -#}
{% macro changed_leads_model_config(unique=false, on_schema_change='fail') -%}
    {{ config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change=on_schema_change,
        indexes=[{'columns': ['lead_id'], 'unique': unique}],
        pre_hook=["{{ delete_changed_leads() }}"],
        post_hook=[
            "{{ incremental_state_confirm('int_leads_changed') }}",
            "{{ analyze_if_stale() }}",
        ],
    ) }}
{%- endmacro %}
