"""Typed snapshots of the raw streams: one set-based pass that turns JSONB into columns.

GX runs several metric queries per suite; running them over a narrow, already-typed unlogged
table (`quality.typed_<stream>`) instead of re-parsing JSONB in every query keeps validation
at a small multiple of one table scan. Unparseable values do not raise here: timestamps
become '-infinity' and numbers 'NaN', so the range expectations flag them as bad rows.

Emails, job titles, industries and firmographic numbers are normalised by
leadscore.quality.normalise: values already in normal form are recognised here in SQL (its
FAST_PATH), the rest go through Python once, and what that changed is stored in
`quality.normalised_values` for dbt staging to read (one definition for GX and dbt).

Only live rows are validated (archived CRM records are never scored).
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable

import psycopg
from psycopg import sql

from leadscore.quality import normalise
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


@dataclass(frozen=True)
class Normalised:
    """A value cleaned by leadscore.quality.normalise (`kind`) from the SQL expression `expr`.

    Typed columns: `<field>_raw` (the source text), `<field>` (the clean value; on the fast path
    taken as it is in SQL, else filled by `normalise_stream`), `<field>_problem` (why it could
    not be normalised, else null) and optionally `key` (the clean value or null: a lookup key).
    """

    field: str
    kind: str
    expr: str
    key: str | None = None

    @property
    def numeric(self) -> bool:
        return self.kind in ("count", "amount")

    def columns(self) -> list[tuple[str, str]]:
        pattern = "'" + normalise.FAST_PATH[self.kind].replace("'", "''") + "'"
        fast = f"case when {self.expr} ~ {pattern} then ({self.expr}){'::numeric' if self.numeric else ''} end"
        cols = [(f"{self.field}_raw", self.expr), (self.field, fast), (f"{self.field}_problem", "null::text")]
        return cols + ([(self.key, fast)] if self.key else [])


def email(expr: str) -> Normalised:
    return Normalised("email", "email", expr, key="email_key")


@dataclass(frozen=True)
class TypedStream:
    """How one raw stream becomes a typed table: column expressions plus optional joins."""

    stream: str
    suite: str                      # suite JSON file stem in expectations/
    columns: tuple[tuple[str, str], ...]
    joins: str = ""                 # extra FROM clauses (static SQL; may reference r and p)
    normalised: tuple[Normalised, ...] = ()

    @property
    def table(self) -> str:
        return f"typed_{self.stream}"

    @property
    def all_columns(self) -> list[tuple[str, str]]:
        """Every typed column: the plain ones, then those of the normalised values."""
        return list(self.columns) + [c for n in self.normalised for c in n.columns()]


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
        + cols + timestamp("occurred_at", "r.record->>'timestamp'")
    return TypedStream(stream, stream, tuple(cols), join, (email("r.record->>'email_address'"),))


# Stage ids the pipelines stream knows, per pipeline (a deal's stage must be one of its pipeline's).
KNOWN_STAGES = (
    "select pl.id as pipeline_id, st->>'id' as stage_id from raw.hubspot_deal_pipelines pl "
    "cross join lateral jsonb_array_elements(case when jsonb_typeof(pl.record->'stages') = 'array' "
    "then pl.record->'stages' else '[]'::jsonb end) st where not pl.is_deleted"
)
DEAL_STAGE = "nullif(btrim(p->>'dealstage'), '')"


def _deals() -> TypedStream:
    """A stage is known when a landed pipeline lists it (under the deal's pipeline, if it names
    one); with no pipelines landed at all there is nothing to check against, so it passes."""
    known = (f"({DEAL_STAGE} is null or not exists (select 1 from raw.hubspot_deal_pipelines pl where not pl.is_deleted) "
             f"or exists (select 1 from ({KNOWN_STAGES}) ks where ks.stage_id = {DEAL_STAGE} "
             f"and (ks.pipeline_id = nullif(btrim(p->>'pipeline'), '') or nullif(btrim(p->>'pipeline'), '') is null)))")
    cols = RECORD_ID + [
        ("deal_stage_raw", "p->>'dealstage'"), ("deal_stage", DEAL_STAGE), ("deal_stage_known", known),
        ("contact_ref", "r.record->'associations'->'contacts'"),
        ("longest_value", "quality.longest_value(p)"),
    ] + timestamp("created_at", "coalesce(p->>'createdate', r.record->>'createdAt')") \
        + timestamp("updated_at", "coalesce(p->>'hs_lastmodifieddate', r.record->>'updatedAt')") \
        + timestamp("closed_at", "p->>'closedate'")
    return TypedStream("hubspot_deals", "hubspot_deals", tuple(cols),
                       normalised=(Normalised("amount", "amount", "p->>'amount'"),))


def _deal_pipelines() -> TypedStream:
    cols = RECORD_ID + [
        ("stage_count", "case when jsonb_typeof(r.record->'stages') = 'array' "
                        "then jsonb_array_length(r.record->'stages') else 0 end"),
    ] + timestamp("updated_at", "r.record->>'updatedAt'")
    return TypedStream("hubspot_deal_pipelines", "hubspot_deal_pipelines", tuple(cols))


# The natural event key of Mailchimp email activity, as leadscore.sources.mailchimp.event_key builds it.
ACTIVITY_KEY = ("md5(concat_ws('|', coalesce(r.record->>'campaign_id', ''), coalesce(r.record->>'email_id', ''), "
                "coalesce(r.record->>'action', ''), coalesce(r.record->>'timestamp', ''), coalesce(r.record->>'url', '')))")
UNSUBSCRIBE_KEY = "(r.record->>'campaign_id') || ':' || (r.record->>'email_id')"

STREAMS: dict[str, TypedStream] = {s.stream: s for s in [
    TypedStream("hubspot_contacts", "hubspot_contacts", tuple(
        RECORD_ID + [("lifecyclestage", "nullif(btrim(p->>'lifecyclestage'), '')"), ("longest_value", "quality.longest_value(p)")]
        + timestamp("created_at", "coalesce(p->>'createdate', r.record->>'createdAt')")
        + timestamp("updated_at", "coalesce(p->>'lastmodifieddate', r.record->>'updatedAt')")),
        normalised=(email("p->>'email'"), Normalised("job_title", "text", "p->>'jobtitle'"))),
    TypedStream("hubspot_companies", "hubspot_companies", tuple(
        RECORD_ID + [("name", "p->>'name'"), ("longest_value", "quality.longest_value(p)")]
        + timestamp("created_at", "coalesce(p->>'createdate', r.record->>'createdAt')")
        + timestamp("updated_at", "coalesce(p->>'hs_lastmodifieddate', r.record->>'updatedAt')")),
        normalised=(Normalised("industry", "text", "p->>'industry'"),
                    Normalised("employees", "count", "p->>'numberofemployees'"),
                    Normalised("annual_revenue", "amount", "p->>'annualrevenue'"))),
    _deals(),
    _deal_pipelines(),
    *(_engagement(s) for s in ("hubspot_calls", "hubspot_meetings", "hubspot_emails", "hubspot_notes")),
    _event("hubspot_form_submissions"),
    _event("hubspot_page_views"),
    TypedStream("mailchimp_members", "mailchimp_members", tuple(
        RECORD_ID + [("status", "r.record->>'status'")]
        + timestamp("updated_at", "r.record->>'last_changed'")), normalised=(email("r.record->>'email_address'"),)),
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
        sql.SQL("{} as {}").format(sql.SQL(expr), sql.Identifier(name)) for name, expr in spec.all_columns)
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
    rows = cur.rowcount
    normalise_stream(conn, spec)
    return rows


def _typed_value(n: Normalised, raw: str, clean: normalise.Clean) -> str | None:
    """What the typed column holds: the clean value, or on a problem NaN (numbers, which the
    range checks reject) or the visible text (emails, so length checks still see it)."""
    if clean.problem is None:
        return clean.value
    return "NaN" if n.numeric else normalise.text(raw)


def normalise_stream(conn: psycopg.Connection, spec: TypedStream) -> int:
    """Normalise in Python the values the fast path left null; record them for dbt staging.

    Replaces the stream's rows in quality.normalised_values; returns how many values it wrote.
    """
    conn.execute("delete from quality.normalised_values where stream = %s", (spec.stream,))
    table = sql.Identifier(SCHEMA, spec.table)
    written = 0
    for n in spec.normalised:
        field, raw_col = sql.Identifier(n.field), sql.Identifier(f"{n.field}_raw")
        todo = conn.execute(sql.SQL("select id, {raw} from {t} where {raw} is not null and {f} is null").format(
            raw=raw_col, t=table, f=field)).fetchall()
        if not todo:
            continue
        conn.execute("create temp table if not exists normalised_tmp "
                     "(id text, value text, typed text, problem text)")
        conn.execute("truncate normalised_tmp")
        with conn.cursor().copy("copy normalised_tmp (id, value, typed, problem) from stdin") as copy:
            for record_id, raw in todo:
                clean = normalise.clean(n.kind, raw)
                copy.write_row((record_id, clean.value, _typed_value(n, raw, clean), clean.problem))
        key = sql.SQL(", {} = n.value").format(sql.Identifier(n.key)) if n.key else sql.SQL("")
        conn.execute(sql.SQL(
            "update {t} t set {f} = n.typed::{type}, {problem} = n.problem{key} from normalised_tmp n where t.id = n.id"
        ).format(t=table, f=field, type=sql.SQL("numeric" if n.numeric else "text"),
                 problem=sql.Identifier(f"{n.field}_problem"), key=key))
        written += conn.execute(
            "insert into quality.normalised_values (stream, record_id, field, value) "
            "select %s, id, %s, value from normalised_tmp where problem is null "
            "on conflict (stream, record_id, field) do update set value = excluded.value",
            (spec.stream, n.field)).rowcount
    return written


EMAIL_STREAMS = ("mailchimp_email_activity", "mailchimp_unsubscribes")


def resolve_normalised_emails(conn: psycopg.Connection, streams: list[str]) -> None:
    """Email events the raw-text join left unresolved are looked up again by normalised email
    (a BOM or an IDN domain on either side must not make a contact's activity unmatched)."""
    for stream in streams:
        conn.execute(sql.SQL(
            """
            update {t} t set contact_resolved = true
            where not t.contact_resolved and t.email_key is not null
              and t.email_key in (select c.email_key from {contacts} c where c.email_key is not null)
            """).format(t=sql.Identifier(SCHEMA, STREAMS[stream].table),
                        contacts=sql.Identifier(SCHEMA, STREAMS["hubspot_contacts"].table)))


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
        built = dict(pool.map(one, ordered))
    if "hubspot_contacts" in built:
        with warehouse.connect(p=p) as conn:
            resolve_normalised_emails(conn, [s for s in EMAIL_STREAMS if s in built])
    return built
