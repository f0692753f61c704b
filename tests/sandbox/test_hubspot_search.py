"""HubSpot CRM search: filters, sorts, stable paging, the 10,000 cap, index lag."""
from __future__ import annotations

import httpx
from hubspot import HubSpot
from hubspot.crm.contacts import CollectionResponseWithTotalSimplePublicObjectForwardPaging, PublicObjectSearchRequest

from .conftest import HUBSPOT_TOKEN

CAP_MESSAGE = "cannot return more than 10,000 results"


def search(hs: httpx.Client, body: dict, object_type: str = "contacts") -> httpx.Response:
    return hs.post(f"/crm/v3/objects/{object_type}/search", json=body)


def search_all(hs: httpx.Client, body: dict) -> list[dict]:
    out, after = [], None
    while True:
        page = search(hs, {**body, **({"after": after} if after else {})}).json()
        out.extend(page["results"])
        after = (page.get("paging") or {}).get("next", {}).get("after")
        if not after:
            return out


def test_official_client_search(sandbox) -> None:
    client = HubSpot(access_token=HUBSPOT_TOKEN, host=sandbox.url)
    req = PublicObjectSearchRequest(filter_groups=[{"filters": [{"propertyName": "lifecyclestage", "operator": "EQ",
                                                                 "value": "lead"}]}],
                                    sorts=[{"propertyName": "hs_object_id", "direction": "ASCENDING"}],
                                    properties=["lifecyclestage"], limit=10)
    page = client.crm.contacts.search_api.do_search(public_object_search_request=req)
    assert isinstance(page, CollectionResponseWithTotalSimplePublicObjectForwardPaging)
    assert page.total > 10 and len(page.results) == 10
    assert all(r.properties["lifecyclestage"] == "lead" for r in page.results)


def test_keyset_paging_matches_the_list(hs: httpx.Client) -> None:
    listed = []
    after = None
    while True:
        body = hs.get("/crm/v3/objects/contacts", params={"limit": 100, **({"after": after} if after else {})}).json()
        listed += [r["id"] for r in body["results"]]
        after = body.get("paging", {}).get("next", {}).get("after")
        if not after:
            break
    found = search_all(hs, {"filterGroups": [{"filters": [{"propertyName": "hs_object_id", "operator": "GT", "value": "0"}]}],
                            "sorts": [{"propertyName": "hs_object_id", "direction": "ASCENDING"}], "limit": 33})
    assert [r["id"] for r in found] == listed
    assert "associations" not in found[0]


def test_operators(hs: httpx.Client) -> None:
    def count(*filters: dict, groups: list | None = None) -> int:
        return search(hs, {"filterGroups": groups or [{"filters": list(filters)}], "limit": 1}).json()["total"]

    total = count()
    leads = count({"propertyName": "lifecyclestage", "operator": "EQ", "value": "LEAD"})  # case-insensitive
    not_leads = count({"propertyName": "lifecyclestage", "operator": "NEQ", "value": "lead"})
    assert leads and leads + not_leads == total
    assert count({"propertyName": "lifecyclestage", "operator": "IN", "values": ["lead", "customer"]}) == \
        leads + count({"propertyName": "lifecyclestage", "operator": "EQ", "value": "customer"})
    either = count(groups=[{"filters": [{"propertyName": "lifecyclestage", "operator": "EQ", "value": "lead"}]},
                           {"filters": [{"propertyName": "lifecyclestage", "operator": "EQ", "value": "customer"}]}])
    assert either == count({"propertyName": "lifecyclestage", "operator": "IN", "values": ["lead", "customer"]})
    has = count({"propertyName": "meddic_champion", "operator": "HAS_PROPERTY"})
    assert 0 < has < total
    assert has + count({"propertyName": "meddic_champion", "operator": "NOT_HAS_PROPERTY"}) == total
    ids = count({"propertyName": "hs_object_id", "operator": "BETWEEN", "value": "1010", "highValue": "1019"})
    assert 0 < ids <= 10
    bad = search(hs, {"filterGroups": [{"filters": [{"propertyName": "email", "operator": "LIKE", "value": "x"}]}]})
    assert bad.status_code == 400 and bad.json()["status"] == "error"


