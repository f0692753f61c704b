"""Raw rows for the scoring scenarios, landed with leadscore.sources.raw_store.merge.

All times are relative to AS_OF, the scoring time passed to dbt as var `as_of`.
"""
from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import datetime, timedelta, timezone

from leadscore.sources import raw_store
from leadscore.sources.raw_store import RawRecord

AS_OF = datetime(2026, 6, 1, tzinfo=timezone.utc)
STREAMS = ("hubspot_contacts", "hubspot_companies", "hubspot_calls", "hubspot_meetings", "hubspot_emails",
           "hubspot_notes", "hubspot_form_submissions", "hubspot_page_views", "mailchimp_members",
           "mailchimp_campaigns", "mailchimp_email_activity", "mailchimp_unsubscribes", "hubspot_deals",
           "hubspot_deal_pipelines")
# HubSpot's default deal pipeline (GET /crm/v3/pipelines/deals): won = probability 1.0
DEFAULT_STAGES = (("appointmentscheduled", "0.2"), ("qualifiedtobuy", "0.4"), ("presentationscheduled", "0.6"),
                  ("decisionmakerboughtin", "0.8"), ("contractsent", "0.9"), ("closedwon", "1.0"), ("closedlost", "0.0"))


def iso(ts: datetime) -> str:
    return ts.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


