{#- Post-hook of a model that recomputes the leads in int_leads_changed: record that it has
    consumed the newest list, so the next run may start from that list's watermark once every
    consumer has (see int_leads_changed). -#}
{% macro leads_changed_consumed() -%}
    {%- set runs_table = this.schema ~ '.int_leads_changed_runs' -%}
    update {{ runs_table }}
    set consumed_by = array_append(consumed_by, '{{ this.identifier }}')
    where invocation_id = (select invocation_id from {{ runs_table }} order by recorded_at desc limit 1)
      and not ('{{ this.identifier }}' = any(consumed_by))
{%- endmacro %}
