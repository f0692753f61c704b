"""HubSpot writes: batch update/read (200, 207, 400), lifecycle rules, merge, Properties API."""
from __future__ import annotations

import json

import httpx
import pytest
from hubspot import HubSpot
from hubspot.crm.contacts import BatchInputSimplePublicObjectBatchInput, BatchResponseSimplePublicObject, \
    BatchResponseSimplePublicObjectWithErrors
from hubspot.crm.contacts.api_client import ApiClient as ContactsApiClient
from hubspot.crm.properties import PropertyCreate
from hubspot.crm.properties.api_client import ApiClient as PropertiesApiClient

from leadscore.sandbox.errors import BATCH_LIMIT_MESSAGE
from .conftest import HUBSPOT_TOKEN


class _Raw:
    """What the official ApiClient.deserialize expects: an object with `.data`."""

    def __init__(self, response: httpx.Response):
        self.data = response.text


def as_model(client_cls, response: httpx.Response, model: str):
    return client_cls().deserialize(_Raw(response), model)


def update(hs: httpx.Client, rows: list[tuple[str, dict]]) -> httpx.Response:
    return hs.post("/crm/v3/objects/contacts/batch/update",
                   json={"inputs": [{"id": i, "properties": p} for i, p in rows]})


def props(admin: httpx.Client, contact_id: str) -> dict:
    return admin.get(f"/contacts/{contact_id}").json()["properties"]


def ids(hs: httpx.Client, n: int) -> list[str]:
    return [r["id"] for r in hs.get("/crm/v3/objects/contacts", params={"limit": n}).json()["results"]]


def test_batch_update_200_with_official_client(sandbox, admin: httpx.Client) -> None:
    client = HubSpot(access_token=HUBSPOT_TOKEN, host=sandbox.url)
    body = BatchInputSimplePublicObjectBatchInput(inputs=[{"id": "1001", "properties": {"jobtitle": "CEO", "phone": ""}}])
    before = props(admin, "1001")
    result = client.crm.contacts.batch_api.update(batch_input_simple_public_object_batch_input=body)
    assert isinstance(result, BatchResponseSimplePublicObject) and result.status == "COMPLETE"
    assert result.results[0].properties["jobtitle"] == "CEO"
    after = props(admin, "1001")
    assert after["jobtitle"] == "CEO" and after["phone"] == ""  # an empty string clears a value
    assert after["lastmodifieddate"] > before["lastmodifieddate"]
    got = client.crm.contacts.basic_api.get_by_id("1001")
    assert got.updated_at.isoformat()[:19] == after["lastmodifieddate"][:19]


def test_101_inputs_is_a_400_and_nothing_is_written(hs: httpx.Client, admin: httpx.Client) -> None:
    rows = [(i, {"jobtitle": "x"}) for i in ids(hs, 100)] + [("1001", {"jobtitle": "x"})]
    r = update(hs, rows)
    assert r.status_code == 400
    assert r.json()["message"] == BATCH_LIMIT_MESSAGE and r.json()["category"] == "VALIDATION_ERROR"
    assert props(admin, rows[0][0])["jobtitle"] != "x"
    assert hs.post("/crm/v3/objects/contacts/batch/read", json={"inputs": [{"id": "1"}] * 101}).status_code == 400


def test_207_reports_bad_rows_and_applies_good_ones(hs: httpx.Client, admin: httpx.Client) -> None:
    good, unknown_prop, read_only, bad_enum, number = ids(hs, 5)
    r = update(hs, [(good, {"hs_lead_status": "CONNECTED"}), ("999999", {"jobtitle": "x"}),
                    (unknown_prop, {"no_such_property": "1"}), (read_only, {"createdate": "2020-01-01"}),
                    (bad_enum, {"lifecyclestage": "superhot"}), (number, {"associatedcompanyid": "1,000"})])
    assert r.status_code == 207
    model = as_model(ContactsApiClient, r, "BatchResponseSimplePublicObjectWithErrors")
    assert isinstance(model, BatchResponseSimplePublicObjectWithErrors) and model.num_errors == 5
    codes = [e["errors"][0]["code"] for e in r.json()["errors"]]
    assert codes == ["OBJECT_NOT_FOUND", "PROPERTY_DOESNT_EXIST", "READ_ONLY_VALUE", "INVALID_OPTION", "INVALID_DECIMAL"]
    assert r.json()["errors"][0]["context"] == {"ids": ["999999"]}
    assert [x["id"] for x in r.json()["results"]] == [good]
    assert props(admin, good)["hs_lead_status"] == "CONNECTED"
    assert props(admin, bad_enum)["lifecyclestage"] != "superhot"


