"""Conversion model benchmark: what training costs, what scoring the probability adds to the
daily run, and (small scale) how well the model ranks against the generator's hidden truth.

small: a generated portal of 20,000 contacts extracted through the sandbox (as bench_backtest),
       whose history has real outcomes and a known propensity.
full:  bench_scoring's 1,000,000 contacts × 20,000,000 activities generated in SQL, plus 3 %
       of contacts in a deal (won or lost at random, so the model learns nothing there: the
       figure is the cost, not the quality).
Figures (medians):
  model_training_seconds          `leadscore train` with its defaults (13 dates 30 days apart,
                                  90-day horizon); lower bound: one full scoring run
                                  (`dbt run --full-refresh`) of the same data
  model_feature_extraction_seconds the point-in-time feature builds of those dates (the cost),
                                  against the same lower bound
  model_daily_run_seconds         a daily dbt run with the model stored; lower bound: the same
                                  run without a model (goal: ratio <= 1.10)
  model_heldout_auc (small)       AUC of the probability on the held-out date; lower bound: the
                                  AUC of the generator's true interest level at that date
                                  (ratio = the share of the truth's AUC reached; goal >= 0.95)
"""
from __future__ import annotations

import json
import os
import statistics
import time
from datetime import datetime, timedelta
from pathlib import Path

from harness import figure

DEALS_SQL = """
insert into raw.hubspot_deals (id, record, source_updated_at, is_deleted, _run_id)
select 'd' || g,
       jsonb_build_object('id', 'd' || g, 'archived', false, 'createdAt', created, 'updatedAt', closed,
           'associations', jsonb_build_object('contacts', jsonb_build_array('c' || (g * 33))),
           'properties', jsonb_build_object('dealname', 'Deal ' || g, 'pipeline', 'default', 'amount', '12000',
               'dealstage', case when g % 3 = 0 then 'closedwon' else 'closedlost' end,
               'createdate', created, 'closedate', closed, 'hs_lastmodifieddate', closed,
               'hs_is_closed', 'true', 'hs_is_closed_won', (g % 3 = 0)::text)),
       %(as_of)s::timestamptz, false, 'bench'
from generate_series(1::bigint, %(deals)s) g,
     lateral (select to_char(%(as_of)s::timestamptz - ((g * 37) % 600 + 40) * interval '1 day', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as created,
                     to_char(%(as_of)s::timestamptz - ((g * 37) % 600) * interval '1 day', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as closed) as d
"""


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def _load_full() -> datetime:
    import bench_scoring

    from leadscore import warehouse
    from leadscore.sources import raw_store

    leads, activities = bench_scoring.SCALES["full"]
    warehouse.bootstrap()
    with warehouse.connect() as conn:
        bench_scoring._generate(conn, leads, activities)
        raw_store.ensure_table(conn, "hubspot_deals")
        conn.execute(DEALS_SQL.replace("%(deals)s", str(leads * 3 // 100))
                     .replace("%(as_of)s", f"'{bench_scoring.AS_OF.isoformat()}'"))
        conn.commit()
    from leadscore.quality import typed

    typed.build_all(warehouse.params(), list(typed.STREAMS.values()))
    return bench_scoring.AS_OF


def _true_auc(dataset: Path, tested_on: datetime) -> dict[str, float]:
    from leadscore import warehouse
    from leadscore.synthetic.measure import true_propensity_auc

    with warehouse.connect() as conn:  # the training's last build is its test date
        outcomes = dict(conn.execute("select s.crm_id, p.converted from backtest_training.backtest_population p "
                                     "join backtest_training.lead_scores s using (lead_id)").fetchall())
    with open(dataset / "ground_truth.ndjson", encoding="utf-8") as f:
        return true_propensity_auc((json.loads(line) for line in f), outcomes, tested_on)


def run(scale: str) -> dict:
    from leadscore import warehouse
    from leadscore.model.train import train
    from leadscore.scoring.dbt import run_dbt

    os.environ.setdefault("DBT_TARGET_PATH", str(Path(os.environ["LEADSCORE_HOME"]) / "dbt-target"))
    if scale == "small":
        from bench_backtest import CONTACTS, _load

        as_of = _load(CONTACTS)
        what = f"{CONTACTS:,} generated contacts"
    else:
        as_of = _load_full()
        what = "1,000,000 contacts, 20,000,000 activities, 30,000 random deals"
    full = [_timed(lambda: run_dbt(["--quiet", "run", "--full-refresh"], as_of=as_of.isoformat()))]
    with warehouse.connect() as conn:
        conn.execute("drop table if exists marts.conversion_model_coefficients, marts.conversion_model")
        conn.commit()

    def daily(day: int) -> float:
        with warehouse.connect(autocommit=True) as conn:
            conn.execute("vacuum analyze")
        return _timed(lambda: run_dbt(["--quiet", "run"], as_of=(as_of + timedelta(days=day)).isoformat()))

    without = [daily(d) for d in (1, 2, 3)]
    trainings, trained = [], None
    for _ in range(1 if scale == "full" else 2):
        t0 = time.perf_counter()
        trained = train()
        trainings.append(time.perf_counter() - t0)
    assert trained is not None
    extraction = trained.extract_seconds
    with_model = [daily(d) for d in (4, 5, 6)]  # the newest scoring time stays ahead of the training's
    full_s = statistics.median(full)
    m = trained.meta
    out = {
        "model_training_seconds": figure(statistics.median(trainings), "s", lower_bound=full_s, runs=len(trainings),
                                         samples=trainings,
                                         note=f"{what}; {m['training_dates'] + 1} dates, {m['training_rows']:,} rows "
                                              f"(negatives sampled to {m['negative_sample_share']:.2f}); lower bound: one "
                                              f"full scoring run ({full_s:.1f} s)"),
        "model_feature_extraction_seconds": figure(extraction, "s", lower_bound=full_s,
                                                   note=f"the point-in-time builds of the training's dates ({what})"),
        "model_daily_run_seconds": figure(statistics.median(with_model), "s", lower_bound=statistics.median(without),
                                          runs=len(with_model), samples=with_model,
                                          note=f"{what}; daily dbt run with a {len(trained.model.terms)}-term model; "
                                               f"lower bound: the same run without a model ({without}); goal ratio <= 1.10"),
    }
    if scale == "small":
        dataset = Path(os.environ["LEADSCORE_HOME"]) / "datasets" / f"bench-backtest-{CONTACTS}"
        truth = _true_auc(dataset, m["tested_on"])
        best = max(truth["auc_level"], truth["auc_potential"])
        out["model_heldout_auc"] = figure(
            m["validation_auc"], "auc", lower_bound=best,
            note=f"held-out date {m['tested_on'].date()}: probability {m['validation_auc']:.3f}, rules' total score "
                 f"{m['rules_auc']:.3f}, the generator's true interest level {truth['auc_level']:.3f} and lifetime "
                 f"potential {truth['auc_potential']:.3f} (ratio = probability / the better truth; goal >= 0.95); "
                 f"tiers from thresholds set on the validation date: sql {m['heldout_sql_share']:.1%} of leads at "
                 f"{m['heldout_sql_lift']:.1f}x, mql {m['heldout_mql_lift']:.1f}x, nurture {m['heldout_nurture_lift']:.2f}x")
    return out