class Dataset:
    """Builds raw records per stream; `land(conn)` merges them into raw.*."""

    def __init__(self, as_of: datetime = AS_OF):
        self.as_of = as_of
        self.rows: dict[str, list[RawRecord]] = defaultdict(list)
        self._n = 0

    def _id(self, prefix: str) -> str:
        self._n += 1
        return f"{prefix}{self.as_of:%Y%m%d}-{self._n}"

    def ago(self, days: float) -> datetime:
        return self.as_of - timedelta(days=days)

    def company(self, cid: str, name: str, domain: str, industry: str, employees: str | None,
                revenue: str | None = None, country: str = "CZ") -> str:
        props = {"name": name, "domain": domain, "industry": industry, "numberofemployees": employees,
                 "annualrevenue": revenue, "country": country, "createdate": iso(self.ago(400)),
                 "hs_lastmodifieddate": iso(self.ago(30))}
        self.rows["hubspot_companies"].append(RawRecord(cid, {"id": cid, "properties": props,
                                                                "createdAt": iso(self.ago(400)),
                                                                "updatedAt": iso(self.ago(30)), "archived": False},
                                                        self.ago(30)))
        return cid

    def contact(self, cid: str, email: str | None, *, title: str | None = None, company: str | None = None,
                company_id: str | None = None, country: str | None = "CZ", lifecyclestage: str = "lead",
                merged: str | None = None, archived: bool = False, created_days_ago: float = 200,
                closedate: str | None = None, stage_days_ago: dict[str, float] | None = None, **extra: str) -> str:
        """`stage_days_ago`: when the contact reached each lifecycle stage (hs_lifecyclestage_<stage>_date)."""
        props = {"email": email, "firstname": "F" + cid, "lastname": "L" + cid, "jobtitle": title,
                 "company": company, "associatedcompanyid": company_id, "country": country,
                 "lifecyclestage": lifecyclestage, "hs_lead_status": "NEW",
                 "createdate": iso(self.ago(created_days_ago)), "lastmodifieddate": iso(self.ago(5)),
                 "hs_object_id": cid, "hs_merged_object_ids": merged, "closedate": closedate or "",
                 "leadscore_tier": "sql"}
        for key in ("meddic_metrics", "meddic_economic_buyer", "meddic_decision_criteria",
                    "meddic_decision_process", "meddic_identified_pain", "meddic_champion"):
            props[key] = extra.get(key, "")
        for stage, days in (stage_days_ago or {}).items():
            props[f"hs_lifecyclestage_{stage}_date"] = iso(self.ago(days))
        rec = {"id": cid, "properties": props, "createdAt": iso(self.ago(created_days_ago)),
               "updatedAt": iso(self.ago(5)), "archived": archived}
        self.rows["hubspot_contacts"].append(RawRecord(cid, rec, self.ago(5), archived))
        return cid

    def form(self, contact_id: str, form_type: str, days_ago: float, **props: str) -> None:
        eid = self._id("form-")
        p = {"hs_form_id": "f-" + form_type, "form_type": form_type, "hs_page_url": "https://example.test/x",
             "budget_range": "", "purchase_timeframe": "", "challenge": "", "decision_role": "", "company": ""}
        p.update(props)
        rec = {"id": eid, "eventType": "e_submitted_form", "objectId": contact_id, "objectType": "contact",
               "occurredAt": iso(self.ago(days_ago)), "properties": p}
        self.rows["hubspot_form_submissions"].append(RawRecord(eid, rec, self.ago(days_ago)))

    def page(self, contact_id: str, path: str, days_ago: float) -> None:
        eid = self._id("pv-")
        rec = {"id": eid, "eventType": "e_visited_page", "objectId": contact_id, "objectType": "contact",
               "occurredAt": iso(self.ago(days_ago)),
               "properties": {"hs_url": "https://example.test" + path, "hs_page_title": path}}
        self.rows["hubspot_page_views"].append(RawRecord(eid, rec, self.ago(days_ago)))

    def engagement(self, kind: str, contact_ids: list[str], days_ago: float, *, booked_days_ago: float | None = None,
                   **props: str) -> None:
        """`booked_days_ago`: created then, taking place at `days_ago` (negative: a meeting booked ahead)."""
        eid = self._id(kind[:-1] + "-")
        booked = self.ago(days_ago if booked_days_ago is None else booked_days_ago)
        p = {"hs_timestamp": iso(self.ago(days_ago)), **props}
        rec = {"id": eid, "properties": p, "createdAt": iso(booked), "updatedAt": iso(booked),
               "archived": False, "associations": {"contacts": contact_ids}}
        self.rows[f"hubspot_{kind}"].append(RawRecord(eid, rec, booked))

    def pipeline(self) -> None:
        stages = [{"id": sid, "label": sid, "displayOrder": i, "archived": False,
                   "metadata": {"isClosed": str(p in ("0.0", "1.0")).lower(), "probability": p}}
                  for i, (sid, p) in enumerate(DEFAULT_STAGES)]
        rec = {"id": "default", "label": "Sales Pipeline", "displayOrder": 0, "archived": False, "stages": stages}
        self.rows["hubspot_deal_pipelines"].append(RawRecord("default", rec, self.ago(400)))

    def deal(self, contact_ids: list[str], created_days_ago: float, stage: str = "closedwon",
             close_days_ago: float | None = None, amount: str = "12000") -> str:
        """A deal of the default pipeline; `close_days_ago`: its close date (closed) or expected one (open)."""
        did = self._id("deal-")
        closed = stage in ("closedwon", "closedlost")
        props = {"dealname": "Deal " + did, "dealstage": stage, "pipeline": "default", "amount": amount,
                 "createdate": iso(self.ago(created_days_ago)),
                 "closedate": iso(self.ago(close_days_ago)) if close_days_ago is not None else "",
                 "hs_is_closed": str(closed).lower(), "hs_is_closed_won": str(stage == "closedwon").lower(),
                 "hs_lastmodifieddate": iso(self.ago(close_days_ago if closed and close_days_ago is not None
                                                     else created_days_ago))}
        rec = {"id": did, "properties": props, "createdAt": props["createdate"], "updatedAt": props["hs_lastmodifieddate"],
               "archived": False, "associations": {"contacts": contact_ids}}
        self.rows["hubspot_deals"].append(RawRecord(did, rec, self.ago(created_days_ago)))
        return did

    def campaign(self, cid: str, sent_days_ago: float) -> datetime:
        """A sent Mailchimp campaign; returns its send time."""
        sent = self.ago(sent_days_ago)
        rec = {"id": cid, "type": "regular", "status": "sent", "send_time": iso(sent),
               "recipients": {"list_id": "l1"}, "settings": {"subject_line": "News", "title": cid}}
        self.rows["mailchimp_campaigns"].append(RawRecord(cid, rec, sent))
        return sent

    def email_event(self, email: str, action: str, days_ago: float, bounce_type: str | None = None,
                    campaign_id: str = "c1") -> None:
        eid = self._id("mc-")
        rec = {"campaign_id": campaign_id, "list_id": "l1", "email_id": hashlib.md5(email.strip().lower().encode()).hexdigest(),
               "email_address": email, "action": action, "timestamp": iso(self.ago(days_ago)),
               "url": "https://example.test/blog/x" if action == "click" else None, "ip": "10.0.0.1"}
        if bounce_type:
            rec["type"] = bounce_type
        self.rows["mailchimp_email_activity"].append(RawRecord(eid, rec, self.ago(days_ago)))

    def unsubscribe(self, email: str, days_ago: float) -> None:
        eid = self._id("unsub-")
        rec = {"campaign_id": "c1", "list_id": "l1", "email_id": "x", "email_address": email,
               "timestamp": iso(self.ago(days_ago)), "reason": "too many emails"}
        self.rows["mailchimp_unsubscribes"].append(RawRecord(eid, rec, self.ago(days_ago)))

    def land(self, conn, run_id: str = "test") -> None:
        for stream in STREAMS:
            raw_store.ensure_table(conn, stream)
        for stream, records in self.rows.items():
            raw_store.merge(conn, stream, records, run_id)
        self.rows.clear()