def test_lifecycle_stage_only_moves_forward(hs: httpx.Client, admin: httpx.Client) -> None:
    cid = ids(hs, 1)[0]
    assert update(hs, [(cid, {"lifecyclestage": ""})]).status_code == 200
    update(hs, [(cid, {"lifecyclestage": "opportunity"})])
    stamp = props(admin, cid)["lastmodifieddate"]
    back = update(hs, [(cid, {"lifecyclestage": "lead"})])
    assert back.status_code == 200  # silently ignored
    assert props(admin, cid)["lifecyclestage"] == "opportunity"
    assert props(admin, cid)["lastmodifieddate"] == stamp
    # clearing and setting in one request is still a backward move…
    same_request = hs.post("/crm/v3/objects/contacts/batch/update", json={"inputs": [
        {"id": cid, "properties": {"lifecyclestage": ""}}]})
    assert same_request.status_code == 200
    assert props(admin, cid)["lifecyclestage"] == ""
    # …but after a separate clearing request, any stage can be set
    assert update(hs, [(cid, {"lifecyclestage": "lead"})]).status_code == 200
    assert props(admin, cid)["lifecyclestage"] == "lead"
    assert update(hs, [(cid, {"lifecyclestage": "customer"})]).status_code == 200
    assert props(admin, cid)["lifecyclestage"] == "customer"


def test_clear_and_set_in_the_same_batch_does_not_move_backwards(hs: httpx.Client, admin: httpx.Client) -> None:
    cid = ids(hs, 1)[0]
    update(hs, [(cid, {"lifecyclestage": ""})])
    update(hs, [(cid, {"lifecyclestage": "customer"})])
    r = hs.post("/crm/v3/objects/contacts/batch/update",
                json={"inputs": [{"id": cid, "properties": {"lifecyclestage": ""}}, {"id": cid, "properties": {"lifecyclestage": "lead"}}]})
    assert r.status_code == 400  # HubSpot rejects duplicate ids in one batch
    assert props(admin, cid)["lifecyclestage"] == "customer"


def test_batch_read(hs: httpx.Client) -> None:
    a, b = ids(hs, 2)
    ok = hs.post("/crm/v3/objects/contacts/batch/read", json={"inputs": [{"id": a}, {"id": b}], "properties": ["email"]})
    assert ok.status_code == 200
    model = as_model(ContactsApiClient, ok, "BatchResponseSimplePublicObject")
    assert [r.id for r in model.results] == [a, b] and "email" in model.results[0].properties
    partial = hs.post("/crm/v3/objects/contacts/batch/read", json={"inputs": [{"id": a}, {"id": "424242"}]})
    assert partial.status_code == 207 and partial.json()["numErrors"] == 1


def test_merge_contacts(hs: httpx.Client, admin: httpx.Client) -> None:
    primary, loser = ids(hs, 2)
    before = props(admin, primary)["lastmodifieddate"]
    r = hs.post("/crm/v3/objects/contacts/merge", json={"primaryObjectId": primary, "objectIdToMerge": loser})
    assert r.status_code == 200 and r.json()["id"] == primary
    assert hs.get(f"/crm/v3/objects/contacts/{loser}").status_code == 404
    survivor = hs.get(f"/crm/v3/objects/contacts/{primary}", params={"properties": "hs_merged_object_ids"}).json()
    assert loser in survivor["properties"]["hs_merged_object_ids"].split(";")
    assert survivor["properties"]["lastmodifieddate"] > before
    listed = {r["id"] for r in hs.get("/crm/v3/objects/contacts", params={"limit": 100}).json()["results"]}
    assert loser not in listed
    assert admin.get(f"/contacts/{loser}").json()["mergedInto"] == primary


