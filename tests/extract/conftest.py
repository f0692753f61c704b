"""Extraction tests run the real connectors over HTTP against the sandbox, into the embedded warehouse."""
from __future__ import annotations

import hashlib
import json

import httpx
import pytest

from leadscore import warehouse
from leadscore.sandbox import SandboxServer
from leadscore.sources.connect import SANDBOX_MAILCHIMP_LIST
from leadscore.sources.extract import raw_tables, stream_names
from leadscore.synthetic import generate

from tests.sandbox.deals import stamp_lifecycle_dates, write_deals


@pytest.fixture(scope="session")
def dataset(tmp_path_factory):
    out = tmp_path_factory.mktemp("extract-dataset")
    generate(contacts=400, seed=11, out_dir=out)
    write_deals(out)            # deals and pipelines by hand, in the shapes issue 17 specifies
    stamp_lifecycle_dates(out)
    return out


@pytest.fixture(scope="module")
def big_sandbox(tmp_path_factory, monkeypatch_module):
    out = tmp_path_factory.mktemp("extract-15k")
    generate(contacts=15_200, seed=3, out_dir=out)
    with SandboxServer(out, port=0) as server:
        monkeypatch_module.setenv("LEADSCORE_SANDBOX_PORT", str(server.port))
        yield server


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


@pytest.fixture(scope="session")
def wh():
    p = warehouse.bootstrap()
    yield p


@pytest.fixture()
def sandbox(dataset, monkeypatch):
    with SandboxServer(dataset, port=0) as server:
        monkeypatch.setenv("LEADSCORE_SANDBOX_PORT", str(server.port))
        yield server


@pytest.fixture()
def clean_raw(wh):
    """Each test starts from an empty raw schema and no bookmarks."""
    with warehouse.connect() as conn:
        for table in raw_tables():
            # truncate, not drop: dbt's staging views (other test modules) depend on these tables
            if conn.execute("select to_regclass(%s)", (f"raw.{table}",)).fetchone()[0]:
                conn.execute(f'truncate raw."{table}"')
        conn.execute("truncate raw._stream_state, raw._extraction_runs")
    yield


def sandbox_admin(sandbox) -> httpx.Client:
    return httpx.Client(base_url=sandbox.url, timeout=30)


def fast_retry_connection(sandbox, monkeypatch, **extra):
    """Both connections at the sandbox with short timeouts and back-offs (and any `extra`)."""
    settings = {"timeout": 1.0, "backoff_base": 0.05, "max_attempts": 12, "rate_limit_backoff": 0.2, **extra}
    monkeypatch.setenv("AIRFLOW_CONN_HUBSPOT", json.dumps(
        {"conn_type": "http", "host": sandbox.url, "password": "sandbox-hubspot-token", "extra": settings}))
    monkeypatch.setenv("AIRFLOW_CONN_MAILCHIMP", json.dumps(
        {"conn_type": "http", "host": sandbox.url, "login": "x", "password": "sandbox-mailchimp-key-us1",
         "extra": {**settings, "list_id": SANDBOX_MAILCHIMP_LIST}}))


def raw_fingerprint() -> dict[str, str]:
    """A digest per raw table of (id, record, is_deleted): load metadata excluded."""
    out = {}
    with warehouse.connect() as conn:
        for table in raw_tables():
            if not conn.execute("select to_regclass(%s)", (f"raw.{table}",)).fetchone()[0]:
                out[table] = "absent"
                continue
            digest = hashlib.sha256()
            for row in conn.execute(f'select id, record::text, is_deleted from raw."{table}" order by id'):
                digest.update(json.dumps(row, default=str).encode())
            out[table] = digest.hexdigest()
    return out


def raw_counts() -> dict[str, int]:
    with warehouse.connect() as conn:
        return {t: conn.execute(f'select count(*) from raw."{t}"').fetchone()[0] for t in raw_tables()}


ALL_STREAMS = stream_names()
