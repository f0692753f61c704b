{#- Session settings for every intermediate and mart model (a pre-hook; see vars in
    dbt_project.yml): memory per sort/hash and planner costs for a cached warehouse. -#}
{% macro transform_session_settings() -%}
    set work_mem = '{{ var("work_mem") }}';
    set random_page_cost = {{ var("random_page_cost") }};
    set effective_cache_size = '{{ var("effective_cache_size") }}'
{%- endmacro %}
