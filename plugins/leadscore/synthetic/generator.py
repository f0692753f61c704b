"""Stream a synthetic HubSpot + Mailchimp portal to NDJSON, one contact at a time.

A dataset looks like a CRM after two years of use. Each lead has a hidden potential (fit x
authority x noise) and an interest path over time (synthetic.timeline): idle, interest
episodes, deals opened in them, won or lost at their close date. Its behaviour (forms, page
views, e-mail engagement, inbound calls and e-mails) follows the interest *at the time*, our
SDRs' outbound calls and e-mails follow firmographics, and post-sale activity starts only after
the won deal closes, so a backtest at any past date sees nothing of the outcome.
`ground_truth.ndjson` holds the path and converted_at; the sandbox never reads it.

One `random.Random(seed)` is consumed in a fixed order and nothing depends on the clock except
the `as_of` date, so the same (seed, as_of) gives byte-identical files. Only the current
company's contacts are in memory, never the activities.
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
from leadscore.synthetic.timeline import Deal, Segment, Timeline, TimelineBuilder
from leadscore.synthetic.timeutil import DAY_MS, as_of_default, hubspot_iso, mailchimp_iso, to_ms

LIST_ID = "a1b2c3d4e5"
LIST_NAME = "Leadscore newsletter"
HISTORY_DAYS = 730
CAMPAIGN_DAYS = 365
CAMPAIGN_EVERY_MS = 7 * DAY_MS
BOOKED_AHEAD_SHARE = 0.05  # meetings booked for a date after as_of, as any CRM has (SCHEDULED, start ahead)
BOOKED_AHEAD_DAYS = 21
SCANNER_SHARE = 0.1  # companies whose mail gateway clicks every link on delivery
DIRT_KINDS = ("duplicate", "missing_email", "malformed_email", "email_case_whitespace", "future_timestamp",
              "unknown_type", "merged", "archived")
HUBSPOT_FILES = ("properties", "property_groups", "pipelines", "companies", "contacts", "deals", "calls", "meetings",
                 "emails", "notes", "events")
MAILCHIMP_FILES = ("lists", "campaigns", "members", "email_activity", "unsubscribes")
ENGAGEMENT_ID_BASE = {"calls": 30_000_000, "meetings": 40_000_000, "emails": 50_000_000, "notes": 60_000_000}
DEAL_ID_BASE = 70_000_000
ASSOC_TYPE = {"calls": "call_to_contact", "meetings": "meeting_to_contact", "emails": "email_to_contact",
              "notes": "note_to_contact"}
STAMP = "2020-01-01T00:00:00Z"
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


def default_pipeline() -> dict:
    """HubSpot's default deal pipeline, as GET /crm/v3/pipelines/deals returns it."""
    return {"id": "default", "label": "Sales Pipeline", "displayOrder": 0, "archived": False,
            "createdAt": STAMP, "updatedAt": STAMP,
            "stages": [{"id": sid, "label": label, "displayOrder": i, "archived": False,
                        "metadata": {"isClosed": "true" if sid.startswith("closed") else "false", "probability": prob},
                        "createdAt": STAMP, "updatedAt": STAMP}
                       for i, (sid, label, prob) in enumerate(vocab.DEAL_STAGES)]}


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
    employees: int
    scanner: bool  # its mail gateway clicks every link of every campaign on delivery
    used_locals: set[str] = field(default_factory=set)


