"""Where things live and which services to talk to, from environment variables.

Defaults are the embedded ones (pgserver warehouse, loopback sandbox) so that a fresh clone
works with no configuration; every default can be overridden by an environment variable or,
for the source APIs, by an Airflow connection.
"""
from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def project_root() -> Path:
    """The repository root (holds dbt_project/, dags/, expectations/)."""
    env = os.environ.get("LEADSCORE_PROJECT_DIR")
    if env:
        return Path(env).resolve()
    return PACKAGE_DIR.parent.parent


def home() -> Path:
    """Runtime state: warehouse data, Airflow home, datasets, docs. Git-ignored.

    It holds personal data (leads in the warehouse, in airflow.db's XComs, in GX samples) and
    secrets (the Airflow admin password), so it is created — or tightened — owner-only.
    """
    env = os.environ.get("LEADSCORE_HOME")
    path = Path(env) if env else project_root() / ".leadscore"
    path.mkdir(mode=home_mode(), parents=True, exist_ok=True)
    info = path.stat()
    if info.st_uid == os.geteuid() and stat.S_IMODE(info.st_mode) != home_mode():
        path.chmod(home_mode())
    return path.resolve()


def home_mode() -> int:
    """0700; as root 0711: pgserver then runs postgres as the user `pgserver`, which must pass
    through the home to its data dir (and re-opens the home's parents when it starts). Files
    below stay owner-only through `private_files`."""
    return 0o711 if os.geteuid() == 0 else 0o700


def private_files() -> None:
    """Owner-only permissions (umask 077) for everything this process and its children create:
    called by every entry point leadscore starts (CLI, docs, the Airflow components and so the
    tasks they run), so no file under the home is readable by other users, whatever its mode."""
    os.umask(0o077)


def dbt_project_dir() -> Path:
    return project_root() / "dbt_project"


def expectations_dir() -> Path:
    return project_root() / "expectations"


@dataclass(frozen=True)
class Defaults:
    """Settings of the embedded sandbox, used when no real connection is configured."""

    hubspot_token: str = "sandbox-hubspot-token"
    mailchimp_key: str = "sandbox-mailchimp-key-us1"
    sandbox_port: int = 8765
    demo_contacts: int = 10_000
    demo_seed: int = 42


DEFAULTS = Defaults()


def _schedule(env: str, default: str) -> str | None:
    value = os.environ.get(env, "").strip() or default
    return None if value.lower() == "none" else value


def daily_schedule() -> str | None:
    """When lead_scoring_daily runs: a cron expression or preset from LEADSCORE_SCHEDULE
    (default `@daily`, midnight UTC); `none` leaves only triggered runs (tests, backfills)."""
    return _schedule("LEADSCORE_SCHEDULE", "@daily")


def backtest_schedule() -> str | None:
    """When lead_scoring_backtest runs: LEADSCORE_BACKTEST_SCHEDULE (default `@weekly`; `none`:
    triggered runs only). Like every new DAG it starts paused: unpause it in the UI to schedule it."""
    return _schedule("LEADSCORE_BACKTEST_SCHEDULE", "@weekly")


def training_schedule() -> str | None:
    """When lead_scoring_training retrains the conversion model: LEADSCORE_TRAINING_SCHEDULE
    (default `@weekly`; `none`: triggered runs only). Starts paused, like every new DAG."""
    return _schedule("LEADSCORE_TRAINING_SCHEDULE", "@weekly")


def disable_telemetry() -> None:
    """Cosmos, GX and dbt send usage data by default; this project does not."""
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("AIRFLOW__COSMOS__ENABLE_TELEMETRY", "False")
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "False")
