"""HubSpot CRM v3 reads: list paging, get, associations, archived and merged records, events.

Shapes are checked by the official `hubspot-api-client`, called against the sandbox's URL.
"""
from __future__ import annotations

import base64
import json
from pathlib import Path

import httpx
import pytest
from hubspot import HubSpot
from hubspot.crm.contacts import CollectionResponseSimplePublicObjectWithAssociationsForwardPaging, \
    SimplePublicObjectWithAssociations
from hubspot.crm.contacts.exceptions import NotFoundException

from .conftest import HUBSPOT_TOKEN, page_all

ENGAGEMENTS = ("calls", "meetings", "emails", "notes")


def served(dataset: Path, name: str) -> list[dict]:
    return [json.loads(line) for line in (dataset / "hubspot" / f"{name}.ndjson").read_text().splitlines()]


@pytest.fixture
def official(sandbox) -> HubSpot:
    return HubSpot(access_token=HUBSPOT_TOKEN, host=sandbox.url)


def test_official_client_lists_and_gets_contacts(official: HubSpot) -> None:
    page = official.crm.contacts.basic_api.get_page(limit=5, associations=["companies"], properties=["email", "jobtitle"])
    assert isinstance(page, CollectionResponseSimplePublicObjectWithAssociationsForwardPaging)
    assert len(page.results) == 5 and page.paging.next.after
    first = page.results[0]
    assert first.associations["companies"].results[0].type == "contact_to_company"
    assert set(first.properties) >= {"email", "jobtitle", "hs_object_id", "createdate", "lastmodifieddate"}
    one = official.crm.contacts.basic_api.get_by_id(first.id, properties=["lifecyclestage"])
    assert isinstance(one, SimplePublicObjectWithAssociations) and one.id == first.id
    with pytest.raises(NotFoundException):
        official.crm.contacts.basic_api.get_by_id("999999999")


@pytest.mark.parametrize("object_type", ["contacts", "companies", *ENGAGEMENTS])
def test_list_pages_to_the_end_without_gaps_or_repeats(object_type: str, hs: httpx.Client, dataset: Path) -> None:
    expected = [r["id"] for r in served(dataset, object_type) if not r.get("archived")]
    got = page_all(hs, f"/crm/v3/objects/{object_type}", limit=37)
    ids = [r["id"] for r in got]
    assert ids == sorted(expected, key=int)  # every record once, in id order
    assert all(isinstance(v, (str, type(None))) for r in got for v in r["properties"].values())


def test_last_page_has_no_paging_and_cursor_is_opaque(hs: httpx.Client) -> None:
    first = hs.get("/crm/v3/objects/contacts", params={"limit": 3}).json()
    after = first["paging"]["next"]["after"]
    assert not after.isdigit()
    base64.urlsafe_b64decode(after + "=" * (-len(after) % 4))  # opaque base64, not an offset
    everything = hs.get("/crm/v3/objects/companies", params={"limit": 100}).json()
    assert "paging" not in everything


@pytest.mark.parametrize("params", [{"limit": 101}, {"limit": 0}, {"after": "not-a-cursor!"}, {"limit": "ten"}])
def test_bad_list_params_are_400_in_hubspot_shape(hs: httpx.Client, params: dict) -> None:
    r = hs.get("/crm/v3/objects/contacts", params=params)
    assert r.status_code == 400
    body = r.json()
    assert body["status"] == "error" and body["category"] == "VALIDATION_ERROR" and body["correlationId"]


def test_properties_param_and_defaults(hs: httpx.Client) -> None:
    default = hs.get("/crm/v3/objects/contacts", params={"limit": 1}).json()["results"][0]["properties"]
    assert set(default) == {"createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"}
    chosen = hs.get("/crm/v3/objects/contacts?limit=1&properties=jobtitle&properties=country,no_such_prop").json()
    assert {"jobtitle", "country"} <= set(chosen["results"][0]["properties"])
    assert "no_such_prop" not in chosen["results"][0]["properties"]