def scenario_dataset() -> Dataset:
    """One dataset holding every scenario lead (one dbt build scores them all)."""
    d = Dataset()
    d.company("co-soft", "SoftCo s.r.o.", "softco.example", "Software", "120")
    d.company("co-bank", "FinBank AG", "finbank.example", "Financial Services", "1 50", country="DE")
    d.company("co-big", "BigSoft a.s.", "https://www.bigsoft.example", "Computer Software", "1,500", "25 000 000")
    d.company("co-mfg", "Metalworks", "metal.example", "Manufacturing", "garbage")
    d.company("co-rival", "Scorely", "scorely.com", "Software", "300")

    # 1. software lead: e-book + 3 email opens + pricing page → mql
    d.contact("s1", "  S1@SoftCo.example ", title="Marketing Manager", company_id="co-soft")
    d.form("s1", "ebook_download", 2)
    for days in (1, 2, 3):
        d.email_event("S1@softco.example", "open", days)
    d.page("s1", "/pricing", 1)

    # 2. event registration, then a case-study request → sql
    d.contact("s2", "s2@metal.example", title="Operations Specialist", company_id="co-mfg")
    d.form("s2", "event_registration", 20)
    d.form("s2", "case_study_request", 5)

    # 3. a form without a company, nothing else → nurture, lowest priority
    d.contact("s3", "s3@nowhere.example", country=None)
    d.form("s3", "newsletter_signup", 10)

    # 4. activity score, company and position pass the thresholds → mql
    d.contact("s4", "s4@finbank.example", title="Head of Marketing", company_id="co-bank", country="DE")
    d.form("s4", "webinar_registration", 5)
    for days in (2, 3, 4):
        d.page("s4", f"/blog/post-{days}", days)
    for days in (2, 6):
        d.email_event("s4@finbank.example", "click", days)

    # 5. 3 of 4 BANT criteria (stated budget, decision maker, timeframe) → sql
    d.contact("s5", "s5@startup.example", country=None)
    d.form("s5", "ebook_download", 3, budget_range="50k-200k", decision_role="decision maker",
           purchase_timeframe="3-6 months")

    # 6. great fit, only engagement a year old (a demo request) → decayed to nurture
    d.contact("old", "ceo@bigsoft.example", title="CEO", company_id="co-big")
    d.form("old", "demo_request", 365)
    d.page("old", "/pricing", 366)

    # 7. a competitor's employee, however active → disqualified
    d.contact("comp", "bob@Scorely.com", title="VP Sales", company_id="co-rival")
    d.form("comp", "demo_request", 2)
    d.form("comp", "contact_sales", 1)
    d.engagement("meetings", ["comp"], 1, hs_meeting_title="Demo", hs_meeting_outcome="COMPLETED")
    for days in range(1, 20):
        d.page("comp", "/pricing", days)
        d.email_event("bob@scorely.com", "open", days)

    # dirty data: duplicate contacts by email (case/whitespace) → one lead, activities of both
    d.contact("dup1", "Dup@Example.org ", title="Director of IT", created_days_ago=300)
    d.contact("dup2", "dup@example.org", title=None, created_days_ago=100)
    d.page("dup1", "/product/a", 3)
    d.page("dup2", "/product/b", 4)
    d.engagement("calls", ["dup1", "dup2"], 2, hs_call_direction="OUTBOUND", hs_call_duration="1,200",
                 hs_call_disposition="connected")

    # merged: m2 was merged into m1 (m2's raw row still present) → m1's lead gets m2's activity
    d.contact("m1", "m1@merge.example", title="Analyst", merged="m2;m9")
    d.contact("m2", "old-m2@merge.example", title="Analyst")
    d.page("m2", "/case-studies/x", 2)

    # archived contact → no lead; quarantined contact → no lead (see conftest)
    d.contact("arch", "arch@example.net", archived=True)
    d.contact("quar", "quar@example.net")

    # penalties: free-mail student who unsubscribed and hard-bounced; future-dated activity ignored
    d.contact("stud", "student@gmail.com", title="Student")
    d.form("stud", "ebook_download", 1, decision_role="student")
    d.unsubscribe("student@gmail.com", 1)
    d.email_event("student@gmail.com", "bounce", 1, bounce_type="hard")
    d.form("stud", "demo_request", -30)  # 30 days in the future: ignored

    # engagement is what the lead did (issue 17): our outreach only → no engagement
    d.contact("out", "out@softco.example", title="IT Manager", company_id="co-soft")
    for days in (3, 10, 20):
        d.engagement("calls", ["out"], days, hs_call_direction="OUTBOUND", hs_call_disposition="No answer")
        d.engagement("emails", ["out"], days, hs_email_direction="EMAIL", hs_email_subject="Quick question")
    d.engagement("emails", ["out"], 4, hs_email_direction="FORWARDED_EMAIL", hs_email_subject="Fwd: intro")
    d.engagement("calls", ["out"], 5, hs_call_disposition="Left voicemail")  # no direction: a rep's log
    # … and the same outreach answered: a reply and a call back
    d.contact("reply", "reply@softco.example", title="IT Manager", company_id="co-soft")
    d.engagement("emails", ["reply"], 6, hs_email_direction="EMAIL", hs_email_subject="Quick question")
    d.engagement("emails", ["reply"], 5, hs_email_direction="INCOMING_EMAIL", hs_email_subject="Re: Quick question")
    d.engagement("calls", ["reply"], 4, hs_call_direction="INBOUND", hs_call_disposition="Connected")

    # a mail gateway clicks every link seconds after the send; the person clicks a minute later
    d.campaign("c-news", 3)
    d.contact("scan", "scan@softco.example", title="Developer", company_id="co-soft")
    for seconds in (2, 3, 65):
        d.email_event("scan@softco.example", "click", 3 - seconds / 86400, campaign_id="c-news")

    # localised paths count as their English page types
    d.contact("de", "de@finbank.example", title="Analystin", company_id="co-bank", country="DE")
    d.page("de", "/de/preise", 2)
    d.page("de", "/DE/Preise/enterprise", 3)
    d.page("de", "/referenzen/acme", 4)
    d.page("de", "/cs/produkt/scoring", 5)
    d.page("de", "/de/karriere", 6)

    # a hard bounce: the person left → disqualified; bounced, then a form → back
    d.contact("gone", "gone@bigsoft.example", title="CTO", company_id="co-big")
    d.form("gone", "demo_request", 20)
    d.email_event("gone@bigsoft.example", "bounce", 10, bounce_type="hard")
    d.contact("back", "back@bigsoft.example", title="CTO", company_id="co-big")
    d.email_event("back@bigsoft.example", "bounce", 10, bounce_type="hard")
    d.form("back", "demo_request", 5)

    # BANT on firmographics (a large company, a CEO) and one product page: budget is not stated
    d.contact("firmo", "firmo@bigsoft.example", title="CEO", company_id="co-big")
    d.page("firmo", "/product/x", 5)

    # titles in Czech, Slovak, Polish and German forms, female ones too
    for cid, title in TITLES:
        d.contact(cid, f"{cid}@titles.example", title=title)
    return d


# (contact id, title) of title-only leads, and the fit rule each must match
TITLES = (("t-cz", "Ředitelka obchodu"), ("t-cz2", "ŘEDITEL IT"), ("t-pl", "Kierowniczka działu IT"),
          ("t-de", "Geschäftsführerin"), ("t-at", "Vorständin Finanzen"), ("t-sk", "Vedúca predaja"),
          ("t-pl2", "Członkini Zarządu"), ("t-de2", "Leiterin Vertrieb"))
TITLE_RULES = {"t-cz": "senior_title", "t-cz2": "senior_title", "t-pl": "manager_title", "t-de": "senior_title",
               "t-at": "senior_title", "t-sk": "manager_title", "t-pl2": "senior_title", "t-de2": "manager_title"}
