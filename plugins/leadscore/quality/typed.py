"""Typed snapshots of the raw streams: one set-based pass that turns JSONB into columns.

GX runs several metric queries per suite; running them over a narrow, already-typed unlogged
table (`quality.typed_<stream>`) instead of re-parsing JSONB in every query keeps validation
at a small multiple of one table scan. Unparseable values do not raise here: timestamps
become '-infinity' and numbers 'NaN', so the range expectations flag them as bad rows.

Only live rows are validated (archived CRM records are never scored).
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable

import psycopg
from psycopg import sql

from leadscore.sources import raw_store

SCHEMA = "quality"

FUNCTIONS_SQL = r"""
create or replace function quality.try_ts(v text) returns timestamptz
language sql stable parallel safe as $$
    select case
        when v is null or v = '' then null
        when v ~ '^\s*\d{4}-\d{2}-\d{2}' then
            case when pg_input_is_valid(v, 'timestamptz') then v::timestamptz else '-infinity'::timestamptz end
        when v ~ '^\s*-?\d{1,15}\s*$' then to_timestamp(btrim(v)::bigint / 1000.0)
        when btrim(v) = '' then null
        else '-infinity'::timestamptz
    end
$$;
create or replace function quality.try_epoch(v text) returns float8
language sql stable parallel safe as $$
    select extract(epoch from quality.try_ts(v))::float8
$$;
create or replace function quality.try_num(v text) returns numeric
language sql immutable parallel safe as $$
    select case
        when v is null or btrim(v) = '' then null
        when regexp_replace(v, '[[:space:],\u00a0\u202f]', '', 'g') ~ '^[-+]?\d{1,30}(\.\d{1,10})?$'
            then regexp_replace(v, '[[:space:],\u00a0\u202f]', '', 'g')::numeric
        else 'NaN'::numeric
    end
$$;
create or replace function quality.props(record jsonb) returns jsonb
language sql immutable parallel safe as $$
    select case when jsonb_typeof(record->'properties') = 'object' then record->'properties' else '{}'::jsonb end
$$;
create or replace function quality.longest_value(obj jsonb) returns integer
language sql immutable parallel safe as $$
    select coalesce(max(length(value)), 0) from jsonb_each_text(obj)
$$;
create or replace function quality.json_ids(arr jsonb) returns text[]
language sql immutable parallel safe as $$
    select case when jsonb_typeof(arr) = 'array'
        then array(select jsonb_array_elements_text(arr)) else '{}'::text[] end
