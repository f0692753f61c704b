"""`quality.validation_runs`: every run's outcome, and the baselines the next run compares with.

The baseline is the latest *accepted* run: one that passed, or one a human forced through
(`statistics.forced`), so a legitimate change only needs to be approved once.
"""
from __future__ import annotations

import json
from typing import Any

import psycopg
from psycopg.types.json import Jsonb


def previous_statistics(conn: psycopg.Connection, suite: str, run_id: str) -> dict[str, Any] | None:
    row = conn.execute(
        """
        select statistics from quality.validation_runs
        where suite = %s and run_id <> %s
          and (success or coalesce((statistics->>'forced')::boolean, false))
        order by validated_at desc limit 1
        """,
        (suite, run_id),
    ).fetchone()
    return row[0] if row else None


def record(conn: psycopg.Connection, run_id: str, suite: str, success: bool,
           failures: list[dict[str, Any]], statistics: dict[str, Any]) -> None:
    conn.execute(
        """
        insert into quality.validation_runs (run_id, suite, success, critical_failures, statistics, validated_at)
        values (%s, %s, %s, %s, %s, clock_timestamp())
        on conflict (run_id, suite) do update
            set success = excluded.success, critical_failures = excluded.critical_failures,
                statistics = excluded.statistics, validated_at = excluded.validated_at
        """,
        (run_id, suite, success, Jsonb(failures), Jsonb(json.loads(json.dumps(statistics, default=str)))),
    )
