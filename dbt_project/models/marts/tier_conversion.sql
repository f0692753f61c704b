-- Conversion per tier and per grade: leads, converted (closed-won or lifecycle customer/
-- evangelist), conversion rate and lift over the baseline (all leads' rate).
with scores as (
    select * from {{ ref('lead_scores') }}
),

baseline as (
    select count(*) as leads, count(*) filter (where is_converted) as converted
    from scores
),

grouped as (
    select 'tier' as dimension, tier as value, count(*) as leads, count(*) filter (where is_converted) as converted
    from scores group by tier
    union all
    select 'grade', grade, count(*), count(*) filter (where is_converted)
    from scores group by grade
)

select
    grouped.dimension || ':' || grouped.value as segment_id,
    grouped.dimension,
    grouped.value,
    grouped.leads,
    grouped.converted,
    grouped.converted::double precision / nullif(grouped.leads, 0) as conversion_rate,
    baseline.converted::double precision / nullif(baseline.leads, 0) as baseline_rate,
    (grouped.converted::double precision / nullif(grouped.leads, 0))
        / nullif(baseline.converted::double precision / nullif(baseline.leads, 0), 0) as lift
from grouped
cross join baseline
