"""The command line as a user meets it: help, usage errors, flags, options from the environment,
machine-readable output, psql's exit code."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
from pathlib import Path

import pytest

from tests.unit.test_cli_errors import run_cli

LEADSCORE = shutil.which("leadscore", path=str(Path(__import__("sys").executable).parent))


def test_bare_leadscore_shows_help_and_exits_0():
    proc = run_cli()
    assert proc.returncode == 0
    assert "Usage:" in proc.stdout and "demo" in proc.stdout and "error" not in proc.stderr


def test_a_bad_flag_shows_the_usage_and_exits_2():
    proc = run_cli("run", "--bogus")
    assert proc.returncode == 2
    assert "Usage:" in proc.stderr and "run [OPTIONS]" in proc.stderr and "No such option: --bogus" in proc.stderr
    assert "Traceback" not in proc.stderr and "NoSuchOption" not in proc.stderr


def test_boolean_options_are_shown_as_flags():
    help_text = run_cli("run", "--help").stdout
    for name in ("--verbose", "--full-refresh", "--dry-run-sync", "--force-sync", "--help"):
        line = next(line for line in help_text.splitlines() if name in line)
        assert "<bool>" not in line and "--no-" not in line, line
    assert "ISO" in next(line for line in help_text.splitlines() if "--as-of" in line)


def test_dbt_passes_its_arguments_on_and_needs_one():
    assert "DBT_ARGS" in run_cli("dbt", "--help").stdout
    proc = run_cli("dbt")
    assert proc.returncode == 1 and proc.stderr.strip().count("\n") == 0
    assert proc.stderr.startswith("error: no dbt command given") and "leadscore dbt build" in proc.stderr


@pytest.mark.parametrize("value", ["yesterday", "2026-13-01", "2026-12-01'; drop table x; --"])
def test_a_bad_as_of_is_one_line(value):
    proc = run_cli("run", "--as-of", value)
    assert proc.returncode == 1
    assert proc.stderr.strip().count("\n") == 0
    assert proc.stderr.startswith("error: --as-of") and "ISO 8601" in proc.stderr


def test_as_of_is_normalised_to_an_aware_timestamp():
    from leadscore.cli import parse_as_of

    assert parse_as_of("2026-12-01") == "2026-12-01T00:00:00+00:00"
    assert parse_as_of("2026-12-01T06:30:00+01:00") == "2026-12-01T06:30:00+01:00"
    assert parse_as_of("") == ""


@pytest.mark.parametrize("sub", ["demo", "sandbox serve"])
def test_a_directory_that_is_not_a_dataset_is_one_line(sub, tmp_path):
    (tmp_path / "hubspot").mkdir()
    proc = run_cli(*sub.split(), "--dataset", str(tmp_path))
    assert proc.returncode == 1 and proc.stderr.strip().count("\n") == 0
    assert "is not a leadscore dataset" in proc.stderr and "leadscore generate" in proc.stderr
    proc = run_cli(*sub.split(), "--dataset", str(tmp_path / "nope"))
    assert proc.returncode == 1 and "does not exist" in proc.stderr


def test_warehouse_url_is_one_unwrapped_line_when_captured():
    url = "postgresql://analyst:pw@warehouse-with-a-rather-long-host-name.internal.example.com:5432/dwh_production"
    proc = run_cli("warehouse", "url", LEADSCORE_WAREHOUSE_URL=url, COLUMNS="40")
    assert proc.returncode == 0
    assert proc.stdout == url.replace(":pw@", ":***@") + "\n"


@pytest.fixture(scope="module")
def small_dataset(tmp_path_factory):
    from leadscore.synthetic import generate

    out = tmp_path_factory.mktemp("cli-dataset")
    generate(contacts=30, seed=3, out_dir=out)
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serving_line(*args: str, **env: str) -> str:
    """The first line `leadscore sandbox serve` prints (the address), then stop it."""
    proc = subprocess.Popen([LEADSCORE, "sandbox", "serve", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "COLUMNS": "300", **env})
    try:
        return proc.stdout.readline()
    finally:
        # SIGTERM, which serve() handles from before the line is printed: a SIGINT that lands
        # before uvicorn takes the signals over can be lost (known, not yet explained)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)


def test_sandbox_port_comes_from_the_environment_and_an_explicit_port_wins(small_dataset):
    env_port, flag_port = _free_port(), _free_port()
    assert f"http://127.0.0.1:{env_port}," in _serving_line("--dataset", str(small_dataset),
                                                            LEADSCORE_SANDBOX_PORT=str(env_port))
    assert f"http://127.0.0.1:{flag_port}," in _serving_line("--dataset", str(small_dataset), "--port", str(flag_port),
                                                             LEADSCORE_SANDBOX_PORT=str(env_port))
    assert "LEADSCORE_SANDBOX_PORT" in run_cli("demo", "--help").stdout


def test_psql_exits_non_zero_when_the_connection_fails():
    proc = run_cli("psql", "-c", "select 1", LEADSCORE_WAREHOUSE_URL="postgresql://nobody@127.0.0.1:1/dwh",
                   PATH=_psql_dir() + os.pathsep + os.environ["PATH"])
    assert proc.returncode != 0 and "127.0.0.1" in proc.stderr


def test_psql_exits_non_zero_when_the_sql_fails():
    from leadscore import warehouse

    warehouse.bootstrap()  # the session's embedded warehouse; the CLI below finds it through LEADSCORE_HOME
    assert run_cli("psql", "-c", "select 1").returncode == 0
    proc = run_cli("psql", "-c", "select 1/0")
    assert proc.returncode != 0 and "division by zero" in proc.stderr


def _psql_dir() -> str:
    import pgserver

    return str(Path(pgserver.__file__).parent / "pginstall" / "bin")
