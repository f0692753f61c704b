{#- SQL for a signal / tier condition over: `l` (int_leads_joined; attribute conditions) and
    `t` (per-lead row with last_<type>/first_<type> columns and engagement_score). -#}

{% macro activity_last_at(types) -%}
    {%- if types | length == 1 -%}t.last_{{ types[0] }}{%- else -%}greatest({% for x in types %}t.last_{{ x }}{{ ', ' if not loop.last }}{% endfor %}){%- endif -%}
{%- endmacro %}

{% macro activity_first_at(types) -%}
    {%- if types | length == 1 -%}t.first_{{ types[0] }}{%- else -%}least({% for x in types %}t.first_{{ x }}{{ ', ' if not loop.last }}{% endfor %}){%- endif -%}
{%- endmacro %}

{% macro activity_within(types, within_days, min_count=none) -%}
    {%- if within_days is none -%}
        ({{ activity_last_at(types) }} is not null)
    {%- else -%}
        coalesce({{ activity_last_at(types) }} >= {{ days_before_as_of(within_days) }}, false)
    {%- endif -%}
    {%- if min_count is not none and min_count > 1 %} and {{ activity_count(types) }} >= {{ min_count }}{% endif -%}
{%- endmacro %}

{#- How many activities of the types the lead had up to the scoring time (t.count_<type>). -#}
{% macro activity_count(types) -%}
    ({% for x in types %}coalesce(t.count_{{ x }}, 0){{ ' + ' if not loop.last }}{% endfor %})
{%- endmacro %}

{#- An activity disqualifier ({activity, unless_later}) as a SQL boolean: the lead did one of
    `activity`, and none of `unless_later` after the last of them. -#}
{% macro activity_disqualifier(d) -%}
    ({{ activity_last_at(d.activity) }} is not null
    {%- if d.get('unless_later') %}
     and not coalesce({{ activity_last_at(d.unless_later) }} > {{ activity_last_at(d.activity) }}, false)
    {%- endif %})
{%- endmacro %}

{#- "type YYYY-MM-DD, …" for the types done within `within_days`, latest first (ties in list
    order). Each type's place is the number of types done later (a type done later than one in
    the window is in it too), so the text needs no subquery: a correlated subquery would keep
    the whole signals projection out of the parallel workers. -#}
{% macro activities_latest_first(types, within_days) -%}
    concat_ws(', '
    {%- for place in range(types | length) %},
        case
        {%- for x in types %}
            {%- set i = loop.index0 %}
            when {{ activity_within([x], within_days) }}
            {%- set later = [] %}
            {%- for y in types if y != x %}{% do later.append('(case when t.last_' ~ y ~ (' >= ' if types.index(y) < i else ' > ') ~ 't.last_' ~ x ~ ' then 1 else 0 end)') %}{% endfor %}
             and {{ later | join(' + ') if later else '0' }} = {{ place }}
            then {{ sql_str(x ~ ' ') }} || to_char(t.last_{{ x }} at time zone 'UTC', 'YYYY-MM-DD')
        {%- endfor %}
        end
    {%- endfor %})
{%- endmacro %}

{#- The scoring time minus `days` days, computed once per query: timestamptz - interval depends
    on the session time zone, so Postgres does not fold it to a constant and would redo the
    calendar arithmetic for every row and condition (about 10% of the lead_scores pass); a
    scalar subquery is evaluated once. -#}
{% macro days_before_as_of(days) -%}
    (select {{ as_of() }} - interval '{{ days }} days')
{%- endmacro %}

{% macro signal_condition(c, rules) -%}
    {%- if 'activity' in c -%}
        {{ activity_within(c.activity, c.get('within_days'), c.get('min_count')) }}
    {%- elif 'engagement_gte' in c -%}
        coalesce(t.engagement_score >= {{ c.engagement_gte }}, false)
    {%- else -%}
        {{ rule_condition(c, rules, 'l') }}
    {%- endif -%}
{%- endmacro %}

{#- Human-readable evidence (SQL text expression) for a condition that holds. -#}
{% macro signal_evidence(c, rules) -%}
    {%- if 'activity' in c -%}
        {%- if c.get('min_count') is not none and c.min_count > 1 -%}{{ activity_count(c.activity) }}::text || {{ sql_str('× ') }} || {% endif -%}
        {{ sql_str((c.activity | join('/')) ~ (' (at least ' ~ c.min_count ~ ')' if c.get('min_count') is not none and c.min_count > 1 else '') ~ (' within ' ~ c.within_days ~ ' days' if c.get('within_days') is not none else '') ~ ', last ') }} || to_char({{ activity_last_at(c.activity) }} at time zone 'UTC', 'YYYY-MM-DD')
    {%- elif 'engagement_gte' in c -%}
        'engagement_score ' || {{ rounded('t.engagement_score', 1) }}::text || ' >= {{ c.engagement_gte }}'
    {%- else -%}
        {{ sql_str(c.attribute ~ ' = ') }} || coalesce(l.{{ c.attribute }}::text, '∅') || {{ sql_str(' (' ~ rule_condition_text(c) ~ ')') }}
    {%- endif -%}
{%- endmacro %}

