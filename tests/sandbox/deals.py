"""Deals and pipelines written by hand into a generated dataset, in the spec's shapes
(hubspot/deals.ndjson, hubspot/pipelines.ndjson), for the tests that need deals."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

from leadscore.sandbox.store import DEFAULT_DEAL_PIPELINE

FIRST_ID = 70_000_001
CUSTOM_PIPELINE = {
    "id": "12345", "label": "Renewals", "displayOrder": 1, "archived": False,
    "createdAt": "2021-01-01T00:00:00Z", "updatedAt": "2021-06-01T00:00:00Z",
    "stages": [
        {"id": "67890", "label": "Renewal due", "displayOrder": 0, "archived": False,
         "metadata": {"isClosed": "false", "probability": "0.5"}, "createdAt": "2021-01-01T00:00:00Z",
         "updatedAt": "2021-01-01T00:00:00Z"},
        {"id": "67891", "label": "Renewed", "displayOrder": 1, "archived": False,
         "metadata": {"isClosed": "true", "probability": "1.0"}, "createdAt": "2021-01-01T00:00:00Z",
         "updatedAt": "2021-01-01T00:00:00Z"},
    ],
}
# stage → (hs_is_closed, hs_is_closed_won)
CLOSED = {"closedwon": ("true", "true"), "closedlost": ("true", "false"), "67891": ("true", "true")}


def iso(ts: datetime) -> str:
    return ts.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def deal(n: int, stage: str, contacts: list[str], *, pipeline: str = "default", modified: datetime,
         amount: str = "12000", archived: bool = False) -> dict:
    did = str(FIRST_ID + n)
    created = modified - timedelta(days=40)
    closed, won = CLOSED.get(stage, ("false", "false"))
    close = modified if closed == "true" else modified + timedelta(days=30)
    props = {"dealname": f"Deal {n}", "dealstage": stage, "pipeline": pipeline, "amount": amount,
             "closedate": iso(close), "createdate": iso(created), "hs_lastmodifieddate": iso(modified),
             "hs_is_closed_won": won, "hs_is_closed": closed, "hs_object_id": did}
    record = {"id": did, "properties": props, "createdAt": iso(created), "updatedAt": iso(modified),
              "archived": archived}
    if contacts:
        record["associations"] = {"contacts": {"results": [{"id": c, "type": "deal_to_contact"} for c in contacts]}}
    return record


def write_deals(dataset: Path, count: int = 40, pipelines: bool = True) -> list[dict]:
    """`count` deals over the dataset's first contacts (every stage, one without contacts, one with
    seven, one archived, one in a second pipeline); returns them. `pipelines` False leaves the
    pipelines file out (the sandbox then serves HubSpot's default pipeline)."""
    hubspot = dataset / "hubspot"
    contacts = [json.loads(line) for line in (hubspot / "contacts.ndjson").read_text().splitlines() if line.strip()]
    ids = [c["id"] for c in contacts if not c.get("archived")][:200]
    stages = [s["id"] for s in DEFAULT_DEAL_PIPELINE["stages"]]
    base = datetime(2026, 3, 1, tzinfo=timezone.utc)
    deals = []
    for n in range(count):
        linked = [] if n == 3 else ids[n * 2:n * 2 + (7 if n == 4 else 1 + n % 2)]
        stage, pipeline = (("67891", "12345") if n == 5 else (stages[n % len(stages)], "default"))
        deals.append(deal(n, stage, linked, pipeline=pipeline, modified=base + timedelta(hours=n), archived=n == 6))
    (hubspot / "deals.ndjson").write_text("".join(json.dumps(d) + "\n" for d in deals))
    path = hubspot / "pipelines.ndjson"
    if pipelines:
        path.write_text("".join(json.dumps(p) + "\n" for p in (DEFAULT_DEAL_PIPELINE, CUSTOM_PIPELINE)))
    else:
        path.unlink(missing_ok=True)
    return deals


LIFECYCLE_DATE_PROPS = tuple(f"hs_lifecyclestage_{s}_date" for s in (
    "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer", "evangelist"))


def stamp_lifecycle_dates(dataset: Path, count: int = 5) -> list[str]:
    """Give the first `count` live contacts a date for every lifecycle stage (HubSpot's
    hs_lifecyclestage_<stage>_date), one day apart; returns their ids."""
    path = dataset / "hubspot" / "contacts.ndjson"
    lines = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    stamped = []
    for c in lines:
        if len(stamped) < count and not c.get("archived"):
            start = datetime(2025, 1, 1, tzinfo=timezone.utc)
            c["properties"].update({p: iso(start + timedelta(days=i)) for i, p in enumerate(LIFECYCLE_DATE_PROPS)})
            stamped.append(c["id"])
    path.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in lines))
    return stamped
