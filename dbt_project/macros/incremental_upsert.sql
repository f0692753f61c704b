{#- incremental_strategy='upsert': `insert … on conflict (unique_key) do update`, one index
    probe per new row. For models whose unique_key has a unique index (the model's post-hook
    creates it): cheaper than delete+insert, which first scans for the rows to delete, and
    than merge, which Postgres may plan as a join over the whole target. -#}
{% macro get_incremental_upsert_sql(arg_dict) %}
    {%- set target = arg_dict["target_relation"] -%}
    {%- set keys = [arg_dict["unique_key"]] if arg_dict["unique_key"] is string else arg_dict["unique_key"] -%}
    {%- set columns = arg_dict["dest_columns"] | map(attribute="name") | list -%}
    {%- set updated = columns | reject("in", keys) | list -%}
    insert into {{ target }} ({{ get_quoted_csv(columns) }})
    select {{ get_quoted_csv(columns) }} from {{ arg_dict["temp_relation"] }}
    on conflict ({{ keys | join(", ") }}) do update set
    {%- for c in updated %}
        {{ adapter.quote(c) }} = excluded.{{ adapter.quote(c) }}{{ "," if not loop.last }}
    {%- endfor %}
{% endmacro %}
