{#- Reading the watermarks incremental models keep, as SQL literals rendered into the model
    (a literal, unlike a subquery, lets the planner see how few rows are new). The models with
    a runs record read theirs through incremental_state_previous (macros/materializations). -#}

{#- A timestamptz expression as ISO-8601 UTC text (microseconds). -#}
{% macro iso_utc(expr) -%}
    to_char(({{ expr }}) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
{%- endmacro %}

{#- The value of one timestamptz SQL expression, now, as `cast('…' as timestamptz)`; none
    when it is null. -#}
{% macro timestamp_literal(expr) -%}
    {%- set value = run_query("select " ~ iso_utc(expr)).rows[0][0] -%}
    {{ return(none if value is none else "cast('" ~ value ~ "' as timestamptz)") }}
{%- endmacro %}
