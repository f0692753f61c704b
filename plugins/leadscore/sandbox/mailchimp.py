"""Mailchimp Marketing API 3.0 routes: list members, campaigns, email activity, unsubscribes.

All four are offset-paged (`count` ≤ 1000, `offset`) and answer with `total_items`; errors
are problem+json. `fields`/`exclude_fields` are accepted and ignored.
"""
from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from leadscore.sandbox.errors import MailchimpError
from leadscore.sandbox.state import SandboxState
from leadscore.sandbox.store import parse_ms

COUNT_MAX = 1000
router = APIRouter(prefix="/3.0")


def state_of(request: Request) -> SandboxState:
    return request.app.state.sandbox


def paging(request: Request) -> tuple[int, int]:
    q = request.query_params
    try:
        count = int(q.get("count", 10))
        offset = int(q.get("offset", 0))
    except ValueError:
        raise MailchimpError(400, "Invalid Resource", "count and offset must be integers") from None
    if count > COUNT_MAX or count < 0 or offset < 0:
        raise MailchimpError(400, "Invalid Resource",
                             f"The value for count must be between 0 and {COUNT_MAX}; offset must not be negative.")
    return count, offset


def since(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if not raw:
        return None
    ms = parse_ms(raw)
    if ms is None:
        raise MailchimpError(400, "Invalid Resource", f"{name} must be an ISO 8601 date-time, got {raw!r}")
    return ms


def page(state: SandboxState, table: str, where: str, params: list[Any], order: str, request: Request
         ) -> tuple[int, list[dict]]:
    """(total_items, bodies) of one offset page of a Mailchimp collection table."""
    count, offset = paging(request)
    total = state.store.scalar(f"SELECT COUNT(*) FROM {table} WHERE {where}", params)
    rows = state.store.query(f"SELECT body FROM {table} WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?",
                             (*params, count, offset))
    return total, [json.loads(r[0]) for r in rows]


def require_campaign(state: SandboxState, campaign_id: str) -> None:
    if not state.store.scalar("SELECT 1 FROM mc_campaigns WHERE id = ?", (campaign_id,)):
        raise MailchimpError(404, "Resource Not Found", "The requested resource could not be found.")


@router.get("/lists/{list_id}/members")
async def members(list_id: str, request: Request) -> JSONResponse:
    state = state_of(request)
    if not state.store.scalar("SELECT 1 FROM mc_lists WHERE id = ?", (list_id,)):
        raise MailchimpError(404, "Resource Not Found", "The requested resource could not be found.")
    where, params = "list_id = ?", [list_id]
    for name, op in (("since_last_changed", ">="), ("before_last_changed", "<")):
        ms = since(request, name)
        if ms is not None:
            where += f" AND last_changed_ms {op} ?"
            params.append(ms)
    status = request.query_params.get("status")
    if status:
        where += " AND json_extract(body, '$.status') = ?"
        params.append(status)
    sort_dir = "DESC" if request.query_params.get("sort_dir", "ASC").upper() == "DESC" else "ASC"
    order = f"last_changed_ms {sort_dir}, seq" if request.query_params.get("sort_field") == "last_changed" else "seq"
    total, items = page(state, "mc_members", where, params, order, request)
    return JSONResponse({"members": items, "list_id": list_id, "total_items": total})


@router.get("/campaigns")
async def campaigns(request: Request) -> JSONResponse:
    where, params = "1", []
    for name, op in (("since_send_time", ">="), ("before_send_time", "<")):
        ms = since(request, name)
        if ms is not None:
            where += f" AND send_ms {op} ?"
            params.append(ms)
    total, items = page(state_of(request), "mc_campaigns", where, params, "send_ms, seq", request)
    return JSONResponse({"campaigns": items, "total_items": total})


@router.get("/campaigns/{campaign_id}")
async def campaign(campaign_id: str, request: Request) -> JSONResponse:
    rows = state_of(request).store.query("SELECT body FROM mc_campaigns WHERE id = ?", (campaign_id,))
    if not rows:
        raise MailchimpError(404, "Resource Not Found", "The requested resource could not be found.")
    return JSONResponse(json.loads(rows[0][0]))


@router.get("/reports/{campaign_id}/email-activity")
async def email_activity(campaign_id: str, request: Request) -> JSONResponse:
    """Recipients with activity; with `since`, only actions at or after it (recipients with none are left out)."""
    state = state_of(request)
    require_campaign(state, campaign_id)
    where, params = "campaign_id = ?", [campaign_id]
    cutoff = since(request, "since")
    if cutoff is not None:
        where += " AND last_ms >= ?"
        params.append(cutoff)
    total, items = page(state, "mc_activity", where, params, "seq", request)
    if cutoff is not None:
        for item in items:
            item["activity"] = [a for a in item["activity"] if (parse_ms(a.get("timestamp")) or 0) >= cutoff]
    return JSONResponse({"emails": items, "campaign_id": campaign_id, "total_items": total})


@router.get("/reports/{campaign_id}/unsubscribed")
async def unsubscribed(campaign_id: str, request: Request) -> JSONResponse:
    state = state_of(request)
    require_campaign(state, campaign_id)
    total, items = page(state, "mc_unsubscribes", "campaign_id = ?", [campaign_id], "seq", request)
    return JSONResponse({"unsubscribes": items, "campaign_id": campaign_id, "total_items": total})
