"""Benchmark: validate_inputs over generated raw streams vs one count(*) scan of the same tables.

`run("small")`: 20k contacts × 400k activities; `run("full")`: 1M contacts × 20M activities.
Rows are generated in SQL (generate_series) in a dedicated embedded warehouse under
`<LEADSCORE_HOME>/bench-quality` so real raw data is never touched. About 0.5 % of contacts
carry a malformed email so the quarantine path is exercised too.
"""
from __future__ import annotations

import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plugins"))

from harness import figure  # noqa: E402
from psycopg import sql  # noqa: E402

from leadscore import settings, warehouse  # noqa: E402

SCALES = {"small": (20_000, 400_000), "full": (1_000_000, 20_000_000)}
# Share of all activities per activity stream.
ACTIVITY_MIX = {"hubspot_calls": 0.10, "hubspot_meetings": 0.05, "hubspot_emails": 0.10, "hubspot_notes": 0.05,
                "hubspot_form_submissions": 0.10, "hubspot_page_views": 0.30, "mailchimp_email_activity": 0.30}
FORM_TYPES = ["demo_request", "contact_sales", "case_study_request", "ebook_download", "webinar_registration",
              "event_registration", "newsletter_signup", "pricing_inquiry"]
STAGES = ["subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer",
          "evangelist", "other"]

TS = "to_char(now() - make_interval(mins => (g %% 5000)::int), 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
INSERT = "insert into {table} (id, record, source_updated_at, is_deleted, _run_id) select {id}, {record}, now() - make_interval(mins => (g %% 5000)::int), false, 'bench' from generate_series(1, %(n)s) g"

RECORDS = {
    "hubspot_contacts": ("g::text", f"""jsonb_build_object('id', g::text, 'createdAt', {TS}, 'updatedAt', {TS},
        'properties', jsonb_build_object(
            'email', case when g %% 200 = 0 then 'broken-' || g else 'lead' || g || '@example.com' end,
            'firstname', 'Ada', 'lastname', 'Lovelace', 'lifecyclestage', (%(stages)s::text[])[1 + g %% 8],
            'createdate', {TS}, 'lastmodifieddate', {TS}, 'associatedcompanyid', (1 + g %% %(companies)s)::text))"""),
    "hubspot_companies": ("'co' || g", f"""jsonb_build_object('id', 'co' || g, 'updatedAt', {TS},
        'properties', jsonb_build_object('name', 'Company ' || g, 'numberofemployees', (g %% 5000)::text,
            'annualrevenue', (g * 1000)::text, 'createdate', {TS}, 'hs_lastmodifieddate', {TS}))"""),
    "engagement": ("%(prefix)s || g", f"""jsonb_build_object('id', %(prefix)s || g, 'createdAt', {TS},
        'properties', jsonb_build_object('hs_timestamp', {TS}),
        'associations', jsonb_build_object('contacts', jsonb_build_array((1 + g %% %(contacts)s)::text)))"""),
    "hubspot_form_submissions": ("'f' || g", f"""jsonb_build_object('id', 'f' || g, 'eventType', 'e_submitted_form',
        'objectId', (1 + g %% %(contacts)s)::text, 'objectType', 'CONTACT', 'occurredAt', {TS},
        'properties', jsonb_build_object('form_type', (%(forms)s::text[])[1 + g %% 8]))"""),
    "hubspot_page_views": ("'pv' || g", f"""jsonb_build_object('id', 'pv' || g, 'eventType', 'e_visited_page',
        'objectId', (1 + g %% %(contacts)s)::text, 'objectType', 'CONTACT', 'occurredAt', {TS},
        'properties', jsonb_build_object('hs_url', 'https://example.com/p/' || (g %% 50)))"""),
    "mailchimp_members": ("'m' || g", f"""jsonb_build_object('id', 'm' || g, 'email_address', 'lead' || g || '@example.com',
        'status', 'subscribed', 'last_changed', {TS}, 'list_id', 'L1')"""),
    "mailchimp_campaigns": ("'C' || g", f"jsonb_build_object('id', 'C' || g, 'create_time', {TS})"),
    "mailchimp_email_activity": ("md5(g::text)", f"""jsonb_build_object('campaign_id', 'C' || (1 + g %% 50),
        'email_id', 'e' || g, 'email_address', 'lead' || (1 + g %% %(contacts)s) || '@example.com',
        'action', (array['open', 'click', 'bounce'])[1 + g %% 3], 'timestamp', {TS}, 'url', null)"""),
    "mailchimp_unsubscribes": ("'C1:u' || g", f"""jsonb_build_object('campaign_id', 'C1', 'email_id', 'u' || g,
        'email_address', 'lead' || g || '@example.com', 'timestamp', {TS})"""),
}


