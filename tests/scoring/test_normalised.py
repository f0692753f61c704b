"""Odd-but-valid CRM values scored end to end: quality gate (typed layer, quarantine) → dbt → output gate.

Emails with a BOM, zero-width space, NBSP, Unicode local part or IDN domain; a job title in
decomposed Unicode; EU head counts; a company with one bad value. Scored in a database of its
own (`ls_norm`) so the shared scenario warehouse is not touched.
"""
from __future__ import annotations

import unicodedata

import pytest

from leadscore import warehouse
from leadscore.quality import validate_inputs
from leadscore.quality.reconcile import reconcile
from leadscore.scoring.dbt import run_dbt

from tests.scoring.conftest import own_database
from tests.scoring.fixtures import AS_OF, Dataset

DB = "ls_norm"
EMAILS = {  # contact id → (email as the CRM sends it, as it must be scored)
    "bom": ("\ufeffBom@Example.org", "bom@example.org"),
    "zw": ("zw@example.org\u200b", "zw@example.org"),
    "nbsp": ("\u00a0NBSP@example.org\u00a0", "nbsp@example.org"),
    "idn": ("José@Exämple.com", "josé@xn--exmple-cua.com"),
    "nfd": (unicodedata.normalize("NFD", "zoë@example.org"), "zoë@example.org"),
    "cz": ("reditel@firma.example", "reditel@firma.example"),
}


def _dataset() -> Dataset:
    d = Dataset()
    d.company("co-eu", "Firma s.r.o.", "firma.example", "Software", "1.200", "ten million")
    d.company("co-half", "Half AG", "half.example", "Software", "12.5", "€1,2 M")
    for cid, (email, _) in EMAILS.items():
        d.contact(cid, email, title="Marketing Specialist", company_id="co-eu")
        d.form(cid, "webinar_registration", 3)
    d.email_event("\ufeffBOM@example.org", "click", 2)      # the activity side is dirty too
    d.email_event("josé@exämple.com", "click", 2)
    d.contact("nfc-title", "nfc@firma.example", title="Ředitel obchodu", company_id="co-eu")
    d.contact("nfd-title", "nfd@firma.example", title=unicodedata.normalize("NFD", "Ředitel obchodu"),
              company_id="co-eu")
    d.contact("half", "half@half.example", title="Analyst", company_id="co-half")
    d.contact("bad", "ada@exa_mple.com", title="CEO")       # cannot be normalised: quarantined, not scored
    return d


@pytest.fixture(scope="module")
def scored_norm(scoring_home):
    with own_database(DB) as p:
        with warehouse.connect(p=p) as conn:
            _dataset().land(conn)
        inputs = validate_inputs("norm", force=True, as_of=AS_OF)
        run_dbt(["build", "--exclude", "resource_type:snapshot"], as_of=AS_OF.isoformat())
        with warehouse.connect(p=p, autocommit=True) as conn:
            yield inputs, conn


def _rows(conn, query: str, params=None) -> list[dict]:
    cur = conn.execute(query, params)
    return [dict(zip([c.name for c in cur.description], r)) for r in cur.fetchall()]


def test_no_lead_is_scored_without_its_email(scored_norm):
    _, conn = scored_norm
    assert _rows(conn, "select crm_id from marts.lead_scores where email is null") == []
    emails = {r["crm_id"]: r["email"] for r in _rows(conn, "select crm_id, email from marts.lead_scores")}
    assert {cid: emails.get(cid) for cid in EMAILS} == {cid: clean for cid, (_, clean) in EMAILS.items()}
    assert "bad" not in emails
    reasons = _rows(conn, "select reason from quality.quarantined_records where record_id = 'bad'")
    assert reasons and "malformed" in reasons[0]["reason"]


def test_dirty_email_activity_is_matched_to_its_lead(scored_norm):
    _, conn = scored_norm
    for cid in ("bom", "idn"):
        factors = _rows(conn, """select f.factor from marts.lead_score_factors f
                                 join marts.lead_scores s using (lead_id) where s.crm_id = %s""", (cid,))
        assert any("click" in r["factor"] for r in factors), (cid, factors)


def test_nfd_title_gets_its_seniority_points(scored_norm):
    _, conn = scored_norm
    rows = {r["crm_id"]: r for r in _rows(conn, """
        select s.crm_id, s.fit_score, s.job_title,
               exists (select 1 from marts.lead_score_factors f where f.lead_id = s.lead_id
                       and f.factor = 'senior_title') as senior
        from marts.lead_scores s where s.crm_id in ('nfc-title', 'nfd-title')""")}
    assert rows["nfd-title"]["senior"] and rows["nfc-title"]["senior"]
    assert rows["nfd-title"]["fit_score"] == rows["nfc-title"]["fit_score"]
    assert rows["nfd-title"]["job_title"] == "Ředitel obchodu"


def test_a_bad_company_value_is_quarantined_not_the_company(scored_norm):
    _, conn = scored_norm
    eu = _rows(conn, "select industry, employees, annual_revenue from intermediate.int_leads_joined "
                     "where crm_id = 'bom'")[0]
    assert (eu["industry"], eu["employees"], eu["annual_revenue"]) == ("software", 1200, None)
    half = _rows(conn, "select industry, employees, annual_revenue from intermediate.int_leads_joined "
                       "where crm_id = 'half'")[0]
    assert (half["industry"], half["employees"], half["annual_revenue"]) == ("software", None, 1200000)
    levels = _rows(conn, "select record_id, expectation, level from quality.quarantine "
                         "where stream = 'hubspot_companies' order by record_id")
    assert levels == [{"record_id": "co-eu", "expectation": "annual_revenue_valid", "level": "value"},
                      {"record_id": "co-half", "expectation": "employees_valid", "level": "value"}]


def test_loaded_equals_scored_plus_quarantined_with_value_quarantines(scored_norm):
    """Against the real staging views (reconcile.STAGING): value quarantines lose no row."""
    _, conn = scored_norm
    recon = reconcile(conn, ["hubspot_contacts", "hubspot_companies"])
    assert all(r.checked and r.balanced for r in recon.values()), [r.line() for r in recon.values()]
    companies, contacts = recon["hubspot_companies"], recon["hubspot_contacts"]
    assert (companies.loaded, companies.passed, companies.quarantined) == (2, 2, 0)
    assert (contacts.loaded, contacts.passed, contacts.quarantined) == (len(EMAILS) + 4, len(EMAILS) + 3, 1)
