{#- The table where the activity state (`state`: its relation) records its runs: scoring time
    (as_of), watermark, rules version, mode. Every ref_at in the state is the as_of of one of
    them. -#}
{% macro activity_state_runs_table(state) -%}
    {{ state.schema }}.{{ state.identifier }}_runs
{%- endmacro %}

{#- The per-lead activity state (int_lead_activities_accumulated) has five columns per
    normalised activity type (rules_activity_types: fixed by the code, not the rules, so a
    rules change never changes the table's columns):
      count_<type>    activities of the type up to the scoring time (null: none)
      first_<type>, last_<type>   first and last occurrence
      counted_<type>  those still inside the type's window (all when it has none)
      decayed_<type>  their points after decay, decayed to the row's ref_at (before the cap) -#}
{#- As (column prefix, the column of a per-(lead, type) row it is pivoted from). -#}
{% macro activity_state_measures() -%}
    {{ return([('count', 'n'), ('first', 'first_at'), ('last', 'last_at'), ('counted', 'counted'), ('decayed', 'decayed')]) }}
{%- endmacro %}

{#- All column names of the state, in table order. -#}
{% macro activity_state_columns() -%}
    {%- set cols = ['lead_id'] %}
    {%- for t in rules_activity_types() %}
        {%- for m, _ in activity_state_measures() %}{% do cols.append(m ~ '_' ~ t) %}{% endfor %}
    {%- endfor %}
    {%- do cols.extend(['ref_at', 'rules_version']) %}
    {{ return(cols) }}
{%- endmacro %}

{#- Select-list items that pivot rows of one lead and activity type (columns type_no, n,
    first_at, last_at, counted, decayed; at most one row per lead and type) into the state's
    per-type columns; for a query grouped by lead_id. The type is matched by its number (its
    position in rules_activity_types): an integer test, evaluated once per type for each row. -#}
{% macro pivot_activity_types(alias) -%}
    {%- for t in rules_activity_types() %}
    {%- set type_no = loop.index %}
    {%- set last_type = loop.last %}
    {%- for m, source in activity_state_measures() %}
    max({{ alias }}.{{ source }}) filter (where {{ alias }}.type_no = {{ type_no }}) as {{ m }}_{{ t }}{{ ',' if not (last_type and loop.last) }}
    {%- endfor %}
    {%- endfor %}
{%- endmacro %}

{#- The scoring parameters of every normalised type, numbered as in pivot_activity_types: a
    VALUES list (type_no, activity_type, points, half_life_days, window_days, cap). A type the
    rules do not score has 0 points and no half-life, window or cap. -#}
{% macro activity_rule_params(rules) -%}
    values
    {%- for t in rules_activity_types() %}
    {%- set a = rules.activities.get(t, {}) %}
        ({{ loop.index }}, '{{ t }}', {{ a.get('points', 0) }}::double precision,
         {{ a.get('half_life_days') if a.get('half_life_days') is not none else 'null' }}::double precision,
         {{ a.get('window_days') if a.get('window_days') is not none else 'null' }}::double precision,
         {{ a.get('cap') if a.get('cap') is not none else 'null' }}::double precision){{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{#- One scoring parameter of an activity type, looked up per activity row by a CASE on its type
    (`key`: type_no, points, half_life_days or window_days; numbered as above). A join to the
    parameter list cost more: on a daily run's few hundred thousand new activities Postgres
    expects one row and loops over the list for each (1.2 s at 1M leads, against about 0.1 s). -#}
{% macro activity_rule_case(column, rules, key) -%}
    {%- set pairs = [] %}
    {%- for t in rules_activity_types() %}
        {%- set v = loop.index if key == 'type_no' else rules.activities.get(t, {}).get(key) %}
        {%- if v is not none %}{% do pairs.append((t, v)) %}{% endif %}
    {%- endfor %}
    {%- set default = '0' if key == 'points' else 'null' %}
    {%- set type = 'int' if key == 'type_no' else 'double precision' %}
    {%- if pairs -%}
    (case {{ column }}{% for t, v in pairs %} when '{{ t }}' then {{ v }}{% endfor %} else {{ default }} end)::{{ type }}
    {%- else -%}
    {{ default }}::{{ type }}
    {%- endif %}
{%- endmacro %}
