"""Record builders in the shapes the extractors land in raw (HubSpot v3, Events v3, Mailchimp 3.0)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from itertools import count
from typing import Any

from leadscore.sources.raw_store import RawRecord

NOW = datetime.now(timezone.utc)
_seq = count(1)


def iso(ts: datetime) -> str:
    return ts.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def recent(days: float = 1) -> str:
    return iso(NOW - timedelta(days=days))


def contact(cid: str, email: Any = "", *, record_id: Any = "same", updated: datetime | None = None,
            archived: bool = False, **props: Any) -> RawRecord:
    updated = updated or NOW - timedelta(hours=1)
    properties = {"email": email if email != "" else f"lead{cid}@example.com", "firstname": "Ada",
                  "lastname": "Lovelace", "jobtitle": "CTO", "company": "Analytical Engines",
                  "lifecyclestage": "lead", "createdate": recent(30), "lastmodifieddate": iso(updated)}
    properties.update(props)
    record = {"properties": properties, "createdAt": recent(30), "updatedAt": iso(updated), "archived": archived}
    if record_id is not None:
        record["id"] = cid if record_id == "same" else record_id
    return RawRecord(cid, record, updated, archived)


def company(cid: str, **props: Any) -> RawRecord:
    properties = {"name": "Acme", "domain": "acme.example", "industry": "SOFTWARE", "numberofemployees": "250",
                  "annualrevenue": "1000000", "createdate": recent(60), "hs_lastmodifieddate": recent(1)}
    properties.update(props)
    return RawRecord(cid, {"id": cid, "properties": properties, "createdAt": recent(60), "updatedAt": recent(1)},
                     NOW - timedelta(days=1))


def engagement(eid: str, contacts: list[str] | Any, **props: Any) -> RawRecord:
    properties = {"hs_timestamp": recent(2), "hs_body_preview": "Spoke about pricing"}
    properties.update(props)
    return RawRecord(eid, {"id": eid, "properties": properties, "createdAt": recent(2), "updatedAt": recent(2),
                           "archived": False, "associations": {"contacts": contacts}}, NOW - timedelta(days=2))


def event(eid: str, contact_id: str, event_type: str, occurred: str | None = None, **props: Any) -> RawRecord:
    occurred = occurred or recent(1)
    return RawRecord(eid, {"id": eid, "eventType": event_type, "objectId": contact_id, "objectType": "CONTACT",
                           "occurredAt": occurred, "properties": props}, NOW - timedelta(days=1))


def form(eid: str, contact_id: str, form_type: Any = "demo_request", **kw: Any) -> RawRecord:
    props = {} if form_type is None else {"form_type": form_type}
    return event(eid, contact_id, "e_submitted_form", **kw, **props)


def page_view(eid: str, contact_id: str, event_type: str = "e_visited_page", **kw: Any) -> RawRecord:
    return event(eid, contact_id, event_type, hs_url="https://example.com/pricing", **kw)


def member(mid: str, email: str, status: str = "subscribed") -> RawRecord:
    return RawRecord(mid, {"id": mid, "email_address": email, "status": status, "merge_fields": {"FNAME": "Ada"},
                           "last_changed": recent(1), "list_id": "L1"}, NOW - timedelta(days=1))


def campaign(cid: str, create_time: str | None = None) -> RawRecord:
    return RawRecord(cid, {"id": cid, "create_time": create_time or recent(10), "send_time": recent(9),
                           "status": "sent"}, NOW - timedelta(days=9))


def activity(key: str, email: str, action: str = "open", campaign_id: str = "C1", timestamp: str | None = None,
             email_id: str | None = None) -> RawRecord:
    ts = timestamp or recent(1)
    return RawRecord(key, {"campaign_id": campaign_id, "email_id": email_id or key, "email_address": email,
                           "action": action, "type": "regular", "timestamp": ts, "url": None}, NOW - timedelta(days=1))


def unsubscribe(campaign_id: str, email_id: str, email: str) -> RawRecord:
    return RawRecord(f"{campaign_id}:{email_id}", {"campaign_id": campaign_id, "email_id": email_id,
                                                   "email_address": email, "timestamp": recent(1), "reason": "N/A"},
                     NOW - timedelta(days=1))


def deal(did: str, contacts: list[str] | Any = ("1",), *, stage: str = "closedwon", pipeline: str = "default",
         **props: Any) -> RawRecord:
    closed = stage in ("closedwon", "closedlost")
    properties = {"dealname": f"Deal {did}", "dealstage": stage, "pipeline": pipeline, "amount": "12000",
                  "closedate": recent(3) if closed else iso(NOW + timedelta(days=30)), "createdate": recent(40),
                  "hs_lastmodifieddate": recent(1), "hs_is_closed": str(closed).lower(),
                  "hs_is_closed_won": str(stage == "closedwon").lower()}
    properties.update(props)
    return RawRecord(did, {"id": did, "properties": properties, "createdAt": recent(40), "updatedAt": recent(1),
                           "archived": False, "associations": {"contacts": list(contacts)}}, NOW - timedelta(days=1))


DEFAULT_STAGES = (("appointmentscheduled", "0.2"), ("qualifiedtobuy", "0.4"), ("closedwon", "1.0"),
                  ("closedlost", "0.0"))


def pipeline(pid: str = "default", stages: tuple[tuple[str, str], ...] = DEFAULT_STAGES) -> RawRecord:
    return RawRecord(pid, {"id": pid, "label": "Sales Pipeline", "displayOrder": 0, "archived": False,
                           "createdAt": recent(400), "updatedAt": recent(400),
                           "stages": [{"id": sid, "label": sid.title(), "displayOrder": i, "archived": False,
                                       "metadata": {"isClosed": str(p in ("0.0", "1.0")).lower(), "probability": p}}
                                      for i, (sid, p) in enumerate(stages)]}, NOW - timedelta(days=400))


def baseline(n: int = 200) -> dict[str, list[RawRecord]]:
    """A clean dataset: n contacts with a little of every stream, all valid and fresh."""
    ids = [f"{i}" for i in range(1, n + 1)]
    return {
        "hubspot_contacts": [contact(i) for i in ids],
        "hubspot_companies": [company(f"co{i}") for i in range(1, n // 4 + 1)],
        "hubspot_deals": [deal(f"d{i}", [i], stage=DEFAULT_STAGES[int(i) % 4][0]) for i in ids[: n // 4]],
        "hubspot_deal_pipelines": [pipeline()],
        "hubspot_calls": [engagement(f"call{i}", [i]) for i in ids],
        "hubspot_meetings": [engagement(f"mtg{i}", [i]) for i in ids[: n // 2]],
        "hubspot_emails": [engagement(f"em{i}", [i]) for i in ids],
        "hubspot_notes": [engagement(f"note{i}", [i]) for i in ids[: n // 2]],
        "hubspot_form_submissions": [form(f"f{i}", i) for i in ids],
        "hubspot_page_views": [page_view(f"pv{i}", i) for i in ids],
        "mailchimp_members": [member(f"m{i}", f"lead{i}@example.com") for i in ids],
        "mailchimp_campaigns": [campaign("C1"), campaign("C2")],
        "mailchimp_email_activity": [activity(f"a{i}", f"lead{i}@example.com") for i in ids],
        "mailchimp_unsubscribes": [unsubscribe("C1", f"u{i}", f"lead{i}@example.com") for i in ids[:5]],
    }
