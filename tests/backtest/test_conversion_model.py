"""The conversion model in the warehouse: scored in SQL from stored coefficients, explained term
by term, point in time in backtests, tiers by probability, and no model from too little history.

The history is test_backtest's (NOW; D = NOW − 120 days): a handful of leads at one company,
one of which converts within 90 days of D. The model is stored by hand (its coefficients are
the test's), except in the too-few-conversions test, which trains for real.
"""
from __future__ import annotations

import math
from datetime import timedelta

import pytest
import yaml

from leadscore import warehouse
from leadscore.backtest.engine import run_backtest, tier_changes_today
from leadscore.model import fit, store
from leadscore.model.train import TooFewConversions, train
from leadscore.scoring.dbt import run_dbt
from leadscore.scoring.rules import default_path
from tests.backtest.conftest import rows, scored_history
from tests.backtest.test_backtest import DAYS_D, D, NOW, build
from tests.scoring.fixtures import Dataset

META = {"rules_version": "test", "horizon_days": 90, "training_from": NOW, "training_to": NOW, "training_dates": 1,
        "training_rows": 1, "training_positives": 1, "validated_on": NOW, "tested_on": NOW, "regularisation_c": 1.0,
        "calibration_a": 1.0, "calibration_b": 0.0, "negative_sample_share": 1.0}
TERMS = [
    fit.Term("title_seniority", "senior", 1.5, 0, 1, 1.5),
    fit.Term("title_seniority", "other", -0.5, 0, 1, -0.5),
    fit.Term("industry", "software", 0.25, 0, 1, 0.25),
    fit.Term("activity_demo_request", None, 2.0, 0, 1, 2.0),
    fit.Term("activity_page_blog", None, 0.7, 0, 1, 0.7),
    fit.Term("active_last_30d", None, 0.4, 0, 1, 0.4),
    fit.Term("signal_authority", None, 0.3, 0, 1, 0.3),
    fit.Term("lead_age_log_days", None, -0.1, 0, 1, -0.1),
    fit.Term("signal_budget", None, 0.0, 0, 1, 0.0),  # zero coefficients: left out of the SQL
    fit.Term("country", "cz", 0.0, 0, 1, 0.0),
]


def store_model(version: str, terms: list[fit.Term], intercept: float = -4.0) -> None:
    with warehouse.connect() as conn:
        store.save(conn, version, fit.Fitted(intercept, terms, c=1.0), META)


def rescore() -> None:
    run_dbt(["--quiet", "run", "--select", "int_lead_signals_evaluated", "lead_scores", "lead_score_factors"], as_of=NOW.isoformat())


@pytest.fixture(scope="module")
def history():
    with scored_history(build(), NOW, "model") as home:
        store_model("test-1", TERMS)
        rescore()
        yield home


def test_too_few_conversions_trains_no_model_and_says_how_many(history):
    with pytest.raises(TooFewConversions) as err:
        train(horizon_days=90, every_days=90, history_days=300)
    line = str(err.value)
    assert "found 0 leads converting within 90 days of the 2 training dates" in line, line
    assert "a model needs at least 100" in line and "scored by the rules only" in line
    assert "\n" not in line
    assert rows("select model_version from marts.conversion_model where status = 'active'") == [("test-1",)]


def test_every_lead_gets_a_probability_from_the_stored_model(history):
    got = rows("select crm_id, conversion_probability, conversion_logit, predicted_score, model_version "
               "from marts.lead_scores")
    assert got and all(v == "test-1" for *_, v in got)
    for crm, p, logit, score, _ in got:
        assert p == pytest.approx(1 / (1 + math.exp(-logit)), rel=1e-12)
        assert score == round(100 * p, 1)
    by_lead = {crm: logit for crm, _, logit, _, _ in got}
    # a CEO with a demo request outranks an analyst who read blog posts
    assert by_lead["won"] > by_lead["n0"]


