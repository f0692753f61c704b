-- What the tiers and scores of one past date predicted: every lead as it stood at the
-- scoring time (lead_scores built with as_of = that date), against the conversions of the
-- next horizon days (lead_outcomes). One row per dimension and value, over the leads that
-- could still convert (backtest_population). Built only by `leadscore backtest`, in its own
-- schema.
{{ config(enabled=var('backtest_schema', none) is not none) }}

{%- set horizon = backtest_horizon_days() %}

with population as (
    select * from {{ ref('backtest_population') }}
),

deciles as (
    select
        population.*,
        ntile(10) over (order by total_score desc, lead_id collate "C") as decile
    from population
),

cells as (
    -- mean_score: the decile's mean total score (the calibration plot's x)
    select 'overall' as dimension, 'all' as value, count(*) as leads, count(*) filter (where converted) as converted,
           null::double precision as mean_score
    from population
    union all
    select 'tier', tier, count(*), count(*) filter (where converted), null from population group by tier
    union all
    select 'grade', grade, count(*), count(*) filter (where converted), null from population group by grade
    union all
    select 'decile', lpad(decile::text, 2, '0'), count(*), count(*) filter (where converted), avg(total_score)
    from deciles group by decile
    union all
    -- percentiles of the conversion probability (when a model is stored), highest first:
    -- metric_value = the lowest probability in the bin (what recommend-thresholds reads)
    select 'probability_bin', lpad(bin::text, 3, '0'), count(*), count(*) filter (where converted), min(conversion_probability)
    from (select conversion_probability, converted,
                 ntile(100) over (order by conversion_probability desc, lead_id collate "C") as bin
          from population where conversion_probability is not null) as binned
    group by bin
    union all
    -- the leads the rules' mql gate sorts (neither sql nor disqualified by other rules), by fit
    -- and engagement in steps of 10: value 'fit/engagement' of each step's lower end (what
    -- recommend-thresholds --mode rules reads)
    select 'fit_engagement', lpad(fit_step::text, 3, '0') || '/' || lpad(engagement_step::text, 3, '0'),
           count(*), count(*) filter (where converted), null
    from (select (10 * floor(fit_score / 10))::int as fit_step, (10 * floor(engagement_score / 10))::int as engagement_step,
                 converted
          from population where tier in ('mql', 'nurture')) as stepped
    group by fit_step, engagement_step
),

baseline as (
    select leads, converted from cells where dimension = 'overall'
),

rated as (
    select
        cells.dimension,
        cells.value,
        cells.leads,
        cells.converted,
        cells.converted::double precision / nullif(cells.leads, 0) as conversion_rate,
        baseline.converted::double precision / nullif(baseline.leads, 0) as baseline_rate,
        cells.leads::double precision / nullif(baseline.leads, 0) as share_of_leads,
        cells.converted::double precision / nullif(baseline.converted, 0) as share_of_converters,
        cells.mean_score as metric_value
    from cells
    cross join baseline
),

metrics as (
    select 'metric' as dimension, name as value, null::bigint as leads, null::bigint as converted,
           null::double precision as conversion_rate, null::double precision as baseline_rate,
           null::double precision as share_of_leads, null::double precision as share_of_converters,
           metric_value
    from (values
        ('auc_total_score', {{ auc_of('population', 'total_score', 'converted') }}),
        ('auc_fit_score', {{ auc_of('population', 'fit_score', 'converted') }}),
        ('auc_engagement_score', {{ auc_of('population', 'engagement_score', 'converted') }}),
        ('auc_conversion_probability', {{ auc_of('(select * from population where conversion_probability is not null) as with_probability', 'conversion_probability', 'converted') }}),
        ('sql_precision', (select count(*) filter (where converted)::double precision / nullif(count(*), 0)
                           from population where tier = 'sql')),
        ('sql_recall', (select count(*) filter (where tier = 'sql')::double precision / nullif(count(*), 0)
                        from population where converted))
    ) as m (name, metric_value)
),

excluded as (
    -- who was not a lead at the date, for the record
    select 'excluded' as dimension, tier as value, count(*) as leads, null::bigint as converted,
           null::double precision, null::double precision, null::double precision, null::double precision,
           null::double precision
    from {{ ref('lead_scores') }}
    where tier in ('customer', 'in_pipeline')
    group by tier
)

select
    dimension,
    value,
    leads,
    converted,
    conversion_rate,
    baseline_rate,
    conversion_rate / nullif(baseline_rate, 0) as lift,
    share_of_leads,
    share_of_converters,
    metric_value,
    {{ as_of() }} as as_of,
    {{ horizon }} as horizon_days,
    '{{ rules_version() }}'::text as rules_version
from (
    select * from rated
    union all
    select * from metrics
    union all
    select * from excluded
) as all_rows
