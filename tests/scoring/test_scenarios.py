"""The scenarios of the scoring issue, scored with the default rules in one dbt build."""
from __future__ import annotations

import pytest

from tests.scoring.conftest import fetch, lead

pytestmark = pytest.mark.usefixtures("scored")


def test_software_lead_with_ebook_opens_and_pricing_is_mql():
    row = lead("s1")
    assert row["tier"] == "mql", row["tier_reasons"]
    assert row["email"] == "s1@softco.example"
    assert row["company_name"] == "SoftCo s.r.o."


def test_event_registration_then_case_study_is_sql():
    row = lead("s2")
    assert row["tier"] == "sql"
    assert "event_then_case_study" in row["tier_reasons"]


def test_form_without_company_is_lowest_priority_nurture():
    row = lead("s3")
    assert row["tier"] == "nurture"
    assert row["company_name"] is None
    assert row["grade"] == "D3"
    worst = fetch("""select max(priority_rank) as r from marts.lead_scores
                     where crm_id in ('s1', 's2', 's3', 's4', 's5', 'old')""")[0]["r"]
    assert row["priority_rank"] == worst


def test_activity_company_and_position_over_thresholds_is_mql():
    row = lead("s4")
    assert row["tier"] == "mql", row["tier_reasons"]
    assert row["bant_authority"] and row["bant_met"] < 3


def test_three_of_four_bant_is_sql():
    row = lead("s5")
    assert row["bant_met"] == 3 and row["bant_qualified"]
    assert (row["bant_budget"], row["bant_authority"], row["bant_need"], row["bant_timing"]) == (True, True, False, True)
    assert row["tier"] == "sql"
    assert "BANT 3 of 4" in row["tier_reasons"]


def test_year_old_engagement_has_decayed_to_nurture():
    row = lead("old")
    assert row["fit_grade"] == "A"
    assert row["engagement_score"] < 0.1
    assert row["tier"] == "nurture"


def test_competitor_is_disqualified_however_active():
    row = lead("comp")
    assert row["engagement_score"] == 100
    assert row["tier"] == "disqualified"
    assert "competitor_domain" in row["tier_reasons"]


def test_duplicates_merges_archived_and_quarantined_contacts():
    dup = lead("dup1")
    assert dup["email"] == "dup@example.org"
    assert fetch("select count(*) as n from marts.lead_scores where email = 'dup@example.org'")[0]["n"] == 1
    call = fetch("""select f.* from marts.lead_score_factors f where f.lead_id = %s and f.factor = 'crm_call'""",
                 (dup["lead_id"],))
    assert len(call) == 1 and call[0]["detail"].startswith("1×"), "a call on two contacts of one lead counts once"
    pages = fetch("select detail from marts.lead_score_factors where lead_id = %s and factor = 'page_product'",
                  (dup["lead_id"],))
    assert pages and pages[0]["detail"].startswith("2×")
    merged = lead("m1")
    assert fetch("select 1 from marts.lead_score_factors where lead_id = %s and factor = 'page_case_study'",
                 (merged["lead_id"],))
    assert not fetch("select 1 from marts.lead_scores where crm_id in ('m2', 'arch', 'quar')")


def test_penalties_and_future_activity():
    row = lead("stud")
    factors = {r["factor"]: r for r in fetch("select * from marts.lead_score_factors where lead_id = %s",
                                             (row["lead_id"],))}
    for name in ("free_mail_domain", "student_role", "email_unsubscribe", "email_hard_bounce"):
        assert factors[name]["category"] == "penalty" and factors[name]["points"] < 0
    assert "demo_request" not in factors, "a future-dated demo request must not count"
    assert row["tier"] == "nurture"


def test_factor_sums_equal_scores_exactly():
    bad = fetch("""
        select s.lead_id, s.fit_score, s.engagement_score, s.total_score,
               coalesce(sum(f.points) filter (where f.score_component = 'fit'), 0) as fit_sum,
               coalesce(sum(f.points) filter (where f.score_component = 'engagement'), 0) as eng_sum,
               coalesce(sum(f.points), 0) as total_sum
        from marts.lead_scores s left join marts.lead_score_factors f on f.lead_id = s.lead_id
        group by 1, 2, 3, 4
        having abs(s.fit_score - coalesce(sum(f.points) filter (where f.score_component = 'fit'), 0)) > 1e-9
            or abs(s.engagement_score - coalesce(sum(f.points) filter (where f.score_component = 'engagement'), 0)) > 1e-9
            or abs(s.total_score - coalesce(sum(f.points), 0)) > 1e-9""")
    assert bad == []
    clamp = fetch("select count(*) as n from marts.lead_score_factors where factor = 'engagement_clamp'")[0]["n"]
    assert clamp >= 1, "the competitor's engagement is clamped at 100 by an explicit factor row"


def test_scores_in_range_and_versions_present():
    rows = fetch("select * from marts.lead_scores")
    assert len(rows) == 10
    for r in rows:
        assert 0 <= r["fit_score"] <= 100 and 0 <= r["engagement_score"] <= 100
        assert r["grade"] == f"{r['fit_grade']}{r['engagement_level']}"
        assert r["rules_version"].startswith("1-")


def test_tier_conversion_and_history():
    rows = fetch("select * from marts.tier_conversion where dimension = 'tier'")
    assert sum(r["leads"] for r in rows) == 10
    hist = fetch("select count(*) as n from marts.lead_tier_history")[0]["n"]
    assert hist == 10
