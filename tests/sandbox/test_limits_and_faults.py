"""Rate limits (429 bodies and headers) and deterministic fault injection over real HTTP."""
from __future__ import annotations

import json
import time

import httpx
import pytest

from leadscore.sandbox import Faults, SandboxConfig
from leadscore.sandbox.faults import FaultPlan

LIST = "a1b2c3d4e5"


def test_ten_secondly_limit_body_and_headers(hs: httpx.Client, admin: httpx.Client) -> None:
    admin.post("/config", json={"rate_limits": {"ten_secondly": 5, "daily": 1000}}).raise_for_status()
    seen = [hs.get("/crm/v3/objects/contacts", params={"limit": 1}) for _ in range(5)]
    assert [r.status_code for r in seen] == [200] * 5
    assert seen[0].headers["X-HubSpot-RateLimit-Max"] == "5"
    assert [r.headers["X-HubSpot-RateLimit-Remaining"] for r in seen] == ["4", "3", "2", "1", "0"]
    assert seen[0].headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"
    assert seen[0].headers["X-HubSpot-RateLimit-Daily"] == "1000"
    assert seen[-1].headers["X-HubSpot-RateLimit-Daily-Remaining"] == "995"
    refused = [hs.get("/crm/v3/objects/contacts", params={"limit": 1}) for _ in range(12)]
    assert all(r.status_code == 429 for r in refused)
    body = refused[0].json()
    assert body["status"] == "error" and body["errorType"] == "RATE_LIMIT"
    assert body["policyName"] == "TEN_SECONDLY_ROLLING"
    assert body["message"] == "You have reached your ten_secondly_rolling limit."
    assert body["correlationId"]
    with_retry_after = [r for r in refused if "Retry-After" in r.headers]
    assert 0 < len(with_retry_after) < len(refused)  # sent only sometimes
    assert all(1 <= int(r.headers["Retry-After"]) <= 10 for r in with_retry_after)


def test_search_secondly_and_daily_limits(hs: httpx.Client, admin: httpx.Client) -> None:
    admin.post("/config", json={"rate_limits": {"search_per_second": 4}}).raise_for_status()
    searches = [hs.post("/crm/v3/objects/contacts/search", json={"limit": 1}) for _ in range(8)]
    codes = [r.status_code for r in searches]
    assert codes.count(200) >= 4 and 429 in codes
    refused = next(r for r in searches if r.status_code == 429)
    assert refused.json()["policyName"] == "SECONDLY"
    assert not any(h.lower().startswith("x-hubspot-ratelimit") for h in searches[0].headers)
    assert hs.get("/crm/v3/objects/contacts").status_code == 200  # other buckets unaffected
    admin.post("/config", json={"rate_limits": {"search_per_second": None, "daily": 3}}).raise_for_status()
    codes = [hs.get("/crm/v3/objects/contacts").status_code for _ in range(5)]
    assert codes == [200, 200, 200, 429, 429]
    daily = hs.get("/crm/v3/objects/contacts")
    assert daily.json()["policyName"] == "DAILY" and "Retry-After" not in daily.headers


def test_limits_are_off_by_default(hs: httpx.Client) -> None:
    codes = {hs.get("/crm/v3/objects/contacts", params={"limit": 1}).status_code for _ in range(120)}
    assert codes == {200}
    r = hs.get("/crm/v3/objects/contacts")
    assert "X-HubSpot-RateLimit-Max" not in r.headers


def statuses(sandbox, n: int) -> list[str]:
    out = []
    with httpx.Client(base_url=sandbox.url, headers={"Authorization": "Bearer sandbox-hubspot-token"}, timeout=0.5) as c:
        for _ in range(n):
            try:
                r = c.get("/crm/v3/objects/contacts", params={"limit": 2})
                try:
                    r.json()
                    out.append(str(r.status_code))
                except json.JSONDecodeError:
                    out.append(f"{r.status_code}-malformed")
            except httpx.ReadTimeout:
                out.append("timeout")
            except (httpx.RemoteProtocolError, httpx.ReadError):
                out.append("drop")
    return out


def test_same_seed_replays_the_same_faults(sandbox, admin: httpx.Client) -> None:
    spec = {"faults": "429=0.1,5xx=0.1,timeout=0.05,drop=0.1,malformed=0.1", "seed": 7, "timeout_seconds": 1.0}
    admin.post("/config", json=spec).raise_for_status()
    first = statuses(sandbox, 60)
    log = admin.get("/faults").json()["faults"]
    admin.post("/faults/replay").raise_for_status()
    second = statuses(sandbox, 60)
    assert first == second
    assert {"429", "200", "timeout", "drop", "200-malformed"} <= set(first)
    assert {"500", "502", "503"} & set(first)
    assert [f["n"] for f in log] == [i for i, s in enumerate(first) if s != "200"]
    admin.post("/config", json={**spec, "seed": 8}).raise_for_status()
    assert statuses(sandbox, 60) != first
    offline = FaultPlan(Faults.parse(spec["faults"], 7))  # the Python API predicts the same sequence
    kinds = [offline.decide(n).kind for n in range(60)]
    assert [k is not None for k in kinds] == [s != "200" for s in first]
    time.sleep(spec["timeout_seconds"] + 0.2)  # let the slow responses finish before the next test's counters


