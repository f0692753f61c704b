"""The daily run's task bodies. The DAG file wires these; the CLI and tests call them too.

Each function takes plain arguments and returns a JSON-serialisable dict (it travels through
XCom), so the same code runs under the scheduler, `dag.test()` and the command line.
"""
from __future__ import annotations

import logging
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterator

from leadscore import warehouse
from leadscore.errors import SourceAuthError

log = logging.getLogger(__name__)

TIERS = ("sql", "mql", "nurture", "disqualified", "in_pipeline", "customer")


def prepare_warehouse() -> dict:
    """Start the embedded warehouse if needed and create schemas/tables; no secrets returned."""
    p = warehouse.bootstrap()
    return {"warehouse": p.safe_url}


@contextmanager
def no_retry_on_auth_error() -> Iterator[None]:
    """A rejected token or scope does not heal on retry: fail the Airflow task at once, with the
    client's one-line reason, instead of three retries that each get another 401."""
    try:
        yield
    except SourceAuthError as err:
        from airflow.sdk.exceptions import AirflowFailException

        raise AirflowFailException(str(err)) from None


def extract(stream: str, run_id: str, full_refresh: bool = False) -> dict:
    from leadscore.sources.extract import run_stream

    with no_retry_on_auth_error():
        summary = run_stream(stream, run_id, full_refresh=full_refresh)
    result = asdict(summary)
    result["started_at"] = summary.started_at.isoformat()
    return result


def validate_inputs(run_id: str, force: bool = False, as_of: str | None = None) -> dict:
    """`as_of` (ISO 8601; empty: now) is the time the future/freshness rules measure from."""
    from leadscore import quality

    report = quality.validate_inputs(run_id, force=force, as_of=as_of)
    log.info("validate_inputs: %s", report.summary_line())
    return report.as_dict() if hasattr(report, "as_dict") else {"success": report.success, "summary": report.summary_line()}


def validate_outputs(run_id: str, force: bool = False) -> dict:
    from leadscore import quality

    report = quality.validate_outputs(run_id, force=force)
    log.info("validate_outputs: %s", report.summary_line())
    return report.as_dict() if hasattr(report, "as_dict") else {"success": report.success, "summary": report.summary_line()}


def reverse_sync(run_id: str, dry_run: bool = False, force: bool = False) -> dict:
    from leadscore.sync import reverse_sync as sync

    with no_retry_on_auth_error():
        summary = sync(run_id, dry_run=dry_run, force=force)
    log.info("reverse_sync: %s", summary.line())
    return {"line": summary.line(), **{k: v for k, v in asdict(summary).items() if isinstance(v, (int, float, str, bool))}}


@dataclass
class RunSummary:
    """What `make demo` prints and the `summary` task logs."""

    run_id: str
    tiers: dict[str, int] = field(default_factory=dict)
    hottest: list[dict] = field(default_factory=list)
    validation: list[dict] = field(default_factory=list)
    extracted: list[dict] = field(default_factory=list)
    crm_updated: int | None = None
    sync_line: str | None = None
    # contacts → leads: contacts, quarantined (+ quarantined_by_rule), archived, folded, unaccounted, leads
    funnel: dict = field(default_factory=dict)
    # the other streams' current quarantine: [{stream, records, by_rule: {rule: records}}]
    quarantine: list[dict] = field(default_factory=list)

    def lines(self) -> list[str]:
        total = sum(self.tiers.values())
        out = [f"leads scored: {total} — " + ", ".join(f"{t}: {self.tiers.get(t, 0)}" for t in TIERS)]
        if self.funnel:
            f = self.funnel
            out.append(f"contacts {f['contacts']} − quarantined {f['quarantined']} − archived {f['archived']} "
                       f"− folded into another lead {f['folded']} − unaccounted {f['unaccounted']} = leads {f['leads']}")
        for v in self.validation:
            out.append(f"validation {v['suite']}: {'passed' if v['success'] else 'FAILED'}")
            out.extend(f"WARNING {w}" for w in v.get("warnings") or [])
        if self.sync_line:
            out.append(f"CRM sync: {self.sync_line}")
        return out


def _fetch(conn, query: str, params: tuple = ()) -> list[dict]:
    cur = conn.execute(query, params)
    cols = [c.name for c in cur.description]
    return [dict(zip(cols, row)) for row in cur.fetchall()]


def _exists(conn, relation: str) -> bool:
    return conn.execute("select to_regclass(%s) is not null", (relation,)).fetchone()[0]


CONTACTS = "hubspot_contacts"


def _funnel(conn) -> dict:
    """Each step counted in its own table, so that the arithmetic on screen is a check:
    raw contacts − quarantined − archived (staged, no lead) − folded (mapped, not a lead's own) = leads."""
    if not all(_exists(conn, r) for r in ("staging.stg_hubspot__contacts", "intermediate.int_contacts_mapped_to_leads")):
        return {}
    contacts, quarantined, staged, mapped, mapped_leads, leads = conn.execute("""
        select (select count(*) from raw.hubspot_contacts),
               (select count(distinct q.record_id) from quality.quarantined_records as q
                where q.stream = %s and exists (select 1 from raw.hubspot_contacts as r where r.id = q.record_id)),
               (select count(*) from staging.stg_hubspot__contacts),
               (select count(*) from intermediate.int_contacts_mapped_to_leads),
               (select count(distinct lead_id) from intermediate.int_contacts_mapped_to_leads),
               (select count(*) from marts.lead_scores)""", (CONTACTS,)).fetchone()
    archived, folded = staged - mapped, mapped - mapped_leads
    by_rule = _fetch(conn, """
        select expectation as rule, min(reason) as reason, count(distinct record_id) as records
        from quality.quarantined_records where stream = %s group by expectation order by records desc, rule""",
                     (CONTACTS,))
    return {"contacts": contacts, "quarantined": quarantined, "quarantined_by_rule": by_rule, "archived": archived,
            "folded": folded, "unaccounted": contacts - quarantined - archived - folded - leads, "leads": leads}