def test_properties_api(hs: httpx.Client, sandbox) -> None:
    response = hs.get("/crm/v3/properties/contacts")
    assert len(as_model(PropertiesApiClient, response, "CollectionResponsePropertyNoPaging").results) > 20
    by_name = {p["name"]: p for p in response.json()["results"]}
    stage = as_model(PropertiesApiClient, hs.get("/crm/v3/properties/contacts/lifecyclestage"), "ModelProperty")
    assert stage.type == "enumeration" and [o.value for o in stage.options][:2] == ["subscriber", "lead"]
    assert by_name["hs_object_id"]["modificationMetadata"]["readOnlyValue"] is True
    assert hs.get("/crm/v3/properties/contacts/leadscore_tier").status_code == 404
    client = HubSpot(access_token=HUBSPOT_TOKEN, host=sandbox.url)
    created = client.crm.properties.core_api.create("contacts", property_create=PropertyCreate(
        name="leadscore_tier", label="Lead tier", type="enumeration", field_type="select", group_name="leadscore",
        options=[{"label": t, "value": t, "hidden": False, "displayOrder": i} for i, t in enumerate("ABCD")]))
    assert created.name == "leadscore_tier"
    again = hs.post("/crm/v3/properties/contacts", json={"name": "leadscore_tier", "label": "x", "type": "string",
                                                         "fieldType": "text", "groupName": "leadscore"})
    assert again.status_code == 409 and again.json()["status"] == "error"
    assert update(hs, [("1001", {"leadscore_tier": "A"})]).status_code == 200
    assert update(hs, [("1001", {"leadscore_tier": "Z"})]).status_code == 207
    groups = hs.get("/crm/v3/properties/contacts/groups").json()["results"]
    assert {"name", "label", "displayOrder", "archived"} <= groups[0].keys()
    made = hs.post("/crm/v3/properties/contacts/groups", json={"name": "leadscore", "label": "Lead scoring"})
    assert made.status_code == 201
    assert hs.post("/crm/v3/properties/contacts/groups", json={"name": "leadscore", "label": "x"}).status_code == 409
    assert as_model(PropertiesApiClient, made, "PropertyGroup").name == "leadscore"


def test_reset_drops_writes(hs: httpx.Client, admin: httpx.Client) -> None:
    original = props(admin, "1001")["jobtitle"]
    update(hs, [("1001", {"jobtitle": "Changed"})])
    assert props(admin, "1001")["jobtitle"] == "Changed"
    admin.post("/reset").raise_for_status()
    assert props(admin, "1001")["jobtitle"] == original


@pytest.mark.parametrize("object_type", ["companies", "calls"])
def test_updates_bump_hs_lastmodifieddate_on_other_types(object_type: str, hs: httpx.Client) -> None:
    first = hs.get(f"/crm/v3/objects/{object_type}", params={"limit": 1}).json()["results"][0]
    field = "name" if object_type == "companies" else "hs_call_title"
    r = hs.post(f"/crm/v3/objects/{object_type}/batch/update", json={"inputs": [{"id": first["id"], "properties": {field: "New"}}]})
    assert r.status_code == 200
    after = hs.get(f"/crm/v3/objects/{object_type}/{first['id']}", params={"properties": field}).json()
    assert after["properties"]["hs_lastmodifieddate"] > first["properties"]["hs_lastmodifieddate"]
    assert after["updatedAt"] == after["properties"]["hs_lastmodifieddate"]
    assert json.loads(r.text)["results"][0]["properties"][field] == "New"


def test_create_then_archive_a_contact(hs, admin):
    created = hs.post("/crm/v3/objects/contacts", json={"properties": {"email": "nova@firma.cz", "firstname": "Nová"}})
    assert created.status_code == 201
    body = created.json()
    assert body["properties"]["email"] == "nova@firma.cz" and body["properties"]["hs_object_id"] == body["id"]
    assert hs.post("/crm/v3/objects/contacts", json={"properties": {"no_such_property": "x"}}).status_code == 400

    assert hs.delete(f"/crm/v3/objects/contacts/{body['id']}").status_code == 204
    assert hs.get(f"/crm/v3/objects/contacts/{body['id']}").status_code == 404
    archived = hs.get("/crm/v3/objects/contacts", params={"archived": "true", "limit": 100}).json()["results"]
    assert body["id"] in {r["id"] for r in archived}
    assert hs.delete(f"/crm/v3/objects/contacts/{body['id']}").status_code == 204  # idempotent
    assert hs.delete("/crm/v3/objects/contacts/999999999").status_code == 404
