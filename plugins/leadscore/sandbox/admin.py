"""`/_sandbox/*` inspection and test helpers, and the CRM-user view at `/`.

None of these exist in HubSpot or Mailchimp; they never see faults, limits or auth, so a
test can always read the truth about what the pipeline did.
"""
from __future__ import annotations

import html
import json
from typing import Any, Callable

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from leadscore.sandbox.errors import HubSpotError
from leadscore.sandbox.quirks import Quirk
from leadscore.sandbox.state import SandboxState

router = APIRouter()
SYNCED = ("leadscore_tier", "leadscore_fit_score", "leadscore_engagement_score", "leadscore_grade", "leadscore_reasons",
          "leadscore_conversion_probability")


def state_of(request: Request) -> SandboxState:
    return request.app.state.sandbox


async def body_of(request: Request) -> dict[str, Any]:
    raw = await request.body()
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        raise HubSpotError(400, "Invalid JSON body") from None
    if not isinstance(body, dict):
        raise HubSpotError(400, "Expected a JSON object")
    return body


async def apply_body(request: Request, change: Callable[[dict[str, Any]], None], what: str) -> None:
    """Hand the JSON body to `change`; what it rejects is a 400 naming the setting."""
    try:
        change(await body_of(request))
    except (TypeError, ValueError) as exc:
        raise HubSpotError(400, f"Invalid sandbox {what}: {exc}") from None


@router.get("/_sandbox/health")
async def health(request: Request) -> dict:
    return {"status": "ok", "dataset": str(state_of(request).dataset_dir)}


@router.get("/_sandbox/requests")
async def requests(request: Request) -> dict:
    return state_of(request).stats.as_dict()


@router.delete("/_sandbox/requests")
async def clear_requests(request: Request) -> dict:
    state_of(request).stats.clear()
    return {"requests": [], "total": 0}


@router.get("/_sandbox/config")
async def get_config(request: Request) -> dict:
    return state_of(request).config.public()


@router.post("/_sandbox/config")
async def set_config(request: Request) -> dict:
    state = state_of(request)
    await apply_body(request, state.reconfigure, "config")
    return state.config.public()


@router.get("/_sandbox/faults")
async def fault_log(request: Request) -> dict:
    """Faults injected since the sequence was last restarted, in order."""
    plan = state_of(request).plan
    return {"seed": plan.faults.seed, "requests_seen": plan.counter, "faults": plan.log}


@router.post("/_sandbox/faults/replay")
async def replay(request: Request) -> dict:
    """Restart the fault sequence at request 0 (same seed → same faults again)."""
    state = state_of(request)
    state.reconfigure({"seed": state.config.faults.seed})
    return {"seed": state.config.faults.seed, "requests_seen": 0}


@router.get("/_sandbox/quirks")
async def quirks(request: Request) -> dict:
    """The armed quirks and how many times each has fired."""
    return state_of(request).quirks.as_dict()


@router.post("/_sandbox/quirks")
async def arm_quirk(request: Request) -> dict:
    """Arm an odd-but-valid answer for the next `times` matching requests (see quirks.py)."""
    state = state_of(request)
    await apply_body(request, lambda body: state.quirks.arm(Quirk.parse(body)), "quirk")
    return state.quirks.as_dict()


@router.delete("/_sandbox/quirks")
async def clear_quirks(request: Request) -> dict:
    state = state_of(request)
    state.quirks.clear()
    return state.quirks.as_dict()


@router.post("/_sandbox/reset")
async def reset(request: Request) -> dict:
    state_of(request).reset()
    return {"status": "reset"}


@router.get("/_sandbox/state")
async def kept_state(request: Request) -> dict:
    """Where the CRM writes are kept across restarts, and how many records of each kind."""
    return state_of(request).state_summary()


@router.delete("/_sandbox/state")
async def forget_state(request: Request) -> dict:
    """Forget every CRM write, in memory and in the kept file: the CRM is the dataset again.
    The warehouse's sync state still says what was sent; `leadscore sandbox serve --reset`
    forgets both."""
    state = state_of(request)
    state.forget_writes()
    return state.state_summary()


