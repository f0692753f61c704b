"""`explain`: lookup by email / CRM id, the factor table, unknown leads."""
from __future__ import annotations

import pytest
from rich.console import Console

from leadscore.errors import LeadscoreError
from leadscore.scoring.explain import explain, render_explanation

pytestmark = pytest.mark.usefixtures("scored")


def test_explain_by_email_any_case_and_by_crm_id():
    by_email = explain("  S1@SoftCo.Example ")
    by_id = explain("s1")
    assert by_email.lead_id == by_id.lead_id and by_email.tier == "mql"
    assert abs(by_email.factor_sum() - by_email.total_score) < 1e-9
    assert abs(by_email.factor_sum("fit") - by_email.fit_score) < 1e-9
    assert {f.factor for f in by_email.factors} >= {"industry_software", "ebook_download", "email_open", "page_pricing"}


def test_explain_merged_away_id_finds_the_survivor():
    assert explain("m2").crm_id == "m1"


def test_render_shows_tier_factors_and_sum():
    console = Console(width=160, record=True)
    console.print(render_explanation(explain("comp")))
    text = console.export_text()
    assert "DISQUALIFIED" in text and "competitor_domain" in text and "engagement_clamp" in text


def test_render_lists_what_was_seen_but_not_counted():
    expl = explain("out@softco.example")
    assert expl.engagement_score == 0 and dict(expl.unscored) == {"crm_call_outbound": 4, "crm_email_outbound": 4}
    console = Console(width=200, record=True)
    console.print(render_explanation(expl))
    assert "not engagement (0 points by the rules" in console.export_text()
    assert dict(explain("scan").unscored) == {"email_click_scanner": 2}


def test_unknown_lead_is_a_leadscore_error():
    with pytest.raises(LeadscoreError) as err:
        explain("nobody@example.com")
    assert err.value.problem == "no lead with email or CRM id 'nobody@example.com'"
    assert err.value.fix.startswith("check marts.lead_scores")
