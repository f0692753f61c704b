"""Deals, deal pipelines and deal ↔ contact associations over real HTTP (issue 17 §1).

The deals are written by hand into a generated dataset (tests/sandbox/deals.py); shapes are
checked with the official `hubspot-api-client` where it has the endpoint.
"""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import httpx
import pytest
from hubspot import HubSpot
from hubspot.crm.deals import CollectionResponseSimplePublicObjectWithAssociationsForwardPaging
from hubspot.crm.pipelines import CollectionResponsePipelineNoPaging

from leadscore.sandbox import SandboxServer
from leadscore.synthetic import generate

from .conftest import DEFAULT_CONFIG, HUBSPOT_TOKEN, page_all
from .deals import FIRST_ID, write_deals

AS_OF = datetime(2026, 6, 1, tzinfo=timezone.utc)
SEVEN = str(FIRST_ID + 4)       # the deal with seven contacts
NO_CONTACT = str(FIRST_ID + 3)  # the company-only deal
ARCHIVED = str(FIRST_ID + 6)


@pytest.fixture(scope="module")
def deals_dataset(tmp_path_factory) -> tuple[Path, list[dict]]:
    out = tmp_path_factory.mktemp("deals-dataset")
    generate(contacts=120, seed=5, out_dir=out, as_of=AS_OF)
    return out, write_deals(out)


@pytest.fixture(scope="module")
def deals_server(deals_dataset) -> Iterator[SandboxServer]:
    with SandboxServer(deals_dataset[0], port=0) as server:
        yield server


@pytest.fixture
def hs(deals_server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=deals_server.url, headers={"Authorization": f"Bearer {HUBSPOT_TOKEN}"},
                      timeout=30) as client:
        client.post("/_sandbox/config", json=DEFAULT_CONFIG).raise_for_status()
        client.post("/_sandbox/reset").raise_for_status()
        yield client


def live(deals: list[dict]) -> list[str]:
    return sorted((d["id"] for d in deals if not d["archived"]), key=int)


def test_list_pages_every_live_deal_once_with_its_contacts(hs, deals_dataset):
    _, deals = deals_dataset
    got = page_all(hs, "/crm/v3/objects/deals", limit=7, associations="contacts")
    assert [d["id"] for d in got] == live(deals)
    by_id = {d["id"]: d for d in got}
    seven = by_id[SEVEN]["associations"]["contacts"]["results"]
    assert len(seven) == 7 and {r["type"] for r in seven} == {"deal_to_contact"}
    assert "associations" not in by_id[NO_CONTACT]
    # without properties=, HubSpot's deal defaults
    assert set(by_id[SEVEN]["properties"]) == {"amount", "closedate", "createdate", "dealname", "dealstage",
                                               "hs_lastmodifieddate", "hs_object_id", "pipeline"}
    archived = hs.get("/crm/v3/objects/deals", params={"archived": "true", "limit": 100}).json()
    assert [d["id"] for d in archived["results"]] == [ARCHIVED] and "paging" not in archived


def test_official_client_reads_deals_and_pipelines(deals_server):
    official = HubSpot(access_token=HUBSPOT_TOKEN, host=deals_server.url)
    page = official.crm.deals.basic_api.get_page(limit=5, properties=["dealstage", "hs_is_closed_won"],
                                                 associations=["contacts"])
    assert isinstance(page, CollectionResponseSimplePublicObjectWithAssociationsForwardPaging)
    assert len(page.results) == 5 and page.paging.next.after
    assert page.results[0].properties["hs_is_closed_won"] in ("true", "false")
    pipelines = official.crm.pipelines.pipelines_api.get_all("deals")
    assert isinstance(pipelines, CollectionResponsePipelineNoPaging)
    stages = {s.id: s.metadata["probability"] for p in pipelines.results for s in p.stages}
    assert stages["closedwon"] == "1.0" and stages["closedlost"] == "0.0" and stages["67891"] == "1.0"


