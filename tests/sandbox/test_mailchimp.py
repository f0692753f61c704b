"""Mailchimp Marketing API 3.0: members, campaigns, email activity, unsubscribes, errors."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import httpx
import pytest

from .conftest import MAILCHIMP_KEY

LIST = "a1b2c3d4e5"


def served(dataset: Path, name: str) -> list[dict]:
    return [json.loads(line) for line in (dataset / "mailchimp" / f"{name}.ndjson").read_text().splitlines()]


def offset_all(mc: httpx.Client, path: str, key: str, count: int, **params: object) -> tuple[list[dict], int]:
    items, offset = [], 0
    while True:
        body = mc.get(path, params={**params, "count": count, "offset": offset}).json()
        items += body[key]
        offset += len(body[key])
        if not body[key] or offset >= body["total_items"]:
            return items, body["total_items"]


def test_members_page_to_the_end(mc: httpx.Client, dataset: Path) -> None:
    expected = served(dataset, "members")
    items, total = offset_all(mc, f"/lists/{LIST}/members", "members", 40)
    assert total == len(expected) and [m["id"] for m in items] == [m["id"] for m in expected]
    m = items[0]
    assert m["id"] == hashlib.md5(m["email_address"].lower().encode()).hexdigest()
    assert {"email_address", "unique_email_id", "status", "merge_fields", "last_changed", "timestamp_opt", "list_id"} <= m.keys()
    assert {"FNAME", "LNAME"} <= m["merge_fields"].keys()
    assert {m["status"] for m in items} <= {"subscribed", "unsubscribed", "cleaned", "pending"}
    assert {"subscribed", "unsubscribed"} <= {m["status"] for m in items}
    default = mc.get(f"/lists/{LIST}/members").json()
    assert len(default["members"]) == 10 and default["list_id"] == LIST


def test_members_since_last_changed(mc: httpx.Client, dataset: Path) -> None:
    members = sorted(served(dataset, "members"), key=lambda m: m["last_changed"])
    pivot = members[len(members) // 2]["last_changed"]
    items, total = offset_all(mc, f"/lists/{LIST}/members", "members", 1000, since_last_changed=pivot,
                              sort_field="last_changed", sort_dir="ASC")
    assert total == sum(1 for m in members if m["last_changed"] >= pivot)
    assert [m["last_changed"] for m in items] == sorted(m["last_changed"] for m in items)


def test_campaigns_and_since_send_time(mc: httpx.Client, dataset: Path) -> None:
    campaigns = served(dataset, "campaigns")
    body = mc.get("/campaigns", params={"count": 1000}).json()
    assert body["total_items"] == len(campaigns)
    c = body["campaigns"][0]
    assert c["status"] == "sent" and c["recipients"]["list_id"] == LIST and c["settings"]["subject_line"]
    send_times = [c["send_time"] for c in campaigns]
    assert min(send_times) >= "2025-06-01"  # within a year of the as-of date (synthetic CAMPAIGN_DAYS)
    pivot = sorted(send_times)[10]
    recent = mc.get("/campaigns", params={"since_send_time": pivot, "count": 1000}).json()
    assert recent["total_items"] == sum(1 for t in send_times if t >= pivot)


def test_email_activity_and_since(mc: httpx.Client, dataset: Path) -> None:
    rows = served(dataset, "email_activity")
    campaign = max({r["campaign_id"] for r in rows}, key=lambda c: sum(r["campaign_id"] == c for r in rows))
    mine = [r for r in rows if r["campaign_id"] == campaign]
    items, total = offset_all(mc, f"/reports/{campaign}/email-activity", "emails", 7)
    assert total == len(mine) and items == mine
    actions = {a["action"] for r in rows for a in r["activity"]}
    assert {"open", "click", "bounce"} <= actions
    assert {a["type"] for r in rows for a in r["activity"] if a["action"] == "bounce"} <= {"hard", "soft"}
    stamps = sorted(a["timestamp"] for r in mine for a in r["activity"])
    cutoff = stamps[len(stamps) // 2]
    since, _ = offset_all(mc, f"/reports/{campaign}/email-activity", "emails", 1000, since=cutoff)
    got = sorted(a["timestamp"] for r in since for a in r["activity"])
    assert got == [s for s in stamps if s >= cutoff]


def test_unsubscribes(mc: httpx.Client, dataset: Path) -> None:
    rows = served(dataset, "unsubscribes")
    campaign = rows[0]["campaign_id"]
    body = mc.get(f"/reports/{campaign}/unsubscribed", params={"count": 1000}).json()
    assert body["total_items"] == sum(r["campaign_id"] == campaign for r in rows)
    u = body["unsubscribes"][0]
    assert {"email_id", "email_address", "timestamp", "reason", "campaign_id", "list_id"} <= u.keys()


@pytest.mark.parametrize("auth,title", [(None, "API Key Missing"), (("any", "wrong-key"), "API Key Invalid")])
def test_auth_errors_are_problem_json(sandbox, auth, title) -> None:
    r = httpx.get(f"{sandbox.url}/3.0/lists/{LIST}/members", auth=auth)
    assert r.status_code == 401 and r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["title"] == title and body["status"] == 401 and {"type", "detail", "instance"} <= body.keys()
    ok = httpx.get(f"{sandbox.url}/3.0/lists/{LIST}/members", auth=("someone-else", MAILCHIMP_KEY))
    assert ok.status_code == 200  # any username, the key is the password


@pytest.mark.parametrize("path,params,status", [
    (f"/lists/{LIST}/members", {"count": 1001}, 400),
    ("/lists/nosuchlist/members", {}, 404),
    ("/reports/nosuchcampaign/email-activity", {}, 404),
    ("/reports/nosuchcampaign/unsubscribed", {}, 404),
    ("/campaigns", {"since_send_time": "yesterday"}, 400),
])
def test_errors(mc: httpx.Client, path: str, params: dict, status: int) -> None:
    r = mc.get(path, params=params)
    assert r.status_code == status and r.headers["content-type"] == "application/problem+json"
    assert r.json()["status"] == status
