"""The two gates the DAG calls: raw inputs before dbt, `marts.lead_scores` before the CRM sync.

Inputs: type each raw stream once (typed.py), run the row-level suites in one checkpoint,
quarantine failing rows, then run the batch-level checks (counts, swing, freshness, invalid
share) in a second checkpoint. Outputs: run the lead_scores suite and reconcile every
stream against dbt staging. Critical failures raise QualityGateError unless `force`.
"""
from __future__ import annotations

import logging
import math
import time
from datetime import datetime, timedelta, timezone
from typing import Any, Mapping, Sequence

import great_expectations as gx
from psycopg import sql

from leadscore import settings, warehouse
from leadscore.quality import config, history, quarantine, suites, tier_sanity, typed
from leadscore.quality.gx_runner import GxRunner, Job, Outcome
from leadscore.quality.reconcile import UNSTAGED, reconcile
from leadscore.quality.report import CriticalFailure, StreamCounts, ValidationReport, failures_from
from leadscore.timestamps import parse_utc

log = logging.getLogger(__name__)

ROW_FORMAT = {"result_format": "BASIC", "unexpected_index_column_names": ["id"],
              "return_unexpected_index_query": True, "partial_unexpected_count": 5}
OUTPUT_ROW_FORMAT = {"result_format": "BASIC", "partial_unexpected_count": 5}
AGGREGATE_FORMAT = {"result_format": "COMPLETE"}   # aggregate checks return a handful of rows at most
OUTPUT_SUITE = "marts_lead_scores"
OUTPUT_TABLE = ("marts", "lead_scores")
TS_FLOOR = datetime(2000, 1, 1, tzinfo=timezone.utc)

ThresholdArg = config.Thresholds | Mapping[str, Any] | None


def _thresholds(arg: ThresholdArg) -> config.Thresholds:
    return arg if isinstance(arg, config.Thresholds) else config.load(arg)


def as_of_time(as_of: datetime | str | None) -> datetime:
    """The run's reference time (aware UTC): `as_of` as a datetime or ISO 8601 text; empty means now.

    Every time-relative threshold is measured from it, never from the wall clock, so the same
    data and the same as_of quarantine the same rows whenever the gate runs.
    """
    return (parse_utc(as_of, "as_of", "pass e.g. 2026-06-01T00:00:00Z, or leave it empty for now")
            or datetime.now(timezone.utc))


def future_reference(conn, as_of: datetime) -> datetime:
    """The time after which a source timestamp is "in the future": the later of the run's
    `as_of` and the newest extraction on record. A record cannot have changed after it was
    read, but it can have changed after an `as_of` in the past: a rerun or backfill scored at
    yesterday's time reads contacts this pipeline's own sync modified since, and they are not
    bad data (a backtest leaves what came after its date out of the scores, not of the data).
    Both come from the data and the run, never from the wall clock, so the same data and
    as_of quarantine the same rows at any hour."""
    newest = conn.execute("select max(coalesce(finished_at, started_at)) from raw._extraction_runs").fetchone()[0]
    return max(as_of, newest) if newest else as_of


def _row_params(th: config.Thresholds, as_of: datetime, future_dated: bool) -> dict[str, Any]:
    """`max_occurred_timestamp` is open (None) for streams whose occurrence may be scheduled ahead
    (a meeting booked for next week); dates that cannot lie ahead keep `max_timestamp`."""
    max_timestamp = (as_of + timedelta(minutes=th["clock_skew_minutes"])).timestamp()
    return {"max_timestamp": max_timestamp, "max_occurred_timestamp": None if future_dated else max_timestamp,
            "max_close_timestamp": (as_of + timedelta(days=th["max_close_days_ahead"])).timestamp(),
            "max_deal_amount": th["max_deal_amount"],
            "max_property_chars": th["max_property_chars"], "max_employees": th["max_employees"],
            "max_annual_revenue": th["max_annual_revenue"]}


def _row_suite(spec: typed.TypedStream, th: config.Thresholds, as_of: datetime, conn) -> gx.ExpectationSuite:
    definition = suites.load(spec.suite)
    future_dated = spec.stream in definition.get("meta", {}).get("future_dated_streams", [])
    return suites.instantiate(definition, f"raw_{spec.stream}", _row_params(th, as_of, future_dated), conn,
                              map_only=True)


