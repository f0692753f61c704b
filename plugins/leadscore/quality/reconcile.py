"""Nothing disappears silently: per stream, loaded = scored (passed by staging) + quarantined.

Each live raw row must be in exactly one of: the ids a dbt staging model passes on, or the
stream's current quarantine set. Staging is optional (tests and the first run have no dbt
models yet); without it only raw vs quarantine is counted and `checked` is False.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Iterable, Mapping

import psycopg
from psycopg import sql

from leadscore.sources import raw_store

FALLBACK_ID_COLUMNS = ("raw_id", "id")


@dataclass
class Reconciliation:
    stream: str
    loaded: int
    quarantined: int
    passed: int
    missing: int = 0        # live raw rows neither passed nor quarantined: silently lost
    leaked: int = 0         # quarantined rows that staging still passes on
    extra: int = 0          # staging ids with no raw row
    staging: str | None = None
    checked: bool = False

    @property
    def balanced(self) -> bool:
        return self.missing == 0 and self.leaked == 0 and self.extra == 0 and self.loaded == self.passed + self.quarantined

    def line(self) -> str:
        text = f"{self.stream}: loaded {self.loaded} = scored {self.passed} + quarantined {self.quarantined}"
        if not self.balanced:
            text += f" FAILS (missing {self.missing}, leaked {self.leaked}, extra {self.extra})"
        return text if self.checked else text + " (staging not checked)"

    def as_dict(self) -> dict:
        return {**asdict(self), "balanced": self.balanced}


def default_staging(stream: str) -> str:
    """hubspot_contacts → staging.stg_hubspot__contacts (dbt's source__object naming)."""
    source, _, obj = stream.partition("_")
    return f"staging.stg_{source}__{obj}"


def _id_column(conn: psycopg.Connection, relation: str, preferred: str | None) -> str | None:
    schema, _, name = relation.partition(".")
    columns = {r[0] for r in conn.execute(
        "select column_name from information_schema.columns where table_schema = %s and table_name = %s",
        (schema, name))}
    for candidate in ((preferred,) if preferred else ()) + FALLBACK_ID_COLUMNS:
        if candidate in columns:
            return candidate
    return None


def reconcile(conn: psycopg.Connection, streams: Iterable[str], *,
              staging: Mapping[str, str | None] | bool = True, id_column: str | None = None) -> dict[str, Reconciliation]:
    """Reconcile each stream; `staging` True = default dbt names, False = skip, or {stream: relation|None}."""
    out = {}
    for stream in streams:
        raw_store.ensure_table(conn, stream)
        relation = (default_staging(stream) if staging is True else
                    None if staging is False else staging.get(stream))
        exists = bool(relation) and conn.execute("select to_regclass(%s) is not null", (relation,)).fetchone()[0]
        column = _id_column(conn, relation, id_column) if exists else None
        if column:
            schema, _, name = relation.partition(".")
            staged = sql.SQL("select distinct {col}::text as id from {rel}").format(
                col=sql.Identifier(column), rel=sql.Identifier(schema, name))
        else:
            staged = sql.SQL("select null::text as id where false")
        row = conn.execute(sql.SQL(
            """
            with live as (select id from {raw} where not is_deleted),
                 q as (select distinct record_id from quality.quarantined_records where stream = %(stream)s),
                 s as ({staged})
            select count(*),
                   count(*) filter (where q.record_id is not null),
                   count(*) filter (where s.id is not null and q.record_id is null),
                   count(*) filter (where s.id is null and q.record_id is null),
                   count(*) filter (where s.id is not null and q.record_id is not null),
                   (select count(*) from s where s.id not in (select id from {raw}))
            from live left join q on q.record_id = live.id left join s on s.id = live.id
            """).format(raw=raw_store.table_name(stream), staged=staged), {"stream": stream}).fetchone()
        loaded, quarantined, passed, missing, leaked, extra = row
        if not column:  # without staging, everything not quarantined counts as passed on
            passed, missing = loaded - quarantined, 0
        out[stream] = Reconciliation(stream, loaded, quarantined, passed, missing, leaked, extra,
                                     staging=relation if column else None, checked=bool(column))
    return out
