"""`reverse_sync`: warehouse tiers → HubSpot contacts, one committed batch at a time.

Order of a run: plan the diff, apply the blast-radius guard, make sure the properties exist,
then send batches of 100 and commit state + log + the run row's counts after each — a run
killed mid-way loses at most the batch in flight, its run row reads what it really wrote, and
a rerun sends only what has not succeeded yet.
"""
from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Callable

from leadscore import warehouse
from leadscore.errors import LeadscoreError, SourceError, SyncBlockedError
from leadscore.sources.connect import SourceSession, open_source
from leadscore.sources.http import ApiError
from leadscore.sync import plan as planning
from leadscore.sync import state
from leadscore.sync.hubspot_writer import MAX_BATCH, HubSpotWriter, RowResult
from leadscore.sync.mapping import MappedLead, Resolution, resolution
from leadscore.sync.state import Outcome

log = logging.getLogger(__name__)

SAMPLE_PAYLOADS = 5
MAX_CONSECUTIVE_BATCH_FAILURES = 3  # the API is down, not one batch unlucky: stop the run
RETRY_ROUNDS = 2                    # in-run passes over rows that failed transiently


@dataclass
class SyncSummary:
    run_id: str
    sent: int = 0                 # written (in a dry run: would be written)
    unchanged: int = 0
    failed: int = 0
    skipped: int = 0
    write_calls: int = 0
    dry_run: bool = False
    forced: bool = False
    tier_changes: int = 0
    lifecycle_advances: int = 0
    seconds: float = 0.0
    score_step: str = ""          # LEADSCORE_SYNC_SCORE_STEP of the run (a step, or `changes`)
    blocked: str | None = None    # a dry run reports what a real run would have been blocked by
    properties: list[str] = field(default_factory=list)
    samples: list[dict[str, Any]] = field(default_factory=list)

    def line(self) -> str:
        verb = "dry run, would send" if self.dry_run else "sent"
        text = (f"{verb} {self.sent}, unchanged {self.unchanged}, failed {self.failed}, skipped {self.skipped}, "
                f"write calls {self.write_calls}, tier changes {self.tier_changes}, "
                f"lifecycle advances {self.lifecycle_advances}, score step {self.score_step} ({self.seconds:.1f}s)")
        return text + (f"; {self.blocked}" if self.blocked else "")


def _outcomes(leads: list[MappedLead], results: dict[str, RowResult],
              payloads: dict[str, dict[str, str]]) -> list[Outcome]:
    return [Outcome(lead.lead_id, lead.crm_id, "update", "success" if results[lead.crm_id].ok else "failed",
                    results[lead.crm_id].error, results[lead.crm_id].http_status, lead.fingerprint,
                    payloads[lead.crm_id], lead.resolution.label) for lead in leads]


class _BatchSender:
    """Sends batches and commits each one's state + log + run counts; stops when the API is plainly down."""

    def __init__(self, conn, writer: HubSpotWriter, summary: SyncSummary, run_pk: int, write_calls: Callable[[], int]):
        self.conn, self.writer, self.run_id = conn, writer, summary.run_id
        self.summary, self.run_pk, self.write_calls = summary, run_pk, write_calls
        self.consecutive_failures = 0
        self.final: dict[str, str] = {}   # lead_id → status after its last attempt in this run
        self.first_error: str | None = None

    def payloads(self, batch: list[MappedLead]) -> dict[str, dict[str, str]]:
        """Each lead's payload; a stage write is re-checked against the CRM's current stage."""
        advancing = [lead.crm_id for lead in batch if lead.stage_write]
        current = self.writer.lifecycle_stages(advancing)
        return {lead.crm_id: lead.payload_for(current[lead.crm_id]) if lead.crm_id in current else lead.payload
                for lead in batch}

    def send(self, batch: list[MappedLead]) -> list[MappedLead]:
        """Write one batch; returns the leads worth retrying in this run (transient row errors)."""
        payloads = {lead.crm_id: lead.payload for lead in batch}
        try:
            payloads = self.payloads(batch)
            results = self.writer.update([(lead.crm_id, payloads[lead.crm_id]) for lead in batch])
            self.consecutive_failures = 0
        except ApiError:
            raise  # a non-retryable 4xx on the endpoint itself: no other batch would fare better
        except SourceError as exc:  # the client's retries are exhausted
            self.consecutive_failures += 1
            results = {lead.crm_id: RowResult(False, None, exc.problem[:1000], retryable=True) for lead in batch}
            if self.consecutive_failures >= MAX_CONSECUTIVE_BATCH_FAILURES:
                self._record(batch, results, payloads)
                raise SourceError(f"HubSpot failed {self.consecutive_failures} batches in a row ({exc.problem})",
                                  "the API looks down; rerun later — leads already written will not be re-sent")
        self._record(batch, results, payloads)
        return [lead for lead in batch if not results[lead.crm_id].ok and results[lead.crm_id].retryable]

    def _record(self, batch: list[MappedLead], results: dict[str, RowResult],
                payloads: dict[str, dict[str, str]]) -> None:
        outcomes = _outcomes(batch, results, payloads)
        state.record(self.conn, self.run_id, outcomes)
        self.final.update((o.lead_id, o.status) for o in outcomes)
        self.first_error = self.first_error or next((o.error for o in outcomes if o.status == "failed" and o.error), None)
        self.summary.sent = sum(s == "success" for s in self.final.values())
        self.summary.failed = sum(s == "failed" for s in self.final.values())
        self.summary.write_calls = self.write_calls()
        state.record_progress(self.conn, self.run_pk, self.summary.sent, self.summary.failed, self.summary.write_calls)
        self.conn.commit()  # the batch's state, log and the run's counts: all or nothing


