{#- Reading the watermarks incremental models keep, as SQL literals rendered into the model
    (a literal, unlike a subquery, lets the planner see how few rows are new). -#}

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

{#- The newest run recorded in `runs_table` (columns as_of, watermark, rules_version,
    recorded_at) that matches `where`, as {'t0': scoring time, 'w0': watermark} literals;
    none when there is none, the rules changed or the scoring time went backwards (the
    caller then recomputes everything). -#}
{% macro previous_run(runs_table, version, where='true') -%}
    {%- set row = run_query("select " ~ iso_utc('as_of') ~ ", " ~ iso_utc('watermark') ~ ", rules_version, as_of <= " ~ as_of()
                            ~ " from " ~ runs_table ~ " where " ~ where ~ " order by recorded_at desc limit 1").rows -%}
    {%- if row | length == 1 and row[0][2] == version and row[0][3] and row[0][0] is not none and row[0][1] is not none -%}
        {{ return({'t0': "cast('" ~ row[0][0] ~ "' as timestamptz)", 'w0': "cast('" ~ row[0][1] ~ "' as timestamptz)"}) }}
    {%- endif -%}
    {{ return(none) }}
{%- endmacro %}
