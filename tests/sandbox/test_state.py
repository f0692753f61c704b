"""CRM writes kept across sandbox restarts (persist.py), over real HTTP: replay, reset, kills, damage."""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest

from leadscore.sandbox import SandboxServer

from .conftest import HUBSPOT_TOKEN, sandbox_process

AUTH = {"Authorization": f"Bearer {HUBSPOT_TOKEN}"}


def contact_ids(server: SandboxServer, n: int) -> list[str]:
    body = httpx.get(f"{server.url}/crm/v3/objects/contacts", params={"limit": n}, headers=AUTH).json()
    return [r["id"] for r in body["results"]]


def props(url: str, cid: str) -> dict:
    return httpx.get(f"{url}/_sandbox/contacts/{cid}").json()["properties"]


def write_tiers(url: str, ids: list[str], tier: str) -> httpx.Response:
    return httpx.post(f"{url}/crm/v3/objects/contacts/batch/update", headers=AUTH, timeout=30,
                      json={"inputs": [{"id": i, "properties": {"leadscore_tier": tier}} for i in ids]})


def ensure_tier_property(url: str) -> None:
    body = {"name": "leadscore_tier", "label": "Lead tier", "type": "enumeration", "fieldType": "select",
            "groupName": "contactinformation",
            "options": [{"label": t, "value": t} for t in ("sql", "mql", "nurture", "disqualified")]}
    response = httpx.post(f"{url}/crm/v3/properties/contacts", json=body, headers=AUTH)
    assert response.status_code in (201, 409), response.text


def test_writes_survive_a_restart_and_a_reset_forgets_them(dataset: Path, tmp_path: Path) -> None:
    state_file = tmp_path / "crm_state.sqlite"
    with SandboxServer(dataset, state_file=state_file) as first:
        ids = contact_ids(first, 3)
        pristine = [props(first.url, i) for i in ids]
        ensure_tier_property(first.url)  # a property definition the sync created
        assert write_tiers(first.url, ids[:2], "sql").status_code == 200
        stage = httpx.patch(f"{first.url}/crm/v3/objects/contacts/{ids[0]}", headers=AUTH,
                            json={"properties": {"lifecyclestage": "salesqualifiedlead"}})
        assert stage.status_code == 200
        before = [props(first.url, i) for i in ids]

    with SandboxServer(dataset, state_file=state_file) as second:
        assert [props(second.url, i) for i in ids] == before  # every property, modified dates included
        assert props(second.url, ids[2]) == pristine[2]
        api = httpx.get(f"{second.url}/crm/v3/objects/contacts/{ids[0]}", headers=AUTH,
                        params={"properties": "leadscore_tier,lifecyclestage"}).json()["properties"]
        assert (api["leadscore_tier"], api["lifecyclestage"]) == ("sql", "salesqualifiedlead")
        page = httpx.get(f"{second.url}/", params={"per_page": 500}).text  # what a CRM user sees
        assert page.count("<td>sql</td>") >= 2
        assert httpx.get(f"{second.url}/_sandbox/state").json()["replayed_at_start"]["kept_obj_contacts"] == 2
        # lifecycle stages still only move forward after a replay
        httpx.patch(f"{second.url}/crm/v3/objects/contacts/{ids[0]}", headers=AUTH,
                    json={"properties": {"lifecyclestage": "lead"}}).raise_for_status()
        assert props(second.url, ids[0])["lifecyclestage"] == "salesqualifiedlead"

        forgotten = httpx.delete(f"{second.url}/_sandbox/state").json()
        assert forgotten["kept"] == {} and forgotten["path"] == str(state_file)
        assert [props(second.url, i) for i in ids] == pristine

    with SandboxServer(dataset, state_file=state_file) as third:
        assert [props(third.url, i) for i in ids] == pristine
        assert httpx.get(f"{third.url}/_sandbox/state").json()["replayed_at_start"] == {}


def test_reset_at_start_forgets_the_kept_writes(dataset: Path, tmp_path: Path) -> None:
    state_file = tmp_path / "crm_state.sqlite"
    with SandboxServer(dataset, state_file=state_file) as first:
        ensure_tier_property(first.url)
        ids = contact_ids(first, 2)
        write_tiers(first.url, ids, "mql").raise_for_status()
    with SandboxServer(dataset, state_file=state_file, reset_state=True) as again:
        assert all(props(again.url, i).get("leadscore_tier") in (None, "") for i in ids)
        assert httpx.get(f"{again.url}/_sandbox/state").json()["kept"] == {}


def test_a_kill_mid_write_keeps_every_acknowledged_batch_whole(dataset: Path, tmp_path: Path) -> None:
    """Four writers hammer a sandbox process that is killed (SIGKILL) under them; the
    restarted sandbox has every batch that was answered 200 and no batch in halves."""
    state_file = tmp_path / "crm_state.sqlite"
    proc, url = sandbox_process(dataset, "--state-file", str(state_file), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
    try:
        ensure_tier_property(url)
        ids = [r["id"] for r in httpx.get(f"{url}/crm/v3/objects/contacts", params={"limit": 100},
                                           headers=AUTH).json()["results"]]
        acknowledged: list[tuple[list[str], str]] = []
        stop = threading.Event()

        def writer(n: int) -> None:
            tiers = ("sql", "mql", "nurture", "disqualified")
            i = 0
            while not stop.is_set():
                batch, tier = ids[n * 25:(n + 1) * 25], tiers[i % 4]
                try:
                    if write_tiers(url, batch, tier).status_code == 200:
                        acknowledged.append((batch, tier))
                except httpx.HTTPError:
                    return  # the process died under this request
                i += 1

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        while len(acknowledged) < 40:
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        stop.set()
        for t in threads:
            t.join()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

    with SandboxServer(dataset, state_file=state_file) as again:
        last = {}
        for batch, tier in acknowledged:  # per writer, its last acknowledged batch is what must be there
            last[batch[0]] = (batch, tier)
        for batch, tier in last.values():
            seen = {props(again.url, i).get("leadscore_tier") for i in batch}
            assert len(seen) == 1, f"a batch was kept in halves: {seen}"
            # the acknowledged write, or one this writer sent after it whose answer the kill cut off
            assert seen != {None} and seen != {""}


def test_an_unreadable_state_file_is_set_aside_with_a_warning(dataset: Path, tmp_path: Path,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    state_file = tmp_path / "crm_state.sqlite"
    state_file.write_bytes(b"SQLite format 3\x00" + os.urandom(4096))  # a header, then garbage
    with caplog.at_level(logging.WARNING, logger="leadscore.sandbox.persist"):
        with SandboxServer(dataset, state_file=state_file) as server:
            ids = contact_ids(server, 1)
            ensure_tier_property(server.url)
            write_tiers(server.url, ids, "sql").raise_for_status()
    assert "is unreadable" in caplog.text and "starting from the dataset" in caplog.text
    assert (tmp_path / "crm_state.sqlite.unreadable").exists()
    with SandboxServer(dataset, state_file=state_file) as again:  # the fresh file works
        assert props(again.url, ids[0])["leadscore_tier"] == "sql"
