"""Airflow's own services on this machine: scheduler, dag-processor and api-server as subprocesses.

`make airflow` and the real-path test run the DAG the way a deployment does — LocalExecutor,
each task in a fresh process that parses the DAG file itself — on the project's Airflow home.
`dag.test()` runs every task in one process and so hides any task that relies on state another
task left in memory; this is the path that shows it.

The processes get this environment's `bin/` first on PATH (Airflow spawns `airflow` and dbt by
name), bind to loopback only, and are stopped as whole process groups.
"""
from __future__ import annotations

import importlib
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from leadscore import settings
from leadscore.errors import LeadscoreError
from leadscore.orchestration import configure_airflow_env

log = logging.getLogger(__name__)

COMPONENTS = ("scheduler", "dag-processor", "api-server")
SIMPLE_AUTH_MANAGER = "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
ADMIN = "admin"
TERMINAL_STATES = {"success", "failed"}
# What the tasks import. The LocalExecutor forks its workers from the scheduler, and each task
# process from a worker: imported once in the scheduler, these cost a task nothing (dbt alone
# took 3 s of every dbt task's 7 s; GX as much of each quality gate).
WARM_IMPORTS = ("dbt.cli.main", "dbt.adapters.postgres", "cosmos", "great_expectations", "leadscore.pipeline",
                "leadscore.quality", "leadscore.sources.extract", "leadscore.sync")


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def service_env(api_port: int, host: str = "127.0.0.1") -> dict[str, str]:
    """The environment of every Airflow component (and so of every task they start)."""
    home = configure_airflow_env()
    env = dict(os.environ)
    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    env.update({
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__AUTH_MANAGER": SIMPLE_AUTH_MANAGER,
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{ADMIN}:admin",
        "AIRFLOW__API__HOST": host,
        "AIRFLOW__API__PORT": str(api_port),
        "AIRFLOW__API__BASE_URL": f"http://{host}:{api_port}",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://{host}:{api_port}/execution/",
        # a local home is for running the DAG: it starts unpaused
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        # the dag-processor notices a changed DAG file within seconds, not minutes
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": env.get("AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL", "30"),
        "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
    })
    return env


def component_args(name: str, host: str, port: int) -> list[str]:
    """Command-line flags of one component. The api-server binds `host`. The scheduler starts no
    log server: Airflow 3.3 binds it to every interface (`serve_logs` passes host="" to uvicorn; no
    setting changes that), and here the api-server reads task logs from the shared local files."""
    if name == "api-server":
        return ["--host", host, "--port", str(port)]
    return ["--skip-serve-logs"] if name == "scheduler" else []


def admin_password() -> str | None:
    """The admin password SimpleAuthManager generated into the home (None before the first start)."""
    path = configure_airflow_env() / "simple_auth_manager_passwords.json.generated"
    try:
        return json.loads(path.read_text()).get(ADMIN)
    except (OSError, ValueError):
        return None


@dataclass
class LocalAirflow:
    """Context manager: the Airflow components as subprocesses on loopback; `.api` talks to them."""

    port: int = 0
    host: str = "127.0.0.1"
    components: tuple[str, ...] = COMPONENTS
    startup_timeout: float = 300.0
    env_overrides: dict[str, str] = field(default_factory=dict)
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)

    def __post_init__(self):
        self.port = self.port or free_port(self.host)
        self.env = {**service_env(self.port, self.host), **self.env_overrides}
        self.log_dir = Path(self.env["AIRFLOW_HOME"]) / "services"
        self.log_dir.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def log_path(self, component: str) -> Path:
        return self.log_dir / f"{component}.log"

    def start(self) -> "LocalAirflow":
        # in the services' own environment (their home, their metadata DB), not this process's
        proc = subprocess.run([sys.executable, "-m", "leadscore", "airflow", "prepare"], env=self.env,
                              capture_output=True, text=True)
        if proc.returncode != 0:
            raise LeadscoreError(f"leadscore airflow prepare failed: {(proc.stderr.strip().splitlines() or ['?'])[-1]}",
                                 "run `leadscore airflow prepare` to see the whole error")
        for name in self.components:
            out = open(self.log_path(name), "ab")
            args = [sys.executable, "-m", "leadscore.airflow_local", name]
            args += component_args(name, self.host, self.port)
            self.procs[name] = subprocess.Popen(args, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                                stdin=subprocess.DEVNULL, start_new_session=True)
            out.close()
        try:
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def check_alive(self) -> None:
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                tail = self.log_path(name).read_text(errors="replace").strip().splitlines()[-3:]
                raise LeadscoreError(f"airflow {name} exited with code {proc.returncode}: {' | '.join(tail)}",
                                     f"see {self.log_path(name)}")

    def wait_ready(self) -> None:
        """Until the api-server answers and reports a healthy scheduler and dag-processor."""
        import httpx

        deadline = time.monotonic() + self.startup_timeout
        while True:
            self.check_alive()
            try:
                health = httpx.get(f"{self.url}/api/v2/monitor/health", timeout=5).json()
                if all(health.get(c.replace("-", "_"), {}).get("status") == "healthy"
                       for c in self.components if c != "api-server"):
                    return
            except (httpx.HTTPError, ValueError):
                pass
            if time.monotonic() > deadline:
                raise LeadscoreError(f"Airflow did not become healthy within {self.startup_timeout:.0f} s",
                                     f"see the logs in {self.log_dir}")
            time.sleep(1)

    def stop(self) -> None:
        """SIGTERM every component's process group (tasks included), SIGKILL what is left after 30 s."""
        for proc in self.procs.values():
            if proc.poll() is None:
                _signal_group(proc, signal.SIGTERM)
        deadline = time.monotonic() + 30
        for proc in self.procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            _signal_group(proc, signal.SIGKILL)
            proc.wait()
        self.procs.clear()

    def api(self) -> "AirflowApi":
        return AirflowApi(self.url, ADMIN, admin_password() or "")

    def __enter__(self) -> "LocalAirflow":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