def _quarantine(conn) -> list[dict]:
    """Per stream its quarantined records (distinct: a record may fail several rules) and per rule."""
    out: dict[str, dict] = {}
    for stream, rule, records in conn.execute("""
            select stream, expectation, count(distinct record_id) from quality.quarantined_records
            where stream <> %s group by grouping sets ((stream), (stream, expectation))
            order by stream, expectation nulls first, 3 desc""", (CONTACTS,)).fetchall():
        entry = out.setdefault(stream, {"stream": stream, "records": records, "by_rule": {}})
        if rule is not None:
            entry["by_rule"][rule] = records
    return list(out.values())


def build_summary(run_id: str, top: int = 10) -> RunSummary:
    """Read the run's outcome back from the warehouse (not from task return values)."""
    summary = RunSummary(run_id=run_id)
    with warehouse.connect() as conn:
        if _exists(conn, "marts.lead_scores"):
            summary.tiers = {r["tier"]: r["n"] for r in _fetch(
                conn, "select tier, count(*) as n from marts.lead_scores group by tier")}
            summary.hottest = _fetch(conn, """
                select priority_rank, email, company_name, tier, grade, fit_score, engagement_score, total_score,
                       tier_reasons
                from marts.lead_scores order by priority_rank limit %s""", (top,))
            summary.funnel = _funnel(conn)
        summary.quarantine = _quarantine(conn)
        summary.validation = _fetch(conn, """
            select suite, success, critical_failures, coalesce(statistics->'warnings', '[]') as warnings
            from quality.validation_runs where run_id = %s order by suite""", (run_id,))
        summary.extracted = _fetch(conn, """
            select stream, records, inserted, updated, pages, retries, rate_limited, seconds, status
            from raw._extraction_runs where run_id = %s order by stream""", (run_id,))
        if _exists(conn, "sync.crm_sync_runs"):
            row = conn.execute("""
                select sent, unchanged, failed, skipped, write_calls, dry_run from sync.crm_sync_runs
                where run_id = %s order by started_at desc limit 1""", (run_id,)).fetchone()
            if row:
                sent, unchanged, failed, skipped, calls, dry = row
                summary.crm_updated = 0 if dry else sent
                summary.sync_line = (f"{'would send' if dry else 'sent'} {sent}, unchanged {unchanged}, "
                                     f"failed {failed}, skipped {skipped} in {calls} write calls")
    return summary


def summary(run_id: str) -> dict:
    result = build_summary(run_id)
    for line in result.lines():
        log.info(line)
    data = asdict(result)
    for row in data["hottest"]:
        for key, value in row.items():
            if not isinstance(value, (str, int, float, type(None))):
                row[key] = float(value)
    for row in data["extracted"]:
        row["seconds"] = float(row["seconds"] or 0)
    for row in data["validation"]:
        row["critical_failures"] = row["critical_failures"] if isinstance(row["critical_failures"], list) else []
    return data


def skip_unless_scored(what: str) -> None:
    """The weekly DAGs' first step: on a fresh home (the weekly run before any daily run) there
    is nothing to work on yet, which is a skip, not a failure."""
    from leadscore.backtest.engine import is_scored_warehouse

    if not is_scored_warehouse():
        from airflow.sdk.exceptions import AirflowSkipException

        raise AirflowSkipException(f"the warehouse has not been scored yet: nothing to {what} before a daily run")


def backtest(as_of: str = "", horizon_days: int = 90, every_days: int = 0, start: str = "", end: str = "",
             rules_file: str = "") -> dict:
    """The `lead_scoring_backtest` DAG's task: a backtest with the page, its paragraph logged."""
    from leadscore.backtest.report import paragraph
    from leadscore.backtest.runner import Request, run
    from leadscore.timestamps import parse_utc

    skip_unless_scored("backtest")

    out = run(Request(as_of=parse_utc(as_of, "as_of"), horizon_days=horizon_days, every_days=every_days or None,
                      start=parse_utc(start, "from"), end=parse_utc(end, "to"),
                      rules_file=Path(rules_file) if rules_file else None, html=True))
    line = paragraph(out.current, out.newest)
    log.info("backtest %s: %s", out.current.backtest_id, line)
    return {"backtest_id": out.current.backtest_id, "dates": [d.as_of.isoformat() for d in out.current.dates],
            "paragraph": line, "page": str(out.page), "changed_today": out.changes.changed if out.changes else None}


def train_conversion_model(horizon_days: int = 90, every_days: int = 30, history_days: int = 450) -> dict:
    """The `lead_scoring_training` DAG's task: train, store, rescore the marts. Too few
    conversions is not a failure: the task skips with the one line saying how many were found."""
    from airflow.sdk.exceptions import AirflowSkipException

    from leadscore.model.train import TooFewConversions, rescore_marts, summary, train

    skip_unless_scored("train on")
    try:
        t = train(horizon_days, every_days, history_days)
    except TooFewConversions as exc:
        raise AirflowSkipException(str(exc)) from None
    rescore_marts()
    line = summary(t)
    log.info("%s", line)
    return {"model_version": t.version, "summary": line, "validation_auc": t.meta["validation_auc"],
            "rules_auc": t.meta["rules_auc"]}
