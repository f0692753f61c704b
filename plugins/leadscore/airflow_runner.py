"""Run `lead_scoring_daily` through Airflow itself (`dag.test()`), as the demo and tests do.

`dag.test()` executes the same task code the scheduler runs, in one process, on the SQLite
metadata DB under .leadscore/airflow; it is migrated on first use.
"""
from __future__ import annotations

import logging
import re
import os
import subprocess
import sys
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


def load_dag():
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
    dag = bag.dags.get(DAG_ID)
    if dag is None:
        raise LeadscoreError(f"DAG {DAG_ID} not found in dags/", "check AIRFLOW__CORE__DAGS_FOLDER")
    return dag


def run_daily(*, full_refresh: bool = False, dry_run_sync: bool = False, force_sync: bool = False, as_of: str = ""):
    """One run of the daily DAG; returns the DagRun (state, run_id)."""
    dag = load_dag()
    conf = {"full_refresh": full_refresh, "dry_run_sync": dry_run_sync, "force_sync": force_sync, "as_of": as_of}
    return dag.test(run_conf=conf)


def failed_tasks(dag_run) -> list[str]:
    from airflow.utils.session import create_session
    from airflow.utils.state import TaskInstanceState

    with create_session() as session:
        tis = dag_run.get_task_instances(session=session)
        return sorted(ti.task_id for ti in tis if ti.state in (TaskInstanceState.FAILED, TaskInstanceState.UPSTREAM_FAILED))
