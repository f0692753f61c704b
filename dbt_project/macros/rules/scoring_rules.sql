{#- Loading, validating and compiling dbt_project/scoring_rules.yml.
    The Python validator leadscore.scoring.rules.load_rules() mirrors these checks and
    messages; keep them in step. -#}

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

{#- Types earlier versions had, and what replaced them (RETIRED_ACTIVITY_TYPES in rules.py). -#}
{% macro rules_retired_activity_types() -%}
    {{ return({'crm_call': 'crm_call_inbound, crm_call_connected or crm_call_outbound',
               'crm_email': 'crm_email_reply or crm_email_outbound'}) }}
{%- endmacro %}

{% macro rules_page_types() -%}
    {{ return(['page_pricing', 'page_case_study', 'page_product', 'page_careers', 'page_blog', 'page_docs']) }}
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

{% macro rules_fail(where, problem) -%}
    {{ exceptions.raise_compiler_error("scoring_rules.yml: " ~ where ~ ": " ~ problem) }}
{%- endmacro %}

{% macro rules_is_number(v) -%}
    {{ return(v is number and v is not boolean) }}
{%- endmacro %}

{#- Validate one attribute condition {attribute, operator, value}. -#}
{% macro rules_check_condition(where, c, rules) %}
    {% set attrs = rules_attributes() %}
    {% set ops = ['eq', 'neq', 'in', 'not_in', 'in_list', 'matches', 'contains', 'gte', 'gt', 'lte', 'lt', 'between', 'is_set', 'is_empty'] %}
    {% if c.attribute not in attrs %}{{ rules_fail(where, "unknown attribute '" ~ c.attribute ~ "'") }}{% endif %}
    {% if c.operator not in ops %}{{ rules_fail(where, "unknown operator '" ~ c.operator ~ "'") }}{% endif %}
    {% set v = c.get('value') %}
    {% if c.operator in ['gte', 'gt', 'lte', 'lt'] %}
        {% if attrs[c.attribute] != 'number' %}{{ rules_fail(where, "operator '" ~ c.operator ~ "' needs a numeric attribute, not '" ~ c.attribute ~ "'") }}{% endif %}
        {% if not rules_is_number(v) %}{{ rules_fail(where, "operator '" ~ c.operator ~ "' needs a number value") }}{% endif %}
    {% elif c.operator == 'between' %}
        {% if attrs[c.attribute] != 'number' %}{{ rules_fail(where, "operator 'between' needs a numeric attribute, not '" ~ c.attribute ~ "'") }}{% endif %}
        {% if v is string or v is not sequence or v | length != 2 or not rules_is_number(v[0]) or not rules_is_number(v[1]) %}{{ rules_fail(where, "operator 'between' needs [low, high] numbers") }}{% endif %}
    {% elif c.operator in ['in', 'not_in'] %}
        {% if v is string or v is mapping or v is not sequence or v | length == 0 %}{{ rules_fail(where, "operator '" ~ c.operator ~ "' needs a non-empty list value") }}{% endif %}
    {% elif c.operator == 'in_list' %}
        {% if v not in rules.get('lists', {}) %}{{ rules_fail(where, "unknown list '" ~ v ~ "'") }}{% endif %}
    {% elif c.operator in ['eq', 'neq', 'contains', 'matches'] %}
        {% if v is none or v is mapping or (v is sequence and v is not string) %}{{ rules_fail(where, "operator '" ~ c.operator ~ "' needs a single value") }}{% endif %}
        {% if c.operator == 'matches' and v is string and v.startswith('@') and v[1:] not in rules.get('patterns', {}) %}{{ rules_fail(where, "unknown pattern '" ~ v ~ "'") }}{% endif %}
    {% endif %}
{% endmacro %}

{#- Validate an activity condition {activity: [types], within_days: N}. -#}
{% macro rules_check_activity_list(where, types, within_days, min_count=none) %}
    {% if types is string or types is not sequence or types | length == 0 %}{{ rules_fail(where, "activity needs a non-empty list of activity types") }}{% endif %}
    {% for t in types %}
        {% if t in rules_retired_activity_types() %}{{ rules_fail(where, "activity type '" ~ t ~ "' was split into " ~ rules_retired_activity_types()[t]) }}{% endif %}
        {% if t not in rules_activity_types() %}{{ rules_fail(where, "unknown activity type '" ~ t ~ "'") }}{% endif %}
    {% endfor %}
    {% if within_days is not none and (not rules_is_number(within_days) or within_days <= 0) %}{{ rules_fail(where, "within_days must be a number > 0") }}{% endif %}
    {% if min_count is not none and (min_count is not integer or min_count is boolean or min_count < 1) %}{{ rules_fail(where, "min_count must be a whole number >= 1") }}{% endif %}
{% endmacro %}

{#- Validate `normalisation` (how int_activities_unioned types raw activities). -#}
{% macro rules_check_normalisation(norm) %}
    {% if norm is not mapping %}{{ rules_fail('normalisation', "must be a mapping") }}{% endif %}
    {% for k in norm %}{% if k not in ['scanner_click_seconds', 'connected_call_dispositions', 'page_paths'] %}{{ rules_fail('normalisation', "unknown key '" ~ k ~ "'") }}{% endif %}{% endfor %}
    {% if not rules_is_number(norm.get('scanner_click_seconds')) or norm.scanner_click_seconds < 0 %}{{ rules_fail('normalisation.scanner_click_seconds', "must be a number >= 0 (0 turns scanner detection off)") }}{% endif %}
    {% set dispositions = norm.get('connected_call_dispositions') %}
    {% if dispositions is string or dispositions is not sequence or dispositions | reject('string') | list | length > 0 or '' in dispositions %}{{ rules_fail('normalisation.connected_call_dispositions', "must be a list of call dispositions") }}{% endif %}
    {% set paths = norm.get('page_paths') %}
    {% if paths is not mapping or paths | length == 0 %}{{ rules_fail('normalisation.page_paths', "must map page types to lists of path prefixes") }}{% endif %}
    {% set seen = {} %}
    {% for page_type, prefixes in paths.items() %}
        {% set where = 'normalisation.page_paths.' ~ page_type %}
        {% if page_type not in rules_page_types() %}{{ rules_fail(where, "unknown page type (one of " ~ rules_page_types() | join(', ') ~ ")") }}{% endif %}
        {% if prefixes is string or prefixes is not sequence or prefixes | length == 0 %}{{ rules_fail(where, "needs a non-empty list of path prefixes") }}{% endif %}
        {% for prefix in prefixes %}
            {% if prefix is not string or not modules.re.match('^/[\\w/.~%-]*$', prefix) %}{{ rules_fail(where, "'" ~ prefix ~ "' is not a path prefix (starts with /, no spaces or quotes)") }}{% endif %}
            {% if prefix | lower in seen %}{{ rules_fail(where, "path '" ~ prefix ~ "' is listed under " ~ seen[prefix | lower] ~ " too") }}{% endif %}
            {% do seen.update({prefix | lower: page_type}) %}
        {% endfor %}
    {% endfor %}
{% endmacro %}

{#- The parsed, validated rules (a dict). Raises a compiler error naming the bad rule. -#}
{% macro scoring_rules() %}
    {% set rules = fromyaml(scoring_rules_source()) %}
    {% if rules is not mapping %}{{ rules_fail('file', 'not a YAML mapping') }}{% endif %}
    {% for section in ['version', 'normalisation', 'fit', 'activities', 'grades', 'signals', 'frameworks', 'tiers'] %}
        {% if section not in rules %}{{ rules_fail('file', "missing section '" ~ section ~ "'") }}{% endif %}
    {% endfor %}
    {% set known = ['version', 'lists', 'patterns', 'normalisation', 'fit', 'activities', 'grades', 'signals', 'frameworks', 'disqualifiers', 'tiers'] %}
    {% for section in rules %}{% if section not in known %}{{ rules_fail('file', "unknown section '" ~ section ~ "'") }}{% endif %}{% endfor %}
    {% for name, values in rules.get('lists', {}).items() %}
        {% if values is string or values is not sequence %}{{ rules_fail("list '" ~ name ~ "'", "must be a list") }}{% endif %}
    {% endfor %}
    {% for name, values in rules.get('patterns', {}).items() %}
        {% if values is string or values is not sequence %}{{ rules_fail("pattern '" ~ name ~ "'", "must be a list of alternatives") }}{% endif %}
    {% endfor %}
    {{ rules_check_normalisation(rules.normalisation) }}
    {% set seen = [] %}
    {% for r in rules.fit %}
        {% if r is not mapping or not r.get('name') %}{{ rules_fail('fit rule #' ~ loop.index, "missing name") }}{% endif %}
        {% set where = "fit rule '" ~ r.name ~ "'" %}
        {% if r.name in seen %}{{ rules_fail(where, "duplicate name") }}{% endif %}{% do seen.append(r.name) %}
        {% if not rules_is_number(r.get('points')) %}{{ rules_fail(where, "points must be a number") }}{% endif %}
        {{ rules_check_condition(where, r, rules) }}
    {% endfor %}
    {% for t, a in rules.activities.items() %}
        {% set where = "activity '" ~ t ~ "'" %}
        {% if t in rules_retired_activity_types() %}{{ rules_fail(where, "activity type was split into " ~ rules_retired_activity_types()[t]) }}{% endif %}
        {% if t not in rules_activity_types() %}{{ rules_fail(where, "unknown activity type") }}{% endif %}
        {% if a is not mapping or not rules_is_number(a.get('points')) %}{{ rules_fail(where, "points must be a number") }}{% endif %}
        {% if a.get('half_life_days') is not none and (not rules_is_number(a.half_life_days) or a.half_life_days <= 0) %}{{ rules_fail(where, "half_life_days must be a number > 0") }}{% endif %}
        {% if a.get('window_days') is not none and (not rules_is_number(a.window_days) or a.window_days <= 0) %}{{ rules_fail(where, "window_days must be a number > 0") }}{% endif %}
        {% if a.get('cap') is not none and (not rules_is_number(a.cap) or a.cap < 0) %}{{ rules_fail(where, "cap must be a number >= 0") }}{% endif %}
        {% for k in a %}{% if k not in ['points', 'half_life_days', 'window_days', 'cap'] %}{{ rules_fail(where, "unknown key '" ~ k ~ "'") }}{% endif %}{% endfor %}
    {% endfor %}
    {% for g in ['A', 'B', 'C'] %}{% if not rules_is_number(rules.grades.get('fit', {}).get(g)) %}{{ rules_fail('grades.fit', "threshold '" ~ g ~ "' must be a number") }}{% endif %}{% endfor %}
    {% for g in ['1', '2'] %}{% if not rules_is_number(rules.grades.get('engagement', {}).get(g)) %}{{ rules_fail('grades.engagement', "threshold '" ~ g ~ "' must be a number") }}{% endif %}{% endfor %}
    {% for s, conds in rules.signals.items() %}
        {% if conds is string or conds is not sequence or conds | length == 0 %}{{ rules_fail("signal '" ~ s ~ "'", "needs a list of conditions") }}{% endif %}
        {% for c in conds %}
            {% set where = "signal '" ~ s ~ "' condition " ~ loop.index %}
            {% if c is not mapping %}{{ rules_fail(where, "must be a mapping") }}
            {% elif 'activity' in c %}{{ rules_check_activity_list(where, c.activity, c.get('within_days'), c.get('min_count')) }}
            {% elif 'engagement_gte' in c %}{% if not rules_is_number(c.engagement_gte) %}{{ rules_fail(where, "engagement_gte must be a number") }}{% endif %}
            {% elif 'attribute' in c %}{{ rules_check_condition(where, c, rules) }}
            {% else %}{{ rules_fail(where, "needs attribute, activity or engagement_gte") }}{% endif %}
        {% endfor %}
    {% endfor %}
    {% for f, criteria in rules.frameworks.items() %}
        {% if criteria is not mapping or criteria | length == 0 %}{{ rules_fail("framework '" ~ f ~ "'", "needs criterion: signal pairs") }}{% endif %}
        {% for crit, sig in criteria.items() %}
            {% if sig not in rules.signals %}{{ rules_fail("framework '" ~ f ~ "' criterion '" ~ crit ~ "'", "unknown signal '" ~ sig ~ "'") }}{% endif %}
        {% endfor %}
    {% endfor %}
    {% set dq_seen = [] %}
    {% for d in rules.get('disqualifiers', []) %}
        {% if d is not mapping or not d.get('name') %}{{ rules_fail('disqualifier #' ~ loop.index, "missing name") }}{% endif %}
        {% set where = "disqualifier '" ~ d.name ~ "'" %}
        {% if d.name in dq_seen %}{{ rules_fail(where, "duplicate name") }}{% endif %}{% do dq_seen.append(d.name) %}
        {% if 'activity' in d %}
            {{ rules_check_activity_list(where, d.activity, none) }}
            {% if d.get('unless_later') is not none %}{{ rules_check_activity_list(where ~ ' unless_later', d.unless_later, none) }}{% endif %}
        {% else %}{{ rules_check_condition(where, d, rules) }}{% endif %}
    {% endfor %}
    {% set sql_t = rules.tiers.get('sql') %}
    {% set mql_t = rules.tiers.get('mql') %}
    {% if sql_t is not mapping %}{{ rules_fail('tiers', "missing 'sql'") }}{% endif %}
    {% if mql_t is not mapping %}{{ rules_fail('tiers', "missing 'mql'") }}{% endif %}
    {% for k in ['min_fit', 'min_engagement'] %}{% if not rules_is_number(mql_t.get(k)) %}{{ rules_fail('tiers.mql', k ~ " must be a number") }}{% endif %}{% endfor %}
    {% if sql_t.get('hand_raise') is mapping %}
        {{ rules_check_activity_list('tiers.sql.hand_raise', sql_t.hand_raise.get('activity'), sql_t.hand_raise.get('within_days')) }}
        {% if not rules_is_number(sql_t.get('min_fit')) %}{{ rules_fail('tiers.sql', "min_fit must be a number") }}{% endif %}
    {% endif %}
    {% for q in sql_t.get('sequences', []) %}
        {% set where = "tiers.sql sequence '" ~ q.get('name') ~ "'" %}
        {% if not q.get('name') %}{{ rules_fail('tiers.sql sequence #' ~ loop.index, "missing name") }}{% endif %}
        {{ rules_check_activity_list(where, q.get('first'), q.get('within_days')) }}
        {{ rules_check_activity_list(where, q.get('then'), q.get('within_days')) }}
        {% if q.get('within_days') is none %}{{ rules_fail(where, "within_days must be a number > 0") }}{% endif %}
        {% if q.get('min_fit') is not none and not rules_is_number(q.min_fit) %}{{ rules_fail(where, "min_fit must be a number") }}{% endif %}
    {% endfor %}
    {% if sql_t.get('framework') is not none %}
        {% if sql_t.framework.get('name') not in rules.frameworks %}{{ rules_fail('tiers.sql.framework', "unknown framework '" ~ sql_t.framework.get('name') ~ "'") }}{% endif %}
        {% if not rules_is_number(sql_t.framework.get('min_met')) %}{{ rules_fail('tiers.sql.framework', "min_met must be a number") }}{% endif %}
    {% endif %}
    {% set mode = rules.tiers.get('mode', 'rules') %}
    {% if mode not in ['rules', 'predicted', 'hybrid'] %}{{ rules_fail('tiers.mode', "must be one of rules, predicted, hybrid, not '" ~ mode ~ "'") }}{% endif %}
    {% set p = rules.tiers.get('predicted') %}
    {% if p is none and mode != 'rules' %}{{ rules_fail('tiers.predicted', "mode '" ~ mode ~ "' needs probability thresholds") }}{% endif %}
    {% if p is not none %}
        {% for k in ['sql', 'mql'] %}{% if not rules_is_number(p.get(k)) or p[k] <= 0 or p[k] > 1 %}{{ rules_fail('tiers.predicted', k ~ " must be a probability between 0 and 1") }}{% endif %}{% endfor %}
        {% if p.mql > p.sql %}{{ rules_fail('tiers.predicted', "mql must not be above sql") }}{% endif %}
    {% endif %}
    {{ return(rules) }}
{% endmacro %}

{#- rules_version: "<version>-<first 12 hex of md5 of the file>"; any edit changes it. -#}
{% macro rules_version() -%}
    {%- set rules = scoring_rules() -%}
    {{ return(rules.version ~ '-' ~ local_md5(scoring_rules_source() | string)[:12]) }}
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
