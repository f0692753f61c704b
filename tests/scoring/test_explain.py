"""`explain`: lookup by email / CRM id, the factor table, unknown leads."""
from __future__ import annotations

from datetime import timedelta

import pytest
from rich.console import Console

from leadscore import warehouse
from leadscore.errors import LeadscoreError
from leadscore.model import fit, store
from leadscore.scoring.dbt import run_dbt
from leadscore.scoring.explain import explain, render_explanation

from tests.scoring.fixtures import AS_OF

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


# ---- the conversion model: probability, top terms, and the reverse sync's view of it -------------------

MODEL_META = {"rules_version": "test", "horizon_days": 90, "training_from": AS_OF - timedelta(days=365),
              "training_to": AS_OF - timedelta(days=90), "training_dates": 10, "training_rows": 1000,
              "training_positives": 30, "validated_on": AS_OF - timedelta(days=60),
              "tested_on": AS_OF - timedelta(days=30), "regularisation_c": 1.0, "calibration_a": 1.0,
              "calibration_b": 0.0, "negative_sample_share": 1.0, "validation_auc": 0.7, "validation_pr_auc": 0.1,
              "validation_brier": 0.03, "validation_baseline_rate": 0.03, "rules_auc": 0.6, "heldout_sql_share": 0.05,
              "heldout_sql_lift": 3.0, "heldout_mql_lift": 1.5, "heldout_nurture_lift": 0.5}
TERMS = [fit.Term("signal_budget", None, 1.2, 0.0, 1.0, 1.2), fit.Term("industry", "software", 0.8, 0.0, 1.0, 0.8),
         fit.Term("title_seniority", "senior", 0.5, 0.0, 1.0, 0.5), fit.Term("activity_email_open", None, 0.3, 0.0, 1.0, 0.3),
         fit.Term("active_last_30d", None, 0.4, 0.0, 1.0, 0.4), fit.Term("active_last_90d", None, -0.2, 0.0, 1.0, -0.2),
         fit.Term("activity_page_pricing", None, 0.6, 0.0, 1.0, 0.6)]


def rescore() -> None:
    run_dbt(["--quiet", "run", "--select", "int_lead_signals_evaluated", "lead_scores", "lead_score_factors"], as_of=AS_OF.isoformat())


@pytest.fixture(scope="module")
def conversion_model(scored):
    """A model stored as `leadscore train` would, the marts rescored; dropped and rescored after,
    so the other tests keep reading a warehouse without one."""
    with warehouse.connect() as conn:
        store.save(conn, "test-1", fit.Fitted(intercept=-3.0, terms=TERMS, c=1.0), MODEL_META)
    rescore()
    yield "test-1"
    with warehouse.connect() as conn:
        conn.execute("drop table marts.conversion_model_coefficients, marts.conversion_model")
    rescore()


def test_without_a_model_explain_says_so_in_one_line():
    expl = explain("s1")
    assert expl.conversion_probability is None and expl.model_terms == []
    console = Console(width=160, record=True)
    console.print(render_explanation(expl))
    lines = [l for l in console.export_text().splitlines() if "conversion model" in l]
    assert len(lines) == 1 and "no conversion model is trained yet (`leadscore train`)" in lines[0]


def test_explain_shows_the_probability_and_the_terms_that_moved_it_most(conversion_model):
    expl = explain("s5")
    assert expl.model_version == "test-1" and 0 < expl.conversion_probability < 1
    assert expl.predicted_score == round(100 * expl.conversion_probability, 1)
    assert abs(expl.model_sum() - expl.conversion_logit) < 1e-9   # every term, intercept included
    assert expl.intercept == -3.0 and abs(expl.factor_sum() - expl.total_score) < 1e-9  # model rows carry no points
    top = expl.top_model_terms()
    sizes = [abs(t.logit_contribution) for t in top]
    assert 0 < len(top) <= 5 and sizes == sorted(sizes, reverse=True)
    assert "(intercept)" not in {t.factor for t in top} and "signal_budget" in {t.factor for t in top}
    assert all(f.category != "model" for f in expl.factors)

    console = Console(width=200, record=True)
    console.print(render_explanation(expl))
    text = console.export_text()
    assert f"conversion probability {expl.predicted_score:.1f}% (model test-1" in text
    assert "signal_budget = 1" in text and "+1.200" in text
    assert f"= logit {expl.conversion_logit:+.3f}" in text and "no conversion model" not in text


def test_explain_names_only_the_top_five_terms_and_sums_the_rest(conversion_model):
    expl = explain("comp")  # a lead every one of the seven terms applies to
    features = [t for t in expl.model_terms if t.factor != "(intercept)"]
    assert len(features) == 7 and len(expl.top_model_terms()) == 5
    console = Console(width=200, record=True)
    console.print(render_explanation(expl))
    text = console.export_text()
    rest = sum(t.logit_contribution for t in features[5:])
    assert f"+ 2 other terms {rest:+.3f} = logit {expl.conversion_logit:+.3f}" in text
    assert all(t.factor in text for t in features[:5]) and features[6].factor not in text


def test_the_sync_sends_the_probability_explain_shows(conversion_model):
    """The reverse sync reads the real mart's columns: each lead's property is its predicted_score."""
    from leadscore.sync.mapping import map_lead
    from leadscore.sync.state import load_source

    with warehouse.connect() as conn:
        rows = load_source(conn, "marts.lead_scores")
    assert rows and all(r["predicted_score"] is not None for r in rows)
    expl = explain("s5")
    lead = next(r for r in rows if r["lead_id"] == expl.lead_id)
    assert map_lead(lead).payload["leadscore_conversion_probability"] == f"{expl.predicted_score:.1f}".rstrip("0").rstrip(".")
