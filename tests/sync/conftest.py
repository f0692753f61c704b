"""Fixtures for the reverse-sync tests: one warehouse and one sandbox per module, reset per test.

Leads live in `test_sync.lead_scores` (the shape of `marts.lead_scores`), built from the
sandbox's visible contacts so every crm_id exists unless a test breaks it on purpose. The
CRM's truth is read through `/_sandbox/*`, which bypasses faults, limits and auth.
"""
from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

SOURCE = "test_sync.lead_scores"
CONTACTS = 300
TIER_CYCLE = ("sql", "sql", "mql", "mql", "mql", "nurture", "nurture", "nurture", "disqualified", "disqualified")
SCORED_AT = dt.datetime(2026, 11, 23, 6, 0, tzinfo=dt.timezone.utc)

LEAD_SCORES_DDL = """
create schema if not exists test_sync;
drop table if exists test_sync.lead_scores;
create table test_sync.lead_scores (
    lead_id text primary key, crm_id text, email text, company_name text,
    fit_score numeric, engagement_score numeric, total_score numeric, fit_grade text, engagement_level integer,
    grade text, bant_met integer, bant_qualified boolean, champ_met integer, anum_met integer, faint_met integer,
    gpct_met integer, meddic_met integer, tier text, tier_reasons text, scored_at timestamptz,
    rules_version text, lifecyclestage text,
    conversion_probability double precision, predicted_score double precision  -- null: no model stored
);
"""
INSERT = """
insert into test_sync.lead_scores (lead_id, crm_id, email, company_name, fit_score, engagement_score, total_score,
    fit_grade, engagement_level, grade, bant_met, bant_qualified, champ_met, anum_met, faint_met, gpct_met,
    meddic_met, tier, tier_reasons, scored_at, rules_version, lifecyclestage)
values (%(lead_id)s, %(crm_id)s, %(email)s, %(company_name)s, %(fit_score)s, %(engagement_score)s, %(total_score)s,
    %(fit_grade)s, %(engagement_level)s, %(grade)s, %(bant_met)s, %(bant_qualified)s, 0, 0, 0, 0, 0,
    %(tier)s, %(tier_reasons)s, %(scored_at)s, 'v1', %(lifecyclestage)s)
"""


@pytest.fixture(scope="module")
def warehouse_db() -> Iterator[None]:
    """A private embedded Postgres for these tests (stopped after them, env restored).

    A plain temp dir, not pytest's: pgserver runs postgres as another user when we are root,
    and that user cannot enter pytest's private /tmp/pytest-of-root.
    """
    mp = pytest.MonkeyPatch()
    home = tempfile.mkdtemp(prefix="leadscore-sync-test-")
    os.chmod(home, 0o755)
    mp.setenv("LEADSCORE_HOME", home)
    mp.delenv("LEADSCORE_WAREHOUSE_URL", raising=False)
    from leadscore import warehouse

    warehouse.bootstrap()
    try:
        yield
    finally:
        warehouse.stop()
        mp.undo()
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="module")
def sandbox_server(tmp_path_factory):
    from leadscore.sandbox.server import SandboxServer
    from leadscore.synthetic.generator import generate

    dataset = tmp_path_factory.mktemp("sync-dataset")
    generate(CONTACTS, 11, Path(dataset))
    with SandboxServer(dataset, timeout_seconds=1.0) as server:
        yield server


class Crm:
    """The sandbox seen from a test: its truth, its request counters, its fault switches."""

    def __init__(self, url: str):
        self.url = url
        self.http = httpx.Client(base_url=url, timeout=30)

    def reset(self) -> None:
        self.configure(faults={}, lifecycle_forward_only=True,
                       rate_limits={"ten_secondly": None, "daily": None, "search_per_second": None})
        self.http.post("/_sandbox/reset").raise_for_status()
        self.clear_requests()

    def configure(self, **body: Any) -> None:
        self.http.post("/_sandbox/config", json=body).raise_for_status()

    def clear_requests(self) -> None:
        self.http.delete("/_sandbox/requests").raise_for_status()

    def write_requests(self) -> int:
        """POST/PATCH requests the sandbox answered, whatever the status (search/batch-read excluded)."""
        rows = self.http.get("/_sandbox/requests").json()["requests"]
        return sum(r["count"] for r in rows if r["method"] in ("POST", "PATCH", "PUT", "DELETE")
                   and not r["path"].endswith(("/search", "/batch/read")))

    def batch_updates(self) -> int:
        rows = self.http.get("/_sandbox/requests").json()["requests"]
        return sum(r["count"] for r in rows if r["path"].endswith("/batch/update"))

    def contact(self, crm_id: str) -> dict[str, str]:
        response = self.http.get(f"/_sandbox/contacts/{crm_id}")
        response.raise_for_status()
        return response.json()["properties"]

    def set_stage(self, crm_id: str, stage: str) -> None:
        """Move a contact like a sales rep would (clear first so any direction works)."""
        headers = {"Authorization": "Bearer sandbox-hubspot-token"}
        for value in ("", stage):
            self.http.patch(f"/crm/v3/objects/contacts/{crm_id}", json={"properties": {"lifecyclestage": value}},
                            headers=headers).raise_for_status()

    def visible_contacts(self) -> list[dict]:
        headers = {"Authorization": "Bearer sandbox-hubspot-token"}
        out, after = [], None
        while True:
            params = {"limit": 100, "properties": "lifecyclestage,email,company,hs_lead_status"}
            if after:
                params["after"] = after
            body = self.http.get("/crm/v3/objects/contacts", params=params, headers=headers).json()
            out += body["results"]
            after = (body.get("paging") or {}).get("next", {}).get("after")
            if not after:
                return out