def test_the_factor_contributions_sum_to_the_logit_for_every_lead(history):
    mismatched = rows(
        "select s.crm_id, s.conversion_logit, f.total from marts.lead_scores as s "
        "join (select lead_id, sum(logit_contribution) as total, count(*) filter (where factor = '(intercept)') as i "
        "      from marts.lead_score_factors where category = 'model' group by lead_id) as f on f.lead_id = s.lead_id "
        "where abs(s.conversion_logit - f.total) > 1e-9 or f.i <> 1")
    assert mismatched == []
    assert rows("select count(*) from marts.lead_scores")[0][0] == rows(
        "select count(distinct lead_id) from marts.lead_score_factors where category = 'model'")[0][0]
    won = dict(rows("select factor, logit_contribution from marts.lead_score_factors f join marts.lead_scores s "
                    "using (lead_id) where s.crm_id = 'won' and f.category = 'model'"))
    assert won["title_seniority"] == 1.5 and won["(intercept)"] == -4.0
    assert won["activity_demo_request"] > 0
    # a zero coefficient adds no term and no factor row
    assert rows("select count(*) from marts.lead_score_factors where category = 'model' "
                "and factor in ('signal_budget', 'country')") == [(0,)]
    # the rules' points are untouched: model rows add none
    assert rows("select count(*) from marts.lead_score_factors where category = 'model' and points <> 0") == [(0,)]


def test_the_prediction_is_point_in_time(history):
    """Activities, deals and leads after the date change nothing of the date's probabilities."""
    query = "select lead_id, conversion_probability from backtest_current.lead_scores order by 1"
    run_backtest([D], 90)
    before = rows(query)
    today_before = dict(rows("select crm_id, conversion_probability from marts.lead_scores"))
    extra = Dataset()
    extra._n = 2000  # ids of their own
    extra.form("n2", "demo_request", DAYS_D - 1)    # the day after D
    extra.page("n3", "/blog/later", DAYS_D - 2)
    extra.contact("later", "later@softco.example", title="CEO", company_id="co", created_days_ago=DAYS_D - 5)
    with warehouse.connect() as conn:
        extra.land(conn, run_id="later")
    run_backtest([D], 90)
    assert rows(query) == before
    # the same data does move today's probability: the test would notice a frozen score
    run_dbt(["--quiet", "run"], as_of=NOW.isoformat())
    today = dict(rows("select crm_id, conversion_probability from marts.lead_scores"))
    assert today["n2"] > today_before["n2"] and "later" in today


def candidate(tmp_path, mode: str, sql: float, mql: float):
    rules = yaml.safe_load(default_path().read_text(encoding="utf-8"))
    rules["tiers"]["mode"] = mode
    rules["tiers"]["predicted"] = {"sql": sql, "mql": mql}
    path = tmp_path / f"{mode}.yml"
    path.write_text(yaml.safe_dump(rules, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize("mode", ["predicted", "hybrid"])
def test_tiers_follow_the_probability_in_predicted_and_hybrid_mode(history, tmp_path, mode):
    sql_t, mql_t = 0.5, 0.02
    tier_changes_today(candidate(tmp_path, mode, sql_t, mql_t), NOW)
    got = rows("select crm_id, tier, conversion_probability, tier_reasons, tier_reasons like 'disqualified:%%' "
               "from backtest_candidate_today.lead_scores where tier not in ('customer', 'in_pipeline')")
    rules_tiers = dict(rows("select crm_id, tier from marts.lead_scores"))
    assert got
    for crm, tier, p, reasons, dq in got:
        if dq:
            assert tier == "disqualified"
        elif mode == "hybrid" and rules_tiers[crm] == "sql" and reasons.startswith("hand-raise"):
            assert tier == "sql"
        else:
            assert tier == ("sql" if p >= sql_t else "mql" if p >= mql_t else "nurture"), (crm, p, tier)
            assert "conversion probability" in reasons
    if mode == "predicted":
        assert {t for _, t, *_ in got} >= {"nurture", "mql"}


def test_a_model_naming_a_feature_the_rules_no_longer_have_is_not_scored(history):
    store_model("test-stale", TERMS + [fit.Term("signal_renamed_away", None, 1.0, 0, 1, 1.0)])
    try:
        rescore()
        assert rows("select count(*), count(conversion_probability), count(model_version) from marts.lead_scores"
                    )[0][1:] == (0, 0)
        assert rows("select count(*) from marts.lead_score_factors where category = 'model'") == [(0,)]
    finally:
        with warehouse.connect() as conn:
            conn.execute("delete from marts.conversion_model where model_version = 'test-stale'")
            conn.execute("update marts.conversion_model set status = 'active' where model_version = 'test-1'")
            conn.commit()
        rescore()
