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

A stream may name the properties the pipeline writes itself (`echo_prefix`: the reverse sync's
`leadscore_*` on contacts). HubSpot bumps a record's modification time on every write, so each
contact the sync wrote comes back in the next incremental read; a version that differs from the
landed one only in those properties and the modification stamps (`lastmodifieddate`,
`hs_lastmodifieddate`, `updatedAt`) is our own write echoing back and is not landed: it would
tell the warehouse nothing it does not know and make every written lead "changed" the next day.
A version whose only difference is the stamps is still landed (something we do not read changed).

Text Postgres cannot hold (the NUL character, which JSONB rejects as `\\u0000`, and lone UTF-16
surrogates, which are not UTF-8) is stripped at landing, so one bad byte never fails the batch
and every other record of it; each record so cleaned is counted and logged with its id and the
property paths, never the values.
"""
from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

import psycopg
from psycopg import sql

log = logging.getLogger(__name__)

STAMP_PROPERTIES = ["lastmodifieddate", "hs_lastmodifieddate"]  # bumped by any write, ours included
UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")  # NUL and lone surrogates: no Postgres text can hold them


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
    sanitised: int = 0  # records that had unstorable characters stripped

    def __iadd__(self, other: "MergeResult") -> "MergeResult":
        self.inserted += other.inserted
        self.updated += other.updated
        self.sanitised += other.sanitised
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


def storable(value, path: str = "", found: list[str] | None = None):
    """`value` with NUL and lone surrogates removed from every string (keys too); the paths
    of what was changed are appended to `found`."""
    if isinstance(value, str):
        if UNSTORABLE.search(value):
            if found is not None:
                found.append(path or "(value)")
            return UNSTORABLE.sub("", value)
        return value
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            key = storable(k, f"{path}.{UNSTORABLE.sub('', k)}".lstrip(".") + " (name)", found)
            out[key] = storable(v, f"{path}.{key}".lstrip("."), found)
        return out
    if isinstance(value, list):
        return [storable(v, f"{path}[{i}]", found) for i, v in enumerate(value)]
    return value


def landing_row(stream: str, r: RawRecord) -> tuple[tuple, bool]:
    """The COPY row of one record, cleaned if needed; True when something was stripped."""
    text = json.dumps(r.record, default=_json_default, ensure_ascii=False)
    if "\\u0000" not in text and not UNSTORABLE.search(text) and not UNSTORABLE.search(r.id):
        return (r.id, text, r.source_updated_at, r.is_deleted), False
    found: list[str] = []
    record = storable(r.record, "", found)
    record_id = storable(r.id, "id", found)
    if not found:  # a literal backslash-u0000 in the text, not a NUL
        return (r.id, text, r.source_updated_at, r.is_deleted), False
    log.warning("%s record %s: stripped characters Postgres cannot store (NUL or lone surrogate) from %s",
                stream, record_id, ", ".join(sorted(set(found))))
    return (record_id, json.dumps(record, default=_json_default, ensure_ascii=False), r.source_updated_at,
            r.is_deleted), True


def _properties(record: str, own: bool) -> sql.Composed:
    """The record's properties that are ours (`own`: names like %(echo)s), or all the others but the stamps."""
    keep = "key like %(echo)s" if own else "not (key like %(echo)s or key = any(%(stamps)s))"
    return sql.SQL("(select jsonb_object_agg(key, value) from jsonb_each({record} -> 'properties') where {keep})").format(
        record=sql.SQL(record), keep=sql.SQL(keep))


def _echo(new: str, old: str) -> sql.Composed:
    """True when version `new` differs from `old` only in our own properties and the stamps."""
    return sql.SQL("""(%(echo)s::text is not null
        and ({new} - 'updatedAt' - 'properties') = ({old} - 'updatedAt' - 'properties')
        and {new_rest} is not distinct from {old_rest}
        and {new_own} is distinct from {old_own})""").format(
        new=sql.SQL(new), old=sql.SQL(old), new_rest=_properties(new, False), old_rest=_properties(old, False),
        new_own=_properties(new, True), old_own=_properties(old, True))


def merge(conn: psycopg.Connection, stream: str, records: Iterable[RawRecord], run_id: str,
          echo_prefix: str | None = None) -> MergeResult:
    """COPY `records` into a temp table and merge them into raw.<stream> in one statement.

    Within one batch the newest version of an id wins. Runs inside the caller's transaction.
    `echo_prefix`: the properties the pipeline writes itself; a version that changed only those
    (and the modification stamps) is not landed (see the module doc).
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
        sanitised = 0
        for r in records:
            row, cleaned = landing_row(stream, r)
            sanitised += cleaned
            copy.write_row(row)
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
                    where (excluded.source_updated_at > t.source_updated_at
                           or (t.source_updated_at is null and excluded.source_updated_at is not null)
                           or excluded.is_deleted is distinct from t.is_deleted
                           or (excluded.source_updated_at is not distinct from t.source_updated_at
                               and excluded.record is distinct from t.record))
                      and not (excluded.is_deleted is not distinct from t.is_deleted and {echo})
                returning (xmax = 0) as inserted
            )
            select count(*) filter (where inserted), count(*) filter (where not inserted) from merged
            """
        ).format(stage=stage, table=table_name(stream), echo=_echo("excluded.record", "t.record")),
        {"run_id": run_id, "echo": echo_prefix.replace("_", "\\_") + "%" if echo_prefix else None,
         "stamps": STAMP_PROPERTIES},
    ).fetchone()
    return MergeResult(inserted=row[0], updated=row[1], sanitised=sanitised)


def truncate(conn: psycopg.Connection, stream: str) -> None:
    """Empty one stream's raw table (full refresh); other streams are untouched."""
    ensure_table(conn, stream)
    conn.execute(sql.SQL("truncate {table}").format(table=table_name(stream)))
