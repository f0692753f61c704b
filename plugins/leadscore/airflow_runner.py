"""Run `lead_scoring_daily` through Airflow itself (`dag.test()`), as the demo and tests do.

`dag.test()` executes the same task code the scheduler runs, in one process, on the SQLite
metadata DB under .leadscore/airflow; it is migrated on first use.
"""
from __future__ import annotations

import fcntl
import logging
import re
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from leadscore.errors import LeadscoreError
from leadscore.orchestration import DBT_POOL, configure_airflow_env, ensure_manifest

DAG_ID = "lead_scoring_daily"
POOLS = {
    "hubspot_api": (4, "HubSpot API calls: sized to the client's rate limiter (one token, 100 req/10 s)"),
    # dbt tasks are CPU-bound (dbt itself and the Postgres queries it issues): one per core
    DBT_POOL: (os.cpu_count() or 2, "dbt models and tests: one per core of this machine"),
}

log = logging.getLogger(__name__)


def ensure_metadata_db() -> Path:
    """Migrate the Airflow metadata DB (SQLite) if it is new or behind; create the pools."""
    home = configure_airflow_env()
    marker = home / ".leadscore-migrated"
    if not marker.exists():
        proc = subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], capture_output=True, text=True,
                              env=os.environ.copy())
        if proc.returncode != 0:
            last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            raise LeadscoreError(f"could not migrate the Airflow metadata DB in {home} ({last})",
                                 f"delete {home} and retry")
        marker.write_text("ok\n")
    from airflow.models.pool import Pool

    for name, (slots, description) in POOLS.items():
        Pool.create_or_update_pool(name, slots, description, include_deferred=False)
    return home


def prepare() -> Path:
    """Everything a scheduler needs before its first run: the metadata DB, the pools, the dbt
    manifest the DAG renders from, and the DAG unpaused if it is already known (a new one is
    created unpaused: AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION)."""
    home = ensure_metadata_db()
    ensure_manifest()
    from airflow.models.dag import DagModel
    from airflow.utils.session import create_session

    with create_session() as session:
        model = session.get(DagModel, DAG_ID)
        if model is not None and model.is_paused:
            model.is_paused = False
    return home


def _first_error_line(text: str) -> str:
    """The most telling line of an import traceback: the first `SomethingError: …` line."""
    for line in text.strip().splitlines():
        if re.match(r"^\s*[\w.]+(Error|Exception|Timeout): ", line):
            return line.strip()
    return text.strip().splitlines()[-1] if text.strip() else "unknown error"


def load_dag(dag_id: str = DAG_ID):
    # first: Airflow reads AIRFLOW_HOME when it is imported, and Cosmos caches the rendered
    # dbt graph in an Airflow Variable, so the metadata DB must exist before parsing
    ensure_metadata_db()
    from airflow.dag_processing.dagbag import DagBag

    from leadscore.settings import project_root

    bag = DagBag(dag_folder=str(project_root() / "dags"))
    if bag.import_errors:
        path, err = next(iter(bag.import_errors.items()))
        raise LeadscoreError(f"the DAG file {Path(path).name} does not import: {_first_error_line(err)}",
                             "run `make test` to see the failing import")
    dag = bag.dags.get(dag_id)
    if dag is None:
        raise LeadscoreError(f"DAG {dag_id} not found in dags/", "check AIRFLOW__CORE__DAGS_FOLDER")
    return dag


def run_daily(*, full_refresh: bool = False, dry_run_sync: bool = False, force_sync: bool = False, as_of: str = ""):
    """One run of the daily DAG; returns the DagRun (state, run_id).

    The run holds a lock on the home for its whole life: the next one that gets the lock knows
    that every `dag.test()` run still recorded as running was left by a process that died
    (a kill, a Ctrl-C, a lost machine), and marks it and its unfinished tasks failed, so the
    metadata DB tells the truth next to the rerun that succeeded.
    """
    dag = load_dag()
    conf = {"full_refresh": full_refresh, "dry_run_sync": dry_run_sync, "force_sync": force_sync, "as_of": as_of}
    with open(configure_airflow_env() / ".dag-test.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LeadscoreError(f"another run of {DAG_ID} is in progress on this home",
                                 "wait for it to finish (runs of one home do not overlap)") from None
        orphans = fail_orphaned_test_runs()
        if orphans:
            log.warning("marked %d interrupted run(s) failed: %s", len(orphans), ", ".join(orphans))
        return dag.test(run_conf=conf)


