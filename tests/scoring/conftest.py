"""A private embedded warehouse per test session, loaded with the scenario dataset and
scored by one `dbt build` (the expensive part, shared by the tests that only read marts)."""
from __future__ import annotations

import dataclasses
import os
import shutil
from contextlib import contextmanager
import tempfile
from pathlib import Path

import psycopg
import pytest

from leadscore import settings, warehouse
from leadscore.quality import typed
from leadscore.scoring.dbt import run_dbt

from tests.scoring.fixtures import AS_OF, scenario_dataset


@pytest.fixture(scope="session")
def scoring_home(tmp_path_factory):
    """LEADSCORE_HOME in a tmp dir; dbt target/log paths there too (no clash with others)."""
    # pgserver may run postgres as another OS user: the data dir must be reachable by it
    home = Path(tempfile.mkdtemp(prefix="ls-scoring-"))
    home.chmod(0o755)
    mp = pytest.MonkeyPatch()
    mp.setenv("LEADSCORE_HOME", str(home))
    mp.delenv("LEADSCORE_WAREHOUSE_URL", raising=False)
    mp.setenv("DBT_TARGET_PATH", str(home / "dbt-target"))
    mp.setenv("DBT_LOG_PATH", str(home / "dbt-logs"))
    mp.setenv("DBT_SEND_ANONYMOUS_USAGE_STATS", "False")
    mp.setenv("DO_NOT_TRACK", "1")
    warehouse.bootstrap(warehouse.params())
    yield home
    try:
        warehouse.stop()
    except Exception as exc:  # noqa: BLE001 - teardown must not mask test results
        print(f"warning: could not stop the test warehouse: {exc}")
    finally:
        mp.undo()
        shutil.rmtree(home, ignore_errors=True)


@contextmanager
def own_database(name: str):
    """A fresh database `name` on the session's server, made the warehouse for the block
    (LEADSCORE_WAREHOUSE_URL), so a module can score without touching the shared one."""
    base = warehouse.params()
    with psycopg.connect(dataclasses.replace(base, dbname="postgres").url, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')
        conn.execute(f'create database "{name}"')
    p = dataclasses.replace(base, dbname=name)
    mp = pytest.MonkeyPatch()
    mp.setenv("LEADSCORE_WAREHOUSE_URL", p.url)
    try:
        warehouse.bootstrap(p)
        yield p
    finally:
        mp.undo()


def reset_database() -> None:
    """Drop everything dbt and the fixtures created, keep the server running."""
    with warehouse.connect(autocommit=True) as conn:
        for schema in warehouse.SCHEMAS:
            conn.execute(f'drop schema if exists "{schema}" cascade')
    warehouse.bootstrap()


@pytest.fixture(scope="session")
def scored(scoring_home):
    """The scenario dataset landed and scored at AS_OF; returns the warehouse connection factory."""
    reset_database()
    data = scenario_dataset()
    with warehouse.connect() as conn:
        data.land(conn)
        conn.execute("""insert into quality.quarantined_records (stream, record_id, expectation, reason, run_id)
                        values ('hubspot_contacts', 'quar', 'expect_valid_email', 'test', 'test')""")
    # the quality step's typed layer normalises emails, titles and numbers for staging, as in a run
    typed.build_all(warehouse.params(), list(typed.STREAMS.values()))
    run_dbt(["build"], as_of=AS_OF.isoformat())
    return warehouse.connect


def fetch(sql: str, params=None) -> list[dict]:
    with warehouse.connect() as conn:
        cur = conn.execute(sql, params)
        cols = [c.name for c in cur.description]
        return [dict(zip(cols, row)) for row in cur.fetchall()]


def lead(crm_id: str) -> dict:
    rows = fetch("select * from marts.lead_scores where crm_id = %s", (crm_id,))
    assert len(rows) == 1, f"expected one lead with crm_id {crm_id}, got {len(rows)}"
    return rows[0]


@pytest.fixture
def project_copy(tmp_path):
    """A copy of dbt_project/ whose scoring_rules.yml a test may edit (run_dbt with
    project_dir=the copy scores with it)."""
    dst = tmp_path / "dbt_project"
    shutil.copytree(settings.dbt_project_dir(), dst,
                    ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    return dst
