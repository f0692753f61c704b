"""What was sent to the CRM, per lead and per run: the diff's memory and the audit trail.

`crm_sync_state` holds the fingerprint and values of each lead's last *successful* send plus
the outcome of its last attempt, so a failed lead is retried even when unchanged. It is
updated in the same transaction as the batch's log rows, right after each batch, so a run
killed mid-way resumes without re-sending what already succeeded.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Iterable

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from leadscore.errors import ConfigError, LeadscoreError
from leadscore.sync.mapping import SOURCE_COLUMNS, STEP_01, Resolution, sent_fingerprint

DDL = """
create schema if not exists sync;
create table if not exists sync.crm_sync_state (
    lead_id text primary key,
    crm_id text,
    fingerprint text,
    last_status text not null,
    last_error text,
    last_attempt_at timestamptz not null,
    last_success_at timestamptz,
    sent_values jsonb
);
create table if not exists sync.crm_sync_log (
    run_id text not null,
    lead_id text not null,
    crm_id text,
    operation text not null,
    status text not null,
    error_message text,
    http_status integer,
    logged_at timestamptz not null default now()
);
-- the score step (LEADSCORE_SYNC_SCORE_STEP) the fingerprint was taken at; null: before the
-- setting existed, i.e. 0.1
alter table sync.crm_sync_state add column if not exists score_step text;
create index if not exists crm_sync_log_run_idx on sync.crm_sync_log (run_id);
create table if not exists sync.crm_sync_runs (
    id bigserial primary key,
    run_id text not null,
    started_at timestamptz not null,
    finished_at timestamptz,
    status text not null,
    dry_run boolean not null,
    forced boolean not null,
    source_relation text not null,
    sent integer not null default 0,
    unchanged integer not null default 0,
    failed integer not null default 0,
    skipped integer not null default 0,
    write_calls integer not null default 0,
    tier_changes integer not null default 0,
    lifecycle_advances integer not null default 0,
    message text,
    summary jsonb
);
"""


@dataclass(frozen=True)
class LeadState:
    crm_id: str | None
    fingerprint: str | None
    last_status: str
    sent_tier: str | None
    sent_stage: str | None


@dataclass(frozen=True)
class Outcome:
    """The result of one lead in one run, as logged and as kept in the state."""

    lead_id: str
    crm_id: str | None
    operation: str          # update | skip
    status: str             # success | failed | skipped | dry_run
    error: str | None = None
    http_status: int | None = None
    fingerprint: str | None = None
    values: dict | None = None
    score_step: str | None = None   # the resolution the fingerprint was taken at


def ensure_tables(conn: psycopg.Connection) -> None:
    conn.execute(DDL)


def relation(name: str) -> sql.Composable:
    """`schema.table` as quoted identifiers (the source relation is a parameter)."""
    parts = name.split(".")
    if not 1 <= len(parts) <= 2 or not all(parts):
        raise ConfigError(f"source relation {name!r} is not schema.table", "pass e.g. marts.lead_scores")
    return sql.Identifier(*parts)


def load_source(conn: psycopg.Connection, source_relation: str) -> list[dict[str, Any]]:
    if conn.execute("select to_regclass(%s)", (source_relation,)).fetchone()[0] is None:
        raise ConfigError(f"{source_relation} does not exist",
                          "run the dbt models first (leadscore run) or pass another source_relation")
    query = sql.SQL("select {} from {} order by lead_id").format(
        sql.SQL(", ").join(sql.Identifier(c) for c in SOURCE_COLUMNS), relation(source_relation))
    cur = conn.execute(query)
    names = [c.name for c in cur.description]
    return [dict(zip(names, row)) for row in cur]


def load_state(conn: psycopg.Connection, res: Resolution = STEP_01, *, persist: bool = True) -> dict[str, LeadState]:
    """Each lead's state, its fingerprint at resolution `res` (see `restep`)."""
    refreshed = restep(conn, res, persist=persist)
    rows = conn.execute("""
        select lead_id, crm_id, fingerprint, last_status, sent_values ->> 'leadscore_tier',
               sent_values ->> 'lifecyclestage'
        from sync.crm_sync_state""").fetchall()
    return {r[0]: LeadState(crm_id=r[1], fingerprint=refreshed.get(r[0], r[2]), last_status=r[3], sent_tier=r[4],
                            sent_stage=r[5]) for r in rows}


def restep(conn: psycopg.Connection, res: Resolution, *, persist: bool) -> dict[str, str]:
    """Fingerprints taken at another score step, re-derived at `res` from the values last sent.

    Changing LEADSCORE_SYNC_SCORE_STEP then re-sends only the leads whose values at the new
    step differ from what the CRM holds at the new step, not every lead once. Done once per
    change (`persist`: stored with the new step; a dry run only computes them).
    """
    rows = conn.execute("""
        select lead_id, crm_id, sent_values from sync.crm_sync_state
        where sent_values is not null and coalesce(score_step, %s) <> %s""", (STEP_01.label, res.label)).fetchall()
    refreshed = {lead_id: sent_fingerprint(crm_id, values, res) for lead_id, crm_id, values in rows}
    if persist and refreshed:
        conn.execute("create temp table _restep (lead_id text, fingerprint text) on commit drop")
        with conn.cursor().copy("copy _restep (lead_id, fingerprint) from stdin") as copy:
            for row in refreshed.items():
                copy.write_row(row)
        conn.execute("""
            update sync.crm_sync_state s set fingerprint = r.fingerprint, score_step = %s
            from _restep r where r.lead_id = s.lead_id""", (res.label,))
    return refreshed


