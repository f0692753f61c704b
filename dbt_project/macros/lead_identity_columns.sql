{#- The lead's identity and CRM columns that marts.lead_scores shows beside the scores, carried
    from int_leads_joined through int_lead_attributes_evaluated and int_lead_signals_evaluated. -#}
{% macro lead_identity_columns() -%}
    {{ return(['crm_id', 'email', 'company_name', 'job_title', 'industry', 'employees', 'lifecyclestage', 'is_converted', 'created_at']) }}
{%- endmacro %}
