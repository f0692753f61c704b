"""Row-level failures → `quality.quarantine` (history) and `quality.quarantined_records` (current set).

The failing rows are selected in the database with the query GX itself generates for each
failed expectation (`unexpected_index_query`), so quarantining a million bad rows never
pulls them through Python. A rerun of the same run id replaces that run's history rows.

Two levels (an expectation's `meta.level`): a `record` failure keeps the whole row out of
scoring (identity, email, timestamps); a `value` failure only nulls that one value (a company
with an absurd revenue keeps its industry and size): it goes to the history with level
'value' and to `quality.normalised_values` as null, which dbt staging reads, but not to the
current set, so the row still counts as scored in loaded = scored + quarantined. The nulled
field is the checked column, or `meta.field` when the check reads a derived column (a deal
stage no pipeline knows is checked on `deal_stage_known` and nulls `deal_stage`).
"""
from __future__ import annotations

from typing import Iterable

import psycopg
from psycopg import sql

from leadscore.quality.gx_runner import Outcome
from leadscore.quality.typed import SCHEMA, TypedStream

RAW_VALUE_CHARS = 2000  # the raw value is evidence for a human, not a copy of the record


def level(outcome: Outcome) -> str:
    return "value" if outcome.level == "value" else "record"


def _insert_failed_rows(conn: psycopg.Connection, run_id: str, spec: TypedStream, outcome: Outcome) -> None:
    """History rows for one failed expectation; the reason is the row's own (`meta.reason_column`,
    e.g. why the normaliser rejected its email) where it has one, else the expectation's."""
    raw_column = outcome.meta.get("raw_value") or outcome.kwargs["column"]
    reason = (sql.SQL("coalesce(t.{}, %(reason)s)").format(sql.Identifier(outcome.meta["reason_column"]))
              if outcome.meta.get("reason_column") else sql.SQL("%(reason)s"))
    conn.execute(
        sql.SQL(
            """
            insert into quality.quarantine (run_id, stream, record_id, expectation, reason, raw_value, level)
            select %(run_id)s, %(stream)s, t.id, %(rule)s, {reason}, left(t.{raw}::text, %(chars)s), %(level)s
            from (select distinct u.record_key from ({failing}) as u(record_key, value)) f
            join {typed} t on t.id = f.record_key
            """
        ).format(raw=sql.Identifier(raw_column), failing=sql.SQL(outcome.unexpected_index_query),
                 typed=sql.Identifier(SCHEMA, spec.table), reason=reason),
        {"run_id": run_id, "stream": spec.stream, "rule": outcome.rule, "level": level(outcome),
         "reason": outcome.meta.get("reason", outcome.expectation_type), "chars": RAW_VALUE_CHARS},
    )
    if level(outcome) == "value":  # staging reads the null instead of parsing the raw value
        conn.execute(
            """
            insert into quality.normalised_values (stream, record_id, field, value)
            select stream, record_id, %(field)s, null from quality.quarantine
            where run_id = %(run_id)s and stream = %(stream)s and expectation = %(rule)s
            on conflict (stream, record_id, field) do update set value = null
            """,
            {"field": outcome.meta.get("field") or outcome.kwargs["column"], "run_id": run_id, "stream": spec.stream, "rule": outcome.rule})


def record(conn: psycopg.Connection, run_id: str, spec: TypedStream, outcomes: Iterable[Outcome]) -> int:
    """Quarantine the stream's failing rows and values; returns distinct records quarantined whole."""
    conn.execute("delete from quality.quarantine where run_id = %s and stream = %s", (run_id, spec.stream))
    for outcome in outcomes:
        if not outcome.success and outcome.unexpected_index_query and outcome.exception is None:
            _insert_failed_rows(conn, run_id, spec, outcome)
    conn.execute("delete from quality.quarantined_records where stream = %s", (spec.stream,))
    conn.execute(
        """
        insert into quality.quarantined_records (stream, record_id, expectation, reason, run_id)
        select distinct on (record_id, expectation) stream, record_id, expectation, reason, run_id
        from quality.quarantine where run_id = %s and stream = %s and level = 'record'
        order by record_id, expectation
        """,
        (run_id, spec.stream),
    )
    return conn.execute("select count(distinct record_id) from quality.quarantined_records where stream = %s",
                        (spec.stream,)).fetchone()[0]
