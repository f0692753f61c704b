"""docker-compose.yml, Dockerfile, .dockerignore and .env.example hold together.

No Docker engine here or in CI, so `docker compose config` cannot run: these tests read the
files the way Compose would (PyYAML resolves the same anchors and merge keys) and check the
properties whose absence broke the deployment: tasks rejected with "Invalid auth token" (one
JWT secret per container), the host's .venv and pgdata copied into the image, the image built
six times, services that never report health or come back after a crash.
"""
from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
IMAGE = "leadscore:local"
AIRFLOW_COMPONENTS = {"airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer"}
SHARED_SECRETS = ("AIRFLOW__API_AUTH__JWT_SECRET", "AIRFLOW__CORE__FERNET_KEY", "AIRFLOW__API__SECRET_KEY")
TELEMETRY_OFF = {"DO_NOT_TRACK": "1", "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
                 "GX_ANALYTICS_ENABLED": "False", "DBT_SEND_ANONYMOUS_USAGE_STATS": "False"}
# `${NAME:?message}` (required) or `${NAME:-default}` / `${NAME}` (optional), as Compose interpolates.
REFERENCE = re.compile(r"\$\{(\w+)(?:(:?[?-])([^}]*))?\}")
SECRET_NAME = re.compile(r"(SECRET|SECRET_KEY|PASSWORD|FERNET_KEY|TOKEN)$|^AIRFLOW_CONN_")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


