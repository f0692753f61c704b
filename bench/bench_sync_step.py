"""Issue 19: the CRM's daily write volume by score step, and the write/re-read loop over days.

(a) `sync_step_<setting>_write_calls`: the write calls of one simulated day (engagement decay,
2 % of leads with new activity) at `LEADS_A` leads for each LEADSCORE_SYNC_SCORE_STEP setting.
Measured in-process through the sync's own plan (mapping.map_lead + plan.make_plan, the code
that decides what reverse_sync sends, 100 per call): day 0 is mapped at the setting to make the
state, day 1 is planned against it. Lower bound: ceil(leads whose tier or grade changed / 100) —
what any setting must write. The leads are synthetic, from the default rules' thresholds and
half-lives (`lead`): 60 % engaged, a conversion model's probability on every lead.

(b) `sync_loop_<before|after>_day<N>_*`: three days through the sandbox at `LEADS_B` leads:
each day extracts hubspot_contacts (the real stream), rescored leads (a day of `lead`) and a
real reverse_sync. `before` = step 0.1 and every re-read contact landed (the behaviour before
issue 19); `after` = the default step and the echo rule of raw_store.merge. Per day: write
calls, contacts the API returned, contacts landed as changed. Lower bound of the landed figure:
the contacts that changed in the CRM apart from our own writes (none here: the sandbox's
contacts are not edited during the bench), so its bound is 0 and it is reported without ratio.
"""
from __future__ import annotations

import json
import math
import os
import tempfile
from decimal import Decimal
from pathlib import Path

import httpx

from harness import figure

LEADS_A = {"small": 20_000, "full": 1_000_000}
LEADS_B = {"small": 2_000, "full": 100_000}
SETTINGS = ("0.1", "1", "5", "10", "changes")
TOKEN = "sandbox-hubspot-token"
SOURCE = "bench_step.lead_scores"
HALF_LIVES = (30, 45, 60)                # days, as in scoring_rules.yml's activities
NEW_ACTIVITY_SHARE = 0.02
BATCH = 100


def _unit(i: int, salt: int) -> float:
    """A stable pseudo-random number in [0, 1) for lead i."""
    x = (i * 2654435761 + salt * 40503) & 0xFFFFFFFF
    x ^= x >> 13
    x = (x * 1274126177) & 0xFFFFFFFF
    return (x ^ (x >> 16)) / 2**32


def lead(i: int, day: int, crm_id: str | None = None) -> dict:
    """Lead i's lead_scores row on `day`: fit fixed; engagement decays by its half-life and a few
    leads do something new each day; tier, grade and reasons as the default rules derive them."""
    fit = Decimal(round(100 * _unit(i, 1), 1))
    engagement = 0.0
    if _unit(i, 2) < 0.6:
        engagement = 5 + 95 * _unit(i, 3) ** 2
        engagement *= 0.5 ** (day / HALF_LIVES[i % 3])
        for d in range(1, day + 1):
            if _unit(i, 100 + d) < NEW_ACTIVITY_SHARE:
                engagement = min(100.0, engagement + 10 + 30 * _unit(i, 200 + d))
    eng = Decimal(round(engagement, 4))
    bant = int(4 * _unit(i, 4) ** 3)
    grade = ("A" if fit >= 70 else "B" if fit >= 50 else "C" if fit >= 30 else "D") + \
            ("1" if eng >= 50 else "2" if eng >= 20 else "3")
    f1, e1 = round(fit, 1), round(eng, 1)
    if _unit(i, 5) < 0.04:
        tier, reasons = "disqualified", "disqualified: competitor domain"
    elif bant >= 3:
        tier, reasons = "sql", f"BANT {bant} of 4 criteria met"
    elif fit >= 40 and eng >= 20:
        tier, reasons = "mql", f"fit {f1} >= 40 and engagement {e1} >= 20"
    else:
        tier = "nurture"
        reasons = " and ".join(p for p in (f"fit {f1} < 40" if fit < 40 else "",
                                           f"engagement {e1} < 20" if eng < 20 else "") if p)
    probability = 100 / (1 + math.exp(-(float(eng) + float(fit) - 120) / 15))
    return {"lead_id": f"lead-{i:07d}", "crm_id": crm_id or str(i + 1), "tier": tier, "fit_score": fit,
            "engagement_score": eng, "grade": grade, "bant_met": bant, "tier_reasons": reasons,
            "predicted_score": round(probability, 1), "scored_at": f"2026-12-0{1 + day}T06:00:00Z",
            "lifecyclestage": "lead"}


def moved(leads: int) -> int:
    """Leads whose tier or grade changed from day 0 to day 1: what every setting must write."""
    return sum((a["tier"], a["grade"]) != (b["tier"], b["grade"])
               for a, b in ((lead(i, 0), lead(i, 1)) for i in range(leads)))


