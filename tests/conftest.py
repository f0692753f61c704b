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
