{#- Generic tests (no package dependency). -#}

{#- Column values within [min_value, max_value] (either bound optional); nulls pass. -#}
{% test value_between(model, column_name, min_value=none, max_value=none) %}
select *
from {{ model }}
where {{ column_name }} is not null
  and (false
       {% if min_value is not none %} or {{ column_name }} < {{ min_value }} {% endif %}
       {% if max_value is not none %} or {{ column_name }} > {{ max_value }} {% endif %})
{% endtest %}

{#- A boolean SQL expression that must hold for every row. -#}
{% test expression_is_true(model, expression) %}
select * from {{ model }} where not ({{ expression }})
{% endtest %}

{#- Per group, sum(<sum_column>) over `compare_model` rows (optionally filtered) equals
    <target_column> of `model`, to `tolerance`. Groups without rows compare against 0. -#}
{% test sums_match(model, column_name, compare_model, key, sum_column, row_filter='true', tolerance=1e-9) %}
select m.{{ key }}, m.{{ column_name }}, coalesce(s.total, 0) as factor_sum
from {{ model }} as m
left join (
    select {{ key }}, sum({{ sum_column }}) as total
    from {{ compare_model }}
    where {{ row_filter }}
    group by {{ key }}
) as s on s.{{ key }} = m.{{ key }}
where abs(m.{{ column_name }} - coalesce(s.total, 0)) > {{ tolerance }}
{% endtest %}

{#- No two rows share the values of `columns` (a composite key). -#}
{% test unique_combination(model, columns) %}
select {{ columns | join(', ') }}, count(*) as n
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
