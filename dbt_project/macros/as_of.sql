{#- The scoring time: var('as_of') when given, else the LEADSCORE_AS_OF environment variable
    (what leadscore's runner and the DAG set: tests and the bench simulate days through it), else
    the run start. The environment variable is read only when SQL is rendered for execution,
    never while parsing: a value dbt sees at parse time (a --vars value, or an env_var() call)
    is part of its parse cache key, so a new scoring time every day would force a full
    re-parse of the project (about 2 s per dbt invocation, and each Cosmos task is one). -#}
{% macro as_of() -%}
    {%- set v = var('as_of', none) -%}
    {%- if (v is none or v == '') and execute -%}
        {%- set v = env_var('LEADSCORE_AS_OF', '') -%}
    {%- endif -%}
    {%- if v is none or v == '' -%}
        cast('{{ run_started_at.isoformat() }}' as timestamptz)
    {%- else -%}
        cast('{{ v }}' as timestamptz)
    {%- endif -%}
{%- endmacro %}

{#- Age in days (fractional) of a timestamp at the scoring time. -#}
{% macro age_days(ts_expr) -%}
    (extract(epoch from ({{ as_of() }} - {{ ts_expr }})) / 86400.0)
{%- endmacro %}

{#- Points of one activity after exponential decay: points × 0.5^(age / half-life). -#}
{% macro decayed_points(points, half_life_days, age_days_expr) -%}
    {%- if half_life_days is none -%}
        ({{ points }})::double precision
    {%- else -%}
        (({{ points }})::double precision * power(0.5::double precision, ({{ age_days_expr }})::double precision / {{ half_life_days }}))
    {%- endif -%}
{%- endmacro %}

{#- An activity type's decayed points after its cap (rules `cap`: at most that many points, or
    for a negative type at most that many off); SQL expressions, cap null = no cap. Both the
    score (int_lead_signals_evaluated) and its explanation (int_lead_activities_aggregated)
    cap through this. -#}
{% macro capped_points(decayed, points_each, cap) -%}
    (case
        when ({{ cap }}) is null then {{ decayed }}
        when ({{ points_each }}) >= 0 then least({{ decayed }}, {{ cap }})
        else greatest({{ decayed }}, -({{ cap }}))
    end)
{%- endmacro %}
