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
from tests.e2e.conftest import own_home, served_dataset

pytestmark = pytest.mark.e2e

AS_OF = datetime.now(timezone.utc).replace(microsecond=0).isoformat()


@pytest.fixture(scope="module")
def home():
    """A home of its own (warehouse and Airflow metadata): the dag.test() modules' data in the
    session's warehouse would be another dataset's volume swing for this one."""
    with own_home("scheduler") as path, pytest.MonkeyPatch.context() as mp:
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
    with LocalAirflow(env_overrides={"LEADSCORE_SCHEDULE": "none", "LEADSCORE_BACKTEST_SCHEDULE": "none", "LEADSCORE_TRAINING_SCHEDULE": "none"}) as services:
        api = services.api()
        api.wait_for_dag(DAG_ID)
        yield services, api


def _writes(sandbox) -> int:
    counts = httpx.get(f"{sandbox.url}/_sandbox/requests").json()["requests"]
    return sum(c["count"] for c in counts if c["path"].endswith("/batch/update"))


def failure_details(home, tasks: list[dict]) -> str:
    """The failed tasks and the last lines of the first one's log (the home is removed after
    the module, so a red run says why here)."""
    failed = [t["task_id"] for t in tasks if t["state"] == "failed"]
    logs = sorted((home / "airflow" / "logs").glob(f"**/task_id={failed[0]}/*.log")) if failed else []
    tail = logs[-1].read_text(errors="replace").splitlines()[-25:] if logs else []
    return f"failed: {failed}\n" + "\n".join(tail)


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


def test_a_triggered_run_succeeds_task_by_task(first_run, home):
    run, tasks, seconds = first_run
    states = {t["task_id"]: t["state"] for t in tasks}
    assert run["state"] == "success", failure_details(home, tasks)
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


def test_a_second_triggered_run_writes_nothing(first_run, airflow, sandbox, home):
    _, api = airflow
    httpx.delete(f"{sandbox.url}/_sandbox/requests")
    run, tasks, _ = _run(api, {"as_of": AS_OF})
    assert run["state"] == "success", failure_details(home, tasks)
    assert _writes(sandbox) == 0


def test_the_training_dag_runs_in_its_own_process_and_skips_on_too_few_conversions(first_run, airflow, home):
    """600 contacts hold far fewer than 100 conversions: the weekly training task says how many
    it found and skips (the run succeeds; the rules keep scoring), under the real scheduler."""
    _, api = airflow
    api.wait_for_dag("lead_scoring_training")
    run_id = api.trigger("lead_scoring_training", {"history_days": 300, "every_days": 90})
    run = api.wait("lead_scoring_training", run_id, timeout=900)
    tasks = api.task_instances("lead_scoring_training", run_id)
    assert run["state"] == "success", failure_details(home, tasks)
    assert [(t["task_id"], t["state"]) for t in tasks] == [("train_conversion_model", "skipped")]
    logs = sorted((home / "airflow" / "logs").glob("**/task_id=train_conversion_model/*.log"))
    text = logs[-1].read_text(errors="replace")
    assert "leads converting within 90 days" in text and "a model needs at least 100" in text


def test_the_services_listen_on_loopback_only(first_run, airflow):
    """A local tool binds 127.0.0.1 unless told otherwise: no socket of the scheduler, the
    dag-processor, the api-server or any process they started listens on another interface."""
    import psutil

    services, _ = airflow
    listening = []
    for proc in services.procs.values():
        root = psutil.Process(proc.pid)
        for p in [root, *root.children(recursive=True)]:
            try:
                listening += [(p.name(), c.laddr) for c in p.net_connections(kind="inet") if c.status == psutil.CONN_LISTEN]
            except psutil.NoSuchProcess:
                continue
    assert any(addr.port == services.port for _, addr in listening), listening  # the api-server is seen
    assert all(addr.ip == "127.0.0.1" for _, addr in listening), listening
