"""A warehouse of its own per test module, a hand-made history landed and scored as the daily
run does (the backtest and model tests change its data, so modules do not share one)."""
from __future__ import annotations

import shutil
import tempfile
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Iterator

import pytest

from leadscore import warehouse
from leadscore.quality import typed
from leadscore.scoring.dbt import run_dbt
from tests.scoring.fixtures import Dataset


@contextmanager
def scored_history(dataset: Dataset, now: datetime, prefix: str) -> Iterator[Path]:
    home = Path(tempfile.mkdtemp(prefix=f"ls-{prefix}-"))
    home.chmod(0o755)  # pgserver may run postgres as another user
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LEADSCORE_HOME", str(home))
        mp.delenv("LEADSCORE_WAREHOUSE_URL", raising=False)
        mp.setenv("DBT_TARGET_PATH", str(home / "dbt-target"))
        mp.setenv("DBT_LOG_PATH", str(home / "dbt-logs"))
        try:
            warehouse.bootstrap()
            with warehouse.connect() as conn:
                dataset.land(conn)
            typed.build_all(warehouse.params(), list(typed.STREAMS.values()))
            run_dbt(["run"], as_of=now.isoformat())
            yield home
        finally:
            warehouse.stop()
            shutil.rmtree(home, ignore_errors=True)


def rows(sql: str, params: tuple = ()) -> list[tuple]:
    with warehouse.connect() as conn:
        return conn.execute(sql, params).fetchall()
