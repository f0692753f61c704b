"""Issue 19: the CRM-facing resolution of the scores (LEADSCORE_SYNC_SCORE_STEP)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from leadscore import warehouse
from leadscore.errors import ConfigError
from leadscore.sync.mapping import STEP_01, STEP_ENV, Resolution, map_lead, resolution, sent_fingerprint



def row(**over):
    base = {"lead_id": "L1", "crm_id": "101", "tier": "mql", "fit_score": Decimal("72.54"),
            "engagement_score": Decimal("28.7"), "grade": "B2", "bant_met": 2,
            "tier_reasons": "fit 72.5 >= 40 and engagement 28.7 >= 20", "predicted_score": 12.34,
            "scored_at": dt.datetime(2026, 11, 23, 6, 0, tzinfo=dt.timezone.utc), "lifecyclestage": "lead"}
    return {**base, **over}


STEP_5 = Resolution.parse("5")
CHANGES = Resolution.parse("changes")


def test_scores_and_the_figures_in_the_reasons_are_sent_as_their_band():
    props = map_lead(row(), res=STEP_5).properties
    assert (props["leadscore_fit_score"], props["leadscore_engagement_score"],
            props["leadscore_conversion_probability"]) == ("70", "25", "10")
    assert props["leadscore_reasons"] == "fit 70 >= 40 and engagement 25 >= 20"  # never "20 < 20"
    assert map_lead(row(), res=Resolution.parse("10")).properties["leadscore_engagement_score"] == "20"
    # step 0.1 is the one-decimal rounding the sync always used
    assert map_lead(row(), res=STEP_01).properties["leadscore_fit_score"] == "72.5"
    assert map_lead(row(), res=STEP_01).fingerprint == map_lead(row()).fingerprint


def test_the_fingerprint_moves_only_when_a_band_does():
    day1 = map_lead(row(), res=STEP_5)
    decayed = row(engagement_score=Decimal("25.04"), tier_reasons="fit 72.5 >= 40 and engagement 25.0 >= 20")
    assert map_lead(decayed, res=STEP_5).fingerprint == day1.fingerprint
    crossed = row(engagement_score=Decimal("24.9"), tier_reasons="fit 72.5 >= 40 and engagement 24.9 >= 20")
    assert map_lead(crossed, res=STEP_5).fingerprint != day1.fingerprint
    assert map_lead(decayed, res=STEP_01).fingerprint != map_lead(row(), res=STEP_01).fingerprint


def test_changes_mode_sends_on_tier_grade_stage_or_wording_and_scores_ride_along():
    base = map_lead(row(), res=CHANGES)
    rescored = row(engagement_score=Decimal("21.3"), fit_score=Decimal("60"), predicted_score=3.1,
                   tier_reasons="fit 60.0 >= 40 and engagement 21.3 >= 20")
    assert map_lead(rescored, res=CHANGES).fingerprint == base.fingerprint
    for change in ({"tier": "sql"}, {"grade": "B3"}, {"bant_met": 3},
                   {"tier_reasons": "hand-raise: demo_request (fit 72.5 >= 20)"}):
        assert map_lead(row(**change), res=CHANGES).fingerprint != base.fingerprint, change
    # a tier that moves the lifecycle stage changes the fingerprint too (stage_floor)
    assert map_lead(row(tier="nurture"), res=CHANGES).fingerprint != base.fingerprint
    # when a lead is sent, its scores go along at one decimal
    assert map_lead(row(grade="B3"), res=CHANGES).payload["leadscore_engagement_score"] == "28.7"


@pytest.mark.parametrize("res", [STEP_01, STEP_5, CHANGES])
def test_the_fingerprint_of_what_was_sent_is_the_leads_own(res):
    """`sent_fingerprint` (used when the step setting changes) sees a payload as map_lead does."""
    lead = map_lead(row(), res=res)
    assert sent_fingerprint(lead.crm_id, lead.payload, res) == lead.fingerprint
    fine = map_lead(row(), res=STEP_01)
    assert sent_fingerprint(fine.crm_id, fine.payload, STEP_5) == map_lead(row(), res=STEP_5).fingerprint


@pytest.mark.parametrize("raw", ["0", "-5", "0.05", "7.25", "five", "1e9", "nan", "changed"])
def test_a_bad_setting_is_one_clear_line(raw, monkeypatch):
    monkeypatch.setenv(STEP_ENV, raw)
    with pytest.raises(ConfigError) as err:
        resolution()
    text = str(err.value)
    assert "\n" not in text and STEP_ENV in text and "changes" in text and "0.1, 1, 5, 10" in text


def test_default_and_accepted_values(monkeypatch):
    monkeypatch.delenv(STEP_ENV, raising=False)
    assert resolution().label == "5"
    for raw, label in [("0.1", "0.1"), ("1", "1"), (" 10 ", "10"), ("2.5", "2.5"), ("Changes", "changes"),
                       ("changes-only", "changes")]:
        monkeypatch.setenv(STEP_ENV, raw)
        assert resolution().label == label


def _set_engagement(expr: str) -> None:
    """Every lead's engagement to `expr` (SQL over the column), the reasons quoting it as lead_scores does."""
    with warehouse.connect() as conn:
        conn.execute(f"""
            update test_sync.lead_scores set engagement_score = {expr}, scored_at = scored_at + interval '1 day';
            update test_sync.lead_scores set tier_reasons = 'fit ' || round(fit_score, 1) || ' >= 40 and engagement '
                                                            || round(engagement_score, 1) || ' >= 20'""")


