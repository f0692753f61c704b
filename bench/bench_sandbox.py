"""Benchmarks of the synthetic generator and the sandbox APIs.

Figures: generation time and peak RSS (in a child process, so the peak is its own), the
sandbox's dataset load time, and serving throughput through real HTTP on loopback — the
whole contacts list paged with limit=100, and the same via search keyset paging — next to
the in-process rate of the same pages (no HTTP), which bounds what HTTP can reach.
"""
from __future__ import annotations

import tempfile
import time
from pathlib import Path

import httpx

from harness import figure
from leadscore.sandbox import SandboxServer
from leadscore.synthetic import measure_generate

SCALES = {"small": (20_000, "20k"), "full": (1_000_000, "1m")}
TOKEN = {"Authorization": "Bearer sandbox-hubspot-token"}


def page_list(client: httpx.Client) -> int:
    records, after = 0, None
    while True:
        body = client.get("/crm/v3/objects/contacts", params={"limit": 100, **({"after": after} if after else {})}).json()
        records += len(body["results"])
        after = body.get("paging", {}).get("next", {}).get("after")
        if not after:
            return records


def page_search(client: httpx.Client) -> int:
    records, last_id = 0, "0"
    while True:
        body = client.post("/crm/v3/objects/contacts/search", json={
            "filterGroups": [{"filters": [{"propertyName": "hs_object_id", "operator": "GT", "value": last_id}]}],
            "sorts": [{"propertyName": "hs_object_id", "direction": "ASCENDING"}], "limit": 100}).json()
        records += len(body["results"])
        if not body.get("paging"):
            return records
        last_id = body["results"][-1]["id"]


def in_process_list(sandbox: SandboxServer) -> int:
    crm, records, after = sandbox.state.crm, 0, None
    while True:
        body = crm.list("contacts", 100, after, None, [], False)
        records += len(body["results"])
        after = body.get("paging", {}).get("next", {}).get("after")
        if not after:
            return records


def timed(fn, *args) -> tuple[int, float]:
    start = time.perf_counter()
    n = fn(*args)
    return n, time.perf_counter() - start


def run(scale: str) -> dict[str, dict]:
    contacts, label = SCALES[scale]
    out: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="leadscore-bench-sandbox-") as tmp:
        dataset = Path(tmp) / "dataset"
        gen = measure_generate(contacts, seed=42, out_dir=dataset)
        out[f"generate_{label}_contacts_seconds"] = figure(gen["seconds"], "s", note=f"{int(gen['records']):,} records")
        out[f"generate_{label}_peak_rss_mb"] = figure(gen["peak_rss_mb"], "MB", note="child process high-water mark")
        out["generate_records_per_s"] = figure(gen["records"] / gen["seconds"], "records/s")
        start = time.perf_counter()
        with SandboxServer(dataset, port=0) as sandbox:
            out[f"sandbox_load_{label}_seconds"] = figure(time.perf_counter() - start, "s",
                                                          note="NDJSON → SQLite with indexes, then server start")
            with httpx.Client(base_url=sandbox.url, headers=TOKEN, timeout=120) as client:
                n, seconds = timed(page_list, client)
                bound_n, bound_seconds = timed(in_process_list, sandbox)
                out["list_contacts_records_per_s"] = figure(
                    n / seconds, "records/s", note=f"{n:,} contacts, limit=100 over HTTP; in-process bound "
                                                   f"{bound_n / bound_seconds:,.0f} records/s")
                out["list_contacts_in_process_records_per_s"] = figure(bound_n / bound_seconds, "records/s")
                n, seconds = timed(page_search, client)
                out["search_keyset_records_per_s"] = figure(n / seconds, "records/s",
                                                            note="hs_object_id GT keyset, limit=100")
    return out


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run(sys.argv[1] if len(sys.argv) > 1 else "small"), indent=2))