def test_faults_never_hit_sandbox_endpoints_and_mailchimp_gets_problem_json(sandbox, admin: httpx.Client) -> None:
    admin.post("/config", json={"faults": {"5xx": 1.0}, "seed": 1}).raise_for_status()
    for _ in range(20):
        assert admin.get("/requests").status_code == 200
    r = httpx.get(f"{sandbox.url}/3.0/campaigns", auth=("x", "sandbox-mailchimp-key-us1"))
    assert r.status_code in (500, 502, 503)
    if r.status_code != 502:
        assert r.headers["content-type"] == "application/problem+json"


def test_partial_failures_on_batch_update(hs: httpx.Client, admin: httpx.Client) -> None:
    admin.post("/config", json={"faults": {"partial": 1.0}, "seed": 3}).raise_for_status()
    ids = [r["id"] for r in hs.get("/crm/v3/objects/contacts", params={"limit": 30}).json()["results"]]
    r = hs.post("/crm/v3/objects/contacts/batch/update",
                json={"inputs": [{"id": i, "properties": {"jobtitle": "Partial"}} for i in ids]})
    assert r.status_code == 207
    body = r.json()
    failed = {e["context"]["ids"][0] for e in body["errors"]}
    applied = {x["id"] for x in body["results"]}
    assert failed and applied and failed | applied == set(ids) and not failed & applied
    for i in ids:
        assert (admin.get(f"/contacts/{i}").json()["properties"]["jobtitle"] == "Partial") == (i in applied)


def test_fault_spec_parsing() -> None:
    faults = Faults.parse("429=0.05,5xx=0.05,timeout=0.02,drop=0.02,malformed=0.02,partial=0.1", seed=7)
    assert faults.rates["partial"] == 0.1 and faults.seed == 7
    with pytest.raises(ValueError, match="unknown fault"):
        Faults.parse("explode=0.5")
    with pytest.raises(ValueError):
        Faults.parse("429=0.9,5xx=0.9")
    assert "hubspot_token" not in SandboxConfig().public()


def test_request_counters(hs: httpx.Client, mc: httpx.Client, admin: httpx.Client) -> None:
    for _ in range(3):
        hs.get("/crm/v3/objects/contacts", params={"limit": 1})
    hs.get("/crm/v3/objects/contacts", params={"limit": 500})
    mc.get(f"/lists/{LIST}/members")
    body = admin.get("/requests").json()
    rows = {(r["method"], r["path"], r["status"]): r["count"] for r in body["requests"]}
    assert rows[("GET", "/crm/v3/objects/{object_type}", 200)] == 3
    assert rows[("GET", "/crm/v3/objects/{object_type}", 400)] == 1
    assert rows[("GET", "/3.0/lists/{list_id}/members", 200)] == 1
    assert body["total"] == 5
    admin.delete("/requests").raise_for_status()
    assert admin.get("/requests").json() == {"requests": [], "total": 0}


def test_quirks_fire_where_they_apply_then_the_real_contract_returns(hs: httpx.Client, admin: httpx.Client) -> None:
    assert admin.post("/quirks", json={"kind": "no_such_quirk"}).status_code == 400
    assert "unknown quirk kind" in admin.post("/quirks", json={"kind": "bogus"}).json()["message"]
    admin.post("/quirks", json={"kind": "repeated_cursor", "path": "/crm/v3/objects/contacts"}).raise_for_status()
    first = hs.get("/crm/v3/objects/contacts", params={"limit": 5}).json()  # no cursor: served as is
    cursor = first["paging"]["next"]["after"]
    assert admin.get("/quirks").json()["quirks"][0]["fired"] == 0
    odd = hs.get("/crm/v3/objects/contacts", params={"limit": 5, "after": cursor}).json()
    assert odd["paging"]["next"]["after"] == cursor and len(odd["results"]) == 5
    again = hs.get("/crm/v3/objects/contacts", params={"limit": 5, "after": cursor}).json()
    assert again["paging"]["next"]["after"] != cursor  # one use, then the real contract

    admin.post("/quirks", json={"kind": "empty_page", "path": "/crm/v3/objects/contacts/search"}).raise_for_status()
    empty = hs.post("/crm/v3/objects/contacts/search", json={"limit": 5}).json()
    assert empty["results"] == [] and empty["paging"]["next"]["after"] == "0"
    resumed = hs.post("/crm/v3/objects/contacts/search", json={"limit": 5, "after": "0"}).json()
    assert len(resumed["results"]) == 5

    admin.post("/quirks", json={"kind": "retry_after", "value": "Wed, 21 Oct 2099 07:28:00 GMT"}).raise_for_status()
    limited = hs.get("/crm/v3/objects/contacts", params={"limit": 1})
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "Wed, 21 Oct 2099 07:28:00 GMT"
    admin.post("/quirks", json={"kind": "understated_total", "value": 3, "times": 5}).raise_for_status()
    assert hs.post("/crm/v3/objects/contacts/search", json={"limit": 1}).json()["total"] == 3
    assert admin.post("/reset").status_code == 200 and admin.get("/quirks").json() == {"quirks": []}
