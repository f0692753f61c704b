{#- The backtest's horizon in days: var('horizon_days'), else LEADSCORE_BACKTEST_HORIZON_DAYS
    read at execution (like as_of, so each backtest date and horizon reuses the parse cache). -#}
{% macro backtest_horizon_days() -%}
    {%- set v = var('horizon_days', none) -%}
    {%- if (v is none or v == '') and execute -%}
        {%- set v = env_var('LEADSCORE_BACKTEST_HORIZON_DAYS', '90') -%}
    {%- endif -%}
    {{ (v or 90) | int }}
{%- endmacro %}

{#- Area under the ROC curve of `score` for the boolean `label` over `relation`: the chance that
    a random converter outranks a random non-converter (ties count half), from the
    Mann-Whitney rank sum with average ranks for ties. Null when either class is empty. -#}
{% macro auc_of(relation, score, label) -%}
    (select
        (sum(avg_rank) filter (where positive) - count(*) filter (where positive) * (count(*) filter (where positive) + 1) / 2.0)
        / nullif(count(*) filter (where positive)::double precision * count(*) filter (where not positive), 0)
     from (
        select {{ label }} as positive,
               rank() over (order by {{ score }}) + (count(*) over (partition by {{ score }}) - 1) / 2.0 as avg_rank
        from {{ relation }}
     ) as ranked)
{%- endmacro %}