def test_a_decay_only_day_writes_nothing_under_the_default(crm, leads, run_sync, monkeypatch):
    monkeypatch.delenv(STEP_ENV, raising=False)  # the default
    _set_engagement("floor(engagement_score / 5) * 5 + 3.7")
    first = run_sync("day-0")
    assert first.score_step == "5" and first.failed == 0 and first.sent > 200
    _set_engagement("engagement_score * 0.97")  # a day of decay: -0.1 to -1.5, within each band
    crm.clear_requests()
    quiet = run_sync("day-1")
    assert (quiet.sent, quiet.write_calls, crm.batch_updates()) == (0, 0, 0)
    # the same day at one decimal rewrites every lead
    monkeypatch.setenv(STEP_ENV, "0.1")
    loud = run_sync("day-1-fine")
    assert loud.sent == first.sent and loud.write_calls == -(-first.sent // 100)


def test_changing_the_step_resends_only_what_the_new_step_implies(crm, leads, run_sync, monkeypatch):
    monkeypatch.setenv(STEP_ENV, "0.1")
    first = run_sync("fine")
    rows = leads.fetch()
    monkeypatch.setenv(STEP_ENV, "5")
    dry = run_sync("coarse-dry", dry_run=True)
    assert dry.sent == 0
    crm.clear_requests()
    coarse = run_sync("coarse")
    assert (coarse.sent, coarse.unchanged, crm.batch_updates()) == (0, first.sent, 0)
    # the contacts keep their finer figure until their band moves; then the band is sent
    lead = rows[0]
    leads.update([lead["lead_id"]], engagement_score=lead["engagement_score"] + 5)
    moved = run_sync("coarse-2")
    assert moved.sent == 1
    assert crm.contact(lead["crm_id"])["leadscore_engagement_score"] == \
        map_lead(leads.fetch()[0], res=STEP_5).properties["leadscore_engagement_score"]
    with warehouse.connect() as conn:
        steps = dict(conn.execute("select score_step, count(*) from sync.crm_sync_state group by 1").fetchall())
    assert steps == {"5": first.sent}


def test_changes_mode_end_to_end(crm, leads, run_sync, monkeypatch):
    monkeypatch.setenv(STEP_ENV, "changes")
    _set_engagement("engagement_score")  # the reasons in lead_scores' wording
    run_sync("c-0")
    rows = leads.fetch()
    _set_engagement("engagement_score * 0.5")  # every score and every reasons figure moves
    assert run_sync("c-1").sent == 0
    regraded = [r["lead_id"] for r in rows[:7]]
    leads.update(regraded, grade="D3")
    crm.clear_requests()
    summary = run_sync("c-2")
    assert (summary.sent, crm.batch_updates()) == (7, 1)
    now = leads.fetch()[0]
    assert crm.contact(now["crm_id"])["leadscore_engagement_score"] == \
        map_lead(now, res=STEP_01).properties["leadscore_engagement_score"]
