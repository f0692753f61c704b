-- The leads of one past date that could still convert, with their scores as they stood then
-- (lead_scores built with as_of = that date) and whether they converted within the horizon
-- after it (lead_outcomes). Customers and leads in an open deal at the date are left out
-- (they are not leads), and so are customers whose conversion the CRM gives no date for.
-- What backtest_metrics measures and the conversion model trains on. Built only by
-- `leadscore backtest` and `leadscore train`, in their own schema.
{{ config(enabled=var('backtest_schema', none) is not none) }}

{%- set horizon = backtest_horizon_days() %}

select
    scored.lead_id,
    scored.tier,
    scored.grade,
    scored.total_score,
    scored.fit_score,
    scored.engagement_score,
    scored.conversion_probability,
    coalesce(outcomes.converted_at > {{ as_of() }}
             and outcomes.converted_at <= {{ as_of() }} + interval '{{ horizon }} days', false) as converted
from {{ ref('lead_scores') }} as scored
left join {{ ref('lead_outcomes') }} as outcomes on outcomes.lead_id = scored.lead_id
where scored.tier not in ('customer', 'in_pipeline')
  and not coalesce(outcomes.is_converted_undated, false)