@dataclass
class Campaign:
    id: str
    send_ms: int
    links: list[str]


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
    propensity: float  # the potential: the interest level of its strongest episodes
    lang: str
    corporate: bool
    created_ms: int
    timeline: Timeline
    scenarios: list[str] = field(default_factory=list)
    dirt: list[str] = field(default_factory=list)

    @property
    def stage(self) -> str:
        return self.timeline.stage


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
        self.timelines = TimelineBuilder(self.rng, self.as_of_ms, DEAL_ID_BASE)
        self.sink = Sink(out_dir)
        self.next_contact_id = 1001
        self.next_company_id = 5_000_001
        self.next_engagement = dict(ENGAGEMENT_ID_BASE)
        self.campaigns: list[Campaign] = []
        self.written = 0
        self.unknown_pending = self.future_pending = False
        self.future_ms = 0

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

    def dirty(self) -> bool:
        return self.rng.random() < self.dirt_rate

    # -- static files ----------------------------------------------------------------------
    def write_static(self) -> None:
        for definition in schema.property_definitions():
            self.sink.write("hubspot/properties", definition)
        for group in schema.property_groups():
            self.sink.write("hubspot/property_groups", group)
        self.sink.write("hubspot/pipelines", default_pipeline())
        self.sink.write("mailchimp/lists", {
            "id": LIST_ID, "web_id": 100001, "name": LIST_NAME, "date_created": mailchimp_iso(self.as_of_ms - HISTORY_DAYS * DAY_MS),
            "contact": {"company": "Leadscore Demo s.r.o.", "country": "CZ"}, "permission_reminder": "You signed up on our website.",
            "email_type_option": False, "visibility": "prv", "double_optin": True})
        start = self.as_of_ms - CAMPAIGN_DAYS * DAY_MS
        send = start + 9 * 3_600_000
        while send < self.as_of_ms:
            cid = f"{self.rng.getrandbits(40):010x}"
            subject = self.rng.choice(vocab.CAMPAIGN_SUBJECTS)
            links = [vocab.SITE + page[0] for page in self.rng.sample(vocab.PAGES[:11], self.rng.randint(2, 4))]
            self.campaigns.append(Campaign(cid, send, links))
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
        created = self.ts_between(self.as_of_ms - 2 * HISTORY_DAYS * DAY_MS, self.as_of_ms - HISTORY_DAYS * DAY_MS)
        modified = self.ts_between(created, self.as_of_ms)
        size_fit = 1.0 if 50 <= employees <= 5000 else 0.6
        props = {"name": name, "domain": domain, "industry": industry, "numberofemployees": emp_text,
                 "annualrevenue": rev_text, "country": country, "createdate": hubspot_iso(created),
                 "hs_lastmodifieddate": hubspot_iso(modified), "hs_object_id": str(cid)}
        self.sink.write("hubspot/companies", {"id": str(cid), "properties": props, "createdAt": hubspot_iso(created),
                                              "updatedAt": hubspot_iso(modified), "archived": False})
        scanner = rng.random() < SCANNER_SHARE
        return Company(cid, name, domain, industry, fit * size_fit, country, lang, created, employees, scanner)

    # -- people ----------------------------------------------------------------------------
    def new_person(self, company: Company) -> Person:
        rng = self.rng
        lang = company.lang if rng.random() < 0.85 else rng.choice(list(vocab.FIRST_NAMES))
        first = rng.choice(vocab.FIRST_NAMES[lang])
        last = rng.choice(vocab.LAST_NAMES[lang])
        title, seniority, authority = rng.choice(vocab.JOB_TITLES)
        pid = self.take_contact_id()
        persona = ("student" if seniority == 0 and authority == 0 and not title.startswith(("look", "hled", "szuk"))
                   else "job_seeker" if seniority == 0 else
                   "decision_maker" if seniority >= 3 else "influencer" if seniority == 2 else "end_user")
        email, corporate = self.email_for(first, last, company, pid, seniority)
        if rng.random() < 0.012:
            persona, corporate = "competitor", False
            email = f"{ascii_slug(first)}.{ascii_slug(last)}@{rng.choice(vocab.COMPETITOR_DOMAINS)}"
        latent = 2.2 * company.fit + 1.8 * authority + rng.gauss(0, 0.9) - 3.3
        propensity = sigmoid(latent)
        if persona in ("student", "job_seeker", "competitor"):
            propensity *= 0.08
        created = self.ts_between(self.as_of_ms - HISTORY_DAYS * DAY_MS, self.as_of_ms - DAY_MS)
        # SDRs pick targets by what they can see: company fit and the title, never the interest
        targeted = 0.0 if persona in ("student", "job_seeker", "competitor") else company.fit * (0.4 + 0.6 * authority)
        timeline = self.timelines.build(created, propensity, targeted, subscriber_first=rng.random() < 0.2)
        return Person(pid, first, last, title, seniority, authority, email, persona, round(propensity, 6),
                      company.lang, corporate, created, timeline)

    def take_contact_id(self) -> int:
        pid = self.next_contact_id
        self.next_contact_id += 1
        return pid

    def email_for(self, first: str, last: str, company: Company, pid: int, seniority: int) -> tuple[str, bool]:
        """(address, on the company's domain)."""
        rng = self.rng
        f, l = ascii_slug(first), ascii_slug(last)
        if seniority > 0 and rng.random() < 0.75:
            local = rng.choice((f"{f}.{l}", f"{f[0]}{l}", f"{f}"))
            if local in company.used_locals:
                local = f"{f}.{l}{len(company.used_locals)}"
            company.used_locals.add(local)
            return f"{local}@{company.domain}", True
        local_list = vocab.FREE_MAIL_BY_COUNTRY.get(company.country)
        domain = rng.choice(local_list if local_list and rng.random() < 0.6 else vocab.GLOBAL_FREE_MAIL)
        return f"{rng.choice((f'{f}.{l}', f'{f}{l[0]}', f'{l}.{f}'))}{pid}@{domain}", False

    # -- one contact and its activity -----------------------------------------------------------
    def emit_contact(self, person: Person, company: Company, duplicate_of: int | None = None) -> None:
        rng = self.rng
        dirt = person.dirt
        tl = person.timeline
        email = person.email
        if "missing_email" in dirt:
            email = ""
        elif "malformed_email" in dirt:
            email = rng.choice((email.replace("@", "@@"), email.replace("@", " "), email.split("@")[0] + "@",
                                email.partition("@")[0] + "@" + email.partition("@")[2].split(".")[0]))  # no TLD
        elif "email_case_whitespace" in dirt:
            email = " " * rng.randint(1, 2) + "".join(ch.upper() if rng.random() < 0.3 else ch for ch in email) + " "
        merged_ids = [self.take_contact_id() for _ in range(rng.randint(1, 2))] if "merged" in dirt else []
        modified = self.ts_between(max(person.created_ms, self.as_of_ms - 60 * DAY_MS), self.as_of_ms - 60_000)
        open_deal = any(d.is_open for d in tl.deals)
        props: dict[str, Any] = {
            "email": email, "firstname": person.first, "lastname": person.last, "jobtitle": person.title,
            "company": company.name if rng.random() < 0.9 else "", "associatedcompanyid": str(company.id),
            "country": company.country,
            "phone": f"{vocab.PHONE_PREFIX[company.country]} {rng.randint(200, 999)} {rng.randint(100, 999)} {rng.randint(100, 999)}"
            if rng.random() < 0.7 else "",
            "lifecyclestage": person.stage,
            "hs_lead_status": "OPEN_DEAL" if open_deal else
            rng.choice(vocab.LEAD_STATUSES) if person.stage not in ("subscriber", "other") else "",
            "createdate": hubspot_iso(person.created_ms), "lastmodifieddate": hubspot_iso(modified),
            "hs_object_id": str(person.id), "hs_merged_object_ids": ";".join(map(str, merged_ids)),
        }
        for stage, when in tl.stage_dates.items():
            if stage != "subscriber":
                props[f"hs_lifecyclestage_{stage}_date"] = hubspot_iso(when)
        if tl.converted_at is not None:
            props["closedate"] = hubspot_iso(tl.converted_at)
            person.scenarios.append("closed_won")
        # MEDDIC notes: entered by sales once a lead is qualified, whatever becomes of it
        if "salesqualifiedlead" in tl.stage_dates and rng.random() < 0.4:
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
            for deal in tl.deals:
                self.emit_deal(deal, person, company)
            self.emit_activity(person, company)
        self.sink.write("ground_truth", {
            "contact_id": str(person.id), "email": person.email, "propensity": person.propensity,
            "converted": tl.converted_at is not None,
            "converted_at": hubspot_iso(tl.converted_at) if tl.converted_at is not None else None,
            "created_at": hubspot_iso(person.created_ms),
            "left_at": hubspot_iso(tl.left_at) if tl.left_at is not None else None,
            "propensity_path": [[hubspot_iso(s.start), round(s.level, 4), s.kind] for s in tl.segments],
            "deals": [{"id": str(d.id), "stage": d.stage, "created_at": hubspot_iso(d.created)} for d in tl.deals]
            if duplicate_of is None else [],
            "persona": person.persona, "lifecyclestage": person.stage,
            "company_id": str(company.id), "scenarios": person.scenarios, "dirt": dirt,
            "duplicate_of": str(duplicate_of) if duplicate_of else None, "merged_ids": [str(i) for i in merged_ids]})

    def emit_deal(self, deal: Deal, person: Person, company: Company) -> None:
        rng = self.rng
        closed = not deal.is_open
        won = deal.stage == "closedwon"
        amount = 100 * int(company.employees ** 0.5 * rng.uniform(20, 60))
        close = hubspot_iso(deal.close) if deal.close_set else ""
        modified = hubspot_iso(deal.last_change)
        props = {"dealname": f"{company.name} – {rng.choice(vocab.DEAL_PRODUCTS)}", "dealstage": deal.stage,
                 "pipeline": "default", "amount": str(amount), "closedate": close,
                 "createdate": hubspot_iso(deal.created), "hs_lastmodifieddate": modified,
                 "hs_is_closed_won": "true" if won else "false", "hs_is_closed": "true" if closed else "false",
                 "hs_object_id": str(deal.id)}
        for stage, when in deal.stages:
            props[f"hs_date_entered_{stage}"] = hubspot_iso(when)
        person.scenarios.append(f"deal_{'won' if won else 'lost' if closed else 'open'}")
        self.sink.write("hubspot/deals", {
            "id": str(deal.id), "properties": props, "createdAt": props["createdate"], "updatedAt": modified,
            "archived": False, "associations": {"contacts": {"results": [{"id": str(person.id), "type": "deal_to_contact"}]}}})

    def emit_activity(self, person: Person, company: Company) -> None:
        # the contact's dirt goes into the first record that can carry it (see call, engagement, forms)
        self.unknown_pending = "unknown_type" in person.dirt
        self.future_pending = "future_timestamp" in person.dirt
        self.future_ms = self.as_of_ms + self.rng.randint(1, 30) * DAY_MS
        tl = person.timeline
        self.emit_sales(person)
        for seg in tl.segments:
            self.emit_behaviour(person, company, seg)
        if self.unknown_pending:  # no room for an odd value elsewhere: an unknown form type
            self.unknown_pending = False
            self.form_event(person, company, "legacy_contact_us", "", self.ts_between(person.created_ms, tl.end))
        if self.future_pending:
            self.future_pending = False
            self.page_view(person, self.future_ms, vocab.PAGES[0])
        if person.email and "@" in person.email and person.persona != "competitor" and not (
                {"missing_email", "malformed_email"} & set(person.dirt)):
            self.emit_mailchimp(person, company)

    # -- the lead's own behaviour, from its interest at the time ---------------------------
    def emit_behaviour(self, person: Person, company: Company, seg: Segment) -> None:
        rng = self.rng
        lo, hi = seg.start, min(seg.end, self.as_of_ms)
        span_days = (hi - lo) / DAY_MS
        if span_days <= 0:
            return
        p = seg.level
        job = person.persona in ("job_seeker", "student")
        if seg.kind == "customer":
            for _ in range(self.count(0.02 * span_days, 40)):
                self.page_view(person, self.ts_between(lo + 60_000, hi), rng.choice(vocab.POST_SALE_PAGES), person.lang)
            return
        if seg.kind == "episode":
            first = lo == person.created_ms and rng.random() < 0.7  # the form that created the contact
            n = self.count(0.25 + 1.6 * p, 8) if rng.random() < 0.35 + 0.5 * p else 0
            for i in range(n + first):
                weights = [(1.05 - abs(intent - p)) ** 3 + 0.02 for _, intent, _ in vocab.FORM_TYPES]
                form_type, _, form_id = rng.choices(vocab.FORM_TYPES, weights)[0]
                if self.unknown_pending:
                    form_type, form_id, self.unknown_pending = rng.choice(vocab.UNKNOWN_FORM_TYPES), "", False
                if form_type in ("demo_request", "contact_sales"):
                    person.scenarios.append("sales_form")
                when = lo if first and i == 0 else self.ts_between(lo, hi)
                self.form_event(person, company, form_type, form_id, when, p)
            for kind, mean in (("calls", 0.4 * p), ("emails", 0.8 * p)):  # the lead reaches out to us
                for _ in range(self.count(mean * min(span_days, 90) / 30, 6)):
                    self.engagement(kind, person, self.ts_between(lo, hi), self.inbound_props(kind))
        rate = 0.0025 + 0.4 * p ** 1.5 + (0.01 if job else 0.0)
        weights = [((0.3 if job else 1.0) * (1.05 - abs(intent - p)) ** 2 + (2.0 if job and intent == 0 else 0.02))
                   for _, _, intent in vocab.PAGES]
        n = self.count(rate * span_days, 80)
        pricing = 0
        for page in rng.choices(vocab.PAGES, weights, k=n):
            pricing += page[0].startswith("/pricing")
            self.page_view(person, self.ts_between(lo, hi), page, person.lang)
        if pricing >= 2 and "pricing_researcher" not in person.scenarios:
            person.scenarios.append("pricing_researcher")
        if job and n and "careers_visitor" not in person.scenarios:
            person.scenarios.append("careers_visitor")

    def form_event(self, person: Person, company: Company, form_type: str, form_id: str, when: int,
                   p: float = 0.0) -> None:
        rng = self.rng
        props: dict[str, str] = {"hs_form_id": form_id or "00000000-0000-0000-0000-00000000beef", "form_type": form_type,
                                 "hs_page_url": f"{vocab.SITE}/{form_type.replace('_', '-')}", "email": person.email,
                                 "company": company.name if rng.random() < 0.8 else ""}
        if form_type in vocab.QUALIFYING_FORMS or form_type == "case_study_request":
            props["budget_range"] = "" if rng.random() < 0.2 else vocab.BUDGETS[max(0, min(3, int(p * 4 + rng.random() - 0.3)))]
            props["purchase_timeframe"] = vocab.TIMEFRAMES[max(0, min(4, int((1 - p) * 4.5 + rng.gauss(0, 0.6))))]
            props["challenge"] = rng.choice(vocab.CHALLENGES)
            props["decision_role"] = ("student" if person.persona == "student" else
                                      "decision maker" if person.authority >= 0.8 else
                                      "influencer" if person.authority >= 0.5 else rng.choice(("evaluator", "end user")))
        self.sink.write("hubspot/events", {"id": self.uuid(), "eventType": "e_submitted_form", "objectId": str(person.id),
                                           "objectType": "contact", "occurredAt": hubspot_iso(when), "properties": props})

    def page_view(self, person: Person, when: int, page: tuple[str, str, float], lang: str = "en") -> None:
        path, title = page[0], page[1]
        local = vocab.LOCAL_PAGES.get(lang, {}).get(path)
        rng = self.rng
        if local and rng.random() < vocab.LOCAL_PAGE_SHARE:
            path, title = local
        self.sink.write("hubspot/events", {
            "id": self.uuid(), "eventType": "e_visited_page", "objectId": str(person.id), "objectType": "contact",
            "occurredAt": hubspot_iso(when),
            "properties": {"hs_url": vocab.SITE + path + rng.choice(vocab.URL_SUFFIXES), "hs_page_title": title,
                           "hs_referrer": ""}})

    # -- our side: SDR sequences, deal work, customer success ------------------------------
    def emit_sales(self, person: Person) -> None:
        """Outbound sequences, deal activity (before close, whatever the outcome) and post-sale work."""
        rng = self.rng
        tl = person.timeline
        stop = tl.end
        for seq in tl.outreach:  # an SDR cadence: calls and e-mails over about three weeks
            person.scenarios.append("sdr_outreach")
            end = min(stop, seq.start + 21 * DAY_MS)
            for _ in range(1 + self.count(0.7, 5)):
                self.call(person, self.ts_between(seq.start, end), "OUTBOUND", connected=False)
            for _ in range(1 + self.count(0.6, 4)):
                self.engagement("emails", person, self.ts_between(seq.start, end), {
                    "hs_email_direction": "EMAIL", "hs_email_subject": rng.choice(vocab.OUTREACH_SUBJECTS)})
            if seq.connected:  # the lead picked up or answered
                when = self.ts_between(seq.start, end)
                self.call(person, when, "OUTBOUND", connected=True)
                if rng.random() < 0.5:
                    self.engagement("emails", person, min(end, when + DAY_MS), self.inbound_props("emails"))
            if rng.random() < 0.4:
                self.engagement("notes", person, end - 1, {"hs_note_body": rng.choice(vocab.OUTREACH_NOTES)})
        for deal in tl.deals:
            if not deal.logged:
                continue
            person.scenarios.append("sales_engaged")
            lo = max(tl.created, deal.created - 7 * DAY_MS)
            hi = min(deal.close if not deal.is_open else self.as_of_ms, self.as_of_ms, stop)
            for _ in range(1 + self.count(0.8, 6)):
                self.engagement("meetings", person, self.ts_between(lo, hi), {
                    "hs_meeting_title": rng.choice(vocab.MEETING_TITLES),
                    "hs_meeting_outcome": rng.choice(vocab.MEETING_OUTCOMES), "hs_meeting_start_time": ""})
            for _ in range(self.count(1.2, 8)):
                self.call(person, self.ts_between(lo, hi), "OUTBOUND" if rng.random() < 0.7 else "INBOUND", connected=None)
            for _ in range(self.count(1.5, 10)):
                self.engagement("emails", person, self.ts_between(lo, hi), {
                    "hs_email_direction": rng.choices(("EMAIL", "INCOMING_EMAIL", "FORWARDED_EMAIL"), (55, 35, 10))[0],
                    "hs_email_subject": rng.choice(vocab.EMAIL_SUBJECTS)})
            for _ in range(self.count(0.6, 5)):
                self.engagement("notes", person, self.ts_between(lo, hi), {"hs_note_body": rng.choice(vocab.NOTE_BODIES)})
        if tl.converted_at is not None:  # customer success, strictly after the close
            lo = tl.converted_at + 3_600_000
            span_days = (stop - lo) / DAY_MS
            if span_days > 0:
                person.scenarios.append("post_sale")
                for kind, per_day in (("meetings", 0.004), ("calls", 0.004), ("emails", 0.01), ("notes", 0.003)):
                    for _ in range(self.count(per_day * span_days, 12)):
                        when = self.ts_between(lo, stop)
                        if kind == "meetings":
                            props = {"hs_meeting_title": rng.choice(vocab.POST_SALE_MEETINGS),
                                     "hs_meeting_outcome": "COMPLETED", "hs_meeting_start_time": ""}
                        elif kind == "calls":
                            self.call(person, when, "OUTBOUND" if rng.random() < 0.5 else "INBOUND", connected=True)
                            continue
                        elif kind == "emails":
                            props = {"hs_email_direction": "EMAIL" if rng.random() < 0.6 else "INCOMING_EMAIL",
                                     "hs_email_subject": rng.choice(vocab.POST_SALE_SUBJECTS)}
                        else:
                            props = {"hs_note_body": rng.choice(vocab.POST_SALE_NOTES)}
                        self.engagement(kind, person, when, props)

    def call(self, person: Person, when: int, direction: str, connected: bool | None) -> None:
        """A logged call; an SDR's unanswered dial is short and has a not-connected outcome."""
        rng = self.rng
        if connected is None:
            connected = rng.random() < 0.7
        disposition = vocab.CALL_CONNECTED if connected else rng.choice(vocab.CALL_NOT_CONNECTED)
        if self.unknown_pending:
            disposition, self.unknown_pending = vocab.UNKNOWN_DISPOSITION, False
        duration = rng.randint(60_000, 2_400_000) if connected else rng.randint(0, 45_000)
        self.engagement("calls", person, when, {"hs_call_direction": direction, "hs_call_duration": str(duration),
                                                "hs_call_disposition": disposition, "hs_call_title": "Call"})

    def inbound_props(self, kind: str) -> dict[str, str]:
        """A call or an e-mail the lead started."""
        rng = self.rng
        if kind == "calls":
            return {"hs_call_direction": "INBOUND", "hs_call_duration": str(rng.randint(60_000, 1_800_000)),
                    "hs_call_disposition": vocab.CALL_CONNECTED, "hs_call_title": "Inbound call"}
        return {"hs_email_direction": "INCOMING_EMAIL", "hs_email_subject": rng.choice(vocab.EMAIL_SUBJECTS)}

    def booked_start(self) -> int:
        """A start time 1..BOOKED_AHEAD_DAYS days after as_of, on a quarter hour."""
        quarters = self.booking_rng.randint(4 * 24, 4 * 24 * BOOKED_AHEAD_DAYS)
        return self.as_of_ms - self.as_of_ms % (15 * 60_000) + quarters * 15 * 60_000

    def engagement(self, kind: str, person: Person, when: int, props: dict[str, str]) -> None:
        """Write one call/meeting/e-mail/note. A meeting may be booked ahead (start after as_of,
        created at `when`); a contact with future_timestamp dirt gets one record dated ahead."""
        booked_at = None
        if kind == "meetings" and self.booking_rng.random() < BOOKED_AHEAD_SHARE:
            booked_at, when = when, self.booked_start()
            props["hs_meeting_outcome"] = "SCHEDULED"
        elif self.future_pending and kind != "meetings":  # a future meeting is valid data, not dirt
            when, self.future_pending = self.future_ms, False
        if kind == "meetings":
            props["hs_meeting_start_time"] = hubspot_iso(when)
        self.next_engagement[kind] += 1
        eid = str(self.next_engagement[kind])
        created = min(when if booked_at is None else booked_at, self.as_of_ms - 1000)
        modified = self.ts_between(created, self.as_of_ms)
        created_iso, modified_iso = hubspot_iso(created), hubspot_iso(modified)
        props.update({"hs_timestamp": created_iso if when == created else hubspot_iso(when),
                      "hs_createdate": created_iso, "hs_lastmodifieddate": modified_iso, "hs_object_id": eid})
        self.sink.write(f"hubspot/{kind}", {
            "id": eid, "properties": props, "createdAt": created_iso, "updatedAt": modified_iso,
            "archived": False,
            "associations": {"contacts": {"results": [{"id": str(person.id), "type": ASSOC_TYPE[kind]}]}}})

    # -- Mailchimp -------------------------------------------------------------------------
    def emit_mailchimp(self, person: Person, company: Company) -> None:
        rng = self.rng
        if rng.random() > 0.72:
            return
        tl = person.timeline
        email = person.email.strip()
        email_id = subscriber_hash(email)
        opt_ms = person.created_ms + rng.randint(0, 3 * DAY_MS)
        status, last_changed = "subscribed", opt_ms
        opens = clicks = sent = 0
        scanned = company.scanner and person.corporate
        segments = iter(tl.segments)
        seg = next(segments, None)
        for campaign in self.campaigns:
            if campaign.send_ms < opt_ms:
                continue
            sent += 1
            activity: list[dict[str, str]] = []
            if tl.left_at is not None and campaign.send_ms > tl.left_at:  # the mailbox is gone
                status, last_changed = "cleaned", campaign.send_ms + 60_000
                activity.append({"action": "bounce", "type": "hard", "timestamp": mailchimp_iso(last_changed)})
                person.scenarios.append("hard_bounce")
            else:
                while seg is not None and seg.end <= campaign.send_ms:
                    seg = next(segments, None)
                p = 0.3 if seg is None or seg.kind == "customer" else seg.level
                if scanned:
                    self.scanner_clicks(campaign, activity)
                r = rng.random()
                if r < 0.006:
                    activity.append({"action": "bounce", "type": "soft",
                                     "timestamp": mailchimp_iso(campaign.send_ms + 60_000)})
                elif r < 0.006 + 0.06 + 0.6 * p:
                    o, c = self.human_opens(campaign, activity, 0.08 + 0.5 * p, p)
                    opens, clicks = opens + o, clicks + c
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
        if scanned and sent:
            person.scenarios.append("link_scanner")
        self.sink.write("mailchimp/members", {
            "id": email_id, "email_address": email, "unique_email_id": email_id[:10], "contact_id": email_id[-12:],
            "full_name": f"{person.first} {person.last}", "web_id": person.id, "email_type": "html", "status": status,
            "merge_fields": {"FNAME": person.first, "LNAME": person.last},
            "stats": {"avg_open_rate": round(min(1.0, opens / sent), 2) if sent else 0,
                      "avg_click_rate": round(min(1.0, clicks / sent), 2) if sent else 0},
            "ip_signup": "", "timestamp_signup": "", "ip_opt": "", "timestamp_opt": mailchimp_iso(opt_ms),
            "member_rating": min(5, 1 + opens // 4), "last_changed": mailchimp_iso(last_changed), "language": "",
            "vip": False, "email_client": "", "source": "API - Generic", "tags_count": 0, "tags": [], "list_id": LIST_ID})

    def scanner_clicks(self, campaign: Campaign, activity: list[dict[str, str]]) -> None:
        """A mail gateway opens the message and follows every link within seconds of delivery."""
        rng = self.rng
        ip = f"{rng.choice(vocab.SCANNER_NETS)}{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        t = campaign.send_ms + rng.randint(1_000, 6_000)
        activity.append({"action": "open", "timestamp": mailchimp_iso(t), "ip": ip})
        for url in campaign.links:
            t += rng.randint(200, 4_000)
            activity.append({"action": "click", "timestamp": mailchimp_iso(t), "url": url, "ip": ip})

    def human_opens(self, campaign: Campaign, activity: list[dict[str, str]], p_click: float, p: float) -> tuple[int, int]:
        """A person's opens (and clicks on a link or two) over the days after delivery."""
        rng = self.rng
        opens = clicks = 0
        t = campaign.send_ms + 60_000 + int(rng.random() * 3 * DAY_MS)
        for _ in range(1 + self.count(0.6 + p, 6)):
            if t >= self.as_of_ms:
                break
            bits = rng.getrandbits(24)
            activity.append({"action": "open", "timestamp": mailchimp_iso(t),
                             "ip": f"10.{bits >> 16}.{(bits >> 8) & 255}.{1 + (bits & 255) % 254}"})
            opens += 1
            if rng.random() < p_click and t + 30_000 < self.as_of_ms:
                activity.append({"action": "click", "timestamp": mailchimp_iso(t + 30_000),
                                 "url": rng.choice(campaign.links), "ip": activity[-1]["ip"]})
                clicks += 1
            t += 60_000 + int(rng.random() * DAY_MS)
        return opens, clicks

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
                    twin_created = self.ts_between(person.created_ms, self.as_of_ms)
                    # the same person entered again later: a plain lead with no history of its own
                    twin = Person(**{**person.__dict__, "id": self.take_contact_id(), "scenarios": [],
                                     "dirt": ["duplicate"], "created_ms": twin_created,
                                     "timeline": Timeline(twin_created, self.as_of_ms, stage_dates={"lead": twin_created})})
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