def fail_orphaned_test_runs() -> list[str]:
    """Mark `dag.test()` runs that are still running/queued, and their unfinished tasks, failed.

    Call only while holding the home's run lock: then no live process owns such a run. Runs
    the scheduler started (make airflow) are the scheduler's to adopt and are left alone.
    """
    from airflow.models.dagrun import DagRun
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from airflow.utils.state import DagRunState, State, TaskInstanceState
    from airflow.utils.types import DagRunTriggeredByType

    with create_session() as session:
        runs = session.query(DagRun).filter(
            DagRun.dag_id == DAG_ID, DagRun.triggered_by == DagRunTriggeredByType.TEST,
            DagRun.state.in_([DagRunState.RUNNING, DagRunState.QUEUED])).all()
        for run in runs:
            session.query(TaskInstance).filter(
                TaskInstance.dag_id == DAG_ID, TaskInstance.run_id == run.run_id,
                TaskInstance.state.in_(list(State.unfinished))).update(
                {TaskInstance.state: TaskInstanceState.FAILED}, synchronize_session=False)
            run.set_state(DagRunState.FAILED)
        return [run.run_id for run in runs]


@dataclass(frozen=True)
class RunFailures:
    """The tasks that failed themselves (root causes), with their first error line when the
    run's log has it, and how many tasks did not run because of them."""

    failed: list[str]
    upstream_failed: list[str]
    errors: dict[str, str] = field(default_factory=dict)

    def line(self) -> str:
        roots = ", ".join(f"{t} ({self.errors[t]})" if t in self.errors else t for t in self.failed)
        text = f"failed: {roots or 'no task (the run itself failed)'}"
        if self.upstream_failed:
            n = len(self.upstream_failed)
            text += f"; {n} task{'s' if n != 1 else ''} not run (upstream_failed)"
        return text

    __str__ = line


_TASK_START = re.compile(r"\[DAG TEST\] starting task_id=(\S+)")


def _error_lines(log_text: str, tasks: list[str]) -> dict[str, str]:
    """The first `SomethingError: …` line logged while each task ran (`dag.test()` runs tasks
    one after another and logs where each starts); with one failed task and no start markers,
    the log's first error line."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in log_text.splitlines():
        started = _TASK_START.search(line)
        if started:
            current = sections.setdefault(started.group(1), [])
        elif current is not None:
            current.append(line)
    if not sections and len(tasks) == 1:
        sections = {tasks[0]: log_text.splitlines()}
    out = {}
    for task in tasks:
        text = "\n".join(sections.get(task, []))
        if re.search(r"^\s*[\w.]+(Error|Exception|Timeout): ", text, re.M):
            message = _first_error_line(text).split(": ", 1)[-1]
            out[task] = message if len(message) <= 200 else message[:199] + "…"
    return out


def failed_tasks(dag_run, log_path: Path | None = None) -> RunFailures:
    """Root failures (state `failed`) first; the `upstream_failed` ones only counted. The
    error line comes from the run's captured log (`leadscore run` without --verbose)."""
    from airflow.utils.session import create_session
    from airflow.utils.state import TaskInstanceState

    with create_session() as session:
        tis = dag_run.get_task_instances(session=session)
        failed = sorted(ti.task_id for ti in tis if ti.state == TaskInstanceState.FAILED)
        upstream = sorted(ti.task_id for ti in tis if ti.state == TaskInstanceState.UPSTREAM_FAILED)
    errors = {}
    if failed and log_path is not None and log_path.exists():
        errors = _error_lines(log_path.read_text(encoding="utf-8", errors="replace"), failed)
    return RunFailures(failed, upstream, errors)
