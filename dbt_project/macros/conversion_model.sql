{#- The learned conversion probability (`leadscore train`), scored in SQL from the stored
    coefficients: its features, the stored model, its logit and each feature's share of it. -#}

{#- A lead's attribute features, computed when the lead changes (int_lead_attributes_evaluated)
    from int_leads_joined `alias`: as (column, SQL) pairs. Seniority and department come from
    the rules' title patterns (senior_titles, manager_titles, department_<name>), so a title in
    any language the patterns know lands in the same level. -#}
{% macro lead_attribute_features(rules, alias='l') -%}
    {%- set patterns = rules.get('patterns', {}) %}
    {%- set title = "nullif(btrim(" ~ alias ~ ".job_title), '')" %}
    {%- set seniority = ["case when " ~ title ~ " is null then 'unknown'"] %}
    {%- for level, name in [('senior', 'senior_titles'), ('manager', 'manager_titles')] if name in patterns %}
        {%- do seniority.append("when " ~ rule_condition({'attribute': 'job_title', 'operator': 'matches', 'value': '@' ~ name}, rules, alias) ~ " then '" ~ level ~ "'") %}
    {%- endfor %}
    {%- do seniority.append("else 'other' end") %}
    {%- set department = ["case when " ~ title ~ " is null then 'unknown'"] %}
    {%- for name in patterns if name.startswith('department_') %}
        {%- do department.append("when " ~ rule_condition({'attribute': 'job_title', 'operator': 'matches', 'value': '@' ~ name}, rules, alias) ~ " then '" ~ name[11:] ~ "'") %}
    {%- endfor %}
    {%- do department.append("else 'other' end") %}
    {%- set e = alias ~ '.employees' %}
    {%- set features = [
        ('title_seniority', seniority | join(' ')),
        ('title_department', department | join(' ')),
        ('company_size_band', "case when " ~ e ~ " is null then 'unknown' when " ~ e ~ " < 10 then '1-9' when " ~ e ~ " < 50 then '10-49' when " ~ e ~ " < 250 then '50-249' when " ~ e ~ " < 1000 then '250-999' else '1000+' end"),
        ('industry_normalised', "coalesce(nullif(lower(btrim(" ~ alias ~ ".industry)), ''), 'unknown')"),
        ('country_normalised', "coalesce(nullif(lower(btrim(" ~ alias ~ ".country)), ''), 'unknown')"),
        ('is_free_mail', rule_condition({'attribute': 'email_domain', 'operator': 'in_list', 'value': 'free_mail_domains'}, rules, alias) if 'free_mail_domains' in rules.get('lists', {}) else 'false'),
    ] %}
    {{ return(features) }}
{%- endmacro %}

{#- The model's features over a row of int_lead_signals_evaluated (`alias`): as (feature, kind,
    SQL), kind 'numeric' (the coefficient multiplies the value), 'count' (it multiplies
    ln(1 + value)) or 'category' (one coefficient per level; a level the model has not seen
    adds nothing). The same list feeds training
    (models/backtest/backtest_training_rows.sql), scoring (lead_scores) and the explanation
    (lead_score_factors), so what was trained is what is scored. -#}
{% macro conversion_features(rules, alias='s') -%}
    {%- set features = [] %}
    {%- for name in ['title_seniority', 'title_department', 'company_size_band', 'industry_normalised', 'country_normalised'] %}
        {%- do features.append((name.replace('_normalised', ''), 'category', alias ~ '.' ~ name)) %}
    {%- endfor %}
    {%- do features.append(('free_mail', 'numeric', alias ~ '.is_free_mail::int')) %}
    {#- in double precision: extract() gives numeric, and ln() of a numeric costs microseconds a row -#}
    {%- do features.append(('lead_age_log_days', 'numeric', 'ln(1 + greatest(0, (' ~ age_days(alias ~ '.created_at') ~ ')::double precision))')) %}
    {#- activity: the decayed count per type (its rule's half-life and window), as ln(1 + count) -#}
    {%- for t in rules_activity_types() %}
        {%- do features.append(('activity_' ~ t, 'count', alias ~ '.decayed_count_' ~ t)) %}
    {%- endfor %}
    {#- recency: anything the lead did (a type with positive points) in the last 7/30/90 days -#}
    {%- for d in [7, 30, 90] %}
        {%- do features.append(('active_last_' ~ d ~ 'd', 'numeric', '(coalesce(' ~ alias ~ '.last_engaged_at >= ' ~ days_before_as_of(d) ~ ', false))::int')) %}
    {%- endfor %}
    {#- the framework signals (BANT budget, authority, …) -#}
    {%- for sig in rules.signals %}
        {%- do features.append(('signal_' ~ sig, 'numeric', alias ~ '.signal_' ~ sig ~ '::int')) %}
    {%- endfor %}
    {{ return(features) }}
{%- endmacro %}

{#- The active stored model: {'version', 'intercept', 'terms': {feature: {level or '': coefficient}}}
    (non-zero coefficients only),
    or none when no model is trained yet (or at parse time). A model that names a feature the
    current rules no longer produce is not used: its logit would silently change. -#}
{% macro conversion_model(rules) -%}
    {%- if not execute %}{{ return(none) }}{% endif %}
    {%- set schema = var('conversion_model_schema', 'marts') %}
    {%- set found = run_query("select to_regclass('" ~ schema ~ ".conversion_model') is not null and to_regclass('" ~ schema ~ ".conversion_model_coefficients') is not null") %}
    {%- if not found.columns[0].values()[0] %}{{ return(none) }}{% endif %}
    {%- set rows = run_query("select c.model_version, c.feature, coalesce(c.level, ''), c.coefficient from " ~ schema ~ ".conversion_model_coefficients as c where c.model_version = (select model_version from " ~ schema ~ ".conversion_model where status = 'active' order by trained_at desc limit 1)") %}
    {%- if rows | length == 0 %}{{ return(none) }}{% endif %}
    {%- set known = [] %}{% for f in conversion_features(rules) %}{% do known.append(f[0]) %}{% endfor %}
    {%- set model = {'version': rows[0][0], 'intercept': 0, 'terms': {}} %}
    {%- for r in rows %}
        {%- if r[1] == '(intercept)' %}{% do model.update({'intercept': r[3]}) %}
        {%- elif r[1] not in known %}
            {{ log("conversion model " ~ r[0] ~ " uses feature '" ~ r[1] ~ "', which the current rules do not produce: no probability until `leadscore train` runs again", info=True) }}
            {{ return(none) }}
        {#- a zero coefficient adds nothing: leaving it out spares every lead its feature -#}
        {%- elif r[3] != 0 %}{% do model.terms.setdefault(r[1], {}).update({r[2]: r[3]}) %}{% endif %}
    {%- endfor %}
    {{ return(model) }}
{%- endmacro %}

{#- A feature's value as the model sees it (a count as ln(1 + count)): what training reads. -#}
{% macro feature_value(kind, expr) -%}
    {%- if kind == 'count' -%}ln(1 + {{ expr }}){%- else -%}{{ expr }}{%- endif -%}
{%- endmacro %}

{#- One feature's contribution to the logit: coefficient × value (numeric), or the level's
    coefficient (category; 0 for a level the model has not seen). -#}
{% macro feature_contribution(kind, expr, coefficients) -%}
    {%- if kind == 'numeric' -%}
        ({{ coefficients.get('', 0) }}::double precision * ({{ expr }}))
    {%- elif kind == 'count' -%}
        {#- most leads did most types never: one comparison instead of ln() and a product -#}
        (case when {{ expr }} > 0 then {{ coefficients.get('', 0) }}::double precision * ln(1 + {{ expr }}) else 0::double precision end)
    {%- else -%}
        (case {{ expr }}{% for level, c in coefficients.items() %} when {{ sql_str(level) }} then {{ c }}::double precision{% endfor %} else 0::double precision end)
    {%- endif -%}
{%- endmacro %}

{#- The model's logit (log-odds of converting within the horizon) of a signals row. With
    `activity_part`, a column holding activity_logit(), the activity terms come from it. -#}
{% macro conversion_logit(model, rules, alias='s', activity_part=none) -%}
    {%- if model is none -%}null::double precision{%- else -%}
    ({{ model.intercept }}::double precision
    {%- for name, kind, expr in conversion_features(rules, alias) if name in model.terms and not (activity_part and name.startswith('activity_')) %}
        + {{ feature_contribution(kind, expr, model.terms[name]) }}
    {%- endfor %}
    {%- if activity_part %}
        + coalesce({{ alias }}.{{ activity_part }}, 0)
    {%- endif %})
    {%- endif -%}
{%- endmacro %}

{#- The activity terms of the logit over the activity state's row (`decayed_count(x, rules)`
    of each type), summed where that row is read: a type the lead never did costs one null
    test, and the 30 counts need not travel up as columns. Each term equals its factor row's
    (lead_score_factors), so the factors still sum to the logit. -#}
{% macro activity_logit(model, rules) -%}
    {%- if model is none -%}null::double precision{%- else -%}
    (0::double precision
    {%- for x in rules_activity_types() if ('activity_' ~ x) in model.terms %}
        {%- set dc = decayed_count(x, rules) %}
        + (case when {{ dc }} > 0 then {{ model.terms['activity_' ~ x].get('', 0) }}::double precision * ln(1 + {{ dc }}) else 0::double precision end)
    {%- endfor %})
    {%- endif -%}
{%- endmacro %}

{#- A type's decayed count over the activity state's row (after the decay factors are joined):
    its decayed points over its points (its rule's half-life; negative points give a negative
    count, which the features read as 0), or for a type without points its count in its window. -#}
{% macro decayed_count(x, rules) -%}
    {%- set a = rules.activities.get(x, {}) -%}
    {%- if a.get('points', 0) != 0 -%}
        (decayed_{{ x }}{{ '' if a.get('half_life_days') is none else ' * decay_' ~ (a.half_life_days | string | replace('.', '_')) }} / {{ a.points }})
    {%- else -%}
        coalesce(counted_{{ x }}, 0)::double precision
    {%- endif -%}
{%- endmacro %}

{#- The probability of a logit (null stays null: greatest/least would skip it); clamped, as
    exp() of a huge value is an error in Postgres. -#}
{% macro logistic(logit) -%}
    (case when {{ logit }} is not null then 1 / (1 + exp(-greatest(-700, least(700, {{ logit }})))) end)
{%- endmacro %}