class AirflowApi:
    """The few REST calls (`/api/v2`) a user's trigger and a test's wait need, with a JWT from /auth/token."""

    def __init__(self, url: str, username: str, password: str):
        import httpx

        self.url = url
        token = httpx.post(f"{url}/auth/token", json={"username": username, "password": password}, timeout=30)
        if token.status_code >= 400:
            raise LeadscoreError(f"Airflow refused the login of {username!r} (HTTP {token.status_code})",
                                 "check the password in the Airflow home's simple_auth_manager_passwords.json.generated")
        self.client = httpx.Client(base_url=f"{url}/api/v2", timeout=30,
                                   headers={"Authorization": f"Bearer {token.json()['access_token']}"})

    def _json(self, method: str, path: str, **kwargs) -> dict:
        response = self.client.request(method, path, **kwargs)
        if response.status_code >= 400:
            raise LeadscoreError(f"Airflow API {method} {path}: HTTP {response.status_code} {response.text[:200]}",
                                 "see the api-server log")
        return response.json()

    def wait_for_dag(self, dag_id: str, timeout: float = 300) -> dict:
        """Until the dag-processor has serialized `dag_id`; unpauses it."""
        deadline = time.monotonic() + timeout
        while True:
            response = self.client.get(f"/dags/{dag_id}")
            if response.status_code == 200:
                break
            if time.monotonic() > deadline:
                raise LeadscoreError(f"DAG {dag_id} did not appear within {timeout:.0f} s",
                                     "see the dag-processor log for import errors")
            time.sleep(1)
        return self._json("PATCH", f"/dags/{dag_id}", json={"is_paused": False})

    def trigger(self, dag_id: str, conf: dict | None = None) -> str:
        run = self._json("POST", f"/dags/{dag_id}/dagRuns", json={"logical_date": None, "conf": conf or {}})
        return run["dag_run_id"]

    def run_state(self, dag_id: str, run_id: str) -> dict:
        return self._json("GET", f"/dags/{dag_id}/dagRuns/{run_id}")

    def wait(self, dag_id: str, run_id: str, timeout: float = 1800, poll: float = 2.0) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            run = self.run_state(dag_id, run_id)
            if run["state"] in TERMINAL_STATES:
                return run
            if time.monotonic() > deadline:
                raise LeadscoreError(f"run {run_id} of {dag_id} still {run['state']} after {timeout:.0f} s",
                                     "see the scheduler log")
            time.sleep(poll)

    def task_instances(self, dag_id: str, run_id: str) -> list[dict]:
        return self._json("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances",
                          params={"limit": 1000})["task_instances"]


def run_component(name: str, args: list[str]) -> None:
    """Run one Airflow component in this process (`airflow <name> <args>`); the scheduler first
    imports WARM_IMPORTS so that the task processes it forks start with them loaded. Files the
    component and its tasks write (airflow.db, the admin password, logs) are owner-only."""
    settings.private_files()
    if name == "scheduler":
        for module in WARM_IMPORTS:
            importlib.import_module(module)
    from airflow.__main__ import main

    sys.argv = ["airflow", name, *args]
    main()


if __name__ == "__main__":
    run_component(sys.argv[1], sys.argv[2:])