def parse_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines of a Compose .env file; single quotes keep a value literal (JSON)."""
    values = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value[1:-1] if value[:1] == value[-1:] == "'" else value
    return values


def ours(services: dict) -> dict:
    found = {name: svc for name, svc in services.items() if svc.get("image") == IMAGE}
    assert "sandbox" in found, f"the sandbox must run {IMAGE}"
    return found


def init_service(services: dict) -> str:
    """The one-shot service others wait for (`service_completed_successfully`)."""
    waited = {dep for svc in services.values() for dep, cond in (svc.get("depends_on") or {}).items()
              if cond.get("condition") == "service_completed_successfully"}
    assert len(waited) == 1, f"expected one init service, found {waited}"
    return waited.pop()


def airflow_services(services: dict) -> dict:
    found = {name: svc for name, svc in ours(services).items() if name.startswith("airflow-")}
    assert AIRFLOW_COMPONENTS | {init_service(services)} <= set(found), f"Airflow services: {sorted(found)}"
    return found


def long_running(services: dict) -> dict:
    init = init_service(services)
    return {name: svc for name, svc in services.items() if name != init}


def test_one_named_image_built_once_from_the_dockerfile(services):
    builders = {name: svc for name, svc in services.items() if "build" in svc}
    assert len(builders) == 1, f"the image must be built by exactly one service, not {sorted(builders)}"
    (builder, spec), = builders.items()
    assert spec["image"] == IMAGE and spec["build"]["dockerfile"] == "Dockerfile"
    assert "dockerfile_inline" not in spec["build"] and (ROOT / spec["build"]["context"] / "Dockerfile").is_file()
    assert set(ours(services)) == {name for name, svc in services.items() if not svc["image"].startswith("postgres:")}
    for name, svc in ours(services).items():
        if name != builder:
            assert svc.get("pull_policy") == "never", f"{name} would try to pull {IMAGE} from a registry"


def test_airflow_services_share_the_secrets_from_env(services):
    airflow = airflow_services(services)
    for secret in SHARED_SECRETS:
        values = {name: svc["environment"].get(secret) for name, svc in airflow.items()}
        assert len(set(values.values())) == 1, f"{secret} differs between services: {values}"
        (ref, name, op, message), = [(m.group(0), *m.groups()) for m in REFERENCE.finditer(next(iter(values.values())))]
        assert ref == values["airflow-apiserver"] and name == secret and op == ":?" and ".env.example" in message


def test_no_literal_secrets_in_compose(services):
    """Every secret-looking setting is a required reference into .env, never a value or a default."""
    text = (ROOT / "docker-compose.yml").read_text()
    for name, op, _ in REFERENCE.findall(text):
        if SECRET_NAME.search(name):
            assert op == ":?", f"${{{name}}} must be required (`${{{name}:?…}}`), not defaulted"
    for service, svc in services.items():
        for key, value in svc.get("environment", {}).items():
            if SECRET_NAME.search(key) or "://" in str(value) and "@" in str(value):
                refs = [n for n, op, _ in REFERENCE.findall(str(value)) if op == ":?"]
                assert refs, f"{service}: {key} holds a literal secret"
    for token in ("sandbox-hubspot-token", "sandbox-mailchimp-key"):
        assert token not in text


def test_every_required_variable_is_documented_in_env_example():
    text = (ROOT / "docker-compose.yml").read_text()
    example = parse_env_file(ROOT / ".env.example")
    used = {name for name, _, _ in REFERENCE.findall(text)}
    required = {name for name, op, _ in REFERENCE.findall(text) if op == ":?"}
    assert required <= set(example), f"missing from .env.example: {sorted(required - set(example))}"
    assert set(example) <= used, f"unused in docker-compose.yml: {sorted(set(example) - used)}"
    for secret in [*SHARED_SECRETS, "AIRFLOW_DB_PASSWORD", "WAREHOUSE_PASSWORD"]:
        assert example[secret] == "change-me", f"{secret} in .env.example must be a placeholder"


def test_env_example_command_writes_real_secrets_once(tmp_path):
    from cryptography.fernet import Fernet

    example = (ROOT / ".env.example").read_text()
    commands = [line.removeprefix("#").strip() for line in example.splitlines() if "> .env" in line]
    assert len(commands) == 1, "the one-line generator must be in .env.example's header"
    assert commands[0] in (ROOT / "README.md").read_text().splitlines(), "README shows another command"
    (tmp_path / ".env.example").write_text(example)
    subprocess.run(["bash", "-c", commands[0]], cwd=tmp_path, check=True, timeout=60)
    first = (tmp_path / ".env").read_text()
    env = parse_env_file(tmp_path / ".env")
    assert "change-me" not in env.values() and set(env) == set(parse_env_file(tmp_path / ".env.example"))
    secrets = [env[name] for name in env if SECRET_NAME.search(name) and not name.startswith("AIRFLOW_CONN_")]
    assert len(secrets) == 5 and len(set(secrets)) == 5 and min(map(len, secrets)) >= 32
    Fernet(env["AIRFLOW__CORE__FERNET_KEY"].encode())  # raises unless a valid Fernet key
    subprocess.run(["bash", "-c", commands[0]], cwd=tmp_path, check=True, timeout=60)
    assert (tmp_path / ".env").read_text() == first, "a second run must keep the existing .env"


def test_env_example_connections_reach_the_compose_sandbox(services, monkeypatch):
    from leadscore.connections import get_connection

    example = parse_env_file(ROOT / ".env.example")
    port = services["sandbox"]["command"][services["sandbox"]["command"].index("--port") + 1]
    for conn_id in ("hubspot", "mailchimp"):
        monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", example[f"AIRFLOW_CONN_{conn_id.upper()}"])
        assert get_connection(conn_id).base_url == f"http://sandbox:{port}"


def test_secrets_and_host_state_stay_out_of_git_and_the_image():
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()}
    assert {".venv", ".tools", ".leadscore", ".git", ".env", "dbt_project/target", "logs"} <= ignored
    check = subprocess.run(["git", "check-ignore", "-q", ".env"], cwd=ROOT)
    assert check.returncode == 0, ".env must be git-ignored"
    assert subprocess.run(["git", "check-ignore", "-q", ".env.example"], cwd=ROOT).returncode == 1


def test_dockerfile_installs_dependencies_before_copying_the_code():
    lines = [line.strip() for line in (ROOT / "Dockerfile").read_text().splitlines()]
    copies = [i for i, line in enumerate(lines) if line.startswith("COPY")]
    deps = next(i for i, line in enumerate(lines) if "uv sync" in line and "--no-install-project" in line)
    assert lines[copies[0]] == "COPY pyproject.toml uv.lock ./" and copies[0] < deps < copies[1]
    assert lines[copies[1]] == "COPY . ." and lines[-1].startswith("USER ") and lines[-1] != "USER root"
    makefile_uv = re.search(r"^UV_VERSION := (\S+)", (ROOT / "Makefile").read_text(), re.M).group(1)
    assert f"ARG UV_VERSION={makefile_uv}" in lines, "the image must use the Makefile's uv"


def test_long_running_services_have_healthchecks_and_restart(services):
    for name, svc in long_running(services).items():
        assert svc.get("restart") == "always", f"{name} has no restart policy"
        test = svc.get("healthcheck", {}).get("test")
        assert test and test[0] in ("CMD", "CMD-SHELL"), f"{name} has no healthcheck"
        if name in ours(services):
            assert test[1] in ("python", "airflow"), f"{name}: the slim image has no {test[1]}"
    assert services[init_service(services)].get("restart") in (None, "on-failure"), "a one-shot must not loop"


def healthcheck_url(svc: dict) -> str:
    return next(arg for arg in svc["healthcheck"]["test"] if arg.startswith("http://"))


def airflow_public_api() -> dict:
    """Airflow's own OpenAPI document of the api-server (shipped in the package)."""
    package = Path(importlib.util.find_spec("airflow").submodule_search_locations[0])
    spec = package / "api_fastapi" / "core_api" / "openapi" / "v2-rest-api-generated.yaml"
    return yaml.load(spec.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))["paths"]


