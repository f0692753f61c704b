{#- The lead's identity and CRM columns that marts.lead_scores shows beside the scores, carried
    from int_leads_joined through int_lead_attributes_evaluated and int_lead_signals_evaluated. -#}
{% macro lead_identity_columns() -%}
    {{ return(['crm_id', 'email', 'company_name', 'job_title', 'industry', 'employees', 'lifecyclestage', 'is_converted', 'created_at']) }}
{%- endmacro %}

{#- The columns of int_lead_attributes_evaluated, which follow the rules: the lead, the columns
    above, the raw fit, a pair per signal, the disqualifiers and the conversion model's
    attribute features. -#}
{% macro lead_attribute_columns() -%}
    {%- set rules = scoring_rules() %}
    {%- set columns = ['lead_id'] + lead_identity_columns() + ['fit_raw'] %}
    {%- for s in rules.signals %}{% do columns.extend(['attr_' ~ s, 'attr_evidence_' ~ s]) %}{% endfor %}
    {%- do columns.append('disqualified_by') %}
    {%- for name, _ in lead_attribute_features(rules, 'l') %}{% do columns.append(name) %}{% endfor %}
    {{ return(columns) }}
{%- endmacro %}