def test_date_filters_accept_epoch_ms_and_iso(hs: httpx.Client) -> None:
    sample = search(hs, {"limit": 50, "sorts": [{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}],
                         "properties": ["lastmodifieddate"]}).json()["results"]
    pivot = sample[25]["properties"]["lastmodifieddate"]
    from leadscore.sandbox.store import parse_ms
    ms = parse_ms(pivot)
    by_ms = search(hs, {"filterGroups": [{"filters": [{"propertyName": "lastmodifieddate", "operator": "GTE",
                                                        "value": str(ms)}]}]}).json()["total"]
    by_iso = search(hs, {"filterGroups": [{"filters": [{"propertyName": "lastmodifieddate", "operator": "GTE",
                                                         "value": pivot}]}]}).json()["total"]
    total = search(hs, {}).json()["total"]
    assert by_ms == by_iso == total - 25
    engagements = search(hs, {"filterGroups": [{"filters": [{"propertyName": "hs_lastmodifieddate", "operator": "LT",
                                                               "value": str(ms)}]}]}, "calls").json()
    assert all(parse_ms(r["properties"]["hs_lastmodifieddate"]) < ms for r in engagements["results"])


def test_sort_ties_break_by_id_so_paging_is_stable(hs: httpx.Client, admin: httpx.Client) -> None:
    admin.post("/touch", json={"count": 120, "timestamp": "2026-05-30T12:00:00Z"}).raise_for_status()
    body = {"filterGroups": [{"filters": [{"propertyName": "lastmodifieddate", "operator": "EQ",
                                           "value": "2026-05-30T12:00:00Z"}]}],
            "sorts": [{"propertyName": "lastmodifieddate", "direction": "DESCENDING"}], "limit": 7}
    ids = [int(r["id"]) for r in search_all(hs, body)]
    assert len(ids) == 120 and ids == sorted(ids)


def test_the_10000_result_cap(hs: httpx.Client, admin: httpx.Client) -> None:
    over = search(hs, {"after": "9950", "limit": 51})
    assert over.status_code == 400 and CAP_MESSAGE in over.json()["message"]
    assert search(hs, {"limit": 201}).status_code == 400
    # 10,050 contacts modified in the same second: paging can reach 10,000 and no further.
    stamp = "2026-05-31T08:00:00.000Z"
    admin.post("/contacts/clone", json={"count": 10_050, "timestamp": stamp}).raise_for_status()
    same_second = {"filterGroups": [{"filters": [{"propertyName": "lastmodifieddate", "operator": "EQ", "value": stamp}]}],
                   "sorts": [{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}]}
    last_allowed = search(hs, {**same_second, "after": "9900", "limit": 100})
    assert last_allowed.status_code == 200
    assert last_allowed.json()["total"] == 10_050 and last_allowed.json()["paging"]["next"]["after"] == "10000"
    beyond = search(hs, {**same_second, "after": "10000", "limit": 1})
    assert beyond.status_code == 400 and beyond.json()["category"] == "VALIDATION_ERROR"
    # keyset on hs_object_id gets past the cap
    last_id = last_allowed.json()["results"][-1]["id"]
    rest = search(hs, {"filterGroups": [{"filters": [*same_second["filterGroups"][0]["filters"],
                                                     {"propertyName": "hs_object_id", "operator": "GT", "value": last_id}]}],
                       "sorts": [{"propertyName": "hs_object_id", "direction": "ASCENDING"}], "limit": 100}).json()
    assert rest["total"] == 50


def test_archived_never_in_search_and_index_lag(hs: httpx.Client, admin: httpx.Client) -> None:
    archived = hs.get("/crm/v3/objects/contacts", params={"archived": "true", "limit": 100}).json()["results"]
    ids = {r["id"] for r in archived}
    everything = {r["id"] for r in search_all(hs, {"limit": 200})}
    assert ids and not ids & everything
    before = search(hs, {}).json()["total"]
    admin.post("/config", json={"index_lag_seconds": 60}).raise_for_status()
    r = hs.post("/crm/v3/objects/contacts/batch/update", json={"inputs": [{"id": "1001", "properties": {"jobtitle": "CTO"}}]})
    assert r.status_code == 200
    assert search(hs, {}).json()["total"] == before - 1  # just modified: not yet indexed
    assert hs.get("/crm/v3/objects/contacts/1001").status_code == 200  # reads are not lagged
    admin.post("/config", json={"index_lag_seconds": 0}).raise_for_status()
    assert search(hs, {}).json()["total"] == before