def forget_sent(conn: psycopg.Connection) -> None:
    """Forget what was sent: for a CRM that was reset (the demo's sandbox starts from its dataset
    every time), so the next sync writes every lead again. The log and run history stay."""
    ensure_tables(conn)
    conn.execute("truncate sync.crm_sync_state")


def has_synced_before(conn: psycopg.Connection) -> bool:
    return conn.execute("select exists (select 1 from sync.crm_sync_state where last_success_at is not null)").fetchone()[0]


def record(conn: psycopg.Connection, run_id: str, outcomes: Iterable[Outcome], *, keep_state: bool = True) -> None:
    """Log the outcomes and, unless a dry run, fold them into the state. Caller commits."""
    outcomes = list(outcomes)
    now = dt.datetime.now(dt.timezone.utc)
    with conn.cursor() as cur:
        cur.executemany("""
            insert into sync.crm_sync_log (run_id, lead_id, crm_id, operation, status, error_message,
                                           http_status, logged_at)
            values (%s, %s, %s, %s, %s, %s, %s, %s)""",
            [(run_id, o.lead_id, o.crm_id, o.operation, o.status, o.error, o.http_status, now) for o in outcomes])
        if not keep_state:
            return
        sent = [o for o in outcomes if o.operation == "update" and o.status in ("success", "failed")]
        cur.executemany("""
            insert into sync.crm_sync_state as s (lead_id, crm_id, fingerprint, last_status, last_error,
                                                  last_attempt_at, last_success_at, sent_values, score_step)
            values (%(lead_id)s, %(crm_id)s, %(fingerprint)s, %(status)s, %(error)s, %(now)s,
                    %(success_at)s, %(values)s, %(step)s)
            on conflict (lead_id) do update set
                last_status = excluded.last_status,
                last_error = excluded.last_error,
                last_attempt_at = excluded.last_attempt_at,
                crm_id = case when excluded.last_status = 'success' then excluded.crm_id else s.crm_id end,
                fingerprint = case when excluded.last_status = 'success' then excluded.fingerprint else s.fingerprint end,
                sent_values = case when excluded.last_status = 'success' then excluded.sent_values else s.sent_values end,
                score_step = case when excluded.last_status = 'success' then excluded.score_step else s.score_step end,
                last_success_at = coalesce(excluded.last_success_at, s.last_success_at)""",
            [{"lead_id": o.lead_id, "crm_id": o.crm_id if o.status == "success" else None,
              "fingerprint": o.fingerprint if o.status == "success" else None, "status": o.status,
              "error": o.error, "now": now, "success_at": now if o.status == "success" else None,
              "values": Jsonb(o.values) if o.status == "success" else None,
              "step": o.score_step if o.status == "success" else None} for o in sent])


LOCK_KEY = 0x6C7363726D  # "lscrm": one reverse sync at a time per warehouse


def lock(conn: psycopg.Connection) -> None:
    """Hold the sync's session advisory lock, then close out runs that were killed mid-way.

    Two syncs at once (an Airflow retry racing a zombie attempt) would both send the same
    leads; a run whose process died leaves a 'running' row that only the next run can fix.
    """
    if not conn.execute("select pg_try_advisory_lock(%s)", (LOCK_KEY,)).fetchone()[0]:
        raise LeadscoreError("another reverse sync is running on this warehouse",
                             "wait for it to finish (see sync.crm_sync_runs), then rerun")
    conn.execute("""
        update sync.crm_sync_runs set status = 'interrupted', finished_at = now(),
               message = 'the process stopped before finishing; the next run resumed it'
        where status = 'running'""")


def start_run(conn: psycopg.Connection, run_id: str, *, dry_run: bool, forced: bool, source_relation: str) -> int:
    row = conn.execute("""
        insert into sync.crm_sync_runs (run_id, started_at, status, dry_run, forced, source_relation)
        values (%s, now(), 'running', %s, %s, %s) returning id""", (run_id, dry_run, forced, source_relation)).fetchone()
    return row[0]


def record_progress(conn: psycopg.Connection, run_pk: int, sent: int, failed: int, write_calls: int) -> None:
    """The run's counts so far, in the transaction of the batch they include: a killed run reads true."""
    conn.execute("update sync.crm_sync_runs set sent = %s, failed = %s, write_calls = %s where id = %s",
                 (sent, failed, write_calls, run_pk))


def finish_run(conn: psycopg.Connection, run_pk: int, status: str, summary: dict[str, Any], message: str | None) -> None:
    conn.execute("""
        update sync.crm_sync_runs set finished_at = now(), status = %s, sent = %s, unchanged = %s, failed = %s,
               skipped = %s, write_calls = %s, tier_changes = %s, lifecycle_advances = %s, message = %s,
               summary = %s
        where id = %s""",
        (status, summary["sent"], summary["unchanged"], summary["failed"], summary["skipped"],
         summary["write_calls"], summary["tier_changes"], summary["lifecycle_advances"], message,
         Jsonb(summary), run_pk))
