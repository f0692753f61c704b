"""A hand-edited dataset: the sandbox loads what it can and reports the rest, one line per file."""
from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import httpx
import pytest

from leadscore.sandbox import SandboxServer
from leadscore.sandbox.store import Store


@pytest.fixture
def dirty(dataset: Path, tmp_path: Path) -> Path:
    """The session dataset with a BOM, a duplicate id, non-numeric ids and a broken line."""
    out = tmp_path / "dataset"
    shutil.copytree(dataset, out)
    contacts = out / "hubspot" / "contacts.ndjson"
    lines = contacts.read_text(encoding="utf-8").splitlines()
    first = json.loads(lines[0])
    twin = {**first, "properties": {**first["properties"], "email": "second@example.com"}}
    bad_id = {**first, "id": "abc"}
    lines += [json.dumps(twin), json.dumps(bad_id), "{not json", json.dumps({**first, "id": "12x"})]
    contacts.write_text("\ufeff" + "\n".join(lines) + "\n", encoding="utf-8")
    campaigns = out / "mailchimp" / "campaigns.ndjson"
    text = campaigns.read_text(encoding="utf-8")
    campaigns.write_text("\ufeff" + text + text.splitlines()[0] + "\n", encoding="utf-8")
    return out


def test_loads_what_it_can_and_reports_the_rest_once_per_file(dirty: Path, dataset: Path, caplog):
    n = len((dataset / "hubspot" / "contacts.ndjson").read_text().splitlines())
    campaigns = len((dataset / "mailchimp" / "campaigns.ndjson").read_text().splitlines())
    with caplog.at_level(logging.WARNING, logger="leadscore.sandbox.store"):
        store = Store(dirty)
    try:
        first = json.loads((dataset / "hubspot" / "contacts.ndjson").read_text().splitlines()[0])
        assert store.scalar("select count(*) from obj_contacts") == n
        assert json.loads(store.scalar("select props from obj_contacts where id = ?", (int(first["id"]),)))["email"] \
            == first["properties"]["email"]                                   # the first of the twins is kept
        assert store.scalar("select count(*) from mc_campaigns") == campaigns
    finally:
        store.close()
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        f"sandbox dataset {dirty}/hubspot/contacts.ndjson: skipped 4 records — a duplicate id (the first is kept) "
        f"at line {n + 1}; an id that is not a number at lines {n + 2}, {n + 4}; not JSON at line {n + 3}",
        f"sandbox dataset {dirty}/mailchimp/campaigns.ndjson: skipped 1 record — a duplicate id (the first is kept) "
        f"at line {campaigns + 1}"]
    assert not any(r.exc_info for r in caplog.records)


def test_the_server_starts_on_a_dataset_with_a_bom_and_serves_it(dirty: Path, dataset: Path):
    first = json.loads((dataset / "hubspot" / "contacts.ndjson").read_text().splitlines()[0])
    with SandboxServer(dirty, port=0) as server:
        contact = httpx.get(f"{server.url}/_sandbox/contacts/{first['id']}").json()
    assert contact["properties"]["email"] == first["properties"]["email"]
