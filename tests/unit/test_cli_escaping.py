"""Data printed to the terminal is printed as itself: Rich markup in a company name does not
style or crash, ANSI escapes, BEL and other control characters never reach the terminal."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from rich.console import Console

from leadscore.pipeline import RunSummary
from leadscore.report import render_summary, safe_text
from leadscore.scoring.explain import Explanation, Factor, render_explanation

from tests.unit.test_cli_errors import run_cli

HOSTILE = ["[bold]Bold Corp[/bold]", "stray [/] close", "[link=http://evil]x[/link]", "red\x1b[31mALERT\x1b[0m",
           "bell\x07ring", "title\x1b]0;pwned\x07set", "back\bspace\rcarriage", "emoji :smile: code", "c1\x9bm"]
ESCAPE_FREE = ["Bold Corp", "stray [/] close", "redALERT", "bellring", "titleset", "backspace carriage",
               ":smile:", "c1m"]


def _summary() -> RunSummary:
    return RunSummary(
        run_id="r", tiers={"sql": 1},
        hottest=[{"priority_rank": i + 1, "email": h, "company_name": h, "tier": "sql", "grade": h,
                  "total_score": 100, "tier_reasons": h} for i, h in enumerate(HOSTILE)],
        validation=[{"suite": HOSTILE[1], "success": False, "critical_failures": [], "warnings": [HOSTILE[6]]}],
        extracted=[{"stream": HOSTILE[0], "records": 1, "inserted": 1, "updated": 0, "pages": 1, "retries": 0,
                    "rate_limited": 0, "seconds": 1.0, "status": "ok"}],
        sync_line=HOSTILE[3],
        funnel={"contacts": 3, "quarantined": 1, "archived": 0, "folded": 0, "unaccounted": 0, "leads": 2,
                "quarantined_by_rule": [{"rule": HOSTILE[1], "reason": HOSTILE[4], "records": 1}]},
        quarantine=[{"stream": HOSTILE[5], "records": 2, "by_rule": {HOSTILE[0]: 2}}])


def _explanation() -> Explanation:
    return Explanation(
        lead_id="[/]" * 5, crm_id=HOSTILE[3], email=HOSTILE[0], company_name=HOSTILE[1], fit_score=1,
        engagement_score=1, total_score=2, fit_grade="A", engagement_level=1, grade=HOSTILE[4], tier="sql",
        tier_reasons=HOSTILE[2], frameworks={"bant": 1}, scored_at=datetime(2026, 1, 1, tzinfo=timezone.utc),
        rules_version=HOSTILE[5], factors=[Factor("fit", "fit", h, h, 1.0) for h in HOSTILE],
        conversion_probability=0.123, predicted_score=12.3, conversion_logit=-1.0, model_version=HOSTILE[2],
        model_terms=[Factor("model", "probability", h, h, 0.0, -0.1) for h in reversed(HOSTILE)])


def _render(renderable, terminal: bool) -> str:
    console = Console(width=400, force_terminal=terminal, color_system="truecolor" if terminal else None,
                      record=not terminal, file=__import__("io").StringIO())
    console.print(renderable)
    return console.export_text() if not terminal else console.file.getvalue()


@pytest.mark.parametrize("render", [lambda: render_summary(_summary()), lambda: render_explanation(_explanation())],
                         ids=["summary", "explain"])
def test_hostile_strings_print_as_themselves(render):
    plain = _render(render(), terminal=False)
    for text in ESCAPE_FREE + ["[bold]Bold Corp[/bold]", "[link=http://evil]x[/link]"]:
        assert text in plain, text
    assert not any(c in plain for c in "\x1b\x07\x08\x9b")
    styled = _render(render(), terminal=True)
    assert "[bold]Bold Corp[/bold]" in styled  # markup from data is shown, not applied
    assert "\x1b]0;pwned" not in styled and "\x07" not in styled and "\x1b[31mALERT" not in styled
    assert "\x1b]8;" not in styled  # no hyperlink escape made from data


def test_safe_text_keeps_text_and_drops_controls():
    assert safe_text("Škoda [/] \x1b[1mA\x1b[0m\tB\nC\x00").plain == "Škoda [/] A B C"
    assert safe_text(None).plain == ""


def test_an_error_message_with_markup_and_escapes_is_printed_as_text(tmp_path):
    bad = tmp_path / "[/]x[bold]y\x1b[31mz\x07"
    proc = run_cli("demo", "--dataset", str(bad))
    assert proc.returncode == 1 and proc.stderr.strip().count("\n") == 0
    assert "[/]x[bold]yz" in proc.stderr and "\x1b" not in proc.stderr and "\x07" not in proc.stderr