def _batch_params(conn, stream: str, th: config.Thresholds, now: datetime, run_id: str) -> dict[str, Any]:
    s = th.for_stream(stream)
    previous = history.previous_statistics(conn, f"raw_{stream}", run_id) or {}
    prev_rows, swing = previous.get("rows"), s["row_count_swing_pct"]
    has_baseline = prev_rows is not None and swing is not None
    return {
        "stream": stream,
        "min_rows": s["min_rows"],
        "swing_min_rows": math.floor(prev_rows * (1 - swing / 100)) if has_baseline else None,
        "swing_max_rows": math.ceil(prev_rows * (1 + swing / 100)) if has_baseline else None,
        "freshness_min": (now - timedelta(hours=s["freshness_hours"])) if s["freshness_hours"] is not None else None,
        "max_invalid_share_pct": s["max_invalid_share_pct"],
    }


def _errors(outcomes: Sequence[Outcome]) -> list[CriticalFailure]:
    """Row checks that could not be evaluated, or whose failing rows cannot be selected for
    quarantine, are gate failures: a broken check must not let rows through silently."""
    return [f for o in outcomes if o.exception or (not o.success and not o.unexpected_index_query)
            for f in failures_from(o)]


def _finish(report: ValidationReport, force: bool) -> ValidationReport:
    log.info(report.summary_line())
    if report.critical_failures and not force:
        raise report.gate_error()
    return report


def validate_inputs(run_id: str, *, force: bool = False, thresholds: ThresholdArg = None,
                    streams: Sequence[str] | None = None, as_of: datetime | str | None = None) -> ValidationReport:
    """Validate every raw stream, quarantine bad rows, gate on batch-level checks.

    `as_of` (datetime or ISO text; default now) is the time the freshness threshold is measured
    from, and the future cut-off unless a newer extraction is on record (future_reference):
    pass the run's scoring time for reproducible reruns.
    """
    started = time.monotonic()
    settings.disable_telemetry()
    th = _thresholds(thresholds)
    specs = [typed.STREAMS[s] for s in (streams or typed.STREAMS)]
    now = as_of_time(as_of)
    p = warehouse.bootstrap()
    built = typed.build_all(p, specs)
    rows = {spec.stream: built[spec.stream] for spec in specs}
    runner = GxRunner(p)
    with warehouse.connect(p=p) as conn:
        future_from = future_reference(conn, now)
        row_jobs = [Job(_row_suite(spec, th, future_from, conn), typed.SCHEMA, spec.table, spec.stream) for spec in specs]
    row_outcomes = runner.run(row_jobs, "rows", run_id, ROW_FORMAT)
    batch_definition = suites.load("batch")
    with warehouse.connect(p=p) as conn:
        quarantined = {spec.stream: quarantine.record(conn, run_id, spec, [o for o in row_outcomes if o.stream == spec.stream])
                       for spec in specs}
        batch_jobs = [Job(suites.instantiate(batch_definition, f"batch_{spec.stream}",
                                             _batch_params(conn, spec.stream, th, now, run_id), conn),
                          typed.SCHEMA, spec.table, spec.stream) for spec in specs]
    batch_outcomes = runner.run(batch_jobs, "batch", run_id, AGGREGATE_FORMAT)
    docs = runner.build_data_docs()
    failures = _errors(row_outcomes) + [f for o in batch_outcomes if not o.success for f in failures_from(o)]
    with warehouse.connect(p=p) as conn:
        recon = reconcile(conn, rows, staging=False)
        for spec in specs:
            mine = [f.as_dict() for f in failures if f.stream == spec.stream]
            history.record(conn, run_id, f"raw_{spec.stream}", not mine, mine, {
                "rows": rows[spec.stream], "quarantined": quarantined[spec.stream], "forced": bool(force and mine),
                "quarantined_by_rule": _count_by_rule(row_outcomes, spec.stream),
                "reconciliation": recon[spec.stream].as_dict()})
    report = ValidationReport(
        run_id=run_id, stage="inputs", success=not failures,
        streams={s: StreamCounts(rows[s], quarantined[s]) for s in rows}, critical_failures=failures,
        data_docs=str(docs), forced=bool(force and failures),
        reconciliation={s: r.as_dict() for s, r in recon.items()}, seconds=time.monotonic() - started)
    return _finish(report, force)


def _count_by_rule(outcomes: Sequence[Outcome], stream: str) -> dict[str, int]:
    return {o.rule: o.result.get("unexpected_count", 0) for o in outcomes if o.stream == stream and not o.success}