def test_archived_only_with_archived_true(hs: httpx.Client, dataset: Path) -> None:
    archived = {r["id"] for r in served(dataset, "contacts") if r.get("archived")}
    assert archived, "the fixture dataset has archived contacts"
    listed = page_all(hs, "/crm/v3/objects/contacts", limit=100, archived="true")
    assert {r["id"] for r in listed} == archived
    assert all(r["archived"] is True and r["archivedAt"] for r in listed)
    some = next(iter(archived))
    assert hs.get(f"/crm/v3/objects/contacts/{some}").status_code == 404
    assert hs.get(f"/crm/v3/objects/contacts/{some}", params={"archived": "true"}).status_code == 200


def test_merged_ids_are_gone_and_listed_on_the_survivor(hs: httpx.Client, dataset: Path) -> None:
    survivors = [r for r in served(dataset, "contacts") if r["properties"]["hs_merged_object_ids"]]
    assert survivors
    survivor = survivors[0]
    lost = survivor["properties"]["hs_merged_object_ids"].split(";")
    for loser in lost:
        r = hs.get(f"/crm/v3/objects/contacts/{loser}")
        assert r.status_code == 404 and r.json()["category"] == "OBJECT_NOT_FOUND"
    got = hs.get(f"/crm/v3/objects/contacts/{survivor['id']}", params={"properties": "hs_merged_object_ids"}).json()
    assert got["properties"]["hs_merged_object_ids"] == ";".join(lost)


def test_engagement_associations_list_and_v4(hs: httpx.Client, dataset: Path) -> None:
    calls = served(dataset, "calls")[:3]
    listed = hs.get("/crm/v3/objects/calls", params={"limit": 3, "associations": "contacts"}).json()["results"]
    for call, row in zip(calls, listed):
        assert row["associations"]["contacts"]["results"][0]["id"] == call["associations"]["contacts"]["results"][0]["id"]
    r = hs.post("/crm/v4/associations/calls/contacts/batch/read", json={"inputs": [{"id": c["id"]} for c in calls]})
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "COMPLETE"
    first = body["results"][0]
    assert first["from"] == {"id": calls[0]["id"]}
    assert first["to"][0]["toObjectId"] == int(calls[0]["associations"]["contacts"]["results"][0]["id"])
    assert first["to"][0]["associationTypes"] == [{"category": "HUBSPOT_DEFINED", "typeId": 194, "label": None}]
    contact = calls[0]["associations"]["contacts"]["results"][0]["id"]
    company = hs.post("/crm/v4/associations/contacts/companies/batch/read", json={"inputs": [{"id": contact}]}).json()
    assert company["results"][0]["to"][0]["associationTypes"][0]["typeId"] == 1
    too_many = hs.post("/crm/v4/associations/calls/contacts/batch/read", json={"inputs": [{"id": "1"}] * 101})
    assert too_many.status_code == 400


def test_events_v3_order_paging_and_window(hs: httpx.Client, dataset: Path) -> None:
    forms = [e for e in served(dataset, "events") if e["eventType"] == "e_submitted_form"]
    got = page_all(hs, "/events/v3/events", objectType="contact", eventType="e_submitted_form", limit=25)
    assert [e["id"] for e in got] == [e["id"] for e in sorted(forms, key=lambda e: (e["occurredAt"], e["id"]))]
    assert all(e["objectType"] == "contact" and e["eventType"] == "e_submitted_form" for e in got)
    lo, hi = got[len(got) // 4]["occurredAt"], got[3 * len(got) // 4]["occurredAt"]
    window = page_all(hs, "/events/v3/events", objectType="contact", eventType="e_submitted_form",
                      occurredAfter=lo, occurredBefore=hi, limit=50)
    assert window and all(lo <= e["occurredAt"] < hi for e in window)
    assert len(window) == sum(1 for e in forms if lo <= e["occurredAt"] < hi)
    views = hs.get("/events/v3/events", params={"objectType": "contact", "eventType": "e_visited_page", "limit": 5}).json()
    assert views["results"][0]["properties"]["hs_url"].startswith("https://")
