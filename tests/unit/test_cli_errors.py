"""User errors reach the terminal as one line with the fix, exit code 1, no traceback, no secret."""
from __future__ import annotations

import os
import subprocess
import sys


def run_cli(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "leadscore", *args], capture_output=True, text=True,
                          env={**os.environ, "COLUMNS": "80", **env}, timeout=120)


def test_unreachable_warehouse_is_one_line_without_the_password():
    proc = run_cli("extract", "--stream", "hubspot_contacts",
                   LEADSCORE_WAREHOUSE_URL="postgresql://analyst:s3cret-pw@127.0.0.1:1/dwh")
    assert proc.returncode == 1
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: cannot reach the warehouse")
    assert "LEADSCORE_WAREHOUSE_URL" in lines[0]
    assert "s3cret-pw" not in proc.stderr + proc.stdout and "Traceback" not in proc.stderr


def test_malformed_connection_is_one_line():
    proc = run_cli("extract", "--stream", "hubspot_contacts", AIRFLOW_CONN_HUBSPOT="{not json")
    assert proc.returncode == 1
    assert proc.stderr.strip().count("\n") == 0
    assert "AIRFLOW_CONN_HUBSPOT is not a valid Airflow connection" in proc.stderr


def test_unknown_stream_lists_the_choices():
    proc = run_cli("extract", "--stream", "hubspot_tickets")
    assert proc.returncode == 1
    assert "unknown stream 'hubspot_tickets'" in proc.stderr and "hubspot_deals" in proc.stderr
