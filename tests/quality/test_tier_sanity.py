"""Tier sanity in the output gate: the newest backtest of the current rules says whether `mql`
and `sql` convert above the baseline; a miss warns in the report, the log, the recorded run and
the run summary, and never blocks the run."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

import pytest
from rich.console import Console

from leadscore import warehouse
from leadscore.backtest import store
from leadscore.pipeline import build_summary
from leadscore.quality import validate_outputs
from leadscore.quality.tier_sanity import _times
from leadscore.report import render_summary

from . import factory as f
from .conftest import load, reset, scores, write_scores

STREAMS = ["hubspot_contacts", "hubspot_calls"]
VERSION = "3-0123456789ab"
AS_OF = datetime(2026, 9, 5, tzinfo=timezone.utc)
REVIEW = "review the tiers with `leadscore backtest --rules candidate.yml` or `leadscore recommend-thresholds`"


@pytest.fixture
def scored(wh):
    """Today's scores made with rules VERSION (with the columns the run summary reads), no backtest yet."""
    with warehouse.connect() as conn:
        reset(conn)
        data = f.baseline(100)
        load(conn, {s: data[s] for s in STREAMS})
        write_scores(conn, scores(100))
        conn.execute("alter table marts.lead_scores add column rules_version text, add column priority_rank int,"
                     " add column company_name text, add column tier_reasons text")
        conn.execute("update marts.lead_scores set rules_version = %s, priority_rank = lead_id::int", (VERSION,))


def backtest(backtest_id: str, tiers: dict[str, tuple[int, int]], *, as_of: datetime = AS_OF,
             version: str = VERSION, overall: tuple[int, int] = (10_000, 160), label: str = "current") -> None:
    """One date of a backtest as `leadscore backtest` stores it: {tier: (leads, converted)}
    against an overall population whose rate is the baseline."""
    baseline = overall[1] / overall[0]
    rows = [{"dimension": "overall", "value": "all", "leads": overall[0], "converted": overall[1],
             "conversion_rate": baseline, "baseline_rate": baseline, "lift": 1.0}]
    rows += [{"dimension": "tier", "value": tier, "leads": leads, "converted": converted,
              "conversion_rate": converted / leads, "baseline_rate": baseline, "lift": converted / leads / baseline}
             for tier, (leads, converted) in tiers.items()]
    with warehouse.connect() as conn:
        store.ensure_table(conn)
        store.save(conn, backtest_id, label, 90, as_of, [
            {"share_of_leads": None, "share_of_converters": None, "metric_value": None, "rules_version": version, **r}
            for r in rows])


def recorded(run_id: str) -> dict:
    with warehouse.connect() as conn:
        return conn.execute("select statistics from quality.validation_runs where run_id = %s and suite = "
                            "'marts_lead_scores'", (run_id,)).fetchone()[0]


BAD = {"mql": (1_000, 11), "sql": (1_000, 29), "nurture": (8_000, 120)}    # baseline 1.6 %: mql 0.7×, sql 1.8×
GOOD = {"mql": (1_000, 48), "sql": (1_000, 59), "nurture": (8_000, 53)}    # mql 3.0×, sql 3.7×
BAD_LINE = ("tier sanity (backtest bt-bad as of 2026-09-05, 90 days): mql converted 1.1 % against a baseline of "
            "1.6 % (0.7×, below 1×); sql 2.9 % (1.8×, below 2×) — " + REVIEW)


def test_a_bad_backtest_warns_with_its_figures_and_does_not_block_the_run(scored, caplog):
    backtest("bt-bad", BAD)
    with caplog.at_level(logging.INFO, logger="leadscore.quality.validate"):
        report = validate_outputs("ts-bad")        # not forced: a warning must not raise
    assert report.success and not report.critical_failures
    assert report.warnings == [BAD_LINE]
    assert report.summary_line().count("WARNING " + BAD_LINE) == 1
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING] == [BAD_LINE]
    stats = recorded("ts-bad")
    assert stats["warnings"] == [BAD_LINE]
    assert stats["tier_sanity"]["status"] == "warning"
    assert {t["tier"]: (t["leads"], t["converted"], t["verdict"]) for t in stats["tier_sanity"]["tiers"]} == {
        "mql": (1_000, 11, "below"), "sql": (1_000, 29, "below")}
    summary = build_summary("ts-bad")
    assert "WARNING " + BAD_LINE in summary.lines()
    console = Console(width=1000, record=True)
    console.print(render_summary(summary))
    assert "Warning: " + BAD_LINE in console.export_text()


