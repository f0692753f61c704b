{#- Typing helpers for the raw JSONB (staging only). -#}

{#- A number sent as text with thousands separators ("1,000", "1 000", "1_000", "1'000");
    anything that is not a number after removing them becomes null. -#}
{% macro parse_number(expr) -%}
    (case
        when regexp_replace({{ expr }}, '[\s,_''\u00a0]', '', 'g') ~ '^-?[0-9]+(\.[0-9]+)?$'
        then regexp_replace({{ expr }}, '[\s,_''\u00a0]', '', 'g')::numeric
    end)
{%- endmacro %}

{#- ISO-8601 text (any precision, Z or offset) or epoch milliseconds → timestamptz; else null.
    On PostgreSQL 16+ validity is checked with pg_input_is_valid (about 3× cheaper than the
    regular expression, which older servers use); both never let a bad value fail the cast. -#}
{% macro parse_timestamp(expr) -%}
    (case
        when length({{ expr }}) between 10 and 13 and {{ expr }} !~ '\D'
        then to_timestamp(({{ expr }})::bigint / case when length({{ expr }}) > 10 then 1000.0 else 1 end)
    {%- if server_version_num() >= 160000 %}
        when left({{ expr }}, 1) between '0' and '9' and pg_input_is_valid({{ expr }}, 'timestamptz')
    {%- else %}
        when {{ expr }} ~ '^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}(:?\d{2})?)?$'
    {%- endif %}
        then ({{ expr }})::timestamptz
    end)
{%- endmacro %}

{#- The server's version number (e.g. 160002), 0 while dbt only parses the project. -#}
{% macro server_version_num() -%}
    {%- if execute -%}
        {{ return(run_query("show server_version_num").rows[0][0] | int) }}
    {%- else -%}
        {{ return(0) }}
    {%- endif -%}
{%- endmacro %}

{#- The lower-cased path of a URL ("https://x.test/Pricing?a=1#b" → "/pricing"), "/" when it
    has none. String functions, not a regular expression: this runs once per page view. -#}
{% macro url_path(expr) -%}
    {%- set after_scheme = "substr(" ~ expr ~ ", strpos(" ~ expr ~ ", '://') + 3)" -%}
    lower(split_part(split_part(
        case
            when strpos({{ expr }}, '://') > 0 then
                case when strpos({{ after_scheme }}, '/') > 0
                     then substr({{ after_scheme }}, strpos({{ after_scheme }}, '/')) else '/' end
            when left({{ expr }}, 1) = '/' then {{ expr }}
            else '/'
        end, '?', 1), '#', 1))
{%- endmacro %}

{#- The row's value as the quality step normalised it (leadscore.quality.normalise, stored in
    quality.normalised_values by leadscore.quality.typed), else `fallback`. The quality step
    stores every value it changed or nulled (value-level quarantine), so a value without a
    row there was already in normal form, and `fallback` (the plain parse) keeps it as it is.
    Email, job title, industry, head count and revenue are normalised in that one place (Python:
    BOM/zero-width/NBSP, NFC, IDN → punycode, EU number formats), never again in SQL here.
    Needs normalised_joins() for the same field in the FROM clause. -#}
{% macro normalised(field, fallback, cast='') -%}
    (case when nv_{{ field }}.record_id is not null then nv_{{ field }}.value{{ cast }} else {{ fallback }} end)
{%- endmacro %}

{% macro normalised_joins(stream, fields, id_expr='source.id') -%}
    {%- for field in fields %}
    left join {{ source('quality', 'normalised_values') }} as nv_{{ field }}
        on nv_{{ field }}.stream = '{{ stream }}' and nv_{{ field }}.field = '{{ field }}'
        and nv_{{ field }}.record_id = {{ id_expr }}
    {%- endfor %}
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

{#- Exclude rows the data-quality gate rejected for this stream. Written as NOT IN so
    Postgres hashes the (small) quarantine list once; NOT EXISTS was planned as a nested-loop
    anti join that rescans the quarantine table for every raw row (most of a full refresh's
    time). record_id is never null, so NOT IN's null semantics do not apply. -#}
{% macro not_quarantined(stream, id_expr='source.id') -%}
    {{ id_expr }} not in (
        select q.record_id from {{ source('quality', 'quarantined_records') }} as q
        where q.stream = '{{ stream }}'
    )
{%- endmacro %}

{#- A CRM object's timestamp: its property (e.g. createdate, hs_lastmodifieddate), else the
    object's own field (createdAt, updatedAt), which every object carries. -#}
{% macro crm_timestamp(property, object_field) -%}
    coalesce(
        {{ parse_timestamp("source.record -> 'properties' ->> '" ~ property ~ "'") }},
        {{ parse_timestamp("source.record ->> '" ~ object_field ~ "'") }}
    )
{%- endmacro %}

{#- Deleted at the source: gone from the API (is_deleted, set at landing) or archived in the CRM. -#}
{% macro crm_is_archived() -%}
    (source.is_deleted or coalesce(source.record ->> 'archived' = 'true', false))
{%- endmacro %}
