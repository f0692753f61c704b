{#- A float score rounded to `digits` decimals, for text shown to people (tier reasons,
    factor details). Through float8's text form (the shortest exact digits): the direct
    float8 -> numeric cast formats 15 digits with sprintf and took twice as long, 0.2 s of
    lead_scores' daily build at 1M leads, for the same digits. -#}
{% macro rounded(expr, digits=1) -%}
    round(({{ expr }})::text::numeric, {{ digits }})
{%- endmacro %}
