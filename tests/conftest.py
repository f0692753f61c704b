"""Suite-wide isolation: every test session gets its own LEADSCORE_HOME and AIRFLOW_HOME.

Set before anything imports Airflow, so the suite never touches a developer's .leadscore/.
"""
from __future__ import annotations

import os
import tempfile

_SESSION_HOME = tempfile.mkdtemp(prefix="leadscore-test-")
os.environ.setdefault("LEADSCORE_HOME", _SESSION_HOME)
os.environ.setdefault("AIRFLOW_HOME", os.path.join(os.environ["LEADSCORE_HOME"], "airflow"))
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
for _var in ("LEADSCORE_WAREHOUSE_URL", "AIRFLOW_CONN_HUBSPOT", "AIRFLOW_CONN_MAILCHIMP", "AIRFLOW_CONN_WAREHOUSE"):
    os.environ.pop(_var, None)

from leadscore.orchestration import configure_airflow_env  # noqa: E402
from leadscore.settings import disable_telemetry  # noqa: E402

disable_telemetry()
configure_airflow_env()


def pytest_sessionfinish(session, exitstatus):
    """Stop the session's embedded warehouse and remove its home, so a test run leaves no
    Postgres process or data directory behind."""
    import shutil

    from leadscore import warehouse

    if os.environ.get("LEADSCORE_HOME") != _SESSION_HOME:
        return
    try:
        warehouse.stop()
    except Exception as exc:  # noqa: BLE001 - cleanup must not change the run's result
        print(f"warning: could not stop the test warehouse: {exc}")
    shutil.rmtree(_SESSION_HOME, ignore_errors=True)
