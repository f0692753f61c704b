"""The real path: scheduler, dag-processor and api-server as subprocesses, LocalExecutor, one process per task.

`dag.test()` runs every task in one process, which hid a task that relied on a GX context an
earlier task had left in memory. Here each task parses the DAG file and runs in its own process,
the run is triggered through the REST API as a user's trigger is, and the sandbox CRM must
receive the writes.
"""
from __future__ import annotations

import time
from datetime import datetime, timezone

import httpx
import pytest

from leadscore import warehouse
from leadscore.airflow_local import LocalAirflow
from leadscore.airflow_runner import DAG_ID
from tests.e2e.conftest import served_dataset

pytestmark = pytest.mark.e2e

AS_OF = datetime.now(timezone.utc).replace(microsecond=0).isoformat()


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """A home of its own (warehouse and Airflow metadata): the dag.test() modules' data in the
    session's warehouse would be another dataset's volume swing for this one."""
    path = tmp_path_factory.mktemp("scheduler-home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LEADSCORE_HOME", str(path))
        mp.setenv("AIRFLOW_HOME", str(path / "airflow"))
        try:
            yield path
        finally:
            warehouse.stop()


@pytest.fixture(scope="module")
def sandbox(home, tmp_path_factory):
    with served_dataset(tmp_path_factory, "scheduler-dataset", contacts=600, seed=33) as server:
        yield server


@pytest.fixture(scope="module")
def airflow(sandbox):
    warehouse.bootstrap()
    # triggered runs only: an unpaused @daily DAG would also start today's scheduled run
    with LocalAirflow(env_overrides={"LEADSCORE_SCHEDULE": "none", "LEADSCORE_BACKTEST_SCHEDULE": "none"}) as services:
        api = services.api()
        api.wait_for_dag(DAG_ID)
        yield services, api


def _writes(sandbox) -> int:
    counts = httpx.get(f"{sandbox.url}/_sandbox/requests").json()["requests"]
    return sum(c["count"] for c in counts if c["path"].endswith("/batch/update"))


def _run(api, conf: dict) -> tuple[dict, list[dict], float]:
    started = time.monotonic()
    run_id = api.trigger(DAG_ID, conf)
    run = api.wait(DAG_ID, run_id, timeout=1500)
    return run, api.task_instances(DAG_ID, run_id), time.monotonic() - started


@pytest.fixture(scope="module")
def first_run(airflow, sandbox):
    _, api = airflow
    httpx.delete(f"{sandbox.url}/_sandbox/requests")
    return _run(api, {"as_of": AS_OF})


def test_a_triggered_run_succeeds_task_by_task(first_run):
    run, tasks, seconds = first_run
    states = {t["task_id"]: t["state"] for t in tasks}
    assert run["state"] == "success", {k: v for k, v in states.items() if v != "success"}
    assert len(states) > 20 and set(states.values()) == {"success"}
    assert {"validate_outputs", "reverse_sync", "summary"} <= set(states)


def test_every_task_ran_in_its_own_process(first_run):
    _, tasks, _ = first_run
    pids = {t["pid"] for t in tasks}
    assert None not in pids and len(pids) == len(tasks)


def test_the_sandbox_crm_received_the_writes(first_run, sandbox):
    assert _writes(sandbox) > 0
    with warehouse.connect() as conn:
        crm_id, tier = conn.execute("select crm_id, tier from marts.lead_scores where crm_id is not null "
                                    "order by priority_rank limit 1").fetchone()
    props = httpx.get(f"{sandbox.url}/_sandbox/contacts/{crm_id}").json()["properties"]
    assert props["leadscore_tier"] == tier


def test_a_second_triggered_run_writes_nothing(first_run, airflow, sandbox):
    _, api = airflow
    httpx.delete(f"{sandbox.url}/_sandbox/requests")
    run, tasks, _ = _run(api, {"as_of": AS_OF})
    assert run["state"] == "success", [t["task_id"] for t in tasks if t["state"] != "success"]
    assert _writes(sandbox) == 0
