"""Issue 16: odd-but-valid API answers lose nothing and hang never (real HTTP against the sandbox).

Each test arms a sandbox quirk (`POST /_sandbox/quirks`) for a few requests, then runs the real
connector into the embedded warehouse and compares with a run on the plain sandbox.
"""
from __future__ import annotations

import json
import logging
import time
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest
from airflow.sdk.exceptions import AirflowFailException

from leadscore import pipeline, warehouse
from leadscore.errors import SourceError
from leadscore.sources import raw_store
from leadscore.sources.connect import SANDBOX_MAILCHIMP_LIST, open_source
from leadscore.sources.extract import run_stream

from .conftest import fast_retry_connection, sandbox_admin

HUBSPOT = {"Authorization": "Bearer sandbox-hubspot-token"}


def arm(sandbox, **quirk) -> None:
    with sandbox_admin(sandbox) as admin:
        r = admin.post("/_sandbox/quirks", json=quirk)
        assert r.status_code == 200, r.text


def fired(sandbox) -> list[int]:
    with sandbox_admin(sandbox) as admin:
        return [q["fired"] for q in admin.get("/_sandbox/quirks").json()["quirks"]]


def landed(stream: str) -> tuple[int, dict | None]:
    """(rows in raw.<stream>, the stream's stored bookmark)."""
    with warehouse.connect() as conn:
        rows = conn.execute(f'select count(*) from raw."{stream}"').fetchone()[0]
        bookmark = conn.execute("select bookmark from raw._stream_state where stream = %s", (stream,)).fetchone()
    return rows, bookmark[0] if bookmark else None


def forget(stream: str) -> None:
    with warehouse.connect() as conn:
        conn.execute(f'truncate raw."{stream}"')
        conn.execute("delete from raw._stream_state where stream = %s", (stream,))


def test_an_empty_search_page_with_a_next_cursor_does_not_end_the_stream(sandbox, clean_raw):
    run_stream("hubspot_contacts", "t-plain")
    expected, _ = landed("hubspot_contacts")
    assert expected > 300
    forget("hubspot_contacts")
    # three search pages come back empty, each still pointing (paging.next) at the rest of the query
    arm(sandbox, kind="empty_page", path="/crm/v3/objects/contacts/search", times=3)
    summary = run_stream("hubspot_contacts", "t-empty-pages")
    assert fired(sandbox) == [3]
    rows, bookmark = landed("hubspot_contacts")
    assert rows == expected and summary.status == "success"
    # and the bookmark covers every contact landed: a rerun on the plain sandbox finds nothing new
    assert bookmark and "last_id" not in bookmark
    assert run_stream("hubspot_contacts", "t-after").inserted == 0


def test_mailchimp_pages_past_an_understated_total_items(sandbox, clean_raw, monkeypatch):
    fast_retry_connection(sandbox, monkeypatch, mailchimp_page_size=100)
    run_stream("mailchimp_members", "t-plain")
    expected, _ = landed("mailchimp_members")
    assert expected > 100
    forget("mailchimp_members")
    arm(sandbox, kind="understated_total", path=f"/3.0/lists/{SANDBOX_MAILCHIMP_LIST}/members", times=100, value=100)
    run_stream("mailchimp_members", "t-understated")
    assert fired(sandbox)[0] >= 2
    assert landed("mailchimp_members")[0] == expected


def test_a_nul_byte_in_one_property_is_stripped_and_every_record_lands(sandbox, clean_raw, caplog):
    with sandbox_admin(sandbox) as admin:
        ids = [r["id"] for r in admin.post("/crm/v3/objects/contacts/search", headers=HUBSPOT,
                                           json={"limit": 2}).json()["results"]]
        r = admin.post("/crm/v3/objects/contacts/batch/update", headers=HUBSPOT, json={"inputs": [
            {"id": ids[0], "properties": {"firstname": "Ada\u0000Lovelace"}},
            {"id": ids[1], "properties": {"jobtitle": "\u0000CTO\u0000"}}]})
        assert r.status_code == 200, r.text
        expected = admin.post("/crm/v3/objects/contacts/search", headers=HUBSPOT, json={"limit": 1}).json()["total"]
    with caplog.at_level(logging.WARNING, logger="leadscore.sources.raw_store"):
        summary = run_stream("hubspot_contacts", "t-nul")
    assert summary.sanitised == 2
    with warehouse.connect() as conn:
        active = conn.execute("select count(*) from raw.hubspot_contacts where not is_deleted").fetchone()[0]
        props = dict(conn.execute("select id, record->'properties' from raw.hubspot_contacts where id = any(%s)",
                                  (ids,)).fetchall())
        stored = conn.execute("select sanitised from raw._extraction_runs where run_id = 't-nul'").fetchone()[0]
    assert active == expected
    assert props[ids[0]]["firstname"] == "AdaLovelace" and props[ids[1]]["jobtitle"] == "CTO"
    assert stored == 2
    lines = [r.getMessage() for r in caplog.records if "stripped" in r.getMessage()]
    assert any(ids[0] in line and "properties.firstname" in line for line in lines), lines
    assert not any("Ada" in line or "CTO" in line for line in lines)  # ids and paths, never values


