{#- Reading and compiling dbt_project/scoring_rules.yml (plain YAML, never rendered as Jinja).
    leadscore validates the file (leadscore.scoring.rules, the one validator: a bad rule fails
    with one line naming it) and passes the result as JSON in the environment variable
    LEADSCORE_SCORING_RULES to every dbt it runs (`leadscore dbt ...`, the daily run, the DAG's
    Cosmos tasks, backtests). These macros read that and turn the rules into SQL. -#}

{% macro rules_attributes() -%}
    {{ return({
        'email': 'text', 'email_domain': 'text', 'job_title': 'text', 'decision_role': 'text',
        'industry': 'text', 'employees': 'number', 'annual_revenue': 'number', 'company_name': 'text',
        'company_domain': 'text', 'country': 'text', 'lifecyclestage': 'text', 'budget_range': 'text',
        'purchase_timeframe': 'text', 'challenge': 'text', 'meddic_metrics': 'text',
        'meddic_economic_buyer': 'text', 'meddic_decision_criteria': 'text',
        'meddic_decision_process': 'text', 'meddic_identified_pain': 'text', 'meddic_champion': 'text'}) }}
{%- endmacro %}

{#- The normalised activity types (leadscore.scoring.rules.ACTIVITY_TYPES): the activity state
    has columns per type, so a new one adds columns and recomputes every lead. -#}
{% macro rules_activity_types() -%}
    {{ return(['demo_request', 'contact_sales', 'pricing_inquiry', 'case_study_request', 'ebook_download',
               'webinar_registration', 'event_registration', 'newsletter_signup', 'form_other',
               'page_pricing', 'page_case_study', 'page_product', 'page_careers', 'page_blog', 'page_docs',
               'page_other', 'email_open', 'email_click', 'email_click_scanner', 'email_hard_bounce',
               'email_soft_bounce', 'email_unsubscribe', 'crm_call_inbound', 'crm_call_connected',
               'crm_call_outbound', 'crm_meeting', 'crm_email_reply', 'crm_email_outbound', 'crm_note']) }}
{%- endmacro %}

{#- The activity types some signal, tier trigger or disqualifier looks at, in rule order (the per-lead
    first/last times of these decide signals and tiers). -#}
{% macro rules_signal_activity_types(rules) -%}
    {%- set sql_t = rules.tiers.sql %}
    {%- set lists = [] %}
    {%- for conds in rules.signals.values() %}{% for c in conds if 'activity' in c %}{% do lists.append(c.activity) %}{% endfor %}{% endfor %}
    {%- for d in rules.get('disqualifiers', []) if 'activity' in d %}{% do lists.append(d.activity) %}{% do lists.append(d.get('unless_later', [])) %}{% endfor %}
    {%- if sql_t.get('hand_raise') is mapping %}{% do lists.append(sql_t.hand_raise.activity) %}{% endif %}
    {%- for q in sql_t.get('sequences', []) %}{% do lists.append(q.first) %}{% do lists.append(q.then) %}{% endfor %}
    {%- set types = [] %}
    {%- for l in lists %}{% for x in l if x not in types %}{% do types.append(x) %}{% endfor %}{% endfor %}
    {{ return(types) }}
{%- endmacro %}

{#- The activity types with a time window (scoring_rules.yml `window_days`), sorted: their
    activities leave the engagement score when they age out, so the daily run reads them by
    occurrence time through a partial index of int_activities_unioned. -#}
{% macro rules_windowed_activity_types(rules) -%}
    {%- set types = [] %}
    {%- for t, a in rules.activities.items() if a.get('window_days') is not none %}{% do types.append(t) %}{% endfor %}
    {{ return(types | sort) }}
{%- endmacro %}

{#- SQL test "this activity type has a window", written the same way for the partial index
    and the queries that must match it. -#}
{% macro is_windowed_activity(column, rules) -%}
    {%- set types = rules_windowed_activity_types(rules) -%}
    {%- if types %}{{ column }} in ({% for x in types %}{{ sql_str(x) }}{{ ', ' if not loop.last }}{% endfor %}){% else %}false{% endif -%}
{%- endmacro %}

{#- The validated rules and their version, as leadscore passed them. Read at parse time too
    (the models' SQL depends on the rules): dbt re-parses the models that read it when the value
    changes and keeps its partial-parse cache while it does not. -#}
{% macro scoring_rules_payload() -%}
    {%- set payload = fromjson(env_var('LEADSCORE_SCORING_RULES', '')) -%}
    {%- if payload is not mapping or 'rules' not in payload or 'rules_version' not in payload -%}
        {{ exceptions.raise_compiler_error("scoring_rules.yml is not loaded: leadscore validates it and passes it to dbt as LEADSCORE_SCORING_RULES; run dbt through it, e.g. `.venv/bin/leadscore dbt build` in the repository root (any dbt arguments)") }}
    {%- endif -%}
    {{ return(payload) }}
{%- endmacro %}

{#- The parsed, validated rules (a dict). -#}
{% macro scoring_rules() -%}
    {{ return(scoring_rules_payload().rules) }}
{%- endmacro %}

{#- rules_version: "<version>-<first 12 hex of md5 of the file>"; any edit changes it. -#}
{% macro rules_version() -%}
    {{ return(scoring_rules_payload().rules_version) }}
{%- endmacro %}

{% macro sql_str(v) -%}
    '{{ (v | string) | replace("'", "''") }}'
{%- endmacro %}

{#- An attribute condition as a SQL boolean over the lead row `alias` (never null). -#}
{% macro rule_condition(c, rules, alias='l') -%}
    {%- set kind = rules_attributes()[c.attribute] -%}
    {%- set col = alias ~ '.' ~ c.attribute -%}
    {%- set txt = 'lower(' ~ col ~ ')' -%}
    {%- set op = c.operator -%}
    {%- set v = c.get('value') -%}
    coalesce((
    {%- if op == 'is_set' -%}
        {%- if kind == 'number' -%}{{ col }} is not null{%- else -%}nullif(btrim({{ col }}), '') is not null{%- endif -%}
    {%- elif op == 'is_empty' -%}
        {%- if kind == 'number' -%}{{ col }} is null{%- else -%}nullif(btrim({{ col }}), '') is null{%- endif -%}
    {%- elif op in ['gte', 'gt', 'lte', 'lt'] -%}
        {{ col }} {{ {'gte': '>=', 'gt': '>', 'lte': '<=', 'lt': '<'}[op] }} {{ v }}
    {%- elif op == 'between' -%}
        {{ col }} between {{ v[0] }} and {{ v[1] }}
    {%- elif op in ['eq', 'neq'] -%}
        {%- if kind == 'number' -%}{{ col }} {{ '=' if op == 'eq' else '<>' }} {{ v }}
        {%- else -%}{{ txt }} {{ '=' if op == 'eq' else '<>' }} lower({{ sql_str(v) }}){%- endif -%}
    {%- elif op in ['in', 'not_in', 'in_list'] -%}
        {%- set values = rules.lists[v] if op == 'in_list' else v -%}
        {%- if kind == 'number' -%}{{ col }} {{ 'not in' if op == 'not_in' else 'in' }} ({{ values | join(', ') }})
        {%- else -%}{{ txt }} {{ 'not in' if op == 'not_in' else 'in' }} ({% for x in values %}lower({{ sql_str(x) }}){{ ', ' if not loop.last }}{% endfor %}){%- endif -%}
    {%- elif op == 'contains' -%}
        strpos({{ txt }}, lower({{ sql_str(v) }})) > 0
    {%- elif op == 'matches' -%}
        {%- if v is string and v.startswith('@') -%}{%- set pattern = '(' ~ (rules.patterns[v[1:]] | join('|')) ~ ')' -%}{%- else -%}{%- set pattern = v -%}{%- endif -%}
        {{ col }} ~* {{ sql_str(pattern) }}
    {%- endif -%}
    ), {{ 'true' if op in ['neq', 'not_in', 'is_empty'] else 'false' }})
{%- endmacro %}

{#- Short human-readable text of an attribute condition (for evidence and factor details). -#}
{% macro rule_condition_text(c) -%}
    {%- set v = c.get('value') -%}
    {{- c.attribute ~ ' ' ~ c.operator ~ ((' ' ~ (v | join(', ') if (v is sequence and v is not string) else v)) if v is not none else '') -}}
{%- endmacro %}
