{#- The rows of a staging model an incremental model (re)reads: all of them on a full
    refresh; else the rows loaded after `since` (an index range scan on raw._extracted_at)
    plus, by primary key, the ids listed in the model's `rereads` CTE (activity_key
    '<stream>:<id>'). The two parts are disjoint, so no row is read twice. -#}
{% macro rows_to_read(since, model, id_column, stream) %}
    select * from {{ ref(model) }}
    {%- if is_incremental() %}
    where extracted_at > {{ since }}
    union all
    select * from {{ ref(model) }}
    where {{ id_column }} in (
        select substr(activity_key, {{ stream | length + 2 }}) from rereads
        where starts_with(activity_key, '{{ stream }}:'))
      and extracted_at <= {{ since }}
    {%- endif %}
{%- endmacro %}
