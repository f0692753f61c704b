-- One row per lead: what the lead's attributes alone decide, evaluated only when the lead
-- changes (int_leads_changed): the raw fit score (sum of int_lead_fit_evaluated), every
-- signal's attribute conditions (boolean + evidence text) and the attribute disqualifiers
-- (activity disqualifiers depend on time: int_lead_signals_evaluated adds them), plus the
-- lead's identity and CRM columns that lead_scores shows (so the daily pass over every lead
-- reads one table less: a 1M-row hash join, about 1 s at 1M leads).
-- Also the conversion model's attribute features (seniority, department, size band, industry,
-- country, free mail: macros/conversion_model.sql lead_attribute_features).
-- int_lead_signals_evaluated adds the time-dependent parts (activity and engagement
-- conditions) every day.
{%- set rules = scoring_rules() %}
{%- set shown = lead_identity_columns() %}
-- depends_on: {{ ref('int_leads_changed') }}
{{ changed_leads_model_config(unique=true, expect_columns='lead_attribute_columns') }}

{#- the columns follow the rules (one pair per signal, macro lead_attribute_columns): when they
    change, every lead is recomputed (a rules change lists every lead anyway; a code change
    does not) -#}
{%- set features = lead_attribute_features(rules, 'l') %}

with leads as (
    select * from {{ ref('int_leads_joined') }}
    {{ where_changed_lead() }}
),

fit as (
    select lead_id, sum(points) as fit_raw
    from {{ ref('int_lead_fit_evaluated') }}
    {{ where_changed_lead() }}
    group by lead_id
)

select
    l.lead_id,
    {%- for c in shown %}
    l.{{ c }},
    {%- endfor %}
    coalesce(fit.fit_raw, 0)::double precision as fit_raw,
    {%- for s, conds in rules.signals.items() %}
    {%- set attr = [] %}
    {%- for c in conds if 'activity' not in c and 'engagement_gte' not in c %}{% do attr.append(c) %}{% endfor %}
    {%- if attr %}
    ({% for c in attr %}{{ rule_condition(c, rules, 'l') }}{{ ' or ' if not loop.last }}{% endfor %}) as attr_{{ s }},
    (case {% for c in attr %}when {{ rule_condition(c, rules, 'l') }} then {{ signal_evidence(c, rules) }} {% endfor %}end) as attr_evidence_{{ s }},
    {%- else %}
    false as attr_{{ s }},
    null::text as attr_evidence_{{ s }},
    {%- endif %}
    {%- endfor %}
    nullif(concat_ws('; '
    {%- for d in rules.get('disqualifiers', []) if 'activity' not in d %},
        case when {{ rule_condition(d, rules, 'l') }} then {{ sql_str(d.name ~ ': ') }} || coalesce(l.{{ d.attribute }}::text, '∅') end
    {%- endfor %}), '') as disqualified_by,
    -- the conversion model's attribute features (macros/conversion_model.sql)
    {%- for name, expr in features %}
    {{ expr }} as {{ name }}{{ ',' if not loop.last }}
    {%- endfor %}
from leads as l
left join fit on fit.lead_id = l.lead_id
