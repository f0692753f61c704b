"""Backtest benchmark: six monthly point-in-time dates against one daily `dbt build`.

A generated portal (20,000 contacts at both scales: the backtest's cost is the scoring, and its
goal is stated at the small scale) is extracted through the sandbox and scored at its as_of, as
the daily run does. Figures (medians):
  backtest_six_dates_seconds   `run_backtest` of 6 dates 30 days apart (the last one 90 days
                               before the newest data, 90-day horizon): the facts once, then
                               the scoring models at every date, and the metrics stored;
                               lower bound: one daily `dbt build` of the same data (the
                               steady-state run: the next day's as_of, nothing new extracted).
                               Goal: ratio <= 6 (no slower than six daily scoring runs).
  backtest_seconds_per_date    the same run's time per date (facts included, amortised)
  daily_dbt_build_seconds      that lower bound on its own (3 simulated days)
  full_dbt_build_seconds       the first `dbt build` into the empty warehouse, for scale
"""
from __future__ import annotations

import os
import statistics
import time
from datetime import datetime, timedelta
from pathlib import Path

from harness import figure

CONTACTS = 20_000
DATES = 6


def _load(contacts: int) -> datetime:
    """Generate, serve and extract a portal into the warehouse; returns its as_of."""
    from leadscore import warehouse
    from leadscore.quality import typed
    from leadscore.sandbox import SandboxServer
    from leadscore.sources.extract import run_stream, stream_names
    from leadscore.synthetic import generate

    out = Path(os.environ["LEADSCORE_HOME"]) / "datasets" / f"bench-backtest-{contacts}"
    meta = generate(contacts=contacts, seed=42, out_dir=out)
    warehouse.bootstrap()
    with SandboxServer(out, port=0) as server:
        os.environ["LEADSCORE_SANDBOX_PORT"] = str(server.port)
        for name in stream_names():
            run_stream(name, "bench-backtest")
    typed.build_all(warehouse.params(), list(typed.STREAMS.values()))
    return datetime.fromisoformat(meta["as_of"].replace("Z", "+00:00"))


def run(scale: str) -> dict:
    from leadscore.backtest.engine import run_backtest
    from leadscore.scoring.dbt import run_dbt

    as_of = _load(CONTACTS)
    t0 = time.perf_counter()
    run_dbt(["build"], as_of=as_of.isoformat())
    full = time.perf_counter() - t0
    daily = []
    for day in (1, 2, 3):
        t0 = time.perf_counter()
        run_dbt(["build"], as_of=(as_of + timedelta(days=day)).isoformat())
        daily.append(time.perf_counter() - t0)
    daily_median = statistics.median(daily)
    last = as_of + timedelta(days=3) - timedelta(days=90)
    dates = [last - timedelta(days=30 * k) for k in reversed(range(DATES))]
    samples = []
    for _ in range(2):
        t0 = time.perf_counter()
        result = run_backtest(dates, 90)
        samples.append(time.perf_counter() - t0)
    seconds = statistics.median(samples)
    auc = result.dates[-1].metric("auc_total_score")
    return {
        "backtest_six_dates_seconds": figure(seconds, "s", lower_bound=daily_median, runs=len(samples), samples=samples,
                                             note=f"{CONTACTS:,} contacts, 6 dates 30 days apart, 90-day horizon; "
                                                  f"lower bound: one daily dbt build (goal ratio <= 6); "
                                                  f"AUC of the last date {auc:.3f}" if auc is not None else None),
        "backtest_seconds_per_date": figure(seconds / DATES, "s", lower_bound=daily_median, runs=len(samples)),
        "daily_dbt_build_seconds": figure(daily_median, "s", runs=len(daily), samples=daily,
                                          note="dbt build at the next days' as_of, nothing new extracted"),
        "full_dbt_build_seconds": figure(full, "s", note="the first dbt build into the empty warehouse"),
    }
