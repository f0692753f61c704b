-- One row per lead and matching fit rule (scoring_rules.yml `fit`), with the points it adds
-- (negative = penalty) and the attribute value that matched. Fit does not decay.
-- Incremental: only the leads in int_leads_changed are re-evaluated.
{%- set rules = scoring_rules() %}
-- depends_on: {{ ref('int_leads_changed') }}
{{ changed_leads_model_config() }}

with leads as (
    select * from {{ ref('int_leads_joined') }}
    {{ where_changed_lead() }}
)

select
    md5(l.lead_id || '|' || r.rule_name) as lead_fit_rule_id,
    l.lead_id,
    r.rule_name,
    r.attribute,
    r.points,
    r.attribute || ' = ' || coalesce(r.value_text, '∅') || ' (' || r.condition_text || ')' as detail
from leads as l
cross join lateral (
    values
    {%- for r in rules.fit %}
        ({{ sql_str(r.name) }}, {{ sql_str(r.attribute) }}, {{ r.points }}::double precision,
         l.{{ r.attribute }}::text, {{ sql_str(rule_condition_text(r)) }}, {{ rule_condition(r, rules, 'l') }}){{ ',' if not loop.last }}
    {%- endfor %}
) as r (rule_name, attribute, points, value_text, condition_text, matched)
where r.matched
