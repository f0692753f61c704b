"""Contract of the Salesforce stand-in's REST calls: token, query/queryAll, nextRecordsUrl, describe,
Sforce-Limit-Info, and the errors a real org answers with."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import httpx
import pytest

from leadscore.sandbox import SandboxServer
from leadscore.sandbox.salesforce import API, PAGE_SIZE

CLIENT = {"grant_type": "client_credentials", "client_id": "sandbox-salesforce-client",
          "client_secret": "sandbox-salesforce-secret"}
LEADS = PAGE_SIZE + 5


@pytest.fixture(scope="module")
def org_server(tmp_path_factory: pytest.TempPathFactory, dataset: Path):
    """The session dataset plus a Salesforce folder: LEADS leads, two of them deleted."""
    out = tmp_path_factory.mktemp("sfdataset")
    for item in dataset.iterdir():
        (out / item.name).symlink_to(item)
    (out / "salesforce").mkdir()
    rows = [{"Id": f"00Q{i:015d}", "Email": f"p{i}@example.com", "IsDeleted": i in (3, 4),
             "SystemModstamp": f"2026-01-{1 + i % 28:02d}T00:00:00.000+0000", "Leadscore_Tier__c": None,
             "IsConverted": i == 7}
            for i in range(LEADS)]
    (out / "salesforce" / "Lead.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    statuses = [{"Id": f"01J{i:015d}", "MasterLabel": label, "SortOrder": i, "IsConverted": label == "Converted",
                 "SystemModstamp": "2025-01-01T00:00:00.000+0000"}
                for i, label in enumerate(("Open", "Working", "Nurturing", "Converted"), start=1)]
    (out / "salesforce" / "LeadStatus.jsonl").write_text("\n".join(json.dumps(r) for r in statuses))
    with SandboxServer(out, port=0) as running:
        yield running


@pytest.fixture
def sf(org_server: SandboxServer):
    with httpx.Client(base_url=org_server.url, timeout=30) as client:
        client.post("/_sandbox/reset").raise_for_status()
        client.post("/_sandbox/salesforce", json={"daily_allowance": 100_000}).raise_for_status()
        token = client.post("/services/oauth2/token", data=CLIENT).json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"
        yield client


Q = "SELECT Id, Email, IsDeleted FROM Lead WHERE SystemModstamp >= 2026-01-01T00:00:00Z ORDER BY SystemModstamp, Id"


def test_token_refuses_wrong_secret(org_server: SandboxServer):
    r = httpx.post(f"{org_server.url}/services/oauth2/token", data={**CLIENT, "client_secret": "no"})
    assert r.status_code == 400 and r.json()["error"] == "invalid_client"


def test_query_pages_through_next_records_url_and_hides_deleted(sf: httpx.Client):
    first = sf.get(f"{API}/query", params={"q": Q})
    assert first.status_code == 200 and first.headers["Sforce-Limit-Info"] == "api-usage=1/100000"
    body = first.json()
    assert body["totalSize"] == LEADS - 2 and not body["done"] and len(body["records"]) == PAGE_SIZE
    rest = sf.get(body["nextRecordsUrl"]).json()
    assert rest["done"] and "nextRecordsUrl" not in rest
    ids = [r["Id"] for r in body["records"] + rest["records"]]
    assert len(ids) == len(set(ids)) == LEADS - 2
    assert body["records"][0]["attributes"]["type"] == "Lead"


def test_query_all_returns_deleted(sf: httpx.Client):
    body = sf.get(f"{API}/queryAll", params={"q": Q + " LIMIT 3000"}).json()
    assert body["totalSize"] == LEADS
    assert sum(r["IsDeleted"] for r in body["records"]) == 2


def test_count_and_describe(sf: httpx.Client):
    count = sf.get(f"{API}/query", params={"q": "SELECT COUNT() FROM Lead"}).json()
    assert count["totalSize"] == LEADS - 2
    fields = {f["name"]: f for f in sf.get(f"{API}/sobjects/Lead/describe").json()["fields"]}
    assert {"Id", "Email", "SystemModstamp", "IsDeleted"} <= fields.keys() and fields["Leadscore_Tier__c"]["custom"]


def test_errors_in_salesforce_shape(sf: httpx.Client):
    bad = sf.get(f"{API}/query", params={"q": "SELECT Id FROM Lead WHERE Email = 'x'"})
    assert bad.status_code == 400 and bad.json()[0]["errorCode"] == "MALFORMED_QUERY"
    unknown = sf.get(f"{API}/query", params={"q": "SELECT Id, Nope__c FROM Lead ORDER BY SystemModstamp, Id"})
    assert unknown.json()[0]["errorCode"] == "INVALID_FIELD"
    sf.post("/_sandbox/salesforce", json={"revoke_tokens": True}).raise_for_status()
    expired = sf.get(f"{API}/query", params={"q": Q})
    assert expired.status_code == 401
    assert expired.json() == [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]


def test_daily_allowance_refuses_with_request_limit_exceeded(sf: httpx.Client):
    sf.post("/_sandbox/salesforce", json={"daily_allowance": 2, "usage": 1}).raise_for_status()
    assert sf.get(f"{API}/query", params={"q": Q}).headers["Sforce-Limit-Info"] == "api-usage=2/2"
    refused = sf.get(f"{API}/query", params={"q": Q})
    assert refused.status_code == 403 and refused.json()[0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED"
    assert refused.headers["Sforce-Limit-Info"] == "api-usage=2/2"


def test_bulk_query_job_pages_csv_by_locator(sf: httpx.Client):
    job = sf.post(f"{API}/jobs/query", json={"operation": "queryAll", "query": Q}).json()
    assert job["state"] == "UploadComplete" and job["object"] == "Lead"
    states = [sf.get(f"{API}/jobs/query/{job['id']}").json()["state"] for _ in range(2)]
    assert states == ["InProgress", "JobComplete"]
    rows, locator, sets = [], "", 0
    while locator != "null":
        r = sf.get(f"{API}/jobs/query/{job['id']}/results", params={"maxRecords": 1500, "locator": locator or None})
        assert r.headers["content-type"].startswith("text/csv")
        got = list(csv.DictReader(io.StringIO(r.text)))
        assert int(r.headers["Sforce-NumberOfRecords"]) == len(got)
        rows += got
        locator, sets = r.headers["Sforce-Locator"], sets + 1
    assert sets == 2 and len({r["Id"] for r in rows}) == LEADS
    assert sum(r["IsDeleted"] == "true" for r in rows) == 2


def test_bulk_job_refuses_a_query_outside_the_subset(sf: httpx.Client):
    r = sf.post(f"{API}/jobs/query", json={"operation": "query", "query": "SELECT Id FROM Lead"})
    assert r.status_code == 400 and r.json()[0]["errorCode"] == "MALFORMED_QUERY"


def test_collection_update_results_in_request_order(sf: httpx.Client):
    def lead(i: int) -> dict:
        return {"attributes": {"type": "Lead"}, "id": f"00Q{i:015d}", "Leadscore_Tier__c": "A"}

    r = sf.patch(f"{API}/composite/sobjects", json={"allOrNone": False, "records": [lead(1), lead(7), lead(3),
                                                                                        lead(99_999)]})
    results = r.json()
    assert r.status_code == 200 and results[0] == {"id": "00Q000000000000001", "success": True, "errors": []}
    assert [x["errors"][0]["statusCode"] for x in results[1:]] == [
        "CANNOT_UPDATE_CONVERTED_LEAD", "ENTITY_IS_DELETED", "INVALID_CROSS_REFERENCE_KEY"]
    changed = sf.get(f"{API}/query", params={"q": "SELECT Id, Leadscore_Tier__c FROM Lead WHERE SystemModstamp >= "
                                                  "2026-02-01T00:00:00Z ORDER BY SystemModstamp, Id"}).json()
    assert [(x["Id"], x["Leadscore_Tier__c"]) for x in changed["records"]] == [("00Q000000000000001", "A")]


def test_collection_update_refuses_unknown_fields_and_over_200(sf: httpx.Client):
    bad = {"attributes": {"type": "Lead"}, "id": "00Q000000000000001", "Nope__c": 1}
    r = sf.patch(f"{API}/composite/sobjects", json={"allOrNone": False, "records": [bad]})
    assert r.status_code == 400 and r.json()[0]["errorCode"] == "INVALID_FIELD"
    many = [{"attributes": {"type": "Lead"}, "id": f"00Q{i:015d}"} for i in range(201)]
    r = sf.patch(f"{API}/composite/sobjects", json={"allOrNone": False, "records": many})
    assert r.status_code == 400 and r.json()[0]["errorCode"] == "EXCEEDED_ID_LIMIT"


@pytest.mark.parametrize("kind,status,code", [("5xx", 500, "UNKNOWN_EXCEPTION"), ("429", 503, "SERVER_UNAVAILABLE")])
def test_faults_reach_salesforce_paths_in_its_shape(sf: httpx.Client, kind: str, status: int, code: str):
    sf.post("/_sandbox/config", json={"faults": {kind: 1.0}, "seed": 3}).raise_for_status()
    try:
        answers = [sf.get(f"{API}/query", params={"q": Q}) for _ in range(6)]
        # a 5xx draw may also be 502 (a gateway's HTML page) or 503, as for HubSpot; the JSON ones are Salesforce's
        assert any(r.status_code == status and r.json()[0]["errorCode"] == code for r in answers)
        assert all(r.status_code == 502 or isinstance(r.json(), list) for r in answers)
    finally:
        sf.post("/_sandbox/config", json={"faults": {}}).raise_for_status()


def test_lead_status_picklist_is_queryable_in_sort_order(sf: httpx.Client):
    """A real org gives the Lead Status values and their order through the LeadStatus object."""
    fields = {f["name"] for f in sf.get(f"{API}/sobjects/LeadStatus/describe").json()["fields"]}
    assert {"MasterLabel", "SortOrder", "IsConverted"} <= fields
    q = ("SELECT MasterLabel, SortOrder FROM LeadStatus WHERE SystemModstamp >= 2000-01-01T00:00:00Z "
         "ORDER BY SystemModstamp, Id")
    records = sf.get(f"{API}/query", params={"q": q}).json()["records"]
    assert [(r["MasterLabel"], r["SortOrder"]) for r in records] == [
        ("Open", 1), ("Working", 2), ("Nurturing", 3), ("Converted", 4)]