@contextmanager
def bench_home() -> Iterator[None]:
    """A dedicated embedded warehouse, so generated rows never mix with real raw data."""
    saved = {k: os.environ.get(k) for k in ("LEADSCORE_HOME", "LEADSCORE_WAREHOUSE_URL")}
    home = settings.home() / "bench-quality"
    home.mkdir(parents=True, exist_ok=True)
    os.environ["LEADSCORE_HOME"] = str(home)
    os.environ.pop("LEADSCORE_WAREHOUSE_URL", None)
    try:
        yield
    finally:
        warehouse.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _volumes(contacts: int, activities: int) -> dict[str, int]:
    counts = {s: int(activities * share) for s, share in ACTIVITY_MIX.items()}
    counts.update(hubspot_contacts=contacts, hubspot_companies=max(1, contacts // 10), mailchimp_members=contacts,
                  mailchimp_campaigns=50, mailchimp_unsubscribes=max(1, contacts // 100))
    return counts


def generate(conn, contacts: int, activities: int) -> dict[str, int]:
    from leadscore.sources import raw_store

    volumes = _volumes(contacts, activities)
    for stream, n in volumes.items():
        raw_store.ensure_table(conn, stream)
        conn.execute(sql.SQL("truncate {}").format(raw_store.table_name(stream)))
        key = stream if stream in RECORDS else "engagement"
        id_expr, record_expr = RECORDS[key]
        conn.execute(sql.SQL(INSERT).format(table=raw_store.table_name(stream), id=sql.SQL(id_expr),
                                            record=sql.SQL(record_expr)),
                     {"n": n, "contacts": contacts, "companies": volumes["hubspot_companies"], "stages": STAGES,
                      "forms": FORM_TYPES, "prefix": stream.split("_")[1][:4]})
        conn.execute(sql.SQL("analyze {}").format(raw_store.table_name(stream)))
    conn.execute("truncate quality.quarantine, quality.quarantined_records, quality.validation_runs")
    return volumes


def count_scan_seconds(conn, streams) -> float:
    from leadscore.sources import raw_store

    started = time.perf_counter()
    for stream in streams:
        conn.execute(sql.SQL("select count(*) from {}").format(raw_store.table_name(stream))).fetchone()
    return time.perf_counter() - started


def run(scale: str) -> dict[str, dict]:
    """{"validate_inputs_seconds": {value, unit, lower_bound (count(*) scan), ratio}}."""
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {', '.join(SCALES)}")
    settings.disable_telemetry()
    contacts, activities = SCALES[scale]
    with bench_home():
        from leadscore import quality
        import great_expectations  # noqa: F401  # import time is not validation time

        warehouse.bootstrap()
        with warehouse.connect() as conn:
            volumes = generate(conn, contacts, activities)
        with warehouse.connect() as conn:
            count_scan_seconds(conn, volumes)            # warm the cache for both measurements alike
            lower = count_scan_seconds(conn, volumes)
        started = time.perf_counter()
        report = quality.validate_inputs("bench", force=True)
        seconds = time.perf_counter() - started
    note = (f"{report.rows} rows in {len(volumes)} raw streams ({contacts} contacts, {activities} activities), "
            f"{report.quarantined} quarantined; lower bound = count(*) over the same raw tables; GX import excluded")
    return {"validate_inputs_seconds": figure(seconds, "s", lower_bound=lower, note=note)}


if __name__ == "__main__":
    import json

    print(json.dumps(run(sys.argv[1] if len(sys.argv) > 1 else "small"), indent=2))
