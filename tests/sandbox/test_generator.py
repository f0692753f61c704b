"""The synthetic generator: determinism, layout, vocabulary, dirt and a measurable ground truth."""
from __future__ import annotations

import json
import re
from pathlib import Path

import httpx

from leadscore.synthetic import generate
from .conftest import AS_OF, CONTACTS


def read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_same_seed_gives_byte_identical_files(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    generate(150, 3, a, as_of=AS_OF)
    generate(150, 3, b, as_of=AS_OF)
    generate(150, 4, c, as_of=AS_OF)
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert len(files) == 16
    for rel in files:
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel
    assert (a / "hubspot/contacts.ndjson").read_bytes() != (c / "hubspot/contacts.ndjson").read_bytes()


def test_layout_meta_and_counts(dataset: Path) -> None:
    meta = json.loads((dataset / "meta.json").read_text())
    assert meta["mailchimp"]["list_id"] == "a1b2c3d4e5"
    assert meta["competitor_domains"] and meta["as_of"] == "2026-06-01T00:00:00.000Z"
    for name, count in meta["files"].items():
        assert len((dataset / name).read_text(encoding="utf-8").splitlines()) == count, name
    contacts = read(dataset / "hubspot/contacts.ndjson")
    assert len(contacts) == CONTACTS
    companies = read(dataset / "hubspot/companies.ndjson")
    assert CONTACTS / 14 < len(companies) < CONTACTS / 5  # about one company per 8 contacts
    activities = sum(meta["files"][f] for f in ("hubspot/events.ndjson", "hubspot/calls.ndjson", "hubspot/meetings.ndjson",
                                                 "hubspot/emails.ndjson", "hubspot/notes.ndjson"))
    activities += sum(len(r["activity"]) for r in read(dataset / "mailchimp/email_activity.ndjson"))
    assert 10 <= activities / CONTACTS <= 40  # the 1M-contact scale means ~20M activities


def test_records_carry_the_documented_properties(dataset: Path) -> None:
    contact_keys = {"email", "firstname", "lastname", "jobtitle", "company", "associatedcompanyid", "country", "phone",
                    "lifecyclestage", "hs_lead_status", "createdate", "lastmodifieddate", "hs_object_id",
                    "hs_merged_object_ids"}
    contacts = read(dataset / "hubspot/contacts.ndjson")
    for c in contacts:
        assert contact_keys <= c["properties"].keys()
        assert all(v is None or isinstance(v, str) for v in c["properties"].values())
    assert any("meddic_champion" in c["properties"] for c in contacts)
    names = " ".join(c["properties"]["firstname"] + c["properties"]["lastname"] for c in contacts)
    assert re.search(r"[ěščřžýáíéůúňťďĺľóąćęłńśźż]", names.lower()), "diacritics expected in names"
    company = read(dataset / "hubspot/companies.ndjson")[0]["properties"]
    assert {"name", "domain", "industry", "numberofemployees", "annualrevenue", "country", "createdate",
            "hs_lastmodifieddate"} <= company.keys()
    events = read(dataset / "hubspot/events.ndjson")
    forms = [e for e in events if e["eventType"] == "e_submitted_form"]
    views = [e for e in events if e["eventType"] == "e_visited_page"]
    assert forms and views
    assert {"hs_form_id", "form_type", "hs_page_url"} <= forms[0]["properties"].keys()
    assert any("budget_range" in f["properties"] and "decision_role" in f["properties"] for f in forms)
    assert {"hs_url", "hs_page_title"} <= views[0]["properties"].keys()
    call = read(dataset / "hubspot/calls.ndjson")[0]
    assert {"hs_timestamp", "hs_call_direction", "hs_call_duration", "hs_call_disposition"} <= call["properties"].keys()
    assert call["associations"]["contacts"]["results"][0]["type"] == "call_to_contact"


def test_dirt_rate_is_about_the_configured_rate(tmp_path: Path) -> None:
    generate(1500, 5, tmp_path, dirt_rate=0.2, as_of=AS_OF)
    truth = read(tmp_path / "ground_truth.ndjson")
    dirty = [t for t in truth if t["dirt"]]
    assert 0.14 < len(dirty) / len(truth) < 0.3
    kinds = {k for t in dirty for k in t["dirt"]}
    assert {"duplicate", "missing_email", "malformed_email", "email_case_whitespace", "merged", "archived"} <= kinds
    contacts = {c["id"]: c for c in read(tmp_path / "hubspot/contacts.ndjson")}
    for t in dirty:  # the dirt is visible in the served records, not only in the ground truth
        props = contacts[t["contact_id"]]["properties"]
        if "missing_email" in t["dirt"]:
            assert props["email"] == ""
        if "malformed_email" in t["dirt"]:
            assert not re.fullmatch(r"[^@\s]+@[^@\s]+\.[a-z.]+", props["email"])
        if "email_case_whitespace" in t["dirt"]:
            assert props["email"] != props["email"].strip()
        if "merged" in t["dirt"]:
            assert props["hs_merged_object_ids"] == ";".join(t["merged_ids"])
        if "archived" in t["dirt"]:
            assert contacts[t["contact_id"]]["archived"] is True
    companies = read(tmp_path / "hubspot/companies.ndjson")
    assert any(re.search(r"\d[ ,.]\d{3}", c["properties"]["numberofemployees"] + c["properties"]["annualrevenue"])
               for c in companies)
    events = read(tmp_path / "hubspot/events.ndjson")
    assert any(e["occurredAt"] > "2026-06-01" for e in events), "future timestamps expected"
    assert any(e["properties"].get("form_type") in ("legacy_contact_us", "partner_portal_v2", "FORM-TEST") for e in events)


def test_hidden_propensity_predicts_conversion(tmp_path: Path) -> None:
    generate(2000, 9, tmp_path, as_of=AS_OF)
    truth = read(tmp_path / "ground_truth.ndjson")
    ranked = sorted(truth, key=lambda t: t["propensity"])
    low, high = ranked[: len(ranked) // 2], ranked[len(ranked) // 2:]
    rate = lambda rows: sum(r["converted"] for r in rows) / len(rows)  # noqa: E731
    assert rate(high) > 3 * rate(low)
    customers = [t for t in truth if t["converted"]]
    assert all(t["lifecyclestage"] in ("customer", "evangelist") for t in customers)


def test_ground_truth_is_not_served(dataset: Path, hs: httpx.Client, sandbox) -> None:
    assert (dataset / "ground_truth.ndjson").exists()
    assert not list((dataset / "hubspot").glob("ground*")) and not list((dataset / "mailchimp").glob("ground*"))
    for path in ("/ground_truth.ndjson", "/_sandbox/ground_truth", "/crm/v3/objects/ground_truth"):
        assert httpx.get(sandbox.url + path, headers=hs.headers).status_code in (400, 404)
    names = {p["name"] for p in hs.get("/crm/v3/properties/contacts").json()["results"]}
    assert not {"propensity", "converted", "persona"} & names
    body = hs.get("/crm/v3/objects/contacts", params={"limit": 100, "properties": "propensity,persona"}).json()
    assert all("propensity" not in r["properties"] for r in body["results"])


def test_some_meetings_are_booked_ahead_and_nothing_else_changes(tmp_path: Path, monkeypatch) -> None:
    from leadscore.synthetic import generator

    generate(1500, 5, tmp_path / "booked", as_of=AS_OF)
    monkeypatch.setattr(generator, "BOOKED_AHEAD_SHARE", 0.0)
    generate(1500, 5, tmp_path / "none", as_of=AS_OF)
    meetings = read(tmp_path / "booked/hubspot/meetings.ndjson")
    as_of = "2026-06-01T00:00:00"
    ahead = [m["properties"] for m in meetings if m["properties"]["hs_timestamp"] > as_of]
    assert 0.02 < len(ahead) / len(meetings) < 0.10, (len(ahead), len(meetings))
    assert all(p["hs_meeting_outcome"] == "SCHEDULED" and p["hs_meeting_start_time"] == p["hs_timestamp"]
               and p["hs_createdate"] < as_of for p in ahead)
    # only those meetings differ: the same people, outcomes and every other record
    for path in sorted((tmp_path / "none").rglob("*.ndjson")):
        rel = path.relative_to(tmp_path / "none")
        if rel != Path("hubspot/meetings.ndjson"):
            assert (tmp_path / "booked" / rel).read_bytes() == path.read_bytes(), rel
    plain = read(tmp_path / "none/hubspot/meetings.ndjson")
    assert [m["id"] for m in plain] == [m["id"] for m in meetings]
    assert sum(a != b for a, b in zip(plain, meetings)) == len(ahead)