def test_healthchecks_probe_what_each_service_serves(services):
    from leadscore.sandbox import admin

    api = urlsplit(healthcheck_url(services["airflow-apiserver"]))
    operation = airflow_public_api()[api.path]["get"]
    assert "security" not in operation, f"{api.path} needs a login: the healthcheck has none"
    assert f"{api.port}:{api.port}" in services["airflow-apiserver"]["ports"][0]
    scheduler = services["airflow-scheduler"]
    assert scheduler["environment"]["AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK"] == "true"
    assert healthcheck_url(scheduler) == "http://localhost:8974/health"  # airflow.utils.scheduler_health
    # the scheduler runs through the same warm launcher as `make airflow` (tasks fork with dbt loaded)
    assert scheduler["command"] == ["python", "-m", "leadscore.airflow_local", "scheduler"]
    sandbox = urlsplit(healthcheck_url(services["sandbox"]))
    assert sandbox.path in {route.path for route in admin.router.routes}
    assert str(sandbox.port) == services["sandbox"]["command"][services["sandbox"]["command"].index("--port") + 1]
    for name, job in (("airflow-dag-processor", "DagProcessorJob"), ("airflow-triggerer", "TriggererJob")):
        assert services[name]["healthcheck"]["test"][1:] == ["airflow", "jobs", "check", "--job-type", job, "--local"]


class _Status(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server's name
        self.send_response(200 if self.path == "/ok" else 503)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_http_probe_fails_unless_the_endpoint_answers_ok(services):
    """The python one-liner used instead of curl: exit 0 on 200, non-zero on 503 or no server."""
    test = services["airflow-scheduler"]["healthcheck"]["test"]
    probe = test[test.index("-c") + 1]
    server = HTTPServer(("127.0.0.1", 0), _Status)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        run = lambda url: subprocess.run([sys.executable, "-c", probe, url], capture_output=True, timeout=30)  # noqa: E731
        assert run(f"{base}/ok").returncode == 0
        assert run(f"{base}/unhealthy").returncode != 0
    finally:
        server.shutdown()
        server.server_close()
    assert run(base + "/ok").returncode != 0  # nothing listening any more


def test_init_prepares_airflow_before_anything_else(services):
    init = init_service(services)
    assert services[init]["command"] == ["leadscore", "airflow", "prepare"]
    assert services[init]["depends_on"] == {"airflow-db": {"condition": "service_healthy"},
                                            "warehouse": {"condition": "service_healthy"}}
    for dependency in ("airflow-db", "warehouse"):
        assert services[dependency]["healthcheck"]["test"][1] == "pg_isready"
    for name, svc in airflow_services(services).items():
        if name != init:
            assert svc["depends_on"][init] == {"condition": "service_completed_successfully"}, name
        assert svc["environment"]["AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION"] == "false"


def test_workers_reach_the_api_server_and_share_logs_and_passwords(compose, services):
    for name, svc in airflow_services(services).items():
        env = svc["environment"]
        url = urlsplit(env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"])
        assert url.hostname == "airflow-apiserver" and url.path == "/execution/" and url.port == 8080, name
        mounts = {target: source for source, target in (v.split(":")[:2] for v in svc["volumes"])}
        home = next(target for target in mounts if env["AIRFLOW_HOME"].startswith(target))
        assert mounts[home] in compose["volumes"], f"{name}: AIRFLOW_HOME (task logs) must be on a named volume"
        assert env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"].startswith(home + "/")
        assert env["AIRFLOW__CORE__AUTH_MANAGER"].endswith(".SimpleAuthManager")


def test_only_the_ui_is_published_beyond_loopback(services):
    for name, svc in services.items():
        for port in svc.get("ports", []):
            if name != "airflow-apiserver":
                assert port.startswith("127.0.0.1:"), f"{name} publishes {port} on every interface"
    assert services["warehouse"]["ports"] == ["127.0.0.1:5433:5432"]


def test_telemetry_is_off_in_every_leadscore_container(services):
    for name, svc in ours(services).items():
        env = svc["environment"]
        assert {key: env.get(key) for key in TELEMETRY_OFF} == TELEMETRY_OFF, name