def validate_outputs(run_id: str, *, force: bool = False, thresholds: ThresholdArg = None,
                     staging: bool = True) -> ValidationReport:
    """Gate marts.lead_scores (tiers, score ranges, tier shift) and reconcile loaded = scored + quarantined.

    Every stream is compared with its dbt staging model; one that cannot be compared (model
    missing, key column gone) fails the gate too, unless listed in reconcile.UNSTAGED.
    `staging=False` skips the comparison (only for tests without dbt models).
    Tier sanity (tier_sanity.py) judges the newest backtest of the current rules: a warning in
    the summary line, the task log and the recorded run, never a failure.
    """
    started = time.monotonic()
    settings.disable_telemetry()
    th = _thresholds(thresholds)
    p = warehouse.bootstrap()
    schema, table = OUTPUT_TABLE
    relation = f"{schema}.{table}"
    failures: list[CriticalFailure] = []
    stats: dict[str, Any] = {"forced": False}
    docs = None
    # GX builds suites only inside a data context: create this process's own before any suite
    # (under the scheduler no earlier task left one behind)
    runner = GxRunner(p)
    with warehouse.connect(p=p) as conn:
        exists = conn.execute("select to_regclass(%s) is not null", (relation,)).fetchone()[0]
        recon = reconcile(conn, typed.STREAMS, staging=staging)
        sanity = tier_sanity.check(conn, th)
        if exists:
            definition = suites.load("lead_scores")
            params = {"min_scored_leads": th["min_scored_leads"], "tier_shift_pct": th["tier_shift_pct"],
                      "suite": OUTPUT_SUITE, "run_id": run_id}
            row_suite = suites.instantiate(definition, OUTPUT_SUITE, params, conn, map_only=True)
            agg_suite = suites.instantiate(definition, f"{OUTPUT_SUITE}_batch", params, conn, map_only=False)
            ident = sql.Identifier(schema, table)
            tiers = conn.execute(sql.SQL(
                "select tier, round(100.0 * count(*) / sum(count(*)) over (), 4) from {} group by tier").format(ident)
            ).fetchall()
            stats["rows"] = conn.execute(sql.SQL("select count(*) from {}").format(ident)).fetchone()[0]
            stats["tier_share"] = {str(t): float(s) for t, s in tiers}
    if exists:
        outcomes = runner.run([Job(row_suite, schema, table, relation)], "scores_rows", run_id, OUTPUT_ROW_FORMAT)
        outcomes += runner.run([Job(agg_suite, schema, table, relation)], "scores_batch", run_id, AGGREGATE_FORMAT)
        docs = str(runner.build_data_docs())
        failures += [f for o in outcomes if not o.success for f in failures_from(o)]
    else:
        failures.append(CriticalFailure(OUTPUT_SUITE, "lead_scores_exist", f"no table {relation}",
                                        "the dbt model to have run", reason="dbt did not build the scores"))
    for r in recon.values():
        if staging and not r.checked and r.stream not in UNSTAGED:
            failures.append(CriticalFailure(
                OUTPUT_SUITE, "reconciliation", r.line(), "every stream compared with its staging model",
                stream=r.stream, reason="a stream that cannot be compared could lose rows unseen"))
        elif r.checked and not r.balanced:
            failures.append(CriticalFailure(
                OUTPUT_SUITE, "reconciliation", r.line(), "loaded = scored + quarantined", stream=r.stream,
                reason="rows were lost or quarantined rows were scored between raw and staging"))
    warnings = [sanity.line] if sanity.status == tier_sanity.WARNING else []
    (log.warning if warnings else log.info)("%s", sanity.line)
    stats.update(forced=bool(force and failures), reconciliation={s: r.as_dict() for s, r in recon.items()},
                 tier_sanity=sanity.as_dict(), warnings=warnings)
    with warehouse.connect(p=p) as conn:
        history.record(conn, run_id, OUTPUT_SUITE, not failures, [f.as_dict() for f in failures], stats)
    report = ValidationReport(
        run_id=run_id, stage="outputs", success=not failures,
        streams={relation: StreamCounts(stats.get("rows", 0), 0)}, critical_failures=failures, data_docs=docs,
        forced=bool(force and failures), reconciliation={s: r.as_dict() for s, r in recon.items()},
        warnings=warnings, seconds=time.monotonic() - started)
    return _finish(report, force)