def test_a_good_backtest_passes_quietly(scored, caplog):
    backtest("bt-good", GOOD)
    with caplog.at_level(logging.INFO, logger="leadscore.quality.validate"):
        report = validate_outputs("ts-good")
    assert report.success and report.warnings == [] and "WARNING" not in report.summary_line()
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert ("tier sanity (backtest bt-good as of 2026-09-05, 90 days): mql converted 4.8 % against a baseline of "
            "1.6 % (3.0×); sql 5.9 % (3.7×)") in caplog.messages
    assert recorded("ts-good")["tier_sanity"]["status"] == "passed"
    assert recorded("ts-good")["warnings"] == []
    assert not [line for line in build_summary("ts-good").lines() if "WARNING" in line]


def test_only_the_newest_backtest_and_its_newest_date_are_judged(scored):
    backtest("bt-old", GOOD)
    backtest("bt-new", BAD, as_of=AS_OF - timedelta(days=30))    # an older date of the newest backtest: bad
    backtest("bt-new", GOOD)                                      # its newest date: good
    report = validate_outputs("ts-newest")
    assert report.warnings == []
    assert recorded("ts-newest")["tier_sanity"]["backtest_id"] == "bt-new"
    backtest("bt-newer", BAD)
    assert validate_outputs("ts-newer").warnings == [BAD_LINE.replace("bt-bad", "bt-newer")]


def test_a_backtest_of_other_rules_is_skipped_in_one_line(scored, caplog):
    backtest("bt-other", BAD, version="2-fedcba987654")
    with caplog.at_level(logging.INFO, logger="leadscore.quality.validate"):
        report = validate_outputs("ts-other")
    assert report.success and report.warnings == []
    skip = [m for m in caplog.messages if m.startswith("tier sanity")]
    assert skip == [f"tier sanity skipped: the newest backtest (bt-other) judged rules 2-fedcba987654, today's "
                    f"scores use {VERSION}; run `leadscore backtest` to judge these rules"]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert recorded("ts-other")["tier_sanity"]["status"] == "skipped"


@pytest.mark.parametrize("what", ["no table", "only a candidate"])
def test_no_backtest_of_the_current_rules_is_skipped_in_one_line(scored, caplog, what):
    if what == "only a candidate":
        backtest("bt-candidate", BAD, label="candidate")
    with caplog.at_level(logging.INFO, logger="leadscore.quality.validate"):
        report = validate_outputs("ts-none")
    assert report.success and report.warnings == []
    assert [m for m in caplog.messages if m.startswith("tier sanity")] == [
        "tier sanity skipped: no backtest yet (run `leadscore backtest`, or wait for the weekly "
        "lead_scoring_backtest DAG)"]
    assert recorded("ts-none")["tier_sanity"]["status"] == "skipped"


def test_small_tiers_are_named_not_judged_but_a_large_tier_that_converted_none_warns(scored):
    # mql: 20 leads, none converted: too few to tell a bad tier from bad luck
    # sql: 400 leads, none converted where 6.4 were expected at the baseline: a real miss
    backtest("bt-small", {"mql": (20, 0), "sql": (400, 0)})
    report = validate_outputs("ts-small")
    assert report.success and report.warnings == [
        "tier sanity (backtest bt-small as of 2026-09-05, 90 days): mql too small to judge (20 leads, 0 converted); "
        "sql converted 0.0 % against a baseline of 1.6 % (0.0×, below 2×) — " + REVIEW]
    # both too small (sql: 200 leads, 3.2 expected at the baseline): no warning on noise
    backtest("bt-tiny", {"mql": (20, 0), "sql": (200, 0)})
    report = validate_outputs("ts-tiny")
    assert report.warnings == []
    assert recorded("ts-tiny")["tier_sanity"]["line"] == (
        "tier sanity (backtest bt-tiny as of 2026-09-05, 90 days): mql too small to judge (20 leads, 0 converted); "
        "sql too small to judge (200 leads, 0 converted)")


def test_a_lift_just_below_its_floor_never_prints_as_the_floor():
    assert (_times(0.96, 1.0), _times(1.96, 2.0), _times(0.7, 1.0), _times(3.04, 2.0)) == (
        "0.96×", "1.96×", "0.7×", "3.0×")
