"""lead_scoring_daily: extract → validate_inputs → dbt (Cosmos) → validate_outputs → reverse_sync → summary.

Wiring only; every task body lives in plugins/leadscore (leadscore.pipeline).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import Param, chain, dag, task
from cosmos import DbtTaskGroup

from leadscore import pipeline
from leadscore.orchestration import cosmos_configs
from leadscore.settings import daily_schedule
from leadscore.sources.extract import stream_names

# Every task gets a timeout, so a hung call fails the run instead of holding a slot for days.
# API tasks get more: a 1M-contact portal at HubSpot's search limit (4/s × 100) takes ~45 min.
DEFAULT_ARGS = {"execution_timeout": timedelta(hours=1)}
RETRYING = {"retries": 3, "retry_delay": timedelta(seconds=30), "retry_exponential_backoff": True,
            "max_retry_delay": timedelta(minutes=10), "execution_timeout": timedelta(hours=2)}


@dag(
    dag_id="lead_scoring_daily",
    schedule=daily_schedule(),
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["leadscore"],
    params={
        "full_refresh": Param(False, type="boolean", description="Rebuild raw and the incremental scores from scratch."),
        "dry_run_sync": Param(False, type="boolean", description="Compute and log the CRM changes without writing them."),
        "force_sync": Param(False, type="boolean",
                            description="Sync even when a quality gate or the blast-radius guard tripped (after a human looked)."),
        "as_of": Param("", type="string",
                       description="Score as of this ISO timestamp (reproducible reruns and backfills); empty: now."),
    },
    doc_md=__doc__,
)
def lead_scoring_daily():
    @task
    def prepare_warehouse() -> dict:
        return pipeline.prepare_warehouse()

    @task(pool="hubspot_api", **RETRYING)
    def extract(stream: str, params=None, run_id=None) -> dict:
        return pipeline.extract(stream, run_id, full_refresh=params["full_refresh"])

    @task
    def validate_inputs(params=None, run_id=None) -> dict:
        return pipeline.validate_inputs(run_id, force=params["force_sync"], as_of=params["as_of"])

    @task
    def validate_outputs(params=None, run_id=None) -> dict:
        return pipeline.validate_outputs(run_id, force=params["force_sync"])

    @task(pool="hubspot_api", **RETRYING)
    def reverse_sync(params=None, run_id=None) -> dict:
        return pipeline.reverse_sync(run_id, dry_run=params["dry_run_sync"], force=params["force_sync"])

    @task
    def summary(run_id=None) -> dict:
        return pipeline.summary(run_id)

    extracts = [extract.override(task_id=f"extract_{name}")(name) for name in stream_names()]
    dbt = DbtTaskGroup(group_id="dbt", **cosmos_configs())
    chain(prepare_warehouse(), extracts, validate_inputs(), dbt, validate_outputs(), reverse_sync(), summary())


lead_scoring_daily()
