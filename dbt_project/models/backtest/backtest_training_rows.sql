-- The conversion model's training rows at one past date: every lead of backtest_population
-- with the model's features as they stood then (macros/conversion_model.sql, the same list
-- lead_scores scores with) and whether it converted within the horizon. A view: `leadscore
-- train` reads it once per date.
{{ config(materialized='view', enabled=var('backtest_schema', none) is not none) }}
{%- set rules = scoring_rules() %}

select
    p.lead_id,
    {{ as_of() }} as as_of,
    p.converted,
    p.total_score,
    {%- for name, kind, expr in conversion_features(rules, 's') %}
    {{ feature_value(kind, expr) }} as "{{ name }}"{{ ',' if not loop.last }}
    {%- endfor %}
from {{ ref('backtest_population') }} as p
join {{ ref('int_lead_signals_evaluated') }} as s on s.lead_id = p.lead_id
