"""HubSpot HTTP routes: CRM objects v3, associations v4, properties v3, pipelines v3, events v3.

The routes only parse HTTP and pick status codes; object semantics live in crm.py.
"""
from __future__ import annotations

import base64
import json
from datetime import datetime, timezone
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from leadscore.sandbox.crm import batch_envelope, check_type
from leadscore.sandbox.errors import HubSpotError
from leadscore.sandbox.state import SandboxState
from leadscore.sandbox.store import parse_ms

PROPERTY_TYPES = {"bool", "date", "datetime", "enumeration", "number", "phone_number", "string"}
FIELD_TYPES = {"booleancheckbox", "calculation_equation", "checkbox", "date", "file", "html", "number", "phonenumber",
               "radio", "select", "text", "textarea"}
EVENTS_MAX = 1000


def state_of(request: Request) -> SandboxState:
    return request.app.state.sandbox


def comma_list(request: Request, name: str) -> list[str]:
    """`?properties=a,b&properties=c` → ['a', 'b', 'c'] (HubSpot accepts both forms)."""
    return [p.strip() for value in request.query_params.getlist(name) for p in value.split(",") if p.strip()]


def int_param(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError:
        raise HubSpotError(400, f"Invalid value '{raw}' for query parameter {name}: expected an integer") from None


def bool_param(request: Request, name: str) -> bool:
    return str(request.query_params.get(name, "false")).lower() == "true"


async def json_body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        raise HubSpotError(400, "Invalid input JSON on line 1: the request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise HubSpotError(400, "Invalid input JSON: expected an object")
    return body


def stamp() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


router = APIRouter()


# -- properties (declared before the object routes so /groups is not read as a name) ----------
@router.get("/crm/v3/properties/{object_type}/groups")
async def list_groups(object_type: str, request: Request) -> JSONResponse:
    check_type(object_type)
    rows = state_of(request).store.query("SELECT body FROM property_groups WHERE object_type = ? ORDER BY name",
                                         (object_type,))
    return JSONResponse({"results": [json.loads(r[0]) for r in rows]})


@router.post("/crm/v3/properties/{object_type}/groups", status_code=201)
async def create_group(object_type: str, request: Request) -> JSONResponse:
    check_type(object_type)
    body = await json_body(request)
    if not body.get("name") or not body.get("label"):
        raise HubSpotError(400, "Property group create requires name and label")
    store = state_of(request).store
    if store.scalar("SELECT 1 FROM property_groups WHERE object_type = ? AND name = ?", (object_type, body["name"])):
        raise HubSpotError(409, f"A property group named '{body['name']}' already exists.", "OBJECT_ALREADY_EXISTS")
    group = {"name": body["name"], "label": body["label"], "displayOrder": int(body.get("displayOrder", -1)),
             "archived": False}
    store.conn.execute("INSERT INTO property_groups VALUES (?,?,?)", (object_type, group["name"], json.dumps(group)))
    return JSONResponse(group, status_code=201)


@router.get("/crm/v3/properties/{object_type}")
async def list_properties(object_type: str, request: Request) -> JSONResponse:
    check_type(object_type)
    catalog = state_of(request).crm.catalog(object_type)
    return JSONResponse({"results": [catalog[name] for name in sorted(catalog)]})


@router.get("/crm/v3/properties/{object_type}/{name}")
async def get_property(object_type: str, name: str, request: Request) -> JSONResponse:
    check_type(object_type)
    definition = state_of(request).crm.catalog(object_type).get(name)
    if definition is None:
        raise HubSpotError(404, f"Unable to find property {name} on object type {object_type}", "OBJECT_NOT_FOUND")
    return JSONResponse(definition)


@router.post("/crm/v3/properties/{object_type}", status_code=201)
async def create_property(object_type: str, request: Request) -> JSONResponse:
    check_type(object_type)
    body = await json_body(request)
    missing = [k for k in ("name", "label", "type", "fieldType", "groupName") if not body.get(k)]
    if missing:
        raise HubSpotError(400, f"Property create is missing required field(s): {', '.join(missing)}")
    if body["type"] not in PROPERTY_TYPES or body["fieldType"] not in FIELD_TYPES:
        raise HubSpotError(400, f"Invalid type/fieldType {body['type']}/{body['fieldType']}")
    state = state_of(request)
    if body["name"] in state.crm.catalog(object_type):
        raise HubSpotError(409, f"Property named '{body['name']}' already exists.", "OBJECT_ALREADY_EXISTS")
    now = stamp()
    definition = {
        "name": body["name"], "label": body["label"], "type": body["type"], "fieldType": body["fieldType"],
        "groupName": body["groupName"], "description": body.get("description", ""),
        "options": [{"label": o.get("label", o.get("value")), "value": o["value"], "displayOrder": o.get("displayOrder", i),
                     "hidden": bool(o.get("hidden", False))} for i, o in enumerate(body.get("options") or [])],
        "displayOrder": body.get("displayOrder", -1), "calculated": False, "externalOptions": False,
        "hasUniqueValue": bool(body.get("hasUniqueValue", False)), "hidden": bool(body.get("hidden", False)),
        "formField": bool(body.get("formField", False)), "archived": False, "createdAt": now, "updatedAt": now,
        "hubspotDefined": False,
        "modificationMetadata": {"archivable": True, "readOnlyDefinition": False, "readOnlyValue": False},
    }
    state.store.conn.execute("INSERT INTO properties VALUES (?,?,?)", (object_type, body["name"], json.dumps(definition)))
    state.crm.forget_catalogs()
    return JSONResponse(definition, status_code=201)


# -- CRM objects ------------------------------------------------------------------------------
@router.get("/crm/v3/objects/{object_type}")
async def list_objects(object_type: str, request: Request) -> JSONResponse:
    props = comma_list(request, "properties") or None
    return JSONResponse(state_of(request).crm.list(
        object_type, int_param(request, "limit", 10), request.query_params.get("after"), props,
        comma_list(request, "associations"), bool_param(request, "archived")))


@router.post("/crm/v3/objects/contacts/merge")
async def merge_contacts(request: Request) -> JSONResponse:
    body = await json_body(request)
    if not body.get("primaryObjectId") or not body.get("objectIdToMerge"):
        raise HubSpotError(400, "Merge requires primaryObjectId and objectIdToMerge")
    return JSONResponse(state_of(request).crm.merge(str(body["primaryObjectId"]), str(body["objectIdToMerge"])))


@router.post("/crm/v3/objects/{object_type}", status_code=201)
async def create_object(object_type: str, request: Request) -> JSONResponse:
    return JSONResponse(state_of(request).crm.create(object_type, await json_body(request)), status_code=201)


@router.delete("/crm/v3/objects/{object_type}/{object_id}", status_code=204)
async def archive_object(object_type: str, object_id: str, request: Request) -> Response:
    state_of(request).crm.archive(object_type, object_id)
    return Response(status_code=204)


@router.post("/crm/v3/objects/{object_type}/search")
async def search_objects(object_type: str, request: Request) -> JSONResponse:
    return JSONResponse(state_of(request).crm.search(object_type, await json_body(request)))


@router.post("/crm/v3/objects/{object_type}/batch/read")
async def batch_read(object_type: str, request: Request) -> JSONResponse:
    started = datetime.now(timezone.utc)
    results, errors = state_of(request).crm.batch_read(object_type, await json_body(request),
                                                       bool_param(request, "archived"))
    status, body = batch_envelope(results, errors, started)
    return JSONResponse(body, status_code=status)


@router.post("/crm/v3/objects/{object_type}/batch/update")
async def batch_update(object_type: str, request: Request) -> JSONResponse:
    started = datetime.now(timezone.utc)
    state = state_of(request)
    body = await json_body(request)
    fail_rows = None
    n = getattr(request.state, "partial_fault_n", None)
    if n is not None and isinstance(body.get("inputs"), list):
        fail_rows = state.plan.partial_rows(n, len(body["inputs"]))
    results, errors = state.crm.batch_update(object_type, body, fail_rows)
    status, out = batch_envelope(results, errors, started)
    return JSONResponse(out, status_code=status)


@router.get("/crm/v3/objects/{object_type}/{object_id}")
async def get_object(object_type: str, object_id: str, request: Request) -> JSONResponse:
    props = comma_list(request, "properties") or None
    return JSONResponse(state_of(request).crm.get(
        object_type, object_id, props, comma_list(request, "associations"), bool_param(request, "archived")))


@router.patch("/crm/v3/objects/{object_type}/{object_id}")
async def update_object(object_type: str, object_id: str, request: Request) -> JSONResponse:
    body = await json_body(request)
    results, errors = state_of(request).crm.batch_update(
        object_type, {"inputs": [{"id": object_id, "properties": body.get("properties") or {}}]})
    if errors:
        first = errors[0]
        raise HubSpotError(404 if first["category"] == "OBJECT_NOT_FOUND" else 400, first["message"], first["category"])
    return JSONResponse(results[0])


# -- pipelines v3 ------------------------------------------------------------------------------
def pipelines_of(request: Request, object_type: str) -> list[dict]:
    """Deal pipelines in display order (the sandbox serves no other object's pipelines)."""
    if object_type not in ("deals", "0-3"):
        raise HubSpotError(400, f"Unable to infer object type from: {object_type}")
    rows = state_of(request).store.query(
        "SELECT body FROM pipelines WHERE object_type = 'deals' ORDER BY display_order, id")
    return [json.loads(r[0]) for r in rows]


@router.get("/crm/v3/pipelines/{object_type}")
async def list_pipelines(object_type: str, request: Request) -> JSONResponse:
    return JSONResponse({"results": pipelines_of(request, object_type)})


@router.get("/crm/v3/pipelines/{object_type}/{pipeline_id}")
async def get_pipeline(object_type: str, pipeline_id: str, request: Request) -> JSONResponse:
    for pipeline in pipelines_of(request, object_type):
        if pipeline["id"] == pipeline_id:
            return JSONResponse(pipeline)
    raise HubSpotError(404, f"Unable to find pipeline {pipeline_id} for object type {object_type}", "OBJECT_NOT_FOUND")


# -- associations v4 --------------------------------------------------------------------------
@router.post("/crm/v4/associations/{from_type}/{to_type}/batch/read")
async def read_associations(from_type: str, to_type: str, request: Request) -> JSONResponse:
    started = datetime.now(timezone.utc)
    results, errors = state_of(request).crm.associations_v4(from_type, to_type, await json_body(request))
    status, body = batch_envelope(results, errors, started)
    return JSONResponse(body, status_code=status)


# -- events v3 --------------------------------------------------------------------------------
def _event_cursor(after: str | None) -> tuple[int, str] | None:
    if not after:
        return None
    try:
        ms, _, eid = base64.urlsafe_b64decode(after + "=" * (-len(after) % 4)).decode().partition("|")
        return int(ms), eid
    except (ValueError, UnicodeDecodeError):
        raise HubSpotError(400, f"Invalid paging cursor 'after={after}'") from None


@router.get("/events/v3/events")
async def list_events(request: Request) -> JSONResponse:
    """Events of contacts, ordered by (occurredAt, id); `occurredAfter` inclusive, `occurredBefore` exclusive."""
    q = request.query_params
    object_type = q.get("objectType", "contact")
    if object_type not in ("contact", "contacts", "0-1"):
        return JSONResponse({"results": []})
    limit = int_param(request, "limit", 100)
    if limit < 1 or limit > EVENTS_MAX:
        raise HubSpotError(400, f"limit must be between 1 and {EVENTS_MAX}, got {limit}")
    descending = q.get("sort", "occurredAt").startswith("-")
    where, params = ["1"], []
    if q.get("eventType"):
        where.append("event_type = ?")
        params.append(q["eventType"])
    for name, op in (("occurredAfter", ">="), ("occurredBefore", "<")):
        if q.get(name):
            ms = parse_ms(q[name])
            if ms is None:
                raise HubSpotError(400, f"Invalid {name}: {q[name]!r} is not an ISO-8601 timestamp")
            where.append(f"occurred_ms {op} ?")
            params.append(ms)
    if q.get("objectId"):
        where.append("object_id = ?")
        params.append(int_param(request, "objectId", 0))
    cursor = _event_cursor(q.get("after"))
    if cursor:
        where.append("(occurred_ms < ? OR (occurred_ms = ? AND id < ?))" if descending else
                     "(occurred_ms > ? OR (occurred_ms = ? AND id > ?))")
        params += [cursor[0], cursor[0], cursor[1]]
    order = "occurred_ms DESC, id DESC" if descending else "occurred_ms, id"
    rows = state_of(request).store.query(
        f"SELECT occurred_ms, id, body FROM events WHERE {' AND '.join(where)} ORDER BY {order} LIMIT ?",
        (*params, limit + 1))
    out: dict[str, Any] = {"results": [json.loads(r[2]) for r in rows[:limit]]}
    if len(rows) > limit:
        last = rows[limit - 1]
        token = base64.urlsafe_b64encode(f"{last[0]}|{last[1]}".encode()).decode().rstrip("=")
        out["paging"] = {"next": {"after": token, "link": f"?after={token}"}}
    return JSONResponse(out)
