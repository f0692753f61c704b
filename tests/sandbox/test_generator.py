"""The synthetic generator: determinism, layout, vocabulary, dirt, a measurable ground truth and a
history that does not leak the outcome into anything dated before it."""
from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest

from leadscore.synthetic import generate
from leadscore.synthetic.measure import horizon_conversion
from .conftest import AS_OF, CONTACTS


def read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_same_seed_gives_byte_identical_files(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    generate(150, 3, a, as_of=AS_OF)
    generate(150, 3, b, as_of=AS_OF)
    generate(150, 4, c, as_of=AS_OF)
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert len(files) == 18  # with hubspot/deals and hubspot/pipelines
    for rel in files:
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel
    assert (a / "hubspot/contacts.ndjson").read_bytes() != (c / "hubspot/contacts.ndjson").read_bytes()


def test_layout_meta_and_counts(dataset: Path) -> None:
    meta = json.loads((dataset / "meta.json").read_text())
    assert meta["mailchimp"]["list_id"] == "a1b2c3d4e5"
    assert meta["competitor_domains"] and meta["as_of"] == "2026-06-01T00:00:00.000Z"
    for name, count in meta["files"].items():
        assert len((dataset / name).read_text(encoding="utf-8").splitlines()) == count, name
    contacts = read(dataset / "hubspot/contacts.ndjson")
    assert len(contacts) == CONTACTS
    companies = read(dataset / "hubspot/companies.ndjson")
    assert CONTACTS / 14 < len(companies) < CONTACTS / 5  # about one company per 8 contacts
    activities = sum(meta["files"][f] for f in ("hubspot/events.ndjson", "hubspot/calls.ndjson", "hubspot/meetings.ndjson",
                                                 "hubspot/emails.ndjson", "hubspot/notes.ndjson"))
    activities += sum(len(r["activity"]) for r in read(dataset / "mailchimp/email_activity.ndjson"))
    assert 10 <= activities / CONTACTS <= 40  # the 1M-contact scale means ~20M activities


def test_records_carry_the_documented_properties(dataset: Path) -> None:
    contact_keys = {"email", "firstname", "lastname", "jobtitle", "company", "associatedcompanyid", "country", "phone",
                    "lifecyclestage", "hs_lead_status", "createdate", "lastmodifieddate", "hs_object_id",
                    "hs_merged_object_ids"}
    contacts = read(dataset / "hubspot/contacts.ndjson")
    for c in contacts:
        assert contact_keys <= c["properties"].keys()
        assert all(v is None or isinstance(v, str) for v in c["properties"].values())
    assert any("meddic_champion" in c["properties"] for c in contacts)
    names = " ".join(c["properties"]["firstname"] + c["properties"]["lastname"] for c in contacts)
    assert re.search(r"[ěščřžýáíéůúňťďĺľóąćęłńśźż]", names.lower()), "diacritics expected in names"
    company = read(dataset / "hubspot/companies.ndjson")[0]["properties"]
    assert {"name", "domain", "industry", "numberofemployees", "annualrevenue", "country", "createdate",
            "hs_lastmodifieddate"} <= company.keys()
    events = read(dataset / "hubspot/events.ndjson")
    forms = [e for e in events if e["eventType"] == "e_submitted_form"]
    views = [e for e in events if e["eventType"] == "e_visited_page"]
    assert forms and views
    assert {"hs_form_id", "form_type", "hs_page_url"} <= forms[0]["properties"].keys()
    assert any("budget_range" in f["properties"] and "decision_role" in f["properties"] for f in forms)
    assert {"hs_url", "hs_page_title"} <= views[0]["properties"].keys()
    call = read(dataset / "hubspot/calls.ndjson")[0]
    assert {"hs_timestamp", "hs_call_direction", "hs_call_duration", "hs_call_disposition"} <= call["properties"].keys()
    assert call["associations"]["contacts"]["results"][0]["type"] == "call_to_contact"


def test_dirt_rate_is_about_the_configured_rate(tmp_path: Path) -> None:
    generate(1500, 5, tmp_path, dirt_rate=0.2, as_of=AS_OF)
    truth = read(tmp_path / "ground_truth.ndjson")
    dirty = [t for t in truth if t["dirt"]]
    assert 0.14 < len(dirty) / len(truth) < 0.3
    kinds = {k for t in dirty for k in t["dirt"]}
    assert {"duplicate", "missing_email", "malformed_email", "email_case_whitespace", "merged", "archived"} <= kinds
    contacts = {c["id"]: c for c in read(tmp_path / "hubspot/contacts.ndjson")}
    for t in dirty:  # the dirt is visible in the served records, not only in the ground truth
        props = contacts[t["contact_id"]]["properties"]
        if "missing_email" in t["dirt"]:
            assert props["email"] == ""
        if "malformed_email" in t["dirt"]:
            assert not re.fullmatch(r"[^@\s]+@[^@\s]+\.[a-z.]+", props["email"])
        if "email_case_whitespace" in t["dirt"]:
            assert props["email"] != props["email"].strip()
        if "merged" in t["dirt"]:
            assert props["hs_merged_object_ids"] == ";".join(t["merged_ids"])
        if "archived" in t["dirt"]:
            assert contacts[t["contact_id"]]["archived"] is True
    companies = read(tmp_path / "hubspot/companies.ndjson")
    assert any(re.search(r"\d[ ,.]\d{3}", c["properties"]["numberofemployees"] + c["properties"]["annualrevenue"])
               for c in companies)
    events = read(tmp_path / "hubspot/events.ndjson")
    assert any(e["occurredAt"] > "2026-06-01" for e in events), "future timestamps expected"
    assert any(e["properties"].get("form_type") in ("legacy_contact_us", "partner_portal_v2", "FORM-TEST") for e in events)


def test_hidden_propensity_predicts_conversion(tmp_path: Path) -> None:
    generate(2000, 9, tmp_path, as_of=AS_OF)
    truth = read(tmp_path / "ground_truth.ndjson")
    ranked = sorted(truth, key=lambda t: t["propensity"])
    low, high = ranked[: len(ranked) // 2], ranked[len(ranked) // 2:]
    rate = lambda rows: sum(r["converted"] for r in rows) / len(rows)  # noqa: E731
    assert rate(high) > 3 * rate(low)
    customers = [t for t in truth if t["converted"]]
    assert all(t["lifecyclestage"] in ("customer", "evangelist") for t in customers)


def test_ground_truth_is_not_served(dataset: Path, hs: httpx.Client, sandbox) -> None:
    assert (dataset / "ground_truth.ndjson").exists()
    assert not list((dataset / "hubspot").glob("ground*")) and not list((dataset / "mailchimp").glob("ground*"))
    for path in ("/ground_truth.ndjson", "/_sandbox/ground_truth", "/crm/v3/objects/ground_truth"):
        assert httpx.get(sandbox.url + path, headers=hs.headers).status_code in (400, 404)
    names = {p["name"] for p in hs.get("/crm/v3/properties/contacts").json()["results"]}
    assert not {"propensity", "converted", "persona"} & names
    body = hs.get("/crm/v3/objects/contacts", params={"limit": 100, "properties": "propensity,persona"}).json()
    assert all("propensity" not in r["properties"] for r in body["results"])


def test_some_meetings_are_booked_ahead_and_nothing_else_changes(tmp_path: Path, monkeypatch) -> None:
    from leadscore.synthetic import generator

    generate(1500, 5, tmp_path / "booked", as_of=AS_OF)
    monkeypatch.setattr(generator, "BOOKED_AHEAD_SHARE", 0.0)
    generate(1500, 5, tmp_path / "none", as_of=AS_OF)
    meetings = read(tmp_path / "booked/hubspot/meetings.ndjson")
    as_of = "2026-06-01T00:00:00"
    ahead = [m["properties"] for m in meetings if m["properties"]["hs_timestamp"] > as_of]
    assert 0.02 < len(ahead) / len(meetings) < 0.10, (len(ahead), len(meetings))
    assert all(p["hs_meeting_outcome"] == "SCHEDULED" and p["hs_meeting_start_time"] == p["hs_timestamp"]
               and p["hs_createdate"] < as_of for p in ahead)
    # only those meetings differ: the same people, outcomes and every other record
    for path in sorted((tmp_path / "none").rglob("*.ndjson")):
        rel = path.relative_to(tmp_path / "none")
        if rel != Path("hubspot/meetings.ndjson"):
            assert (tmp_path / "booked" / rel).read_bytes() == path.read_bytes(), rel
    plain = read(tmp_path / "none/hubspot/meetings.ndjson")
    assert [m["id"] for m in plain] == [m["id"] for m in meetings]
    assert sum(a != b for a, b in zip(plain, meetings)) == len(ahead)


# -- a history that does not leak (issue 17, section 3) ---------------------------------------

@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A dataset big enough to measure rates on (the session one has 300 contacts)."""
    out = tmp_path_factory.mktemp("history")
    generate(5000, 21, out, as_of=AS_OF)
    return out


def by_contact(rows: list[dict], kind: str) -> dict[str, list[dict]]:
    """Engagements (kind 'calls', ...) or deals grouped by associated contact id."""
    out: dict[str, list[dict]] = {}
    for r in rows:
        for a in r["associations"]["contacts"]["results"]:
            out.setdefault(a["id"], []).append(r)
    return out


def test_base_conversion_within_90_days_is_2_to_6_percent_at_any_date(history: Path) -> None:
    from datetime import timedelta

    truth = read(history / "ground_truth.ndjson")
    rates = [horizon_conversion(truth, AS_OF - timedelta(days=back), 90) for back in (90, 180, 270, 360, 450)]
    assert all(r["leads"] > 800 for r in rates), rates
    assert all(0.02 <= r["rate"] <= 0.06 for r in rates), [round(r["rate"], 4) for r in rates]
    # conversions are spread over the history, not piled up at as_of
    months = {t["converted_at"][:7] for t in truth if t["converted_at"]}
    assert len(months) >= 15, sorted(months)


def test_horizon_conversion_counts_only_open_leads_of_the_date() -> None:
    from datetime import datetime, timezone

    at = datetime(2026, 1, 1, tzinfo=timezone.utc)
    rows = [{"created_at": "2025-06-01T00:00:00.000Z", "converted_at": "2026-02-01T00:00:00.000Z"},  # converts
            {"created_at": "2025-06-01T00:00:00.000Z", "converted_at": "2025-12-01T00:00:00.000Z"},  # already did
            {"created_at": "2026-01-02T00:00:00.000Z", "converted_at": "2026-01-05T00:00:00.000Z"},  # not yet a lead
            {"created_at": "2025-06-01T00:00:00.000Z", "converted_at": "2026-05-01T00:00:00.000Z"},  # after horizon
            {"created_at": "2025-06-01T00:00:00.000Z", "converted_at": None},
            {"created_at": "2025-06-01T00:00:00.000Z", "converted_at": None, "duplicate_of": "1001"}]
    assert horizon_conversion(rows, at, 90) == {"leads": 3.0, "converted": 1.0, "rate": 1 / 3}


def test_deals_agree_with_lifecycle_dates_and_ground_truth(history: Path) -> None:
    truth = {t["contact_id"]: t for t in read(history / "ground_truth.ndjson")}
    contacts = {c["id"]: c["properties"] for c in read(history / "hubspot/contacts.ndjson")}
    deals = read(history / "hubspot/deals.ndjson")
    pipeline = read(history / "hubspot/pipelines.ndjson")[0]
    stage_ids = [s["id"] for s in pipeline["stages"]]
    assert stage_ids[-2:] == ["closedwon", "closedlost"] and pipeline["id"] == "default"
    kinds = {"won": 0, "lost": 0, "open": 0}
    for contact_id, own in by_contact(deals, "deals").items():
        props, t = contacts[contact_id], truth[contact_id]
        won = sorted(d["properties"]["closedate"] for d in own if d["properties"]["dealstage"] == "closedwon")
        for d in own:
            p = d["properties"]
            assert p["dealstage"] in stage_ids and p["pipeline"] == "default"
            closed, is_won = p["hs_is_closed"] == "true", p["hs_is_closed_won"] == "true"
            assert is_won == (p["dealstage"] == "closedwon") and closed == p["dealstage"].startswith("closed")
            kinds["won" if is_won else "lost" if closed else "open"] += 1
            entered = [p[f"hs_date_entered_{s}"] for s in stage_ids if f"hs_date_entered_{s}" in p]
            assert entered == sorted(entered) and entered[0] == p["createdate"]  # stages advance
            if closed:
                assert p["createdate"] < p["closedate"] <= "2026-06-01"
            else:
                assert p["closedate"] == "" or p["closedate"] > "2026-06-01"
            assert props["hs_lifecyclestage_opportunity_date"] <= p["createdate"]
        if won:  # customer date = the first won deal's close; contact closedate the same
            assert props["hs_lifecyclestage_customer_date"] == props["closedate"] == won[0] == t["converted_at"]
            assert props["lifecyclestage"] in ("customer", "evangelist")
        else:
            assert t["converted_at"] is None and "closedate" not in props
            assert props["lifecyclestage"] not in ("customer", "evangelist")
    assert min(kinds.values()) > 30, kinds
    order = ["lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer", "evangelist"]
    for cid, props in contacts.items():
        dates = [props[f"hs_lifecyclestage_{s}_date"] for s in order if f"hs_lifecyclestage_{s}_date" in props]
        assert dates == sorted(dates) and all(props["createdate"] <= d < "2026-06-01" for d in dates), cid
        if props["lifecyclestage"] in order:  # the current stage is the furthest one reached
            reached = [s for s in order if f"hs_lifecyclestage_{s}_date" in props]
            assert reached and reached[-1] == props["lifecyclestage"], (cid, reached, props["lifecyclestage"])


def test_sales_activity_comes_before_deals_and_post_sale_activity_only_after_the_close(history: Path) -> None:
    truth = {t["contact_id"]: t for t in read(history / "ground_truth.ndjson")}
    converted_at = {cid: t["converted_at"] for cid, t in truth.items() if t["converted_at"]}
    from leadscore.synthetic import vocab

    post_sale = set(vocab.POST_SALE_MEETINGS)
    meetings = read(history / "hubspot/meetings.ndjson")
    for m in meetings:
        cid = m["associations"]["contacts"]["results"][0]["id"]
        if m["properties"]["hs_meeting_title"] in post_sale:
            assert cid in converted_at and m["properties"]["hs_timestamp"] > converted_at[cid]
    sales = meetings + read(history / "hubspot/calls.ndjson")
    engaged = set(by_contact(sales, "x"))
    converters = set(converted_at)
    non_converters = {cid for cid, t in truth.items() if not t["converted_at"] and not t["duplicate_of"]}
    # sales touched some converters before their close (not all: some buy without a logged call),
    # and many more leads that never bought
    before_close = {a["id"] for r in sales for a in r["associations"]["contacts"]["results"]
                    if a["id"] in converted_at and r["properties"]["hs_timestamp"] < converted_at[a["id"]]}
    assert 0.3 < len(before_close) / len(converters) < 0.95
    assert len(engaged & non_converters) > 2 * len(engaged & converters)
    events = {"calls": read(history / "hubspot/calls.ndjson"), "emails": read(history / "hubspot/emails.ndjson")}
    for kind, rows in events.items():
        directions = {r["properties"].get("hs_call_direction") or r["properties"]["hs_email_direction"] for r in rows}
        assert directions <= {"OUTBOUND", "INBOUND", "EMAIL", "INCOMING_EMAIL", "FORWARDED_EMAIL"}, directions
    outbound = [r for r in events["calls"] if r["properties"]["hs_call_direction"] == "OUTBOUND"]
    assert len(outbound) > 0.6 * len(events["calls"])  # most calls are our SDRs dialling


def test_outcome_is_not_readable_from_scored_fields(history: Path) -> None:
    """Before a lead converts, nothing the scoring reads is there only because it will: the
    share of future converters among leads holding a field or activity is a fraction, and no
    field exists only on future converters."""
    from datetime import datetime, timedelta, timezone

    at = AS_OF - timedelta(days=180)
    cut = at.strftime("%Y-%m-%dT%H:%M:%S")
    end = (at + timedelta(days=90)).strftime("%Y-%m-%dT%H:%M:%S")
    truth = {t["contact_id"]: t for t in read(history / "ground_truth.ndjson") if not t["duplicate_of"]}
    open_leads = {cid for cid, t in truth.items()
                  if t["created_at"] <= cut and not (t["converted_at"] and t["converted_at"] <= cut)}
    future = {cid for cid in open_leads if truth[cid]["converted_at"] and truth[cid]["converted_at"] <= end}
    assert len(future) > 30
    contacts = {c["id"]: c["properties"] for c in read(history / "hubspot/contacts.ndjson")}
    # dated fields as they stood at `at`: set only if dated before it
    seen_keys: dict[str, set[str]] = {}
    for cid in open_leads:
        for key, value in contacts[cid].items():
            if key.endswith("_date") or key == "closedate":
                if value and value <= cut:
                    seen_keys.setdefault(key, set()).add(cid)
    assert "hs_lifecyclestage_customer_date" not in seen_keys and "closedate" not in seen_keys
    for key, holders in seen_keys.items():
        assert holders - future, f"{key} is set before {cut} only for leads about to convert"
    # activities dated before `at`: no kind/direction/title/outcome exists only for future converters
    kinds: dict[tuple, set[str]] = {}
    for name, field in (("calls", "hs_call_direction"), ("emails", "hs_email_direction"),
                        ("meetings", "hs_meeting_title"), ("notes", "hs_note_body")):
        for r in read(history / f"hubspot/{name}.ndjson"):
            cid = r["associations"]["contacts"]["results"][0]["id"]
            if cid in open_leads and r["properties"]["hs_timestamp"] <= cut:
                kinds.setdefault((name, r["properties"][field]), set()).add(cid)
    assert kinds
    for kind, holders in kinds.items():
        assert len(holders) < 5 or holders - future, f"{kind} before {cut} only on leads about to convert"
    # the activity before `at` ranks future converters above the rest, but is no oracle
    active = {cid for holders in kinds.values() for cid in holders}
    share_future = len(active & future) / len(active)
    assert share_future < 0.5, share_future


def test_scanner_clicks_every_link_within_seconds_of_delivery(history: Path) -> None:
    from datetime import datetime

    sends = {c["id"]: (datetime.fromisoformat(c["send_time"]), c) for c in read(history / "mailchimp/campaigns.ndjson")}
    truth = {t["email"].strip(): t for t in read(history / "ground_truth.ndjson")}
    scanned, scanned_people = 0, set()
    links_of: dict[str, set[str]] = {}
    for row in read(history / "mailchimp/email_activity.ndjson"):
        sent, _ = sends[row["campaign_id"]]
        clicks = [a for a in row["activity"] if a["action"] == "click"]
        fast = [a for a in clicks if (datetime.fromisoformat(a["timestamp"]) - sent).total_seconds() <= 60]
        links_of.setdefault(row["campaign_id"], set()).update(a["url"] for a in clicks)
        if len(fast) >= 3:
            scanned += 1
            scanned_people.add(row["email_address"])
            assert len({a["url"] for a in fast}) == len(fast)
    assert scanned > 100
    # scanners sit at companies, whatever the person's interest: their potential is the usual mix
    potentials = sorted(truth[e]["propensity"] for e in scanned_people if e in truth)
    median = potentials[len(potentials) // 2]
    everyone = sorted(t["propensity"] for t in truth.values())
    assert abs(median - everyone[len(everyone) // 2]) < 0.1
    from leadscore.synthetic import vocab

    assert all(e.split("@")[1] not in vocab.FREE_MAIL for e in scanned_people)  # corporate gateways only


def test_localized_paths_titles_and_free_mail(history: Path) -> None:
    from leadscore.synthetic import vocab

    urls = [e["properties"]["hs_url"] for e in read(history / "hubspot/events.ndjson") if e["eventType"] == "e_visited_page"]
    paths = {u.split("example", 1)[1].split("?")[0].rstrip("/") for u in urls}
    assert {"/cs/cenik", "/de/preise", "/pl/cennik", "/sk/cennik", "/pricing"} <= paths
    assert {"/de/fallstudien", "/cs/produkt", "/pl/studia-przypadkow"} <= paths
    assert any("?utm_source=" in u for u in urls)
    contacts = [c["properties"] for c in read(history / "hubspot/contacts.ndjson")]
    titles = {c["jobtitle"] for c in contacts}
    assert {"jednatelka", "Geschäftsführerin", "Prezes Zarządu", "konateľ"} & titles
    domains = {c["email"].strip().lower().rsplit("@", 1)[-1] for c in contacts if "@" in c["email"]}
    assert {"seznam.cz", "wp.pl", "gmx.de"} <= domains and domains & {"azet.sk", "zoznam.sk"}
    assert set(vocab.FREE_MAIL) >= {"aon.at", "interia.pl", "post.cz"}


def test_propensity_path_drives_activity_at_the_time(history: Path) -> None:
    """Page views per day are several times denser inside a lead's interest episodes than
    outside them: behaviour follows the propensity at the time, not a constant."""
    truth = {t["contact_id"]: t for t in read(history / "ground_truth.ndjson") if t["propensity_path"]}
    views: dict[str, list[str]] = {}
    for e in read(history / "hubspot/events.ndjson"):
        if e["eventType"] == "e_visited_page" and e["occurredAt"] < "2026-06-01":
            views.setdefault(e["objectId"], []).append(e["occurredAt"])
    inside = outside = 0
    days_in = days_out = 0.0
    from datetime import datetime
    parse = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00"))  # noqa: E731
    for cid, t in truth.items():
        path = t["propensity_path"]
        bounds = [p[0] for p in path[1:]] + ["2026-06-01T00:00:00.000Z"]
        for (start, level, kind), end in zip(path, bounds):
            n = sum(start <= v < end for v in views.get(cid, []))
            span = (parse(end) - parse(start)).total_seconds() / 86400
            if kind == "episode":
                inside, days_in = inside + n, days_in + span
            elif kind == "idle":
                outside, days_out = outside + n, days_out + span
    assert inside / days_in > 3 * outside / days_out


def test_a_person_who_left_bounces_hard_and_goes_quiet(history: Path) -> None:
    truth = read(history / "ground_truth.ndjson")
    left = {t["email"].strip(): t for t in truth if t["left_at"] and not t["duplicate_of"]}
    assert left
    bounced = 0
    for row in read(history / "mailchimp/email_activity.ndjson"):
        t = left.get(row["email_address"])
        for a in row["activity"]:
            if t and a["action"] == "bounce" and a["type"] == "hard":
                bounced += 1
                assert a["timestamp"][:19] > t["left_at"][:19]
    assert bounced > 5
    left_ids = {t["contact_id"]: t["left_at"] for t in left.values()}
    for e in read(history / "hubspot/events.ndjson"):
        if e["objectId"] in left_ids and e["occurredAt"] <= "2026-06-01":
            assert e["occurredAt"] < left_ids[e["objectId"]]