class Leads:
    """`test_sync.lead_scores`, plus the edits a scoring change would make."""

    source = SOURCE

    def __init__(self, contacts: list[dict]):
        self.contacts = contacts

    def rows(self) -> list[dict]:
        rows = []
        for i, c in enumerate(self.contacts):
            fit = Decimal(30 + (i * 7) % 70)
            eng = Decimal(10 + (i * 13) % 90) / 2
            tier = TIER_CYCLE[i % len(TIER_CYCLE)]
            rows.append({"lead_id": f"lead-{c['id']}", "crm_id": c["id"], "email": c["properties"].get("email"),
                         "company_name": c["properties"].get("company"), "fit_score": fit, "engagement_score": eng,
                         "total_score": fit + eng, "fit_grade": "ABCD"[i % 4], "engagement_level": 1 + i % 4,
                         "grade": f"{'ABCD'[i % 4]}{1 + i % 4}", "bant_met": i % 5, "bant_qualified": i % 5 >= 3,
                         "tier": tier, "tier_reasons": f"fit {fit}, engagement {eng} → {tier}",
                         "scored_at": SCORED_AT, "lifecyclestage": c["properties"].get("lifecyclestage")})
        return rows

    def load(self) -> list[dict]:
        from leadscore import warehouse

        rows = self.rows()
        with warehouse.connect() as conn:
            conn.execute(LEAD_SCORES_DDL)
            conn.cursor().executemany(INSERT, rows)
        return rows

    @staticmethod
    def update(lead_ids: list[str], **values: Any) -> None:
        """Set columns on some leads and bump scored_at for the whole table, like a daily rescore."""
        from psycopg import sql

        from leadscore import warehouse

        with warehouse.connect() as conn:
            conn.execute("update test_sync.lead_scores set scored_at = scored_at + interval '1 day'")
            if values:
                assignments = sql.SQL(", ").join(sql.SQL("{} = %s").format(sql.Identifier(k)) for k in values)
                conn.execute(sql.SQL("update test_sync.lead_scores set {} where lead_id = any(%s)").format(assignments),
                             (*values.values(), lead_ids))

    @staticmethod
    def fetch() -> list[dict]:
        from leadscore import warehouse

        with warehouse.connect() as conn:
            cur = conn.execute("select * from test_sync.lead_scores order by lead_id")
            names = [c.name for c in cur.description]
            return [dict(zip(names, r)) for r in cur]


@pytest.fixture
def crm(sandbox_server, monkeypatch) -> Iterator[Crm]:
    monkeypatch.setenv("LEADSCORE_SANDBOX_PORT", str(sandbox_server.port))
    monkeypatch.delenv("AIRFLOW_CONN_HUBSPOT", raising=False)
    # the sync's mechanics are tested at one decimal, where every value change is a change to
    # send; the score step's own tests (test_score_step.py) set it themselves
    monkeypatch.setenv("LEADSCORE_SYNC_SCORE_STEP", "0.1")
    client = Crm(sandbox_server.url)
    client.reset()
    yield client
    client.reset()
    client.http.close()


@pytest.fixture
def leads(warehouse_db, crm) -> Leads:
    """Fresh leads and empty sync tables for each test."""
    from leadscore import warehouse

    with warehouse.connect() as conn:
        conn.execute("drop table if exists sync.crm_sync_state, sync.crm_sync_log, sync.crm_sync_runs")
    contacts = crm.visible_contacts()
    assert len(contacts) > 200
    helper = Leads(contacts)
    helper.load()
    return helper


@pytest.fixture
def run_sync(leads) -> Callable[..., Any]:
    """reverse_sync on the test leads."""
    from leadscore.sync import reverse_sync

    return lambda run_id, **kw: reverse_sync(run_id, source_relation=SOURCE, **kw)


@pytest.fixture
def fast_session(crm):
    """A HubSpot client with a short timeout and compressed backoff sleeps, for fault tests."""
    import time

    from leadscore.sources.connect import open_source

    session = open_source("hubspot", timeout=0.5)
    session.client.sleep = lambda seconds: time.sleep(min(seconds, 0.05))
    yield session
    session.client.close()
