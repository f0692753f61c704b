"""Salesforce REST stand-in: OAuth client credentials, SOQL query/queryAll with nextRecordsUrl
paging, and describe, served beside the HubSpot routes from the same app.

Records come from `<dataset>/salesforce/<Object>.jsonl` (written by the generator); an absent
file is an empty object. Every response carries `Sforce-Limit-Info: api-usage=N/M`; at the
daily allowance a call is refused with 403 REQUEST_LIMIT_EXCEEDED. Errors have Salesforce's
shape `[{"message", "errorCode", "fields"}]`.
"""
from __future__ import annotations

import csv
import hmac
import io
import json
import os
import secrets
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, Response

from leadscore.sandbox.soql import Query, SoqlError, parse

API = "/services/data/v61.0"
SESSION_EXPIRED = "Session expired or invalid"
OBJECTS = ("Lead", "Contact", "Account", "Task", "Event", "CampaignMember", "Opportunity",
           "OpportunityContactRole", "LeadStatus", "OpportunityStage")
BASE_FIELDS = ("Id", "IsDeleted", "SystemModstamp", "CreatedDate", "LastModifiedDate")
COLLECTION_LIMIT = 200  # records one sObject Collections call takes
PAGE_SIZE = 2000  # Salesforce's default query batch size
BULK_PAGE = 50_000  # records a Bulk 2.0 results set holds when the client names no maxRecords

router = APIRouter()


def sf_error(status: int, code: str, message: str, headers: dict[str, str] | None = None,
             fields: list[str] | None = None) -> JSONResponse:
    body: list[dict[str, Any]] = [{"message": message, "errorCode": code}]
    if fields is not None:
        body[0]["fields"] = fields
    return JSONResponse(body, status_code=status, headers=headers)


