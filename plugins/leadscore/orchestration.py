"""Airflow and Cosmos wiring that the DAG file imports, so the DAG file holds no logic.

`configure_airflow_env` gives the CLI, the tests and `make airflow` one Airflow home under
.leadscore/airflow (SQLite metadata, examples off, this repo's dags/ and plugins/).
`export_dbt_env` puts the warehouse coordinates where dbt_project/profiles.yml reads them,
in the process environment only — never into DAG arguments that the UI would render.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from leadscore import settings, warehouse

DBT_TARGET = "warehouse"
DBT_PROFILE = "leadscore"


def configure_airflow_env() -> Path:
    """Set Airflow's env defaults (caller's explicit settings win); returns AIRFLOW_HOME."""
    settings.disable_telemetry()
    root = settings.project_root()
    airflow_home = Path(os.environ.setdefault("AIRFLOW_HOME", str(settings.home() / "airflow")))
    airflow_home.mkdir(parents=True, exist_ok=True)
    defaults = {
        "AIRFLOW__CORE__DAGS_FOLDER": str(root / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(root / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__UNIT_TEST_MODE": os.environ.get("AIRFLOW__CORE__UNIT_TEST_MODE", "False"),
        "AIRFLOW__LOGGING__LOGGING_LEVEL": os.environ.get("AIRFLOW__LOGGING__LOGGING_LEVEL", "INFO"),
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
        "AIRFLOW__COSMOS__PROPAGATE_LOGS": "False",
        "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
        # Cosmos renders the dbt graph with `dbt ls` on the first parse (cached afterwards);
        # on a busy 2-core machine that alone can pass Airflow's 30 s default.
        "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "300",
    }
    for key, value in defaults.items():
        os.environ.setdefault(key, value)
    return airflow_home


def export_dbt_env(start: bool = False) -> dict[str, str]:
    """Export LEADSCORE_PG_* for dbt's profiles.yml; returns the non-secret part."""
    settings.disable_telemetry()
    env = warehouse.params(start=start).dbt_env()
    for key, value in env.items():
        os.environ[key] = value
    os.environ.setdefault("DBT_PROFILES_DIR", str(settings.dbt_project_dir()))
    return {k: v for k, v in env.items() if "PASSWORD" not in k}


def put_environment_on_path() -> None:
    """Cosmos finds dbt on PATH; make that this environment's dbt even when the caller ran
    `.venv/bin/python` or cron without activating the venv."""
    bin_dir = str(Path(sys.executable).parent)
    if (Path(bin_dir) / "dbt").exists() and bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")


def cosmos_configs() -> dict:
    """ProjectConfig/ProfileConfig/ExecutionConfig/RenderConfig for the DbtTaskGroup."""
    put_environment_on_path()
    from cosmos import ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
    from cosmos.constants import InvocationMode, LoadMode, TestBehavior, TestIndirectSelection
    from cosmos.dbt.executable import get_system_dbt

    export_dbt_env(start=False)
    project_dir = settings.dbt_project_dir()
    dbt = get_system_dbt()  # explicit: RenderConfig's default was fixed when cosmos was first imported
    return {
        # The scoring time, rendered per run from the DAG params (each task's `env` is
        # templated): a rerun with the same as_of scores identically. Without one, every model
        # of the run scores at the run's start (each model is its own dbt invocation, so dbt's
        # own run start would differ from model to model, and the scores and their explanation
        # would be decayed to different instants). An environment variable, not a dbt var, so
        # that each task's dbt keeps its partial-parse cache (macros/as_of.sql).
        "project_config": ProjectConfig(dbt_project_path=project_dir, env_vars={
            "LEADSCORE_AS_OF": "{{ params.as_of or dag_run.start_date.isoformat() }}"}),
        "profile_config": ProfileConfig(
            profile_name=DBT_PROFILE, target_name=DBT_TARGET,
            profiles_yml_filepath=project_dir / "profiles.yml",
        ),
        "execution_config": ExecutionConfig(invocation_mode=InvocationMode.DBT_RUNNER, dbt_executable_path=dbt,
                                            # a test that reads two models runs once both exist, in its own task
                                            test_indirect_selection=TestIndirectSelection.CAUTIOUS),
        "render_config": RenderConfig(load_method=LoadMode.DBT_LS, test_behavior=TestBehavior.BUILD, dbt_executable_path=dbt,
                                      should_detach_multiple_parents_tests=True,
                                      emit_datasets=False),
        "operator_args": {"full_refresh": "{{ params.full_refresh }}"},
    }
