"""Reverse sync: write calls and wall time for a day where 5% of the leads changed.

The floor for write calls is ceil(changed / 100) (HubSpot's batch cap). The floor for time
under HubSpot's 100-requests-per-10-seconds limit is those calls at 10 requests per second;
the sandbox enforces the limit and the client's rolling-window limiter is set to the same
"100/10", so a ratio near 1 means the sync wastes neither calls nor rate-limit budget.
The first (full) sync that fills the CRM runs without limits and is not measured.
"""
from __future__ import annotations

import json
import math
import os
import tempfile
import time
from pathlib import Path

import httpx

from harness import figure

LEADS = {"small": 5_000, "full": 100_000}
CHANGED_SHARE = 0.05
LIMIT, WINDOW = 100, 10
SOURCE = "bench_sync.lead_scores"
TOKEN = "sandbox-hubspot-token"


def _contacts(url: str) -> list[tuple[str, str | None]]:
    """(id, lifecyclestage) of every visible contact, through the public list API."""
    out, after = [], None
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60) as http:
        while True:
            params = {"limit": 100, "properties": "lifecyclestage", **({"after": after} if after else {})}
            body = http.get("/crm/v3/objects/contacts", params=params).raise_for_status().json()
            out += [(c["id"], c["properties"].get("lifecyclestage")) for c in body["results"]]
            after = (body.get("paging") or {}).get("next", {}).get("after")
            if not after:
                return out


def _load_leads(contacts: list[tuple[str, str | None]]) -> None:
    from leadscore import warehouse

    tiers = ("sql", "mql", "mql", "nurture", "nurture", "nurture", "disqualified")
    with warehouse.connect() as conn:
        conn.execute("""
            create schema if not exists bench_sync;
            drop table if exists bench_sync.lead_scores;
            create table bench_sync.lead_scores (lead_id text primary key, crm_id text, fit_score numeric,
                engagement_score numeric, grade text, bant_met integer, tier text, tier_reasons text,
                scored_at timestamptz, lifecyclestage text)""")
        with conn.cursor().copy("copy bench_sync.lead_scores from stdin") as copy:
            for i, (crm_id, stage) in enumerate(contacts):
                tier = tiers[i % len(tiers)]
                copy.write_row((f"lead-{crm_id}", crm_id, 20 + i % 80, (i * 7) % 100, f"{'ABCD'[i % 4]}{1 + i % 4}",
                                i % 5, tier, f"rule {i % 13} → {tier}", "2026-11-23T06:00:00Z", stage))


def _change(share: float) -> int:
    """Rescore: every lead gets a new scored_at, `share` of them a new fit score (same tier)."""
    from leadscore import warehouse

    step = round(1 / share)
    with warehouse.connect() as conn:
        conn.execute("update bench_sync.lead_scores set scored_at = scored_at + interval '1 day'")
        cur = conn.execute("""
            update bench_sync.lead_scores set fit_score = fit_score + 0.5
            where abs(hashtext(lead_id)) %% %s = 0""", (step,))
        return cur.rowcount


def _use_connection(url: str, rate_limit: str | None) -> None:
    extra = {"rate_limit": rate_limit} if rate_limit else {}
    os.environ["AIRFLOW_CONN_HUBSPOT"] = json.dumps({"conn_type": "http", "host": url, "password": TOKEN,
                                                     "extra": extra})


def run(scale: str) -> dict[str, dict]:
    from leadscore import warehouse
    from leadscore.sandbox.server import SandboxServer
    from leadscore.sync import reverse_sync
    from leadscore.synthetic.generator import generate

    leads = LEADS[scale]
    dataset = Path(tempfile.mkdtemp(prefix="bench-sync-", dir=os.environ.get("LEADSCORE_HOME")))
    generate(leads, 42, dataset)
    warehouse.bootstrap()
    with SandboxServer(dataset) as sandbox:
        contacts = _contacts(sandbox.url)
        _load_leads(contacts)
        _use_connection(sandbox.url, None)
        reverse_sync("bench-fill", source_relation=SOURCE)

        changed = _change(CHANGED_SHARE)
        httpx.post(f"{sandbox.url}/_sandbox/config", json={"rate_limits": {"ten_secondly": LIMIT}}).raise_for_status()
        _use_connection(sandbox.url, f"{LIMIT}/{WINDOW}")
        start = time.perf_counter()
        summary = reverse_sync("bench-daily", source_relation=SOURCE)
        seconds = time.perf_counter() - start

    min_calls = math.ceil(changed / 100)
    assert summary.sent == changed and summary.failed == 0, summary.line()
    note = f"{len(contacts)} leads, {changed} changed; {summary.line()}"
    return {
        "sync_write_calls_ratio": figure(summary.write_calls / min_calls, "ratio", lower_bound=1.0, note=note),
        "sync_seconds_rate_limited": figure(seconds, "s", lower_bound=min_calls / (LIMIT / WINDOW), note=note),
    }
