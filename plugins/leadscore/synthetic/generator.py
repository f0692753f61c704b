"""Stream a synthetic HubSpot + Mailchimp portal to NDJSON, one contact at a time.

Each contact gets a hidden propensity (fit x authority x noise) that drives both its
behaviour (forms, page views, email engagement, sales activity) and its outcome (converted
or not), so the scoring's predictive power can be measured against `ground_truth.ndjson`.
One `random.Random(seed)` is consumed in a fixed order and nothing depends on the clock
except the `as_of` date, so the same (seed, as_of) gives byte-identical files. Only the
current company's contacts are in memory, never the activities.
"""
from __future__ import annotations

import hashlib
import json
import math
import random
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

from leadscore.synthetic import schema, vocab
from leadscore.synthetic.timeutil import DAY_MS, as_of_default, hubspot_iso, mailchimp_iso, to_ms

LIST_ID = "a1b2c3d4e5"
LIST_NAME = "Leadscore newsletter"
HISTORY_DAYS = 540
CAMPAIGN_DAYS = 180
CAMPAIGN_EVERY_MS = int(3.5 * DAY_MS)
BOOKED_AHEAD_SHARE = 0.05  # meetings booked for a date after as_of, as any CRM has (SCHEDULED, start ahead)
BOOKED_AHEAD_DAYS = 21
DIRT_KINDS = ("duplicate", "missing_email", "malformed_email", "email_case_whitespace", "future_timestamp",
              "unknown_type", "merged", "archived")
HUBSPOT_FILES = ("properties", "property_groups", "companies", "contacts", "calls", "meetings", "emails", "notes",
                 "events")
MAILCHIMP_FILES = ("lists", "campaigns", "members", "email_activity", "unsubscribes")
ENGAGEMENT_ID_BASE = {"calls": 30_000_000, "meetings": 40_000_000, "emails": 50_000_000, "notes": 60_000_000}
ASSOC_TYPE = {"calls": "call_to_contact", "meetings": "meeting_to_contact", "emails": "email_to_contact",
              "notes": "note_to_contact"}
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_TRANSLIT = str.maketrans({"ł": "l", "Ł": "L", "ß": "ss", "đ": "d", "ø": "o"})


@lru_cache(maxsize=4096)
def ascii_slug(text: str) -> str:
    """'Łukasz Dvořák' → 'lukaszdvorak' for e-mail local parts and domains."""
    text = unicodedata.normalize("NFKD", text.translate(_TRANSLIT))
    return "".join(ch for ch in text.lower() if ch.isalnum() and ord(ch) < 128)


def subscriber_hash(email: str) -> str:
    return hashlib.md5(email.strip().lower().encode()).hexdigest()


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


class Sink:
    """Open NDJSON files under out_dir; counts records per file."""

    def __init__(self, out_dir: Path):
        self.handles: dict[str, IO[str]] = {}
        self.counts: dict[str, int] = {}
        for sub, names in (("hubspot", HUBSPOT_FILES), ("mailchimp", MAILCHIMP_FILES)):
            (out_dir / sub).mkdir(parents=True, exist_ok=True)
            for name in names:
                self._open(f"{sub}/{name}", out_dir / sub / f"{name}.ndjson")
        self._open("ground_truth", out_dir / "ground_truth.ndjson")

    def _open(self, key: str, path: Path) -> None:
        self.handles[key] = open(path, "w", encoding="utf-8", newline="\n", buffering=1 << 20)
        self.counts[key] = 0

    def write(self, key: str, record: dict) -> None:
        self.handles[key].write(_ENCODER.encode(record) + "\n")
        self.counts[key] += 1

    def close(self) -> None:
        for handle in self.handles.values():
            handle.close()


@dataclass
class Company:
    id: int
    name: str
    domain: str
    industry: str
    fit: float
    country: str
    lang: str
    created_ms: int
    used_locals: set[str] = field(default_factory=set)


@dataclass
class Campaign:
    id: str
    send_ms: int


@dataclass
class Person:
    """One lead as the generator sees it, before it is written in API shapes."""

    id: int
    first: str
    last: str
    title: str
    seniority: int
    authority: float
    email: str
    persona: str
    propensity: float
    converted: bool
    created_ms: int
    stage: str
    scenarios: list[str] = field(default_factory=list)
    dirt: list[str] = field(default_factory=list)


