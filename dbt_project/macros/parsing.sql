{#- Typing helpers for the raw JSONB (staging only). -#}

{#- A number sent as text with thousands separators ("1,000", "1 000", "1_000", "1'000");
    anything that is not a number after removing them becomes null. -#}
{% macro parse_number(expr) -%}
    (case
        when regexp_replace({{ expr }}, '[\s,_''\u00a0]', '', 'g') ~ '^-?[0-9]+(\.[0-9]+)?$'
        then regexp_replace({{ expr }}, '[\s,_''\u00a0]', '', 'g')::numeric
    end)
{%- endmacro %}

{#- ISO-8601 text (any precision, Z or offset) or epoch milliseconds → timestamptz; else null. -#}
{% macro parse_timestamp(expr) -%}
    (case
        when {{ expr }} ~ '^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}(:?\d{2})?)?$'
        then ({{ expr }})::timestamptz
        when {{ expr }} ~ '^\d{10,13}$'
        then to_timestamp(({{ expr }})::bigint / case when length({{ expr }}) > 10 then 1000.0 else 1 end)
    end)
{%- endmacro %}

{#- Trimmed, lower-cased email; null when it is not shaped like an address. -#}
{% macro clean_email(expr) -%}
    (case
        when lower(btrim({{ expr }})) ~ '^[a-z0-9._%+''-]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}$'
        then lower(btrim({{ expr }}))
    end)
{%- endmacro %}

{#- Empty strings to null, trimmed. -#}
{% macro clean_text(expr) -%}
    nullif(btrim({{ expr }}), '')
{%- endmacro %}

{#- Exclude rows the data-quality gate rejected for this stream. -#}
{% macro not_quarantined(stream, id_expr='source.id') -%}
    not exists (
        select 1 from {{ source('quality', 'quarantined_records') }} as q
        where q.stream = '{{ stream }}' and q.record_id = {{ id_expr }}
    )
{%- endmacro %}
