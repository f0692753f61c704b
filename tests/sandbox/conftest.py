"""One small generated dataset and one sandbox server for the whole session.

Each test gets the server back in its pristine state (dataset as loaded, default config,
zeroed counters), so tests can write freely and stay independent.
"""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from leadscore.sandbox import SandboxServer
from leadscore.synthetic import generate

AS_OF = datetime(2026, 6, 1, tzinfo=timezone.utc)
CONTACTS = 300
SEED = 11
HUBSPOT_TOKEN = "sandbox-hubspot-token"
MAILCHIMP_KEY = "sandbox-mailchimp-key-us1"
DEFAULT_CONFIG = {"faults": {}, "seed": 0, "timeout_seconds": 35.0, "index_lag_seconds": 0, "association_page_size": 500,
                  "rate_limits": {"ten_secondly": None, "daily": None, "search_per_second": None,
                                  "retry_after_probability": 0.5}}


@pytest.fixture(scope="session")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dataset")
    generate(contacts=CONTACTS, seed=SEED, out_dir=out, dirt_rate=0.05, as_of=AS_OF)
    return out


@pytest.fixture(scope="session")
def server(dataset: Path) -> Iterator[SandboxServer]:
    with SandboxServer(dataset, port=0) as running:
        yield running


@pytest.fixture(scope="session")
def control(server: SandboxServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{server.url}/_sandbox", timeout=60) as client:
        yield client


@pytest.fixture
def sandbox(server: SandboxServer, control: httpx.Client) -> Iterator[SandboxServer]:
    """The session server, reset to the dataset as loaded and the default config."""
    control.post("/reset").raise_for_status()
    control.post("/config", json=DEFAULT_CONFIG).raise_for_status()
    control.delete("/requests").raise_for_status()
    yield server


@pytest.fixture
def hs(sandbox: SandboxServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.url, headers={"Authorization": f"Bearer {HUBSPOT_TOKEN}"}, timeout=30) as client:
        yield client


@pytest.fixture
def mc(sandbox: SandboxServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{sandbox.url}/3.0", auth=("leadscore", MAILCHIMP_KEY), timeout=30) as client:
        yield client


@pytest.fixture
def admin(sandbox: SandboxServer, control: httpx.Client) -> httpx.Client:
    return control


def page_all(client: httpx.Client, path: str, **params: object) -> list[dict]:
    """Every result of a cursor-paged HubSpot list, following paging.next.after to the end."""
    results, after = [], None
    while True:
        body = client.get(path, params={**params, **({"after": after} if after else {})}).json()
        results.extend(body["results"])
        after = (body.get("paging") or {}).get("next", {}).get("after")
        if not after:
            return results


def sandbox_process(dataset: Path, *args: str, **popen: object) -> tuple["subprocess.Popen", str]:
    """`python -m leadscore.sandbox DATASET ARGS` on a free loopback port, once it answers: (process, url)."""
    import socket
    import subprocess
    import sys
    import time

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "leadscore.sandbox", str(dataset), "--port", str(port), *args],
                            **popen)  # type: ignore[call-overload]
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            httpx.get(f"{url}/_sandbox/health").raise_for_status()
            return proc, url
        except httpx.HTTPError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                out = proc.communicate()[0]
                raise AssertionError(f"the sandbox process did not start: {out!r}") from None
            time.sleep(0.1)