class Generator:
    def __init__(self, contacts: int, seed: int, out_dir: Path, dirt_rate: float, as_of: datetime):
        self.target = contacts
        self.seed = seed
        self.out_dir = out_dir
        self.dirt_rate = dirt_rate
        self.as_of_ms = to_ms(as_of)
        self.rng = random.Random(seed)
        # its own stream: booking meetings ahead draws nothing from `rng`, so everything else
        # (who exists, who converts, every other record) stays byte-identical
        self.booking_rng = random.Random(f"{seed}:booked-meetings")
        self.sink = Sink(out_dir)
        self.next_contact_id = 1001
        self.next_company_id = 5_000_001
        self.next_engagement = dict(ENGAGEMENT_ID_BASE)
        self.campaigns: list[Campaign] = []
        self.written = 0

    # -- helpers ---------------------------------------------------------------------------
    def uuid(self) -> str:
        h = f"{self.rng.getrandbits(128):032x}"
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"

    def count(self, mean: float, cap: int) -> int:
        """A skewed non-negative count with the given mean (most leads do little, a few a lot)."""
        if mean <= 0:
            return 0
        return min(cap, int(self.rng.expovariate(1.0 / mean) + 0.5))

    def ts_between(self, lo_ms: int, hi_ms: int) -> int:
        return lo_ms + int(self.rng.random() * max(1, hi_ms - lo_ms))

    def recent_ts(self, lo_ms: int) -> int:
        """Activity time, biased towards the recent past (fresh behaviour matters most)."""
        span = max(1, self.as_of_ms - lo_ms)
        return self.as_of_ms - 1 - int(span * self.rng.random() ** 1.7)

    def dirty(self) -> bool:
        return self.rng.random() < self.dirt_rate

    # -- static files ----------------------------------------------------------------------
    def write_static(self) -> None:
        for definition in schema.property_definitions():
            self.sink.write("hubspot/properties", definition)
        for group in schema.property_groups():
            self.sink.write("hubspot/property_groups", group)
        self.sink.write("mailchimp/lists", {
            "id": LIST_ID, "web_id": 100001, "name": LIST_NAME, "date_created": mailchimp_iso(self.as_of_ms - HISTORY_DAYS * DAY_MS),
            "contact": {"company": "Leadscore Demo s.r.o.", "country": "CZ"}, "permission_reminder": "You signed up on our website.",
            "email_type_option": False, "visibility": "prv", "double_optin": True})
        start = self.as_of_ms - CAMPAIGN_DAYS * DAY_MS
        send = start + 9 * 3_600_000
        while send < self.as_of_ms:
            cid = f"{self.rng.getrandbits(40):010x}"
            subject = self.rng.choice(vocab.CAMPAIGN_SUBJECTS)
            self.campaigns.append(Campaign(cid, send))
            self.sink.write("mailchimp/campaigns", {
                "id": cid, "web_id": 200000 + len(self.campaigns), "type": "regular",
                "create_time": mailchimp_iso(send - DAY_MS), "status": "sent", "send_time": mailchimp_iso(send),
                "content_type": "template",
                "recipients": {"list_id": LIST_ID, "list_is_active": True, "list_name": LIST_NAME, "segment_text": ""},
                "settings": {"subject_line": subject, "title": f"{subject} #{len(self.campaigns)}",
                             "from_name": "Leadscore", "reply_to": "news@leadscore-demo.example"},
                "tracking": {"opens": True, "html_clicks": True, "text_clicks": False}})
            send += CAMPAIGN_EVERY_MS

    # -- companies -------------------------------------------------------------------------
    def new_company(self) -> Company:
        rng = self.rng
        country = rng.choices([c for c, _ in vocab.COUNTRY_WEIGHTS], [w for _, w in vocab.COUNTRY_WEIGHTS])[0]
        lang = vocab.COUNTRY_LANG[country]
        industry, fit = rng.choice(vocab.INDUSTRIES)
        word = rng.choice(vocab.COMPANY_WORDS[industry])
        stem = rng.choice(vocab.COMPANY_STEMS)
        cid = self.next_company_id
        self.next_company_id += 1
        name = f"{stem} {word} {rng.choice(vocab.COMPANY_SUFFIX[lang])}"
        domain = f"{ascii_slug(stem)}{ascii_slug(word)}{cid % 100000}.{vocab.TLD[country]}"
        employees = int(10 ** rng.uniform(0.7, 4.3))
        revenue = employees * rng.randint(40, 250) * 1000
        emp_text, rev_text = str(employees), str(revenue)
        company_dirt = self.dirty()
        if company_dirt:  # numbers as text with thousands separators
            emp_text = f"{employees:,}" if rng.random() < 0.5 else f"{employees:,}".replace(",", " ")
            rev_text = f"{revenue:,}".replace(",", rng.choice([",", " ", "."]))
        created = self.ts_between(self.as_of_ms - 3 * HISTORY_DAYS * DAY_MS, self.as_of_ms - HISTORY_DAYS * DAY_MS)
        modified = self.ts_between(created, self.as_of_ms)
        size_fit = 1.0 if 50 <= employees <= 5000 else 0.6
        props = {"name": name, "domain": domain, "industry": industry, "numberofemployees": emp_text,
                 "annualrevenue": rev_text, "country": country, "createdate": hubspot_iso(created),
                 "hs_lastmodifieddate": hubspot_iso(modified), "hs_object_id": str(cid)}
        self.sink.write("hubspot/companies", {"id": str(cid), "properties": props, "createdAt": hubspot_iso(created),
                                              "updatedAt": hubspot_iso(modified), "archived": False})
        return Company(cid, name, domain, industry, fit * size_fit, country, lang, created)

    # -- people ----------------------------------------------------------------------------
    def new_person(self, company: Company) -> Person:
        rng = self.rng
        lang = company.lang if rng.random() < 0.85 else rng.choice(list(vocab.FIRST_NAMES))
        first = rng.choice(vocab.FIRST_NAMES[lang])
        last = rng.choice(vocab.LAST_NAMES[lang])
        title, seniority, authority = rng.choice(vocab.JOB_TITLES)
        pid = self.take_contact_id()
        persona = ("student" if title.startswith(("stud", "intern", "stáž", "Prakt")) else
                   "job_seeker" if seniority == 0 else
                   "decision_maker" if seniority >= 3 else "influencer" if seniority == 2 else "end_user")
        email = self.email_for(first, last, company, pid, seniority)
        if rng.random() < 0.012:
            persona = "competitor"
            email = f"{ascii_slug(first)}.{ascii_slug(last)}@{rng.choice(vocab.COMPETITOR_DOMAINS)}"
        latent = 2.2 * company.fit + 1.8 * authority + rng.gauss(0, 0.9) - 3.3
        propensity = sigmoid(latent)
        if persona in ("student", "job_seeker", "competitor"):
            propensity *= 0.08
        converted = rng.random() < 0.75 * propensity ** 1.6
        created = self.ts_between(self.as_of_ms - HISTORY_DAYS * DAY_MS, self.as_of_ms - DAY_MS)
        stage = self.stage_for(propensity, converted)
        return Person(pid, first, last, title, seniority, authority, email, persona, round(propensity, 6), converted,
                      created, stage)

    def take_contact_id(self) -> int:
        pid = self.next_contact_id
        self.next_contact_id += 1
        return pid

    def email_for(self, first: str, last: str, company: Company, pid: int, seniority: int) -> str:
        rng = self.rng
        f, l = ascii_slug(first), ascii_slug(last)
        if seniority > 0 and rng.random() < 0.75:
            local = rng.choice((f"{f}.{l}", f"{f[0]}{l}", f"{f}"))
            if local in company.used_locals:
                local = f"{f}.{l}{len(company.used_locals)}"
            company.used_locals.add(local)
            return f"{local}@{company.domain}"
        return f"{rng.choice((f'{f}.{l}', f'{f}{l[0]}', f'{l}.{f}'))}{pid}@{rng.choice(vocab.FREE_MAIL)}"

    def stage_for(self, p: float, converted: bool) -> str:
        r = self.rng.random()
        if converted:
            return "evangelist" if r < 0.1 else "customer"
        if r < 0.02:
            return "other"
        if p > 0.55:
            return "opportunity" if r < 0.35 else "salesqualifiedlead" if r < 0.7 else "marketingqualifiedlead"
        if p > 0.3:
            return "marketingqualifiedlead" if r < 0.4 else "lead"
        return "lead" if r < 0.6 else "subscriber"

    # -- one contact and its activity -----------------------------------------------------------
    def emit_contact(self, person: Person, company: Company, duplicate_of: int | None = None) -> None:
        rng = self.rng
        dirt = person.dirt
        email = person.email
        if "missing_email" in dirt:
            email = ""
        elif "malformed_email" in dirt:
            email = rng.choice((email.replace("@", "@@"), email.replace("@", " "), email.split("@")[0] + "@",
                                email.rsplit(".", 1)[0]))
        elif "email_case_whitespace" in dirt:
            email = " " * rng.randint(1, 2) + "".join(ch.upper() if rng.random() < 0.3 else ch for ch in email) + " "
        merged_ids = [self.take_contact_id() for _ in range(rng.randint(1, 2))] if "merged" in dirt else []
        modified = self.ts_between(max(person.created_ms, self.as_of_ms - 60 * DAY_MS), self.as_of_ms - 60_000)
        stage_rank = vocab.LIFECYCLE_STAGES.index(person.stage)
        props: dict[str, Any] = {
            "email": email, "firstname": person.first, "lastname": person.last, "jobtitle": person.title,
            "company": company.name if rng.random() < 0.9 else "", "associatedcompanyid": str(company.id),
            "country": company.country,
            "phone": f"{vocab.PHONE_PREFIX[company.country]} {rng.randint(200, 999)} {rng.randint(100, 999)} {rng.randint(100, 999)}"
            if rng.random() < 0.7 else "",
            "lifecyclestage": person.stage, "hs_lead_status": rng.choice(vocab.LEAD_STATUSES) if stage_rank >= 1 else "",
            "createdate": hubspot_iso(person.created_ms), "lastmodifieddate": hubspot_iso(modified),
            "hs_object_id": str(person.id), "hs_merged_object_ids": ";".join(map(str, merged_ids)),
        }
        if person.stage in ("customer", "evangelist"):
            won = self.ts_between(person.created_ms, self.as_of_ms - DAY_MS)
            props["closedate"] = props["hs_lifecyclestage_customer_date"] = hubspot_iso(won)
            person.scenarios.append("closed_won")
        if person.stage in ("salesqualifiedlead", "opportunity", "customer", "evangelist") and rng.random() < 0.4:
            for name, samples in vocab.MEDDIC_SAMPLES.items():
                props[name] = rng.choice(samples) if rng.random() < 0.3 + 0.6 * person.propensity else ""
            person.scenarios.append("meddic_recorded")
        record: dict[str, Any] = {"id": str(person.id), "properties": props, "createdAt": props["createdate"],
                                  "updatedAt": props["lastmodifieddate"], "archived": "archived" in dirt}
        if "archived" in dirt:
            record["archivedAt"] = hubspot_iso(self.ts_between(modified, self.as_of_ms))
        record["associations"] = {"companies": {"results": [{"id": str(company.id), "type": "contact_to_company"}]}}
        self.sink.write("hubspot/contacts", record)
        self.written += 1
        if duplicate_of is None:
            self.emit_activity(person, company)
        self.sink.write("ground_truth", {
            "contact_id": str(person.id), "email": person.email, "propensity": person.propensity,
            "converted": person.converted, "persona": person.persona, "lifecyclestage": person.stage,
            "company_id": str(company.id), "scenarios": person.scenarios, "dirt": dirt,
            "duplicate_of": str(duplicate_of) if duplicate_of else None, "merged_ids": [str(i) for i in merged_ids]})

    def emit_activity(self, person: Person, company: Company) -> None:
        unknown_done = "unknown_type" not in person.dirt
        future_done = "future_timestamp" not in person.dirt
        future_ms = self.as_of_ms + self.rng.randint(1, 30) * DAY_MS
        unknown_done = self.emit_forms(person, company, unknown_done)
        self.emit_page_views(person)
        unknown_done = self.emit_engagements(person, unknown_done, future_done, future_ms)
        if not unknown_done:  # no room for an odd value elsewhere: an unknown form type
            self.form_event(person, company, "legacy_contact_us", "", self.recent_ts(person.created_ms))
        if not future_done:
            self.page_view(person, future_ms, vocab.PAGES[0])
        if person.email and "@" in person.email and person.persona != "competitor" and not (
                {"missing_email", "malformed_email"} & set(person.dirt)):
            self.emit_mailchimp(person)

    def form_event(self, person: Person, company: Company, form_type: str, form_id: str, when: int) -> None:
        rng = self.rng
        props: dict[str, str] = {"hs_form_id": form_id or "00000000-0000-0000-0000-00000000beef", "form_type": form_type,
                                 "hs_page_url": f"{vocab.SITE}/{form_type.replace('_', '-')}", "email": person.email,
                                 "company": company.name if rng.random() < 0.8 else ""}
        if form_type in vocab.QUALIFYING_FORMS or form_type == "case_study_request":
            p = person.propensity
            props["budget_range"] = "" if rng.random() < 0.2 else vocab.BUDGETS[min(3, int(p * 4 + rng.random() - 0.3))]
            props["purchase_timeframe"] = vocab.TIMEFRAMES[max(0, min(4, int((1 - p) * 4.5 + rng.gauss(0, 0.6))))]
            props["challenge"] = rng.choice(vocab.CHALLENGES)
            props["decision_role"] = ("student" if person.persona == "student" else
                                      "decision maker" if person.authority >= 0.8 else
                                      "influencer" if person.authority >= 0.5 else rng.choice(("evaluator", "end user")))
        self.sink.write("hubspot/events", {"id": self.uuid(), "eventType": "e_submitted_form", "objectId": str(person.id),
                                           "objectType": "contact", "occurredAt": hubspot_iso(when), "properties": props})

    def emit_forms(self, person: Person, company: Company, unknown_done: bool) -> bool:
        rng = self.rng
        p = person.propensity
        n = self.count(0.25 + 1.6 * p, 8) if rng.random() < 0.35 + 0.5 * p else 0
        for _ in range(n):
            weights = [(1.05 - abs(intent - p)) ** 3 + 0.02 for _, intent, _ in vocab.FORM_TYPES]
            form_type, _, form_id = rng.choices(vocab.FORM_TYPES, weights)[0]
            if not unknown_done:
                form_type, form_id, unknown_done = rng.choice(vocab.UNKNOWN_FORM_TYPES), "", True
            if form_type in ("demo_request", "contact_sales"):
                person.scenarios.append("sales_form")
            self.form_event(person, company, form_type, form_id, self.recent_ts(person.created_ms))
        if n == 0:
            person.scenarios.append("no_forms")
        return unknown_done

    def page_view(self, person: Person, when: int, page: tuple[str, str, float]) -> None:
        self.sink.write("hubspot/events", {
            "id": self.uuid(), "eventType": "e_visited_page", "objectId": str(person.id), "objectType": "contact",
            "occurredAt": hubspot_iso(when),
            "properties": {"hs_url": vocab.SITE + page[0], "hs_page_title": page[1], "hs_referrer": ""}})

    def emit_page_views(self, person: Person) -> None:
        rng = self.rng
        p = person.propensity
        job = person.persona in ("job_seeker", "student")
        n = self.count(2.0 + 16 * p + (3 if job else 0), 80)
        weights = [((0.3 if job else 1.0) * (1.05 - abs(intent - p)) ** 2 + (2.0 if job and intent == 0 else 0.02))
                   for _, _, intent in vocab.PAGES]
        pricing = 0
        for page in rng.choices(vocab.PAGES, weights, k=n):
            pricing += page[0].startswith("/pricing")
            self.page_view(person, self.recent_ts(person.created_ms), page)
        if pricing >= 2:
            person.scenarios.append("pricing_researcher")
        if job:
            person.scenarios.append("careers_visitor")

    def emit_engagements(self, person: Person, unknown_done: bool, future_done: bool, future_ms: int) -> bool:
        rng = self.rng
        p = person.propensity
        rank = vocab.LIFECYCLE_STAGES.index(person.stage)
        if rank < 2 and rng.random() > 0.1:
            return unknown_done
        person.scenarios.append("sales_engaged")
        for kind, mean in (("calls", 1.0 + 3 * p), ("meetings", 0.3 + 2 * p), ("emails", 1.0 + 3 * p), ("notes", 0.5 + p)):
            for _ in range(self.count(mean, 12)):
                when = self.recent_ts(person.created_ms)
                props: dict[str, str] = {}
                if kind == "calls":
                    disposition = rng.choice(vocab.CALL_DISPOSITIONS)
                    if not unknown_done:
                        disposition, unknown_done = vocab.UNKNOWN_DISPOSITION, True
                    props = {"hs_call_direction": rng.choice(("OUTBOUND", "INBOUND")),
                             "hs_call_duration": str(rng.randint(0, 3_600_000)), "hs_call_disposition": disposition,
                             "hs_call_title": "Call"}
                elif kind == "meetings":
                    props = {"hs_meeting_title": rng.choice(vocab.MEETING_TITLES),
                             "hs_meeting_outcome": rng.choice(vocab.MEETING_OUTCOMES), "hs_meeting_start_time": ""}
                elif kind == "emails":
                    props = {"hs_email_direction": rng.choice(("EMAIL", "INCOMING_EMAIL", "FORWARDED_EMAIL")),
                             "hs_email_subject": rng.choice(vocab.EMAIL_SUBJECTS)}
                else:
                    props = {"hs_note_body": rng.choice(vocab.NOTE_BODIES)}
                booked_at = None
                if kind == "meetings" and self.booking_rng.random() < BOOKED_AHEAD_SHARE:
                    booked_at, when = when, self.booked_start()
                    props["hs_meeting_outcome"] = "SCHEDULED"
                elif not future_done and kind != "meetings":  # a future meeting is valid data, not dirt
                    when, future_done = future_ms, True
                if kind == "meetings":
                    props["hs_meeting_start_time"] = hubspot_iso(when)
                self.engagement(kind, person, when, props, booked_at)
        return unknown_done

    def booked_start(self) -> int:
        """A start time 1..BOOKED_AHEAD_DAYS days after as_of, on a quarter hour."""
        quarters = self.booking_rng.randint(4 * 24, 4 * 24 * BOOKED_AHEAD_DAYS)
        return self.as_of_ms - self.as_of_ms % (15 * 60_000) + quarters * 15 * 60_000

    def engagement(self, kind: str, person: Person, when: int, props: dict[str, str],
                   booked_at: int | None = None) -> None:
        """`booked_at`: when a meeting starting at `when` (after as_of) was created."""
        self.next_engagement[kind] += 1
        eid = str(self.next_engagement[kind])
        created = min(when if booked_at is None else booked_at, self.as_of_ms - 1000)
        modified = self.ts_between(created, self.as_of_ms)
        props.update({"hs_timestamp": hubspot_iso(when), "hs_createdate": hubspot_iso(created),
                      "hs_lastmodifieddate": hubspot_iso(modified), "hs_object_id": eid})
        self.sink.write(f"hubspot/{kind}", {
            "id": eid, "properties": props, "createdAt": hubspot_iso(created), "updatedAt": hubspot_iso(modified),
            "archived": False,
            "associations": {"contacts": {"results": [{"id": str(person.id), "type": ASSOC_TYPE[kind]}]}}})

    def emit_mailchimp(self, person: Person) -> None:
        rng = self.rng
        if rng.random() > 0.72:
            return
        p = person.propensity
        email = person.email.strip()
        email_id = subscriber_hash(email)
        opt_ms = person.created_ms + rng.randint(0, 3 * DAY_MS)
        status, last_changed = "subscribed", opt_ms
        opens = clicks = sent = 0
        p_open, p_click = 0.06 + 0.6 * p, 0.08 + 0.5 * p
        for campaign in self.campaigns:
            if campaign.send_ms < opt_ms:
                continue
            sent += 1
            activity: list[dict[str, str]] = []
            r = rng.random()
            if r < 0.012:
                hard = rng.random() < 0.3
                activity.append({"action": "bounce", "type": "hard" if hard else "soft",
                                 "timestamp": mailchimp_iso(campaign.send_ms + 60_000)})
                if hard:
                    status, last_changed = "cleaned", campaign.send_ms + 60_000
                    person.scenarios.append("hard_bounce")
            elif r < 0.012 + p_open:
                t = campaign.send_ms + 60_000 + int(rng.random() * 3 * DAY_MS)
                for _ in range(1 + self.count(0.6 + p, 6)):
                    if t >= self.as_of_ms:
                        break
                    bits = rng.getrandbits(24)
                    activity.append({"action": "open", "timestamp": mailchimp_iso(t),
                                     "ip": f"10.{bits >> 16}.{(bits >> 8) & 255}.{1 + (bits & 255) % 254}"})
                    opens += 1
                    if rng.random() < p_click and t + 30_000 < self.as_of_ms:
                        page = rng.choice(vocab.PAGES)
                        activity.append({"action": "click", "timestamp": mailchimp_iso(t + 30_000), "url": vocab.SITE + page[0],
                                         "ip": activity[-1]["ip"]})
                        clicks += 1
                    t += 60_000 + int(rng.random() * DAY_MS)
            if activity:
                self.sink.write("mailchimp/email_activity", {
                    "campaign_id": campaign.id, "list_id": LIST_ID, "list_is_active": True, "email_id": email_id,
                    "email_address": email, "activity": activity})
            if status == "cleaned":
                break
            if rng.random() < 0.0008 + 0.004 * (1 - p):
                last_changed = campaign.send_ms + rng.randint(3_600_000, 2 * DAY_MS)
                if last_changed >= self.as_of_ms:
                    continue
                status = "unsubscribed"
                person.scenarios.append("unsubscribed")
                self.sink.write("mailchimp/unsubscribes", {
                    "email_id": email_id, "email_address": email, "merge_fields": {"FNAME": person.first, "LNAME": person.last},
                    "vip": False, "timestamp": mailchimp_iso(last_changed), "reason": rng.choice(vocab.UNSUB_REASONS),
                    "campaign_id": campaign.id, "list_id": LIST_ID, "list_is_active": True})
                break
        if opens >= 3:
            person.scenarios.append("email_engaged")
        self.sink.write("mailchimp/members", {
            "id": email_id, "email_address": email, "unique_email_id": email_id[:10], "contact_id": email_id[-12:],
            "full_name": f"{person.first} {person.last}", "web_id": person.id, "email_type": "html", "status": status,
            "merge_fields": {"FNAME": person.first, "LNAME": person.last},
            "stats": {"avg_open_rate": round(min(1.0, opens / sent), 2) if sent else 0,
                      "avg_click_rate": round(min(1.0, clicks / sent), 2) if sent else 0},
            "ip_signup": "", "timestamp_signup": "", "ip_opt": "", "timestamp_opt": mailchimp_iso(opt_ms),
            "member_rating": min(5, 1 + opens // 4), "last_changed": mailchimp_iso(last_changed), "language": "",
            "vip": False, "email_client": "", "source": "API - Generic", "tags_count": 0, "tags": [], "list_id": LIST_ID})

    # -- driver ----------------------------------------------------------------------------
    def run(self) -> dict[str, int]:
        self.write_static()
        rng = self.rng
        while self.written < self.target:
            company = self.new_company()
            for _ in range(min(self.target - self.written, 1 + self.count(7.0, 60))):
                if self.written >= self.target:
                    break
                person = self.new_person(company)
                if self.dirty():
                    person.dirt.append(rng.choice(DIRT_KINDS))
                if "duplicate" in person.dirt and self.written + 1 < self.target:
                    self.emit_contact(person, company)
                    twin = Person(**{**person.__dict__, "id": self.take_contact_id(), "scenarios": [],
                                     "dirt": ["duplicate"], "created_ms": self.ts_between(person.created_ms, self.as_of_ms)})
                    if rng.random() < 0.5:
                        twin.email = f"{person.email[:1].upper()}{person.email[1:]}"
                    else:
                        twin.email = f"{ascii_slug(person.first)}.{ascii_slug(person.last)}{twin.id}@{rng.choice(vocab.FREE_MAIL)}"
                    self.emit_contact(twin, company, duplicate_of=person.id)
                else:
                    if "duplicate" in person.dirt:
                        person.dirt = []
                    self.emit_contact(person, company)
        return dict(self.sink.counts)


def generate(contacts: int, seed: int, out_dir: Path, dirt_rate: float = 0.03, as_of: datetime | None = None) -> dict:
    """Write a dataset to `out_dir` and return its meta (also written to `out_dir/meta.json`).

    Served files go to `out_dir/hubspot/*.ndjson` and `out_dir/mailchimp/*.ndjson`; the
    ground truth stays at the top level (`ground_truth.ndjson`), which the sandbox never reads.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    as_of = as_of or as_of_default()
    gen = Generator(contacts, seed, out_dir, dirt_rate, as_of)
    try:
        counts = gen.run()
    finally:
        gen.sink.close()
    meta = {
        "format_version": 1, "seed": seed, "contacts": contacts, "dirt_rate": dirt_rate,
        "as_of": hubspot_iso(to_ms(as_of)),
        "mailchimp": {"list_id": LIST_ID, "list_name": LIST_NAME},
        "competitor_domains": list(vocab.COMPETITOR_DOMAINS), "free_mail_domains": list(vocab.FREE_MAIL),
        "site": vocab.SITE, "dirt_kinds": list(DIRT_KINDS),
        "files": {key + ".ndjson": n for key, n in sorted(counts.items())},
    }
    (out_dir / "meta.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return meta
