"""Point-in-time backtests on a hand-made history whose every outcome is known.

NOW is the newest data (the daily scoring time); D = NOW − 120 days is the backtest date with a
90-day horizon. Leads (all at the same well-fitting company):
  won      demo request at D−10 (sql at D); a deal created D+5, won D+30  → a converter in the horizon
  late     no activity; a deal won at D+100                              → converts after the horizon
  before   a deal won at D−20                                           → a customer at D: not a lead
  open     a deal created D−5, still open                               → in_pipeline at D and now
  newborn  created at D+10                                              → does not exist at D
  after    demo request at D+5 only                                     → at D it has done nothing yet
  undated  lifecycle stage customer today, no date, no deal             → left out of every figure
  lost     its only deal lost at D−20, the CRM left it at opportunity    → a lead again at D
"""
from __future__ import annotations

from datetime import timedelta

import pytest
import yaml

from leadscore import warehouse
from leadscore.backtest.engine import backtest_dates, run_backtest, tier_changes_today
from leadscore.errors import ConfigError
from leadscore.model import thresholds
from leadscore.quality import load_thresholds, tier_sanity
from leadscore.scoring.rules import default_path
from tests.backtest.conftest import rows, scored_history
from tests.scoring.fixtures import Dataset

NOW_DS = Dataset()
NOW = NOW_DS.as_of
D = NOW - timedelta(days=120)
DAYS_D = 120  # days before NOW


def build() -> Dataset:
    d = Dataset()
    d.pipeline()
    d.company("co", "SoftCo s.r.o.", "softco.example", "Software", "300", "20000000")
    d.contact("won", "won@softco.example", title="CEO", company_id="co", created_days_ago=300,
              lifecyclestage="customer", stage_days_ago={"lead": 300, "customer": DAYS_D - 30})
    d.form("won", "demo_request", DAYS_D + 10)
    d.deal(["won"], created_days_ago=DAYS_D - 5, close_days_ago=DAYS_D - 30)
    d.contact("late", "late@softco.example", title="CTO", company_id="co", created_days_ago=300,
              lifecyclestage="customer", stage_days_ago={"lead": 300, "customer": DAYS_D - 100})
    d.deal(["late"], created_days_ago=DAYS_D - 60, close_days_ago=DAYS_D - 100)
    d.contact("before", "before@softco.example", title="CFO", company_id="co", created_days_ago=300,
              lifecyclestage="customer", stage_days_ago={"lead": 300, "customer": DAYS_D + 20})
    d.form("before", "demo_request", DAYS_D + 40)
    d.deal(["before"], created_days_ago=DAYS_D + 60, close_days_ago=DAYS_D + 20)
    d.contact("open", "open@softco.example", title="Head of Sales", company_id="co", created_days_ago=300,
              lifecyclestage="opportunity", stage_days_ago={"lead": 300, "opportunity": DAYS_D + 5})
    d.form("open", "demo_request", DAYS_D + 8)
    d.deal(["open"], created_days_ago=DAYS_D + 5, stage="contractsent", close_days_ago=-30)
    d.contact("newborn", "newborn@softco.example", title="CEO", company_id="co", created_days_ago=DAYS_D - 10)
    d.form("newborn", "demo_request", DAYS_D - 12)
    d.contact("after", "after@softco.example", title="Director", company_id="co", created_days_ago=300)
    d.form("after", "demo_request", DAYS_D - 5)
    d.contact("undated", "undated@softco.example", title="Owner", company_id="co", created_days_ago=300,
              lifecyclestage="customer")
    d.contact("lost", "lost@softco.example", title="Analyst", company_id="co", created_days_ago=300,
              lifecyclestage="opportunity", stage_days_ago={"lead": 300, "opportunity": DAYS_D + 40})
    d.deal(["lost"], created_days_ago=DAYS_D + 40, stage="closedlost", close_days_ago=DAYS_D + 20)
    for i in range(6):  # leads that never convert
        d.contact(f"n{i}", f"n{i}@softco.example", title="Analyst", company_id="co", created_days_ago=300)
        d.page(f"n{i}", "/blog/post", DAYS_D + 3 + i)
    return d


@pytest.fixture(scope="module")
def history():
    """A warehouse of its own, the history landed and scored at NOW as the daily run does."""
    with scored_history(build(), NOW, "backtest") as home:
        yield home


def tiers(schema: str) -> dict[str, str]:
    return dict(rows(f"select crm_id, tier from {schema}.lead_scores"))


@pytest.fixture(scope="module")
def at_d(history):
    run = run_backtest([D], 90)
    return run, tiers("backtest_current")


def test_outcomes_come_from_deals_and_lifecycle_dates(history):
    got = {crm: (src, at) for crm, src, at in rows(
        "select crm_id, conversion_source, converted_at from marts.lead_outcomes where converted_at is not null")}
    assert set(got) == {"won", "late", "before"}
    assert got["won"] == ("closed_won_deal", D + timedelta(days=30))
    assert rows("select is_converted_undated from marts.lead_outcomes where crm_id = 'undated'") == [(True,)]


def test_customers_and_open_deals_are_never_sql_today(history):
    today = tiers("marts")
    assert today["won"] == today["late"] == today["before"] == today["undated"] == "customer"
    assert today["open"] == "in_pipeline" and today["lost"] not in ("customer", "in_pipeline")
    reasons = dict(rows("select crm_id, tier_reasons from marts.lead_scores"))
    assert reasons["open"] == "in pipeline: 1 open deal"
    assert reasons["won"] == f"customer since {(D + timedelta(days=30)).date()}"


