"""Landing records in the `raw` schema: COPY into a temp table, merge only newer versions.

Every raw table has the same shape, so dbt staging and GX checks read all streams alike:

    id text primary key      -- the source's primary key (or a stable event key)
    record jsonb             -- the record exactly as the API returned it
    source_updated_at        -- the source's updatedAt / occurredAt / last_changed
    is_deleted boolean       -- archived in the CRM
    _extracted_at, _run_id   -- load metadata

A batch is merged with `INSERT … ON CONFLICT DO UPDATE … WHERE` the incoming version is newer
(or its deleted flag changed), so reruns and retried pages never duplicate or regress a row;
the bookmark that covers the batch is written in the same transaction (see `state.py`).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

import psycopg
from psycopg import sql


@dataclass(frozen=True)
class RawRecord:
    id: str
    record: dict
    source_updated_at: datetime | None
    is_deleted: bool = False


@dataclass
class MergeResult:
    inserted: int = 0
    updated: int = 0

    def __iadd__(self, other: "MergeResult") -> "MergeResult":
        self.inserted += other.inserted
        self.updated += other.updated
        return self


def table_name(stream: str) -> sql.Composed:
    return sql.SQL("raw.{}").format(sql.Identifier(stream))


def ensure_table(conn: psycopg.Connection, stream: str) -> None:
    conn.execute(
        sql.SQL(
            """
            create table if not exists {table} (
                id text primary key,
                record jsonb not null,
                source_updated_at timestamptz,
                is_deleted boolean not null default false,
                _extracted_at timestamptz not null default now(),
                _run_id text not null
            )
            """
        ).format(table=table_name(stream))
    )
    # incremental scoring reads only the rows loaded since its previous run
    conn.execute(sql.SQL("create index if not exists {index} on {table} (_extracted_at)").format(
        index=sql.Identifier(f"{stream}_extracted_at"), table=table_name(stream)))


def _json_default(value):
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def merge(conn: psycopg.Connection, stream: str, records: Iterable[RawRecord], run_id: str) -> MergeResult:
    """COPY `records` into a temp table and merge them into raw.<stream> in one statement.

    Within one batch the newest version of an id wins. Runs inside the caller's transaction.
    """
    stage = sql.Identifier(f"_stage_{stream}")
    conn.execute(
        sql.SQL(
            "create temp table if not exists {stage} "
            "(id text, record jsonb, source_updated_at timestamptz, is_deleted boolean) on commit delete rows"
        ).format(stage=stage)
    )
    conn.execute(sql.SQL("delete from {stage}").format(stage=stage))  # cheaper than truncate when small
    with conn.cursor().copy(
        sql.SQL("copy {stage} (id, record, source_updated_at, is_deleted) from stdin").format(stage=stage)
    ) as copy:
        for r in records:
            copy.write_row((r.id, json.dumps(r.record, default=_json_default, ensure_ascii=False), r.source_updated_at, r.is_deleted))
    row = conn.execute(
        sql.SQL(
            """
            with incoming as (
                select distinct on (id) id, record, source_updated_at, is_deleted
                from {stage}
                order by id, source_updated_at desc nulls last, is_deleted desc
            ), merged as (
                insert into {table} as t (id, record, source_updated_at, is_deleted, _extracted_at, _run_id)
                select id, record, source_updated_at, is_deleted, now(), %(run_id)s from incoming
                on conflict (id) do update
                    set record = excluded.record,
                        source_updated_at = excluded.source_updated_at,
                        is_deleted = excluded.is_deleted,
                        _extracted_at = excluded._extracted_at,
                        _run_id = excluded._run_id
                    where excluded.source_updated_at > t.source_updated_at
                       or (t.source_updated_at is null and excluded.source_updated_at is not null)
                       or excluded.is_deleted is distinct from t.is_deleted
                       or (excluded.source_updated_at is not distinct from t.source_updated_at
                           and excluded.record is distinct from t.record)
                returning (xmax = 0) as inserted
            )
            select count(*) filter (where inserted), count(*) filter (where not inserted) from merged
            """
        ).format(stage=stage, table=table_name(stream)),
        {"run_id": run_id},
    ).fetchone()
    return MergeResult(inserted=row[0], updated=row[1])


def truncate(conn: psycopg.Connection, stream: str) -> None:
    """Empty one stream's raw table (full refresh); other streams are untouched."""
    ensure_table(conn, stream)
    conn.execute(sql.SQL("truncate {table}").format(table=table_name(stream)))
