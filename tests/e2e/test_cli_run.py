"""`leadscore demo` as a person sees it: progress lines instead of Airflow's, Cosmos' and dbt's
logs, and a failed run that names its root failure and counts what did not run."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from leadscore.synthetic import generate
from tests.e2e.conftest import own_home

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def failed_demo(tmp_path_factory):
    """A demo whose input gate trips (no quarantined row allowed): it stops after validate_inputs.

    It runs in a home of its own: its raw data in the session's warehouse would be another
    dataset's "volume swing" for the e2e tests that run after it."""
    dataset = tmp_path_factory.mktemp("cli-run-dataset")
    generate(contacts=300, seed=3, out_dir=dataset)
    with own_home("cli-run") as home:
        env = {**os.environ, "COLUMNS": "100", "LEADSCORE_QUALITY_MAX_INVALID_SHARE_PCT": "0",
               "LEADSCORE_HOME": str(home), "AIRFLOW_HOME": str(home / "airflow")}
        try:
            yield home, subprocess.run([sys.executable, "-m", "leadscore", "demo", "--dataset", str(dataset),
                                        "--port", "0"], capture_output=True, text=True, env=env, timeout=900)
        finally:
            subprocess.run([sys.executable, "-m", "leadscore", "warehouse", "stop"], env=env, capture_output=True)


def test_progress_lines_not_logs(failed_demo):
    home, failed_demo = failed_demo
    out = failed_demo.stdout
    assert "✓ prepare_warehouse" in out and "✓ extract_hubspot_contacts" in out and "records" in out
    assert "✗ validate_inputs failed" in out
    for noise in ("Running with dbt", '"resource_type"', "[info", "[warning", "DAG TEST"):
        assert noise not in out + failed_demo.stderr, noise
    assert len(out.splitlines()) < 30
    log = (home / "logs" / "last-run.log").read_text()
    assert "QualityGateError" in log and "[DAG TEST] starting task_id=validate_inputs" in log


def test_a_failed_run_names_the_root_failure_and_counts_the_rest(failed_demo):
    _, failed_demo = failed_demo
    assert failed_demo.returncode == 1
    lines = failed_demo.stderr.strip().splitlines()
    assert len(lines) == 1, failed_demo.stderr
    assert "failed: validate_inputs (quality gate failed in validate_inputs" in lines[0]
    assert "tasks not run (upstream_failed)" in lines[0] and "Traceback" not in lines[0]
    assert "extract_" not in lines[0].split("failed:", 1)[1]  # the upstream_failed ones are counted, not listed