def test_each_lead_stands_as_it_did_at_the_date(at_d):
    _, at = at_d
    assert at["won"] == "sql"                      # its demo request, nothing of its deal yet
    assert at["before"] == "customer"              # converted before the date
    assert at["open"] == "in_pipeline"             # a deal open at the date
    assert "newborn" not in at                     # created after the date
    assert at["after"] not in ("sql", "customer")  # its demo request came after the date
    assert at["late"] not in ("customer", "in_pipeline")
    assert at["lost"] not in ("customer", "in_pipeline")  # its deal was lost: a lead again


def test_figures_count_only_conversions_in_the_horizon_among_leads(at_d):
    run, _ = at_d
    result = run.dates[0]
    overall = result.row("overall", "all")
    # won, late, after, lost, n0..n5 could still convert; before (customer), open (pipeline),
    # newborn (not yet created) and undated (no date) are out
    assert overall["leads"] == 10
    assert overall["converted"] == 1               # won; late converts after the horizon
    sql = result.row("tier", "sql")
    assert (sql["leads"], sql["converted"]) == (1, 1)
    assert sql["lift"] == pytest.approx(10.0)
    assert result.metric("sql_precision") == 1.0 and result.metric("sql_recall") == 1.0
    assert result.metric("auc_total_score") == pytest.approx(1.0)
    excluded = {r["value"]: r["leads"] for r in result.rows if r["dimension"] == "excluded"}
    assert excluded == {"customer": 2, "in_pipeline": 1}   # before, undated; open
    stored = rows("select count(*), min(horizon_days) from marts.score_backtests where backtest_id = %s",
                  (run.backtest_id,))
    assert stored == [(len(result.rows), 90)]


def test_the_rules_gate_cells_hold_the_mql_and_nurture_leads_by_fit_and_engagement(at_d):
    run, at = at_d
    gate = thresholds.load_gate_cells(run.backtest_id)
    assert gate.overall == (10, 1) and gate.sql == (1, 1) and gate.dates == [D]
    scores = dict((crm, (fit, eng)) for crm, fit, eng in rows(
        "select crm_id, fit_score, engagement_score from backtest_current.lead_scores where tier in ('mql', 'nurture')"))
    assert sum(c.leads for c in gate.cells) == len(scores) == sum(t in ("mql", "nurture") for t in at.values())
    expected = {}
    for fit, eng in scores.values():
        key = (int(fit // 10 * 10), int(eng // 10 * 10))
        expected[key] = expected.get(key, 0) + 1
    assert {(c.fit, c.engagement): c.leads for c in gate.cells} == expected


def test_the_output_gate_judges_a_backtest_of_the_rules_today_s_scores_use(at_d):
    """The backtest stores the rules version as marts.lead_scores shows it, so the output gate's
    tier sanity judges it rather than skipping it as other rules (ten leads: every tier too small)."""
    run, _ = at_d
    with warehouse.connect() as conn:
        sanity = tier_sanity.check(conn, load_thresholds())
    assert (sanity.status, sanity.backtest_id) == ("passed", run.backtest_id), sanity.line
    assert sanity.rules_version == rows("select distinct rules_version from marts.lead_scores")[0][0]
    assert sanity.line.endswith("mql too small to judge (0 leads, 0 converted); sql too small to judge (1 lead, 1 converted)")


def test_activity_after_the_date_changes_nothing(at_d):
    run, before = at_d
    snapshot = rows("select lead_id, tier, fit_score, engagement_score from backtest_current.lead_scores order by 1")
    extra = Dataset()
    extra._n = 1000  # ids of their own: the same id would replace a record of the history
    extra.form("won", "contact_sales", DAYS_D - 1)        # the day after D
    extra.page("n0", "/pricing", DAYS_D - 2)
    extra.deal(["n1"], created_days_ago=DAYS_D - 3, stage="closedlost", close_days_ago=DAYS_D - 50)
    with warehouse.connect() as conn:
        extra.land(conn, run_id="later")
    again = run_backtest([D], 90)
    assert rows("select lead_id, tier, fit_score, engagement_score from backtest_current.lead_scores order by 1") == snapshot
    assert again.dates[0].row("overall", "all") == run.dates[0].row("overall", "all")


def test_the_daily_state_is_not_touched(at_d):
    """The backtest builds in its own schema: the daily marts still hold the scores at NOW."""
    assert rows("select distinct scored_at from marts.lead_scores") == [(NOW,)]
    assert rows("select count(*) from intermediate.int_lead_activities_accumulated_runs") == \
        rows("select count(*) from intermediate.int_lead_activities_accumulated_runs where as_of = %s", (NOW,))


def test_a_candidate_rules_file_moves_tiers_and_says_how_many(at_d, tmp_path):
    rules = yaml.safe_load(default_path().read_text(encoding="utf-8"))
    rules["tiers"]["mql"] = {"min_fit": 0, "min_engagement": 0}   # every lead not sql is mql
    candidate = tmp_path / "candidate.yml"
    candidate.write_text(yaml.safe_dump(rules, allow_unicode=True), encoding="utf-8")
    run = run_backtest([D], 90, rules_file=candidate, label="candidate")
    assert run.rules_version != at_d[0].rules_version
    assert run.dates[0].row("tier", "nurture") is None
    changes = tier_changes_today(candidate, NOW)
    assert changes.changed > 0 and changes.moves.get(("nurture", "mql"), 0) == changes.changed


def test_a_date_whose_horizon_has_not_passed_is_refused():
    with pytest.raises(ConfigError, match="its conversions are not known yet"):
        backtest_dates(NOW - timedelta(days=30), 90, now=NOW)
    dates = backtest_dates(None, 90, every_days=30, start=NOW - timedelta(days=200), end=NOW - timedelta(days=90), now=NOW)
    assert [d.date() for d in dates] == [(NOW - timedelta(days=n)).date() for n in (200, 170, 140, 110)]