$$;
"""

# Column fragments shared by several streams (SQL over alias r = raw row, p = properties).
RECORD_ID = [("record_id", "r.record->>'id'")]
LIVE_CONTACT_IDS = "select c.id from raw.hubspot_contacts c where not c.is_deleted"
LIVE_CONTACT_EMAILS = (
    "select distinct lower(btrim(quality.props(c.record)->>'email')) as email_key "
    "from raw.hubspot_contacts c where not c.is_deleted"
)


def timestamp(name: str, expr: str) -> list[tuple[str, str]]:
    """`<name>_raw` keeps the source text for the quarantine row; `<name>_epoch` is what suites check.

    Epoch seconds (-Infinity when unparseable, parsed once per value) rather than timestamptz:
    GX renders numeric bounds into its failing-rows SQL correctly, datetime bounds it does not.
    """
    return [(f"{name}_raw", expr), (f"{name}_epoch", f"quality.try_epoch({expr})")]


def email(expr: str) -> list[tuple[str, str]]:
    return [("email", f"nullif(btrim({expr}), '')"), ("email_key", f"lower(nullif(btrim({expr}), ''))")]


def number(name: str, expr: str) -> list[tuple[str, str]]:
    return [(f"{name}_raw", expr), (name, f"quality.try_num({expr})")]


@dataclass(frozen=True)
class TypedStream:
    """How one raw stream becomes a typed table: column expressions plus optional joins."""

    stream: str
    suite: str                      # suite JSON file stem in expectations/
    columns: tuple[tuple[str, str], ...]
    joins: str = ""                 # extra FROM clauses (static SQL; may reference r and p)

    @property
    def table(self) -> str:
        return f"typed_{self.stream}"


def _contact_by_id(expr: str) -> list[tuple[str, str]]:
    return [("contact_ref", expr), ("contact_resolved", f"exists ({LIVE_CONTACT_IDS} and c.id = {expr})")]


def _contact_by_email() -> tuple[list[tuple[str, str]], str]:
    cols = [("contact_resolved", "ce.email_key is not null")]
    join = f"left join ({LIVE_CONTACT_EMAILS}) ce on ce.email_key = lower(nullif(btrim(r.record->>'email_address'), ''))"
    return cols, join


def _engagement(stream: str) -> TypedStream:
    cols = RECORD_ID + [
        ("event_key", "r.record->>'id'"),
        ("contact_ref", "r.record->'associations'->'contacts'"),
        ("contact_resolved",  # a join per element (not `= any(array)`), so the contacts PK index is used
         f"exists (select 1 from unnest(quality.json_ids(r.record->'associations'->'contacts')) a(cid) "
         f"join raw.hubspot_contacts c on c.id = a.cid and not c.is_deleted)"),
    ] + timestamp("occurred_at", "coalesce(p->>'hs_timestamp', r.record->>'createdAt')")
    return TypedStream(stream, "hubspot_engagements", tuple(cols))


def _event(stream: str) -> TypedStream:
    cols = RECORD_ID + [
        ("event_key", "r.record->>'id'"),
        ("event_type", "r.record->>'eventType'"),
        ("form_type", "nullif(btrim(p->>'form_type'), '')"),
        ("url", "p->>'hs_url'"),
    ] + _contact_by_id("r.record->>'objectId'") + timestamp("occurred_at", "r.record->>'occurredAt'")
    return TypedStream(stream, stream, tuple(cols))


def _mailchimp_event(stream: str, key_expr: str) -> TypedStream:
    cols, join = _contact_by_email()
    cols = [("event_key", key_expr), ("campaign_id", "r.record->>'campaign_id'"), ("action", "r.record->>'action'")] \
        + email("r.record->>'email_address'") + cols + timestamp("occurred_at", "r.record->>'timestamp'")
    return TypedStream(stream, stream, tuple(cols), join)


# The natural event key of Mailchimp email activity, as leadscore.sources.mailchimp.event_key builds it.
ACTIVITY_KEY = ("md5(concat_ws('|', coalesce(r.record->>'campaign_id', ''), coalesce(r.record->>'email_id', ''), "
                "coalesce(r.record->>'action', ''), coalesce(r.record->>'timestamp', ''), coalesce(r.record->>'url', '')))")
UNSUBSCRIBE_KEY = "(r.record->>'campaign_id') || ':' || (r.record->>'email_id')"

STREAMS: dict[str, TypedStream] = {s.stream: s for s in [
    TypedStream("hubspot_contacts", "hubspot_contacts", tuple(
        RECORD_ID + email("p->>'email'")
        + [("lifecyclestage", "nullif(btrim(p->>'lifecyclestage'), '')"), ("longest_value", "quality.longest_value(p)")]
        + timestamp("created_at", "coalesce(p->>'createdate', r.record->>'createdAt')")
        + timestamp("updated_at", "coalesce(p->>'lastmodifieddate', r.record->>'updatedAt')"))),
    TypedStream("hubspot_companies", "hubspot_companies", tuple(
        RECORD_ID + [("name", "p->>'name'"), ("longest_value", "quality.longest_value(p)")]
        + number("employees", "p->>'numberofemployees'") + number("annual_revenue", "p->>'annualrevenue'")
        + timestamp("created_at", "coalesce(p->>'createdate', r.record->>'createdAt')")
        + timestamp("updated_at", "coalesce(p->>'hs_lastmodifieddate', r.record->>'updatedAt')"))),
    *(_engagement(s) for s in ("hubspot_calls", "hubspot_meetings", "hubspot_emails", "hubspot_notes")),
    _event("hubspot_form_submissions"),
    _event("hubspot_page_views"),
    TypedStream("mailchimp_members", "mailchimp_members", tuple(
        RECORD_ID + email("r.record->>'email_address'") + [("status", "r.record->>'status'")]
        + timestamp("updated_at", "r.record->>'last_changed'"))),
    TypedStream("mailchimp_campaigns", "mailchimp_campaigns", tuple(
        RECORD_ID + timestamp("created_at", "r.record->>'create_time'"))),
    _mailchimp_event("mailchimp_email_activity", ACTIVITY_KEY),
    _mailchimp_event("mailchimp_unsubscribes", UNSUBSCRIBE_KEY),
]}


def install_functions(conn: psycopg.Connection) -> None:
    conn.execute(FUNCTIONS_SQL)


def build(conn: psycopg.Connection, spec: TypedStream) -> int:
    """(Re)create quality.typed_<stream> from raw.<stream>; returns its row count."""
    raw_store.ensure_table(conn, spec.stream)
    select_list = sql.SQL(", ").join(
        sql.SQL("{} as {}").format(sql.SQL(expr), sql.Identifier(name)) for name, expr in spec.columns)
    table = sql.Identifier(SCHEMA, spec.table)
    conn.execute(sql.SQL("drop table if exists {}").format(table))
    cur = conn.execute(sql.SQL(
        """
        create unlogged table {table} as
        select r.id, r.source_updated_at, {columns}
        from {raw} r
        cross join lateral (select quality.props(r.record) as p) props
        {joins}
        where not r.is_deleted
        """
    ).format(table=table, columns=select_list, raw=raw_store.table_name(spec.stream), joins=sql.SQL(spec.joins)))
    return cur.rowcount


def build_all(p, specs: list[TypedStream], workers: int | None = None) -> dict[str, int]:
    """Build every typed snapshot, several at once (each is one CPU-bound scan of its raw table)."""
    from leadscore import warehouse

    with warehouse.connect(p=p) as conn:
        install_functions(conn)
        for spec in specs:  # DDL on raw first, serially: concurrent `create table if not exists` can race
            raw_store.ensure_table(conn, spec.stream)

    def one(spec: TypedStream) -> tuple[str, int]:
        with warehouse.connect(p=p) as conn:
            return spec.stream, build(conn, spec)

    # Largest tables first so the pool is not left waiting on one big stream at the end.
    with warehouse.connect(p=p) as conn:
        sizes = {s.stream: conn.execute("select pg_relation_size(%s)", (f"raw.{s.stream}",)).fetchone()[0] for s in specs}
    ordered = sorted(specs, key=lambda s: -sizes[s.stream])
    with ThreadPoolExecutor(max_workers=workers or max(1, min(4, os.cpu_count() or 1))) as pool:
        return dict(pool.map(one, ordered))
