"""Issue 4's correctness tests: incremental, exactly-once, rate-limit and fault tolerant."""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time

import pytest

from leadscore import warehouse
from leadscore.errors import SourceAuthError
from leadscore.sources.extract import run_stream

from .conftest import ALL_STREAMS, fast_retry_connection, raw_counts, raw_fingerprint, sandbox_admin


def extract_all(run_id: str) -> dict:
    return {name: run_stream(name, run_id) for name in ALL_STREAMS}


def test_everything_lands_and_a_rerun_changes_nothing(sandbox, clean_raw):
    first = extract_all("t-first")
    counts = raw_counts()
    assert all(n > 0 for n in counts.values()), counts
    assert sum(s.inserted for s in first.values()) == sum(counts.values())

    second = extract_all("t-second")
    assert {n: (s.inserted, s.updated) for n, s in second.items()} == {n: (0, 0) for n in second}
    assert raw_counts() == counts


def test_incremental_run_reflects_exactly_the_changes(sandbox, clean_raw):
    extract_all("t-base")
    with warehouse.connect() as conn:
        ids = [r[0] for r in conn.execute(
            "select id from raw.hubspot_contacts where not is_deleted order by id::bigint limit 6")]
    modified, (archived,), (survivor, loser) = ids[:3], ids[3:4], ids[4:6]
    with sandbox_admin(sandbox) as admin:
        headers = {"Authorization": "Bearer sandbox-hubspot-token"}
        r = admin.post("/crm/v3/objects/contacts/batch/update", headers=headers, json={
            "inputs": [{"id": i, "properties": {"jobtitle": "Chief Revenue Officer"}} for i in modified]})
        assert r.status_code == 200, r.text
        r = admin.post("/crm/v3/objects/contacts", headers=headers,
                       json={"properties": {"email": "new.lead@example-corp.cz", "firstname": "Nová"}})
        assert r.status_code == 201, r.text
        created = r.json()["id"]
        assert admin.delete(f"/crm/v3/objects/contacts/{archived}", headers=headers).status_code == 204
        r = admin.post("/crm/v3/objects/contacts/merge", headers=headers,
                       json={"primaryObjectId": survivor, "objectIdToMerge": loser})
        assert r.status_code == 200, r.text

    contacts = run_stream("hubspot_contacts", "t-incr")
    assert contacts.inserted == 1
    assert contacts.updated == len(modified) + 1 + 1  # the merge bumps the survivor; the archived row is marked
    with warehouse.connect() as conn:
        rows = dict(conn.execute("select id, record from raw.hubspot_contacts where id = any(%s)",
                                 ([*modified, created, archived, survivor],)).fetchall())
        deleted = dict(conn.execute("select id, is_deleted from raw.hubspot_contacts where id = any(%s)",
                                    ([archived, created],)).fetchall())
    assert all(rows[i]["properties"]["jobtitle"] == "Chief Revenue Officer" for i in modified)
    assert rows[created]["properties"]["email"] == "new.lead@example-corp.cz"
    assert deleted == {archived: True, created: False}
    assert loser in rows[survivor]["properties"]["hs_merged_object_ids"].split(";")


def test_nothing_lost_when_15000_contacts_change_within_one_second(big_sandbox, clean_raw):
    run_stream("hubspot_contacts", "t-big-1")
    with warehouse.connect() as conn:
        total, active = conn.execute(
            "select count(*), count(*) filter (where not is_deleted) from raw.hubspot_contacts").fetchone()
    assert active >= 15_000
    with sandbox_admin(big_sandbox) as admin:
        r = admin.post("/_sandbox/touch", json={"object_type": "contacts", "count": active,
                                                "modified_at": "now"})
        assert r.status_code == 200, r.text
    second = run_stream("hubspot_contacts", "t-big-2")
    assert second.updated == active and second.inserted == 0  # every touched contact, none skipped
    with warehouse.connect() as conn:
        assert conn.execute("select count(*) from raw.hubspot_contacts").fetchone()[0] == total


FAULTS = {"429": 0.05, "5xx": 0.06, "timeout": 0.03, "drop": 0.03, "malformed": 0.03}


def test_faults_on_twenty_percent_of_requests_converge_to_the_same_raw_state(sandbox, clean_raw, monkeypatch):
    fast_retry_connection(sandbox, monkeypatch)
    extract_all("t-clean")
    reference = raw_fingerprint()
    with warehouse.connect() as conn:
        for table in reference:
            conn.execute(f'truncate raw."{table}"')
        conn.execute("truncate raw._stream_state")
    with sandbox_admin(sandbox) as admin:
        assert admin.post("/_sandbox/config", json={"faults": FAULTS, "seed": 5, "timeout_seconds": 2.0}).status_code == 200
    faulty = extract_all("t-faulty")
    assert sum(s.retries for s in faulty.values()) > 0
    assert raw_fingerprint() == reference


def test_killed_mid_extraction_then_rerun_gives_the_same_raw_state(sandbox, clean_raw, monkeypatch):
    fast_retry_connection(sandbox, monkeypatch, page_size=10, commit_every_records=10)
    extract_all("t-ref")
    reference, reference_counts = raw_fingerprint(), raw_counts()
    with warehouse.connect() as conn:
        for table in reference:
            conn.execute(f'truncate raw."{table}"')
        conn.execute("truncate raw._stream_state")

    kill_after = random.Random(4).randint(3, 25) * 10  # rows landed before the kill
    proc = subprocess.Popen([sys.executable, "-m", "leadscore", "extract", "--run-id", "t-killed"],
                            env=os.environ.copy(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with warehouse.connect() as conn:
                if conn.execute("select to_regclass('raw.hubspot_contacts')").fetchone()[0] and \
                        conn.execute("select count(*) from raw.hubspot_contacts").fetchone()[0] >= kill_after:
                    break
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert raw_counts()["hubspot_contacts"] < reference_counts["hubspot_contacts"]  # it really stopped midway
    extract_all("t-rerun")
    assert raw_fingerprint() == reference


def test_bad_token_fails_at_once_naming_the_connection(sandbox, clean_raw, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_HUBSPOT", json.dumps(
        {"conn_type": "http", "host": sandbox.url, "password": "wrong-token"}))
    with sandbox_admin(sandbox) as admin:
        admin.delete("/_sandbox/requests")
        with pytest.raises(SourceAuthError) as err:
            run_stream("hubspot_contacts", "t-bad-token")
        total = admin.get("/_sandbox/requests").json()["total"]
    message = str(err.value)
    assert "'hubspot'" in message and "401" in message and "\n" not in message
    assert total == 1  # not retried
    with warehouse.connect() as conn:
        assert conn.execute("select count(*) from raw.hubspot_contacts").fetchone()[0] == 0
        assert conn.execute("select count(*) from raw._stream_state").fetchone()[0] == 0