def plan_day(leads: int, setting: str) -> tuple[int, int]:
    """(leads sent on day 1, write calls) at `setting`."""
    from leadscore.sync.mapping import map_lead, resolution
    from leadscore.sync.plan import make_plan
    from leadscore.sync.state import LeadState

    res = resolution(setting)
    state = {}
    for i in range(leads):
        m = map_lead(lead(i, 0), res=res)
        state[m.lead_id] = LeadState(m.crm_id, m.fingerprint, "success", m.tier, None)
    plan = make_plan((lead(i, 1) for i in range(leads)), state, res)
    return len(plan.to_send), math.ceil(len(plan.to_send) / BATCH)


def _contacts(url: str) -> list[str]:
    out, after = [], None
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60) as http:
        while True:
            body = http.get("/crm/v3/objects/contacts", params={"limit": 100, **({"after": after} if after else {})})
            out += [c["id"] for c in body.raise_for_status().json()["results"]]
            after = (body.json().get("paging") or {}).get("next", {}).get("after")
            if not after:
                return out


def _load(contacts: list[str], day: int) -> None:
    from leadscore import warehouse

    columns = ("lead_id", "crm_id", "tier", "fit_score", "engagement_score", "grade", "bant_met", "tier_reasons",
               "predicted_score", "scored_at", "lifecyclestage")
    with warehouse.connect() as conn:
        conn.execute("""
            create schema if not exists bench_step;
            drop table if exists bench_step.lead_scores;
            create table bench_step.lead_scores (lead_id text primary key, crm_id text, tier text, fit_score numeric,
                engagement_score numeric, grade text, bant_met integer, tier_reasons text,
                predicted_score double precision, scored_at timestamptz, lifecyclestage text)""")
        with conn.cursor().copy(f"copy bench_step.lead_scores ({', '.join(columns)}) from stdin") as copy:
            for i, crm_id in enumerate(contacts):
                row = lead(i, day, crm_id)
                copy.write_row(tuple(row[c] for c in columns))


def loop(url: str, contacts: list[str], setting: str, echo: bool) -> list[dict]:
    """Day 0 (first extraction and full sync, not reported), then days 1-3."""
    from leadscore import warehouse
    from leadscore.sources import hubspot
    from leadscore.sources.extract import run_stream
    from leadscore.sync import reverse_sync

    httpx.post(f"{url}/_sandbox/reset").raise_for_status()
    with warehouse.connect() as conn:
        conn.execute("drop schema if exists sync cascade; drop table if exists raw.hubspot_contacts; "
                     "delete from raw._stream_state where stream = 'hubspot_contacts'")
    hubspot.Contacts.echo_prefix = "leadscore_" if echo else None
    days = []
    for day in range(4):
        extracted = run_stream("hubspot_contacts", f"bench-{setting}-{day}")
        _load(contacts, day)
        synced = reverse_sync(f"bench-{setting}-{day}", source_relation=SOURCE, score_step=setting, force=True)
        days.append({"write_calls": synced.write_calls, "sent": synced.sent, "api_records": extracted.records,
                     "landed": extracted.inserted + extracted.updated})
    return days[1:]


def run(scale: str) -> dict[str, dict]:
    from leadscore import warehouse
    from leadscore.sandbox.server import SandboxServer
    from leadscore.sync.mapping import DEFAULT_SCORE_STEP
    from leadscore.synthetic.generator import generate

    out: dict[str, dict] = {}
    n = LEADS_A[scale]
    changed = moved(n)
    for setting in SETTINGS:
        sent, calls = plan_day(n, setting)
        out[f"sync_step_{setting.replace('.', '_')}_write_calls"] = figure(
            calls, "calls", lower_bound=math.ceil(changed / BATCH),
            note=f"{n} leads, one simulated day, LEADSCORE_SYNC_SCORE_STEP={setting}: {sent} leads sent; "
                 f"{changed} changed tier or grade (bound ceil({changed}/100)); planned in-process by make_plan")

    n = LEADS_B[scale]
    dataset = Path(tempfile.mkdtemp(prefix="bench-step-", dir=os.environ.get("LEADSCORE_HOME")))
    generate(n, 42, dataset)
    warehouse.bootstrap()
    with SandboxServer(dataset) as sandbox:
        os.environ["AIRFLOW_CONN_HUBSPOT"] = json.dumps({"conn_type": "http", "host": sandbox.url, "password": TOKEN,
                                                         "extra": {"lookback_seconds": 0}})
        contacts = _contacts(sandbox.url)
        for name, setting, echo in (("before", "0.1", False), ("after", DEFAULT_SCORE_STEP, True)):
            for day, d in enumerate(loop(sandbox.url, contacts, setting, echo), start=1):
                note = (f"{len(contacts)} contacts, step {setting}, echo rule {'on' if echo else 'off'}, day {day}: "
                        f"{d['sent']} leads written, {d['api_records']} contacts returned by the API, "
                        f"{d['landed']} landed as changed")
                key = f"sync_loop_{name}_day{day}"
                out[f"{key}_write_calls"] = figure(d["write_calls"], "calls", note=note)
                out[f"{key}_api_records"] = figure(d["api_records"], "records", note=note)
                out[f"{key}_landed"] = figure(d["landed"], "records", note=note)
    return out
