"""The run summary: "N contacts → M leads" adds up on screen, hottest leads follow priority_rank."""
from __future__ import annotations

import pytest
from rich.console import Console

from leadscore.pipeline import build_summary
from leadscore.report import render_summary

from tests.scoring.conftest import fetch
from tests.scoring.fixtures import scenario_dataset

pytestmark = pytest.mark.usefixtures("scored")


def test_contacts_minus_quarantined_archived_and_folded_are_the_leads():
    contacts = len(scenario_dataset().rows["hubspot_contacts"])
    f = build_summary("test").funnel
    # the scenario: `quar` quarantined, `arch` archived, dup1+dup2 share an email, m2 merged into m1
    assert (f["contacts"], f["quarantined"], f["archived"], f["folded"]) == (contacts, 1, 1, 2)
    assert f["leads"] == fetch("select count(*) as n from marts.lead_scores")[0]["n"] == contacts - 4
    assert f["unaccounted"] == 0
    assert f["quarantined_by_rule"] == [{"rule": "expect_valid_email", "reason": "test", "records": 1}]


def test_the_printed_funnel_adds_up():
    s = build_summary("test")
    console = Console(width=200, record=True)
    console.print(render_summary(s))
    rows = {line.split("│")[0].strip(): int(line.split("│")[1].replace(",", ""))
            for line in console.export_text().splitlines() if "│" in line and line.split("│")[1].strip().replace(",", "").isdigit()}
    assert rows["contacts loaded from the CRM"] - rows["− quarantined (not scored)"] \
        - rows["− archived in the CRM (no active contact left)"] \
        - rows["− folded into another lead (CRM merge or shared email)"] == rows["= leads scored"]


def test_hottest_leads_follow_priority_rank():
    hottest = build_summary("test", top=5).hottest
    ranked = fetch("select email from marts.lead_scores order by priority_rank limit 5")
    assert [h["email"] for h in hottest] == [r["email"] for r in ranked]
    assert [h["priority_rank"] for h in hottest] == [1, 2, 3, 4, 5]
