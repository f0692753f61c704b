{#- How int_activities_unioned types raw activities, from scoring_rules.yml `normalisation`:
    who made a CRM call or email (ours is not the lead's engagement), link-scanner clicks, and
    page types by path in every language. -#}

{#- A call: the lead's call to us, our call they talked in (a connected disposition), or our
    call alone. A call without a direction is taken as ours: reps log the calls they make. -#}
{% macro crm_call_type(direction, disposition, rules) -%}
    {%- set connected = rules.normalisation.connected_call_dispositions -%}
    case when {{ direction }} = 'inbound' then 'crm_call_inbound'
         when lower({{ disposition }}) in ({% for x in connected %}{{ sql_str(x | lower) }}{{ ', ' if not loop.last }}{% endfor %}) then 'crm_call_connected'
         else 'crm_call_outbound' end
{%- endmacro %}

{#- A CRM email (hs_email_direction, lower-cased in staging): INCOMING_EMAIL is their email to
    us; EMAIL (sent by us), FORWARDED_EMAIL (a rep logging a thread) and none are our effort. -#}
{% macro crm_email_type(direction) -%}
    case when {{ direction }} = 'incoming_email' then 'crm_email_reply' else 'crm_email_outbound' end
{%- endmacro %}

{#- A page view's type by its (lower-case) path: the longest listed prefix wins, so a more
    specific path can be given its own type. -#}
{% macro page_type(path, rules) -%}
    {%- set prefixes = [] %}
    {%- for page_type, listed in rules.normalisation.page_paths.items() %}
        {%- for prefix in listed %}{% do prefixes.append((prefix | length, prefix | lower, page_type)) %}{% endfor %}
    {%- endfor %}
    case
    {%- for _, prefix, page_type in prefixes | sort(reverse=true) %}
        when starts_with({{ path }}, {{ sql_str(prefix) }}) then '{{ page_type }}'
    {%- endfor %}
        else 'page_other'
    end
{%- endmacro %}

{#- A Mailchimp event's type. A click at most `scanner_click_seconds` after its campaign's
    send time (`sent_at`; null when the campaign is unknown) is a link scanner's. -#}
{% macro mailchimp_activity_type(action, bounce_type, occurred_at, sent_at, rules) -%}
    {%- set seconds = rules.normalisation.scanner_click_seconds -%}
    case
        {%- if seconds > 0 %}
        when {{ action }} = 'click' and {{ occurred_at }} <= {{ sent_at }} + interval '{{ seconds }} seconds' then 'email_click_scanner'
        {%- endif %}
        when {{ action }} = 'open' then 'email_open'
        when {{ action }} = 'click' then 'email_click'
        when {{ action }} = 'bounce' and {{ bounce_type }} = 'hard' then 'email_hard_bounce'
        when {{ action }} = 'bounce' then 'email_soft_bounce'
    end
{%- endmacro %}

{#- What the stored activity types were derived by: the `normalisation` rules and the code's
    type list. int_activities_unioned keeps it as its table comment and re-reads every raw row
    when it differs (a new language's paths, a changed scanner threshold, a new version). -#}
{% macro activity_normalisation_version() -%}
    {%- set rules = scoring_rules() -%}
    {{ return('normalisation ' ~ local_md5(tojson(rules.normalisation, sort_keys=true) ~ '|' ~ (rules_activity_types() | join(',')))[:12]) }}
{%- endmacro %}

{#- Whether `relation` was built by another normalisation (or has no record of one). -#}
{% macro activity_normalisation_changed(relation) -%}
    {%- set stored = run_query("select obj_description(" ~ sql_str('"' ~ relation.schema ~ '"."' ~ relation.identifier ~ '"') ~ "::regclass, 'pg_class')").rows[0][0] -%}
    {{ return(stored != activity_normalisation_version()) }}
{%- endmacro %}
