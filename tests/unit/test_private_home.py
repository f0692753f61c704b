"""LEADSCORE_HOME holds leads' emails (warehouse, airflow.db XComs, GX samples) and the Airflow
admin password: after real entry points ran, nothing in it is readable by other users."""
from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

from leadscore import settings
from leadscore.airflow_local import component_args


def _run(args: list[str], env: dict[str, str]) -> None:
    done = subprocess.run([sys.executable, "-m", *args], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]


def test_home_and_everything_written_below_it_are_owner_only():
    home = Path(tempfile.mkdtemp(prefix="ls-private-"))
    home.chmod(0o755)   # an existing home from before: tightened by the first command
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "DBT_"))}
    env["LEADSCORE_HOME"] = str(home)
    try:
        _run(["leadscore", "warehouse", "start"], env)
        _run(["leadscore", "airflow", "prepare"], env)       # airflow.db, airflow.cfg, the dbt manifest
        _run(["leadscore.docs"], env)                         # GX results + Data Docs, dbt docs
        _run(["leadscore", "warehouse", "stop"], env)
        assert (home / "airflow" / "airflow.db").exists() and (home / "data_docs" / "index.html").exists()
        assert (home / "pgdata" / "PG_VERSION").exists()
        assert stat.S_IMODE(home.stat().st_mode) == settings.home_mode() == (0o711 if os.geteuid() == 0 else 0o700)
        exposed = [f"{stat.S_IMODE(p.lstat().st_mode):o} {p}" for p in home.rglob("*")
                   if not p.is_symlink() and not p.is_socket() and p.lstat().st_mode & 0o077]
        assert exposed == []
    finally:
        subprocess.run([sys.executable, "-m", "leadscore", "warehouse", "stop"], env=env, capture_output=True)
        shutil.rmtree(home, ignore_errors=True)


def test_the_scheduler_starts_no_log_server_on_every_interface():
    """Airflow 3.3's log server binds all interfaces and cannot be told otherwise: not started."""
    from airflow.cli import cli_parser

    args = cli_parser.get_parser().parse_args(["scheduler", *component_args("scheduler", "127.0.0.1", 8080)])
    assert args.skip_serve_logs
    api = cli_parser.get_parser().parse_args(["api-server", *component_args("api-server", "127.0.0.1", 8080)])
    assert (api.host, api.port) == ("127.0.0.1", 8080)