def _send(sender: _BatchSender, leads: list[MappedLead]) -> None:
    """Send in batches of 100, then retry transient row failures in up to RETRY_ROUNDS more passes."""
    pending = leads
    for _ in range(1 + RETRY_ROUNDS):
        retry: list[MappedLead] = []
        for start in range(0, len(pending), MAX_BATCH):
            retry += sender.send(pending[start:start + MAX_BATCH])
        if not retry:
            break
        log.info("retrying %d leads with transient errors", len(retry))
        pending = retry


def _dry_run(conn, writer: HubSpotWriter, run_id: str, plan: planning.Plan, summary: SyncSummary) -> None:
    """Log what would be sent; reads the CRM's property list but writes nothing anywhere else."""
    try:
        summary.properties = writer.property_plan().describe() if plan.to_send else []
    except LeadscoreError as exc:
        summary.properties = [f"could not read HubSpot properties: {exc.problem}"]
    state.record(conn, run_id, [Outcome(lead.lead_id, lead.crm_id, "update", "dry_run", fingerprint=lead.fingerprint,
                                        values=lead.payload) for lead in plan.to_send], keep_state=False)
    summary.sent = len(plan.to_send)
    summary.samples = [{"id": lead.crm_id, "lead_id": lead.lead_id, "properties": lead.payload}
                       for lead in plan.to_send[:SAMPLE_PAYLOADS]]


def _run(conn, writer: HubSpotWriter, summary: SyncSummary, source_relation: str, max_share: float,
         min_success: float, sender: _BatchSender, res: Resolution) -> str:
    """Plan, guard, send (or log a dry run); returns the run's final status, or raises
    SyncFailedError when too few leads are current in the CRM after sending."""
    run_id, dry_run = summary.run_id, summary.dry_run
    first_sync = not state.has_synced_before(conn)
    plan = planning.make_plan(state.load_source(conn, source_relation),
                              state.load_state(conn, res, persist=not dry_run), res)
    summary.unchanged, summary.skipped = plan.unchanged, len(plan.skipped)
    summary.tier_changes, summary.lifecycle_advances = plan.tier_changes, plan.lifecycle_advances
    blocked = planning.blast_radius_error(plan, max_share, first_sync)
    if blocked and dry_run:
        summary.blocked = str(blocked)  # a dry run reports the guard, it has nothing to protect
    elif blocked and not summary.forced:
        raise blocked
    state.record(conn, run_id, [Outcome(s.lead_id, s.crm_id, "skip", "skipped", s.reason) for s in plan.skipped],
                 keep_state=False)
    conn.commit()
    if dry_run:
        _dry_run(conn, writer, run_id, plan, summary)
        return "dry_run"
    if plan.to_send:
        summary.properties = writer.ensure_properties()
        _send(sender, plan.to_send)
    failure = planning.success_error(summary.sent, summary.unchanged, summary.failed, min_success,
                                     sender.first_error)
    if failure:
        raise failure
    return "success" if summary.failed == 0 else "partial"


def reverse_sync(run_id: str, *, dry_run: bool = False, force: bool = False,
                 source_relation: str = "marts.lead_scores",
                 max_tier_change_share: float | None = None, min_success_share: float | None = None,
                 score_step: str | Resolution | None = None, session: SourceSession | None = None) -> SyncSummary:
    """Write each lead's tier, scores and reasons to its HubSpot contact (see the package doc).

    `session` is the HubSpot client to use (default: `open_source("hubspot")`, closed after).
    Raises SyncBlockedError when the blast-radius guard trips and `force` is not set, and
    SyncFailedError when it leaves less than `min_success_share` (LEADSCORE_SYNC_MIN_SUCCESS_SHARE,
    default 50 %) of the leads current in the CRM — e.g. HubSpot rejected every row.
    `score_step` is the CRM-facing resolution (`mapping.resolution`: LEADSCORE_SYNC_SCORE_STEP,
    default 5).
    """
    started = time.perf_counter()
    max_share = planning.threshold(max_tier_change_share)
    min_success = planning.min_success_share(min_success_share)
    res = resolution(score_step)
    summary = SyncSummary(run_id=run_id, dry_run=dry_run, forced=force, score_step=res.label)
    own_session = session is None
    session = session or open_source("hubspot")
    calls_before = session.client.stats.write_calls
    try:
        with warehouse.connect() as conn:
            state.ensure_tables(conn)
            state.lock(conn)
            run_pk = state.start_run(conn, run_id, dry_run=dry_run, forced=force, source_relation=source_relation)
            conn.commit()
            status, message = "failed", None
            writer = HubSpotWriter(session.client)
            sender = _BatchSender(conn, writer, summary, run_pk, lambda: session.client.stats.write_calls - calls_before)
            try:
                status = _run(conn, writer, summary, source_relation, max_share, min_success, sender, res)
            except BaseException as exc:
                conn.rollback()
                status = "blocked" if isinstance(exc, SyncBlockedError) else "failed"
                message = str(exc) or type(exc).__name__
                if status == "failed":
                    log.error("reverse sync %s stopped: %s", run_id, message)
                raise
            finally:
                summary.write_calls = session.client.stats.write_calls - calls_before
                summary.seconds = time.perf_counter() - started
                state.finish_run(conn, run_pk, status, asdict(summary), message)
                conn.commit()
    finally:
        if own_session:
            session.client.close()
    log.info("reverse sync %s: %s", run_id, summary.line())
    return summary
