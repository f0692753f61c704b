"""End to end: the DAG runs through Airflow (dag.test) against the sandbox and the warehouse."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from decimal import Decimal

import httpx
import pytest

from leadscore import warehouse
from leadscore.airflow_runner import failed_tasks, run_daily
from leadscore.sync.mapping import resolution
from tests.e2e.conftest import served_dataset

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    with served_dataset(tmp_path_factory, "e2e-dataset", contacts=600, seed=21) as server:
        yield server


AS_OF = datetime.now(timezone.utc).replace(microsecond=0).isoformat()


@pytest.fixture(scope="module")
def first_run(sandbox):
    warehouse.bootstrap()
    return run_daily(as_of=AS_OF)


def test_daily_run_succeeds(first_run):
    state = str(getattr(first_run.state, "value", first_run.state))
    assert state == "success", failed_tasks(first_run)


def test_every_generated_lead_has_a_tier_or_a_reason(first_run, sandbox):
    """Each generated contact is scored (alone or folded into its lead), quarantined with a
    reason, archived, or merged away in the CRM: nothing disappears silently."""
    truth = [json.loads(line) for line in open(sandbox.dataset / "ground_truth.ndjson")]
    merged_away = {str(i) for t in truth for i in t.get("merged_ids") or []}
    with warehouse.connect() as conn:
        tiers = dict(conn.execute("select lead_id, tier from marts.lead_scores").fetchall())
        lead_of = dict(conn.execute("select contact_id, lead_id from intermediate.int_contacts_mapped_to_leads").fetchall())
        quarantined = {r[0] for r in conn.execute(
            "select record_id from quality.quarantined_records where stream = 'hubspot_contacts'")}
        archived = {r[0] for r in conn.execute("select id from raw.hubspot_contacts where is_deleted")}
    assert set(tiers.values()) <= {"sql", "mql", "nurture", "disqualified", "in_pipeline", "customer"}
    scored = {cid for cid, lead in lead_of.items() if lead in tiers}
    unaccounted = [t["contact_id"] for t in truth
                   if str(t["contact_id"]) not in scored | quarantined | archived | merged_away]
    assert unaccounted == []
    assert len(scored) > 0.8 * len(truth)


def test_customers_and_open_deals_of_the_generated_portal_are_not_sql(first_run):
    with warehouse.connect() as conn:
        converted, not_customer = conn.execute(
            "select count(*), count(*) filter (where s.tier <> 'customer') from marts.lead_scores s "
            "join marts.lead_outcomes o using (lead_id) where o.converted_at <= s.scored_at").fetchone()
        in_deal_as_sql = conn.execute(
            "select count(*) from marts.lead_scores s join intermediate.int_lead_deals_joined d using (lead_id) "
            "where not d.is_closed and d.created_at <= s.scored_at and s.tier in ('sql', 'mql')").fetchone()[0]
    assert converted > 0 and not_customer == 0
    assert in_deal_as_sql == 0


def test_the_crm_holds_the_synced_tiers(first_run, sandbox):
    with warehouse.connect() as conn:
        leads = conn.execute("select crm_id, tier, fit_score from marts.lead_scores where crm_id is not null "
                             "order by crm_id limit 50").fetchall()
    step = resolution()
    with httpx.Client(base_url=sandbox.url) as client:
        for crm_id, tier, fit in leads:
            props = client.get(f"/_sandbox/contacts/{crm_id}").json()["properties"]
            assert props["leadscore_tier"] == tier
            # in the band of LEADSCORE_SYNC_SCORE_STEP (default 5) the one-decimal score falls in
            assert Decimal(props["leadscore_fit_score"]) == step.band(round(Decimal(fit), 1))


def test_a_second_run_writes_nothing_to_the_crm(first_run, sandbox):
    with httpx.Client(base_url=sandbox.url) as client:
        client.delete("/_sandbox/requests")
        dag_run = run_daily(as_of=AS_OF)  # same scoring time: identical scores, nothing to send
        assert str(getattr(dag_run.state, "value", dag_run.state)) == "success", failed_tasks(dag_run)
        counts = client.get("/_sandbox/requests").json()["requests"]
    writes = [c for c in counts if c["path"].endswith("/batch/update")]
    assert sum(c["count"] for c in writes) == 0, writes


def test_a_killed_run_is_marked_failed_by_the_next_one(first_run, sandbox):
    """A `leadscore run` killed mid-run leaves its DagRun `running` in the metadata DB; the next
    run on the home marks it (and its unfinished tasks) failed before it starts."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from airflow.models.dagrun import DagRun
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session

    from leadscore.airflow_runner import DAG_ID

    def running_runs() -> list[str]:
        with create_session() as session:
            return [r.run_id for r in session.query(DagRun).filter(DagRun.dag_id == DAG_ID, DagRun.state == "running")]

    proc = subprocess.Popen([sys.executable, "-m", "leadscore", "run", "--as-of", AS_OF],
                            env={**os.environ, "LEADSCORE_SANDBOX_PORT": str(sandbox.port)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 300
    while not running_runs() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.5)
    killed = running_runs()
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert len(killed) == 1, "the killed run never showed as running"

    rerun = run_daily(as_of=AS_OF)
    assert str(getattr(rerun.state, "value", rerun.state)) == "success", failed_tasks(rerun)
    with create_session() as session:
        run = session.query(DagRun).filter(DagRun.dag_id == DAG_ID, DagRun.run_id == killed[0]).one()
        unfinished = session.query(TaskInstance).filter(
            TaskInstance.dag_id == DAG_ID, TaskInstance.run_id == killed[0],
            TaskInstance.state.in_(["running", "queued", "scheduled", "up_for_retry"])).count()
    assert str(getattr(run.state, "value", run.state)) == "failed" and unfinished == 0
