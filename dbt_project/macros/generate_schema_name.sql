{#- Models land in exactly the schema named by +schema (staging, intermediate, marts,
    snapshots), without the target-schema prefix dbt adds by default.
    A backtest (leadscore.backtest) sets var('backtest_schema'): every model but the staging
    views then lands in that one schema, so scoring at a past date never touches the daily
    run's incremental state or the marts analysts read. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- set backtest_schema = var('backtest_schema', none) -%}
    {%- if backtest_schema and custom_schema_name != 'staging' -%}{{ backtest_schema | trim }}
    {%- elif custom_schema_name is none -%}{{ target.schema | trim }}
    {%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
