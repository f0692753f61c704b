"""Deals, their contacts and the deal pipelines extracted over HTTP from the sandbox (issue 17 §1)."""
from __future__ import annotations

import json

from leadscore import warehouse
from leadscore.sources.extract import run_stream

from tests.sandbox.deals import FIRST_ID, LIFECYCLE_DATE_PROPS

from .conftest import raw_fingerprint, sandbox_admin

SEVEN, NO_CONTACT, ARCHIVED = (str(FIRST_ID + n) for n in (4, 3, 6))
HEADERS = {"Authorization": "Bearer sandbox-hubspot-token"}


def deals_in_raw() -> dict[str, dict]:
    with warehouse.connect() as conn:
        return {i: r for i, r in conn.execute("select id, record from raw.hubspot_deals where not is_deleted")}


def test_deals_land_with_their_contact_ids(sandbox, clean_raw, dataset):
    expected = {d["id"]: d for d in map(json.loads, (dataset / "hubspot" / "deals.ndjson").read_text().splitlines())}
    with sandbox_admin(sandbox) as admin:  # three contacts per answer: the seven-contact deal needs three pages
        admin.post("/_sandbox/config", json={"association_page_size": 3}).raise_for_status()
    summary = run_stream("hubspot_deals", "d-first")
    rows = deals_in_raw()
    assert set(rows) == {i for i, d in expected.items() if not d["archived"]} and summary.inserted == len(rows)
    for deal_id, record in rows.items():
        links = (expected[deal_id].get("associations") or {}).get("contacts", {}).get("results", [])
        assert record["associations"]["contacts"] == sorted(link["id"] for link in links), deal_id
    assert len(rows[SEVEN]["associations"]["contacts"]) == 7 and rows[NO_CONTACT]["associations"]["contacts"] == []
    props = rows[SEVEN]["properties"]
    assert {"dealname", "dealstage", "pipeline", "amount", "closedate", "createdate", "hs_is_closed_won",
            "hs_is_closed", "hs_lastmodifieddate"} <= set(props)
    assert props["hs_is_closed_won"] in ("true", "false")


def test_deals_are_incremental_and_a_rerun_is_idempotent(sandbox, clean_raw):
    run_stream("hubspot_deals", "d-base")
    before = raw_fingerprint()["hubspot_deals"]
    again = run_stream("hubspot_deals", "d-again")
    assert (again.inserted, again.updated) == (0, 0) and raw_fingerprint()["hubspot_deals"] == before

    with sandbox_admin(sandbox) as admin:
        r = admin.post("/crm/v3/objects/deals/batch/update", headers=HEADERS,
                       json={"inputs": [{"id": SEVEN, "properties": {"dealstage": "closedwon", "amount": "15000"}}]})
        assert r.status_code == 200, r.text
        r = admin.post("/crm/v3/objects/deals", headers=HEADERS,
                       json={"properties": {"dealname": "New deal", "dealstage": "qualifiedtobuy", "pipeline": "default"}})
        assert r.status_code == 201, r.text
        created = r.json()["id"]
        admin.delete("/_sandbox/requests").raise_for_status()
    incremental = run_stream("hubspot_deals", "d-incr")
    assert (incremental.inserted, incremental.updated) == (1, 1)
    rows = deals_in_raw()
    assert rows[SEVEN]["properties"]["dealstage"] == "closedwon" and rows[SEVEN]["properties"]["amount"] == "15000"
    assert rows[created]["associations"]["contacts"] == []
    with sandbox_admin(sandbox) as admin:  # only the changed window was read: one search page
        searches = [r for r in admin.get("/_sandbox/requests").json()["requests"] if r["path"].endswith("/search")]
    assert sum(r["count"] for r in searches) == 1


def test_pipelines_land_whole_and_a_rerun_changes_nothing(sandbox, clean_raw):
    first = run_stream("hubspot_deal_pipelines", "p-first")
    with warehouse.connect() as conn:
        rows = dict(conn.execute("select id, record from raw.hubspot_deal_pipelines"))
    assert first.inserted == 2 and set(rows) == {"default", "12345"}
    won = {s["id"] for p in rows.values() for s in p["stages"] if s["metadata"]["probability"] == "1.0"}
    assert won == {"closedwon", "67891"}
    second = run_stream("hubspot_deal_pipelines", "p-second")
    assert (second.records, second.inserted, second.updated) == (2, 0, 0)


def test_contacts_land_their_lifecycle_stage_dates(sandbox, clean_raw, dataset):
    contacts = [json.loads(line) for line in (dataset / "hubspot" / "contacts.ndjson").read_text().splitlines()]
    # live contacts: archived ones come from the archived listing, which lands HubSpot's default properties
    stamped = {c["id"]: c["properties"] for c in contacts
               if c["properties"].get("hs_lifecyclestage_lead_date") and not c.get("archived")}
    assert stamped
    run_stream("hubspot_contacts", "c-dates")
    with warehouse.connect() as conn:
        landed = dict(conn.execute("select id, record->'properties' from raw.hubspot_contacts where id = any(%s)",
                                   (list(stamped),)))
    for cid, props in stamped.items():
        # a contact carries the dates of the stages it reached; the rest land as absent or null
        assert {p: landed[cid].get(p) for p in LIFECYCLE_DATE_PROPS} == {p: props.get(p) for p in LIFECYCLE_DATE_PROPS}