@router.get("/_sandbox/contacts/{contact_id}")
async def contact(contact_id: str, request: Request) -> dict:
    """All current properties of a contact, visible or not (archived, merged away)."""
    rows = state_of(request).store.query(
        "SELECT id, props, created_at, updated_at, archived, archived_at, merged_into FROM obj_contacts WHERE id = ?",
        (int(contact_id) if contact_id.isdigit() else -1,))
    if not rows:
        raise HubSpotError(404, f"No contact {contact_id} in the sandbox", "OBJECT_NOT_FOUND")
    oid, props, created, updated, archived, archived_at, merged_into = rows[0]
    return {"id": str(oid), "properties": json.loads(props), "createdAt": created, "updatedAt": updated,
            "archived": bool(archived), "archivedAt": archived_at,
            "mergedInto": str(merged_into) if merged_into else None}


@router.post("/_sandbox/touch")
async def touch(request: Request) -> dict:
    """Set the modified date of N records (or `ids`) to `timestamp` (ISO or epoch ms; default now)."""
    body = await body_of(request)
    ids = [str(i) for i in body["ids"]] if body.get("ids") else None
    touched = state_of(request).crm.touch(body.get("objectType", "contacts"), int(body.get("count", 0)),
                                          body.get("timestamp"), ids)
    return {"touched": len(touched), "ids": touched}


@router.post("/_sandbox/contacts/clone")
async def clone(request: Request) -> dict:
    """Add `count` contacts copied from existing ones, modified at `timestamp` (for the 10,000 cap)."""
    body = await body_of(request)
    first_last = state_of(request).crm.clone_contacts(int(body.get("count", 0)), body.get("timestamp"))
    return {"created": int(body.get("count", 0)), "idRange": first_last}


@router.get("/", response_class=HTMLResponse)
async def contacts_page(request: Request, page: int = 1, per_page: int = 50) -> HTMLResponse:
    """What a CRM user would see: contacts with the scores the pipeline synced."""
    state = state_of(request)
    per_page = max(1, min(per_page, 500))
    page = max(1, page)
    total = state.store.scalar("SELECT COUNT(*) FROM obj_contacts WHERE merged_into IS NULL AND archived = 0")
    rows = state.store.query("SELECT id, props FROM obj_contacts WHERE merged_into IS NULL AND archived = 0 "
                             "ORDER BY id LIMIT ? OFFSET ?", (per_page, (page - 1) * per_page))
    head = ["id", "name", "email", "company", "lifecyclestage", *SYNCED]
    lines = []
    for oid, props_text in rows:
        p = json.loads(props_text)
        cells = [str(oid), f"{p.get('firstname') or ''} {p.get('lastname') or ''}".strip(), p.get("email") or "",
                 p.get("company") or "", p.get("lifecyclestage") or "", *(p.get(k) or "" for k in SYNCED)]
        lines.append("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells) + "</tr>")
    pages = max(1, -(-total // per_page))
    nav = " ".join(
        f'<a href="/?page={n}&per_page={per_page}">{label}</a>'
        for n, label in ((1, "first"), (page - 1, "prev"), (page + 1, "next"), (pages, "last")) if 1 <= n <= pages)
    doc = f"""<!doctype html><html><head><meta charset="utf-8"><title>Sandbox CRM – contacts</title>
<style>body{{font-family:sans-serif;margin:1.5em}}table{{border-collapse:collapse;font-size:13px}}
td,th{{border:1px solid #ccc;padding:3px 6px;text-align:left}}th{{background:#f0f3f7}}</style></head><body>
<h1>Contacts</h1><p>{total:,} contacts · page {page} of {pages} · {nav}</p>
<table><tr>{''.join(f'<th>{html.escape(h)}</th>' for h in head)}</tr>{''.join(lines)}</table>
<p>{nav}</p></body></html>"""
    return HTMLResponse(doc)


@router.post("/_sandbox/salesforce")
async def salesforce_settings(request: Request) -> dict:
    """Test helper: set the org's daily allowance or usage, or expire every session token."""
    org = state_of(request).salesforce

    def change(body: dict[str, Any]) -> None:
        if "daily_allowance" in body:
            org.daily_allowance = int(body["daily_allowance"])
        if "usage" in body:
            org.usage = int(body["usage"])
        if body.get("revoke_tokens"):
            org.revoke_tokens()

    await apply_body(request, change, "salesforce settings")
    return {"daily_allowance": org.daily_allowance, "usage": org.usage}