def test_lone_surrogates_are_stripped_at_landing_too(wh, clean_raw):
    records = [raw_store.RawRecord("s1", {"properties": {"firstname": "Zo\ud800e", "tags": ["ok", "\udfff"]}}, None),
               raw_store.RawRecord("s2", {"properties": {"firstname": "plain \\u0000 text"}}, None)]
    with warehouse.connect() as conn:
        raw_store.ensure_table(conn, "hubspot_contacts")
        result = raw_store.merge(conn, "hubspot_contacts", records, "t-surrogate")
        rows = dict(conn.execute("select id, record from raw.hubspot_contacts").fetchall())
    assert result.inserted == 2 and result.sanitised == 1
    assert rows["s1"]["properties"] == {"firstname": "Zoe", "tags": ["ok", ""]}
    assert rows["s2"]["properties"]["firstname"] == "plain \\u0000 text"  # a literal backslash is data, kept


def test_a_cursor_handed_back_unchanged_fails_naming_stream_and_cursor(sandbox, clean_raw, monkeypatch):
    fast_retry_connection(sandbox, monkeypatch, page_size=10)
    arm(sandbox, kind="repeated_cursor", path="/events/v3/events", times=30)
    with pytest.raises(SourceError) as err:
        run_stream("hubspot_page_views", "t-loop")
    message = str(err.value)
    assert "hubspot_page_views" in message and "cursor" in message and "\n" not in message
    assert fired(sandbox) == [1]  # asked for the repeated cursor once, not 30 times
    assert landed("hubspot_page_views") == (0, None)  # nothing committed, no bookmark moved


def timed_get(sandbox, monkeypatch, retry_after: str, **extra) -> tuple[float, object]:
    """Arm one 429 with `Retry-After: retry_after`, then GET through the real client: (seconds, body | error)."""
    fast_retry_connection(sandbox, monkeypatch, **extra)
    arm(sandbox, kind="retry_after", path="/crm/v3/properties/contacts", value=retry_after)
    client = open_source("hubspot").client
    started = time.monotonic()
    try:
        outcome = client.get("/crm/v3/properties/contacts")
    except SourceError as exc:
        outcome = exc
    finally:
        client.close()
    return time.monotonic() - started, outcome


@pytest.mark.timeout(30)  # today's code sleeps a day here
@pytest.mark.parametrize("header", ["86400", "date"])
def test_a_retry_after_beyond_the_cap_fails_at_once_saying_when(sandbox, monkeypatch, header):
    until = datetime.now(timezone.utc) + timedelta(days=1)
    value = "86400" if header == "86400" else format_datetime(until, usegmt=True)
    seconds, outcome = timed_get(sandbox, monkeypatch, value)
    assert seconds < 5 and isinstance(outcome, SourceError)
    message = str(outcome)
    assert "\n" not in message and "max_retry_wait_seconds" in message and "'hubspot'" in message
    assert f"{until:%Y-%m-%d %H:%M}" in message or f"{until + timedelta(minutes=1):%Y-%m-%d %H:%M}" in message
    assert "UTC" in message


def test_the_wait_cap_is_the_connections_max_retry_wait_seconds(sandbox, monkeypatch):
    seconds, outcome = timed_get(sandbox, monkeypatch, "5", max_retry_wait_seconds=2)
    assert seconds < 2 and isinstance(outcome, SourceError) and "more than the 2 s allowed" in str(outcome)


def test_retry_after_as_an_http_date_is_honoured(sandbox, monkeypatch):
    value = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=3), usegmt=True)
    seconds, outcome = timed_get(sandbox, monkeypatch, value)
    assert isinstance(outcome, dict) and outcome["results"]
    assert 1.0 < seconds < 5  # the date is whole seconds, so 2–3 s of wait (default back-off here: 0.2 s)


@pytest.mark.parametrize("value", ["-5", "soon"])
def test_a_negative_or_garbage_retry_after_uses_the_default_back_off_not_zero(sandbox, monkeypatch, value):
    seconds, outcome = timed_get(sandbox, monkeypatch, value, rate_limit_backoff=1.0)
    assert isinstance(outcome, dict) and outcome["results"]
    assert seconds >= 0.9


def test_a_rejected_token_fails_the_airflow_task_without_retry(sandbox, clean_raw, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_HUBSPOT", json.dumps(
        {"conn_type": "http", "host": sandbox.url, "password": "revoked-token"}))
    with pytest.raises(AirflowFailException) as err:
        pipeline.extract("hubspot_contacts", "t-revoked")
    message = str(err.value)
    assert "'hubspot'" in message and "401" in message and "\n" not in message
    assert "revoked-token" not in message
