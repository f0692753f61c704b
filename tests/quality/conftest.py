"""One embedded warehouse per test session under a temporary LEADSCORE_HOME."""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Iterable

import pytest
from psycopg import sql

from leadscore import settings, warehouse
from leadscore.quality import typed
from leadscore.quality.reconcile import STAGING
from leadscore.sources import raw_store
from leadscore.sources.raw_store import RawRecord

settings.disable_telemetry()


@pytest.fixture(scope="session")
def wh():
    # Not tmp_path_factory: its 0700 root-owned parents are unreadable to the unprivileged user
    # pgserver runs postgres as when the tests run as root.
    home = Path(tempfile.mkdtemp(prefix="ls-quality-"))
    home.chmod(0o755)
    mp = pytest.MonkeyPatch()
    mp.setenv("LEADSCORE_HOME", str(home))
    mp.delenv("LEADSCORE_WAREHOUSE_URL", raising=False)
    mp.setenv("GX_ANALYTICS_ENABLED", "False")
    p = warehouse.bootstrap(warehouse.params())
    yield p
    warehouse.stop()
    mp.undo()
    shutil.rmtree(home, ignore_errors=True)


def reset(conn) -> None:
    """Empty raw streams, quality history, the output fixture and backtests, keeping the server running."""
    for stream in typed.STREAMS:
        raw_store.truncate(conn, stream)
    conn.execute("truncate quality.quarantine, quality.quarantined_records, quality.validation_runs")
    conn.execute("drop schema if exists staging cascade; create schema staging")
    conn.execute("drop table if exists marts.lead_scores, marts.score_backtests")


def load(conn, data: dict[str, Iterable[RawRecord]], run_id: str = "load") -> None:
    for stream, records in data.items():
        raw_store.ensure_table(conn, stream)
        raw_store.merge(conn, stream, list(records), run_id)


LEAD_SCORES_DDL = """
create table marts.lead_scores (
    lead_id text, crm_id text, email text, fit_score numeric, engagement_score numeric,
    total_score numeric, tier text, grade text,
    conversion_probability double precision, predicted_score double precision)  -- null: no model stored
"""


def stage(conn) -> None:
    """Staging views as dbt's models pass rows on (id under the model's key column, quarantined
    rows left out), so the output gate's reconciliation has every stream to compare."""
    for stream, (relation, column) in STAGING.items():
        raw_store.ensure_table(conn, stream)
        schema, _, name = relation.partition(".")
        conn.execute(sql.SQL(
            "create or replace view {rel} as select r.id as {col} from {raw} r where r.id not in "
            "(select q.record_id from quality.quarantined_records q where q.stream = {stream})").format(
            rel=sql.Identifier(schema, name), col=sql.Identifier(column), raw=raw_store.table_name(stream),
            stream=sql.Literal(stream)))


def write_scores(conn, rows: list[tuple]) -> None:
    """(lead_id, fit, engagement, total, tier) rows into a fresh marts.lead_scores fixture table,
    with the staging views dbt would have built next to it."""
    stage(conn)
    conn.execute("drop table if exists marts.lead_scores")
    conn.execute(LEAD_SCORES_DDL)
    with conn.cursor().copy("copy marts.lead_scores (lead_id, crm_id, email, fit_score, engagement_score, "
                            "total_score, tier, grade) from stdin") as copy:
        for lead_id, fit, eng, total, tier in rows:
            copy.write_row((lead_id, lead_id, f"lead{lead_id}@example.com", fit, eng, total, tier, "A"))


def scores(n: int = 200, tiers: tuple[str, ...] = ("sql", "mql", "nurture", "nurture", "disqualified")) -> list[tuple]:
    return [(str(i), 50, 40, 45, tiers[i % len(tiers)]) for i in range(1, n + 1)]


def quarantined(conn, stream: str | None = None) -> dict[tuple[str, str], tuple[str, str | None]]:
    """{(stream, record_id): (expectation, raw_value)} of the latest run's quarantine rows."""
    rows = conn.execute(
        "select stream, record_id, expectation, raw_value from quality.quarantine "
        "where (%(s)s::text is null or stream = %(s)s)", {"s": stream}).fetchall()
    out: dict = {}
    for s, rid, exp, raw in rows:
        out.setdefault((s, rid), []).append((exp, raw))
    return out


def count(conn, relation: sql.Composable) -> int:
    return conn.execute(sql.SQL("select count(*) from {}").format(relation)).fetchone()[0]