def test_search_pages_the_modified_window_in_order(hs, deals_dataset):
    _, deals = deals_dataset
    since = sorted(d["properties"]["hs_lastmodifieddate"] for d in deals)[10]
    since_ms = int(datetime.fromisoformat(since.replace("Z", "+00:00")).timestamp() * 1000)
    expected = [d["id"] for d in sorted(deals, key=lambda d: d["properties"]["hs_lastmodifieddate"])
                if d["properties"]["hs_lastmodifieddate"] >= since and not d["archived"]]
    query = {"filterGroups": [{"filters": [{"propertyName": "hs_lastmodifieddate", "operator": "GTE",
                                            "value": str(since_ms)}]}],
             "sorts": [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}],
             "properties": ["dealstage", "amount", "closedate"], "limit": 4}
    got, after, pages = [], None, 0
    while True:
        body = hs.post("/crm/v3/objects/deals/search", json={**query, **({"after": after} if after else {})}).json()
        pages += 1
        assert body["total"] == len(expected) and "associations" not in body["results"][0]
        got += [r["id"] for r in body["results"]]
        after = (body.get("paging") or {}).get("next", {}).get("after")
        if not after:
            break
    assert got == expected and pages == -(-len(expected) // 4)
    assert hs.post("/crm/v3/objects/deals/search", json={**query, "limit": 201}).status_code == 400
    too_far = hs.post("/crm/v3/objects/deals/search", json={**query, "limit": 100, "after": "9950"})
    assert too_far.status_code == 400 and "10,000" in too_far.json()["message"]


def test_batch_read_reports_unknown_ids_as_207(hs):
    r = hs.post("/crm/v3/objects/deals/batch/read",
                json={"inputs": [{"id": SEVEN}, {"id": "99999999"}], "properties": ["dealstage", "pipeline"]})
    assert r.status_code == 207
    body = r.json()
    assert [x["id"] for x in body["results"]] == [SEVEN] and body["results"][0]["properties"]["pipeline"] == "default"
    assert body["numErrors"] == 1 and body["errors"][0]["context"]["ids"] == ["99999999"]
    assert hs.post("/crm/v3/objects/deals/batch/read", json={"inputs": [{"id": SEVEN}]}).status_code == 200


def test_v4_associations_page_per_record_and_207_for_unknown_ids(hs):
    path = "/crm/v4/associations/deals/contacts/batch/read"
    clean = hs.post(path, json={"inputs": [{"id": SEVEN}]})
    assert clean.status_code == 200 and "paging" not in clean.json()["results"][0]
    everyone = [t["toObjectId"] for t in clean.json()["results"][0]["to"]]
    assert len(everyone) == 7 and clean.json()["results"][0]["to"][0]["associationTypes"][0]["typeId"] == 3

    hs.post("/_sandbox/config", json={"association_page_size": 3}).raise_for_status()
    r = hs.post(path, json={"inputs": [{"id": SEVEN}, {"id": "424242"}, {"id": NO_CONTACT}]})
    assert r.status_code == 207
    body = r.json()
    assert {e["context"]["fromObjectId"][0] for e in body["errors"]} == {"424242", NO_CONTACT}
    seen, row = [], body["results"][0]
    while True:
        seen += [t["toObjectId"] for t in row["to"]]
        after = (row.get("paging") or {}).get("next", {}).get("after")
        if not after:  # paging is absent on the last page
            break
        row = hs.post(path, json={"inputs": [{"id": SEVEN, "after": after}]}).json()["results"][0]
    assert seen == everyone


def test_pipelines_list_and_get(hs):
    pipelines = hs.get("/crm/v3/pipelines/deals").json()["results"]
    assert [p["id"] for p in pipelines] == ["default", "12345"]
    default = hs.get("/crm/v3/pipelines/deals/default").json()
    assert [s["id"] for s in default["stages"]][-2:] == ["closedwon", "closedlost"]
    assert all(isinstance(v, str) for s in default["stages"] for v in s["metadata"].values())
    missing = hs.get("/crm/v3/pipelines/deals/nope")
    assert missing.status_code == 404 and missing.json()["category"] == "OBJECT_NOT_FOUND"
    assert hs.get("/crm/v3/pipelines/tickets_nope").status_code == 400


def test_deal_routes_keep_auth_and_faults(hs, deals_server):
    anonymous = httpx.get(f"{deals_server.url}/crm/v3/pipelines/deals")
    assert anonymous.status_code == 401
    assert httpx.get(f"{deals_server.url}/crm/v3/objects/deals").status_code == 401
    hs.post("/_sandbox/config", json={"faults": {"5xx": 1.0}}).raise_for_status()
    assert hs.get("/crm/v3/pipelines/deals").status_code >= 500
    assert hs.post("/crm/v4/associations/deals/contacts/batch/read", json={"inputs": [{"id": SEVEN}]}).status_code >= 500


def test_dataset_without_deals_loads_with_the_default_pipeline(tmp_path):
    generate(contacts=20, seed=2, out_dir=tmp_path, as_of=AS_OF)
    for name in ("deals.ndjson", "pipelines.ndjson"):
        (tmp_path / "hubspot" / name).unlink(missing_ok=True)
    with SandboxServer(tmp_path, port=0) as server, \
            httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {HUBSPOT_TOKEN}"}) as client:
        assert client.get("/crm/v3/objects/deals").json() == {"results": []}
        assert client.post("/crm/v3/objects/deals/search", json={}).json()["total"] == 0
        pipelines = client.get("/crm/v3/pipelines/deals").json()["results"]
        assert [p["id"] for p in pipelines] == ["default"]
        stages = {s["id"]: s["metadata"] for s in pipelines[0]["stages"]}
        assert len(stages) == 7 and stages["closedwon"] == {"isClosed": "true", "probability": "1.0"}
        assert stages["closedlost"]["probability"] == "0.0" and stages["contractsent"]["isClosed"] == "false"
