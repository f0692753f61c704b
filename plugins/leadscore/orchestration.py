"""Airflow and Cosmos wiring that the DAG file imports, so the DAG file holds no logic.

`configure_airflow_env` gives the CLI, the tests and `make airflow` one Airflow home under
.leadscore/airflow (SQLite metadata, examples off, this repo's dags/ and plugins/).
`export_dbt_env` puts the warehouse coordinates where dbt_project/profiles.yml reads them,
and the validated scoring rules where macros/rules/scoring_rules.sql reads them, in the process
environment only — never into DAG arguments that the UI would render (and Airflow would render
as a template: a brace pair in a rule's text would break it). Every task process parses the DAG
file, so every Cosmos task's dbt sees the rules file as it was when its task started.

Under the scheduler every task parses the DAG file in a fresh process, so the dbt task group
renders from a manifest (`dbt parse`, rebuilt only when a file of the dbt project is newer)
rather than by running `dbt ls` on every parse, and Cosmos' cache lives in LEADSCORE_HOME.
"""
from __future__ import annotations

import fcntl
import os
import shutil
import sys
from pathlib import Path

from leadscore import settings, warehouse

DBT_TARGET = "warehouse"
DBT_PROFILE = "leadscore"
DBT_POOL = "dbt"


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
        # per home, not /tmp/cosmos shared by every checkout on the host
        "AIRFLOW__COSMOS__CACHE_DIR": str(settings.home() / "cosmos"),
        "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
        # The first parse after a change to the dbt project runs `dbt parse` for the manifest;
        # on a busy 2-core machine that alone can pass Airflow's 30 s default.
        "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "300",
    }
    for key, value in defaults.items():
        os.environ.setdefault(key, value)
    return airflow_home


def export_dbt_env(start: bool = False) -> dict[str, str]:
    """Export LEADSCORE_PG_* for dbt's profiles.yml and LEADSCORE_SCORING_RULES (a bad rules
    file raises ConfigError naming the rule); returns the non-secret warehouse part."""
    from leadscore.scoring import rules

    settings.disable_telemetry()
    env = warehouse.params(start=start).dbt_env()
    os.environ.update({**env, **rules.dbt_env()})
    os.environ.setdefault("DBT_PROFILES_DIR", str(settings.dbt_project_dir()))
    return {k: v for k, v in env.items() if "PASSWORD" not in k}


def put_environment_on_path() -> None:
    """Cosmos finds dbt on PATH; make that this environment's dbt even when the caller ran
    `.venv/bin/python` or cron without activating the venv."""
    bin_dir = str(Path(sys.executable).parent)
    if (Path(bin_dir) / "dbt").exists() and bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")


DBT_SOURCE_DIRS = ("models", "macros", "seeds", "snapshots", "data-tests", "analyses")
COSMOS_GROUP = "lead_scoring_daily__dbt"   # Cosmos' cache folder of the DAG's `dbt` task group


def manifest_dir() -> Path:
    """Where `dbt parse` writes the manifest the DAG renders from: per home, like the warehouse it parsed for."""
    return settings.home() / "dbt_manifest"


def _newest_source_mtime(project_dir: Path) -> float:
    files = [project_dir / "dbt_project.yml", project_dir / "profiles.yml", project_dir / "scoring_rules.yml"]
    for folder in DBT_SOURCE_DIRS:
        files.extend(p for p in (project_dir / folder).rglob("*") if p.is_file())
    return max(p.stat().st_mtime for p in files if p.exists())


def ensure_manifest() -> Path:
    """The dbt manifest, parsed again only when a file of the dbt project is newer than it.

    Parsing the DAG file happens in every task process under the scheduler; reading a manifest
    costs milliseconds where `dbt ls` cost seconds. The partial-parse file of the same parse
    seeds Cosmos' cache, so the first dbt task of a run does not parse the project in full
    either. A file lock keeps two processes that parse at once from writing it together.
    """
    project_dir = settings.dbt_project_dir()
    target = manifest_dir()
    manifest = target / "manifest.json"
    if manifest.exists() and manifest.stat().st_mtime >= _newest_source_mtime(project_dir):
        return manifest
    target.mkdir(parents=True, exist_ok=True)
    with open(target / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (manifest.exists() and manifest.stat().st_mtime >= _newest_source_mtime(project_dir)):
            from leadscore.scoring.dbt import run_dbt

            # --profile/--target as Cosmos passes them: dbt hashes the arguments as given,
            # and a difference makes every task's dbt parse the project in full
            run_dbt(["parse", "--target-path", str(target), "--profile", DBT_PROFILE, "--target", DBT_TARGET])
            _seed_cosmos_partial_parse(target)
    return manifest


def _seed_cosmos_partial_parse(target: Path) -> None:
    cache = Path(os.environ.get("AIRFLOW__COSMOS__CACHE_DIR") or settings.home() / "cosmos") / COSMOS_GROUP / "target"
    source = target / "partial_parse.msgpack"
    if source.exists():
        cache.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, cache / source.name)


def cosmos_configs() -> dict:
    """ProjectConfig/ProfileConfig/ExecutionConfig/RenderConfig for the DbtTaskGroup."""
    put_environment_on_path()
    from cosmos import ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
    from cosmos.constants import InvocationMode, LoadMode, TestBehavior, TestIndirectSelection
    from cosmos.dbt.executable import get_system_dbt

    export_dbt_env(start=False)
    project_dir = settings.dbt_project_dir()
    manifest = ensure_manifest()
    dbt = get_system_dbt()  # explicit: RenderConfig's default was fixed when cosmos was first imported
    return {
        # The scoring time, rendered per run from the DAG params (each task's `env` is
        # templated): a rerun with the same as_of scores identically. Without one, every model
        # of the run scores at the run's start (each model is its own dbt invocation, so dbt's
        # own run start would differ from model to model, and the scores and their explanation
        # would be decayed to different instants). An environment variable, not a dbt var, so
        # that each task's dbt keeps its partial-parse cache (macros/as_of.sql).
        "project_config": ProjectConfig(dbt_project_path=project_dir, manifest_path=manifest, env_vars={
            "LEADSCORE_AS_OF": "{{ params.as_of or dag_run.start_date.isoformat() }}"}),
        "profile_config": ProfileConfig(
            profile_name=DBT_PROFILE, target_name=DBT_TARGET,
            profiles_yml_filepath=project_dir / "profiles.yml",
        ),
        "execution_config": ExecutionConfig(invocation_mode=InvocationMode.DBT_RUNNER, dbt_executable_path=dbt,
                                            # a test that reads two models runs once both exist, in its own task
                                            test_indirect_selection=TestIndirectSelection.CAUTIOUS),
        "render_config": RenderConfig(load_method=LoadMode.DBT_MANIFEST, test_behavior=TestBehavior.BUILD,
                                      dbt_executable_path=dbt, should_detach_multiple_parents_tests=True,
                                      emit_datasets=False),
        # dbt tasks share the machine's cores through one pool (airflow_runner.POOLS)
        "operator_args": {"full_refresh": "{{ params.full_refresh }}", "pool": DBT_POOL},
    }