def modstamp(record: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(record["SystemModstamp"].replace("Z", "+00:00").replace("+0000", "+00:00"))


class Org:
    """One org's records, tokens, API usage and open query cursors."""

    def __init__(self, dataset_dir: Path, daily_allowance: int | None = None):
        self.client_id = os.environ.get("LEADSCORE_SANDBOX_SALESFORCE_CLIENT_ID", "sandbox-salesforce-client")
        self.client_secret = os.environ.get("LEADSCORE_SANDBOX_SALESFORCE_CLIENT_SECRET", "sandbox-salesforce-secret")
        self.dataset_dir = Path(dataset_dir)
        self.daily_allowance = daily_allowance or 100_000
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        folder = self.dataset_dir / "salesforce"
        self.records: dict[str, list[dict[str, Any]]] = {}
        for obj in OBJECTS:
            path = folder / f"{obj}.jsonl"
            rows = [json.loads(line) for line in path.read_text().splitlines() if line] if path.exists() else []
            self.records[obj] = sorted(rows, key=lambda r: (modstamp(r), r["Id"]))
        self.fields = {obj: set(BASE_FIELDS).union(*(r.keys() for r in rows)) for obj, rows in self.records.items()}
        self.tokens: set[str] = set()
        self.usage = 0
        self.cursors: dict[str, tuple[list[dict[str, Any]], tuple[str, ...], str]] = {}
        self.jobs: dict[str, dict[str, Any]] = {}

    def issue_token(self) -> str:
        token = "00D" + secrets.token_urlsafe(24)
        self.tokens.add(token)
        return token

    def revoke_tokens(self) -> None:
        """What a session timeout does: every issued token now answers INVALID_SESSION_ID."""
        self.tokens.clear()

    def valid(self, authorization: str) -> bool:
        scheme, _, token = authorization.partition(" ")
        return scheme.lower() == "bearer" and any(hmac.compare_digest(token.strip(), t) for t in self.tokens)

    def spend(self) -> bool:
        """Count one API call; False once the daily allowance is used up (the refused call is not counted)."""
        with self._lock:
            if self.usage >= self.daily_allowance:
                return False
            self.usage += 1
            return True

    def limit_info(self) -> dict[str, str]:
        return {"Sforce-Limit-Info": f"api-usage={self.usage}/{self.daily_allowance}"}

    def select(self, q: Query, with_deleted: bool) -> list[dict[str, Any]]:
        rows = [r for r in self.records[q.obj]
                if (with_deleted or not r.get("IsDeleted"))
                and (q.since is None or modstamp(r) >= q.since) and (q.until is None or modstamp(r) <= q.until)]
        return rows[: q.limit] if q.limit is not None else rows

    def page(self, rows: list[dict[str, Any]], fields: tuple[str, ...], obj: str, start: int) -> dict[str, Any]:
        chunk = rows[start: start + PAGE_SIZE]
        records = [{"attributes": {"type": obj, "url": f"{API}/sobjects/{obj}/{r['Id']}"},
                    **{f: r.get(f, False if f == "IsDeleted" else None) for f in fields}} for r in chunk]
        body: dict[str, Any] = {"totalSize": len(rows), "done": start + PAGE_SIZE >= len(rows), "records": records}
        if not body["done"]:
            locator = f"01g{secrets.token_hex(6)}-{start + PAGE_SIZE}"
            self.cursors[locator.rsplit("-", 1)[0]] = (rows, fields, obj)
            body["nextRecordsUrl"] = f"{API}/query/{locator}"
        return body


class SalesforceError(Exception):
    """Raised by the routes; the app renders it with `.response()`."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers

    def response(self) -> JSONResponse:
        return sf_error(self.status, self.code, self.message, self.headers)


def org(request: Request) -> Org:
    return request.app.state.sandbox.salesforce


def guarded(request: Request) -> Org:
    """The org, once the session and the daily allowance let this data call through."""
    sf = org(request)
    if not sf.valid(request.headers.get("authorization", "")):
        raise SalesforceError(401, "INVALID_SESSION_ID", SESSION_EXPIRED)
    if not sf.spend():
        raise SalesforceError(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.", sf.limit_info())
    return sf


@router.post("/services/oauth2/token")
async def token(request: Request, grant_type: str = Form(""), client_id: str = Form(""),
                client_secret: str = Form("")) -> JSONResponse:
    sf = org(request)
    if grant_type != "client_credentials":
        return JSONResponse({"error": "unsupported_grant_type", "error_description": "grant type not supported"}, 400)
    if not (hmac.compare_digest(client_id, sf.client_id) and hmac.compare_digest(client_secret, sf.client_secret)):
        return JSONResponse({"error": "invalid_client", "error_description": "invalid client credentials"}, 400)
    base = str(request.base_url).rstrip("/")
    return JSONResponse({"access_token": sf.issue_token(), "instance_url": base, "id": f"{base}/id/00D/005",
                         "token_type": "Bearer", "issued_at": str(int(time.time() * 1000))})


def parsed(text: str, sf: Org) -> Query:
    try:
        return parse(text, sf.fields)
    except SoqlError as exc:
        raise SalesforceError(400, exc.code, exc.message, sf.limit_info()) from None


async def json_body(request: Request, sf: Org) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise SalesforceError(400, "JSON_PARSER_ERROR", "The request body is not a JSON object", sf.limit_info())
    return body


async def run_query(request: Request, q: str, with_deleted: bool) -> JSONResponse:
    sf = guarded(request)
    query = parsed(q, sf)
    rows = sf.select(query, with_deleted)
    if query.count:
        return JSONResponse({"totalSize": len(rows), "done": True, "records": []}, headers=sf.limit_info())
    return JSONResponse(sf.page(rows, query.fields, query.obj, 0), headers=sf.limit_info())


@router.get(f"{API}/query")
async def query(request: Request, q: str = "") -> JSONResponse:
    return await run_query(request, q, with_deleted=False)


@router.get(f"{API}/queryAll")
async def query_all(request: Request, q: str = "") -> JSONResponse:
    return await run_query(request, q, with_deleted=True)


@router.get(f"{API}/query/{{locator}}")
async def query_more(request: Request, locator: str) -> JSONResponse:
    sf = guarded(request)
    key, _, start = locator.rpartition("-")
    if key not in sf.cursors or not start.isdigit():
        raise SalesforceError(400, "INVALID_QUERY_LOCATOR", "invalid query locator", sf.limit_info())
    rows, fields, obj = sf.cursors[key]
    return JSONResponse(sf.page(rows, fields, obj, int(start)), headers=sf.limit_info())


@router.get(f"{API}/sobjects/{{obj}}/describe")
async def describe(request: Request, obj: str) -> JSONResponse:
    sf = guarded(request)
    if obj not in sf.fields:
        raise SalesforceError(404, "NOT_FOUND", "The requested resource does not exist", sf.limit_info())
    fields = [{"name": f, "type": "id" if f == "Id" else "datetime" if f in ("SystemModstamp", "CreatedDate",
              "LastModifiedDate") else "boolean" if f == "IsDeleted" else "string", "custom": f.endswith("__c")}
              for f in sorted(sf.fields[obj])]
    return JSONResponse({"name": obj, "queryable": True, "fields": fields}, headers=sf.limit_info())


def job_info(job: dict[str, Any]) -> dict[str, Any]:
    return {k: job[k] for k in ("id", "operation", "object", "state", "concurrencyMode", "contentType", "apiVersion",
                                "lineEnding", "columnDelimiter")}


def csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@router.post(f"{API}/jobs/query")
async def create_query_job(request: Request) -> JSONResponse:
    """A Bulk 2.0 query job; its SOQL is checked when it is created (a real org fails the job later,
    the stand-in refuses at once: the extractor meets the same error either way)."""
    sf = guarded(request)
    body = await json_body(request, sf)
    operation = body.get("operation")
    if operation not in ("query", "queryAll"):
        raise SalesforceError(400, "INVALIDJOB", "operation must be query or queryAll", sf.limit_info())
    query = parsed(str(body.get("query", "")), sf)
    if query.count:
        raise SalesforceError(400, "INVALIDJOB", "COUNT() is not supported in Bulk API 2.0 queries", sf.limit_info())
    job_id = f"750{secrets.token_hex(6)}"
    sf.jobs[job_id] = {"id": job_id, "operation": operation, "object": query.obj, "state": "UploadComplete",
                       "concurrencyMode": "Parallel", "contentType": "CSV", "apiVersion": 61.0, "lineEnding": "LF",
                       "columnDelimiter": "COMMA", "rows": sf.select(query, operation == "queryAll"),
                       "fields": query.fields}
    return JSONResponse(job_info(sf.jobs[job_id]), headers=sf.limit_info())


def job_of(sf: Org, job_id: str) -> dict[str, Any]:
    if job_id not in sf.jobs:
        raise SalesforceError(404, "NOT_FOUND", "The requested resource does not exist", sf.limit_info())
    return sf.jobs[job_id]


@router.get(f"{API}/jobs/query/{{job_id}}")
async def query_job(request: Request, job_id: str) -> JSONResponse:
    """The first poll finds the job in progress, the next one complete, so clients must poll."""
    sf = guarded(request)
    job = job_of(sf, job_id)
    job["state"] = {"UploadComplete": "InProgress", "InProgress": "JobComplete"}.get(job["state"], job["state"])
    return JSONResponse({**job_info(job), "numberRecordsProcessed": len(job["rows"]) if job["state"] == "JobComplete"
                         else 0}, headers=sf.limit_info())


@router.get(f"{API}/jobs/query/{{job_id}}/results")
async def query_job_results(request: Request, job_id: str, locator: str = "", maxRecords: int = BULK_PAGE) -> Response:
    sf = guarded(request)
    job = job_of(sf, job_id)
    if job["state"] != "JobComplete":
        raise SalesforceError(400, "INVALIDJOB", f"Job {job_id} is not complete", sf.limit_info())
    start = int(locator) if locator.isdigit() else 0
    if locator and not locator.isdigit():
        raise SalesforceError(400, "INVALID_LOCATOR", "invalid locator", sf.limit_info())
    chunk = job["rows"][start: start + max(1, maxRecords)]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow(job["fields"])
    for row in chunk:
        writer.writerow([csv_value(row.get(f, False if f == "IsDeleted" else None)) for f in job["fields"]])
    following = start + len(chunk)
    headers = {**sf.limit_info(), "Sforce-NumberOfRecords": str(len(chunk)),
               "Sforce-Locator": str(following) if following < len(job["rows"]) else "null"}
    return Response(out.getvalue(), media_type="text/csv", headers=headers)


def save_result(record: dict[str, Any], sf: Org) -> dict[str, Any]:
    """Apply one record of a collection update; the SaveResult Salesforce returns for it."""
    obj, rid = (record.get("attributes") or {}).get("type"), record.get("id") or record.get("Id")
    target = next((r for r in sf.records.get(obj or "", []) if r["Id"] == rid), None)

    def failed(code: str, message: str, fields: list[str]) -> dict[str, Any]:
        return {"success": False, "errors": [{"statusCode": code, "message": message, "fields": fields}]}

    if target is None or target.get("IsDeleted"):
        return failed("ENTITY_IS_DELETED" if target else "INVALID_CROSS_REFERENCE_KEY",
                      "entity is deleted" if target else "invalid cross reference id", [])
    if obj == "Lead" and target.get("IsConverted"):
        return failed("CANNOT_UPDATE_CONVERTED_LEAD", "cannot reference converted lead", [])
    target.update({k: v for k, v in record.items() if k not in ("attributes", "id", "Id")})
    target["SystemModstamp"] = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    return {"id": rid, "success": True, "errors": []}


@router.patch(f"{API}/composite/sobjects")
async def update_collection(request: Request) -> JSONResponse:
    """Up to 200 records, each applied on its own (allOrNone false), results in request order.
    An unknown field fails the whole request with INVALID_FIELD, as deserialising it does in a real org."""
    sf = guarded(request)
    body = await json_body(request, sf)
    records = body.get("records")
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise SalesforceError(400, "INVALID_FIELD", "records must be a list of sObjects", sf.limit_info())
    if len(records) > COLLECTION_LIMIT:
        raise SalesforceError(400, "EXCEEDED_ID_LIMIT", "record limit reached. cannot submit more than 200 records "
                                                        "into this call", sf.limit_info())
    if body.get("allOrNone"):
        raise SalesforceError(400, "INVALID_FIELD", "the stand-in serves allOrNone false only", sf.limit_info())
    for record in records:
        obj = (record.get("attributes") or {}).get("type")
        if obj not in sf.fields:
            raise SalesforceError(400, "INVALID_TYPE", f"sObject type '{obj}' is not supported.", sf.limit_info())
        unknown = sorted(k for k in record if k not in ("attributes", "id") and k not in sf.fields[obj])
        if unknown:
            raise SalesforceError(400, "INVALID_FIELD", f"No such column '{unknown[0]}' on sobject of type {obj}",
                                  sf.limit_info())
    return JSONResponse([save_result(r, sf) for r in records], headers=sf.limit_info())
