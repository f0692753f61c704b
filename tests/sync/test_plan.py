"""Planning and the blast-radius guard: pure functions over rows and the last-sent state."""
from __future__ import annotations

import pytest

from leadscore.errors import ConfigError
from leadscore.sync.mapping import map_lead
from leadscore.sync.plan import blast_radius_error, make_plan, threshold
from leadscore.sync.state import LeadState


def row(i: int, tier: str = "mql", crm_id: str | None = None, stage: str = "lead") -> dict:
    return {"lead_id": f"L{i}", "crm_id": crm_id or str(100 + i), "tier": tier, "fit_score": 50,
            "engagement_score": 20, "grade": "B2", "bant_met": 1, "tier_reasons": "x", "scored_at": None,
            "lifecyclestage": stage}


def sent(r: dict, status: str = "success", crm_id: str | None = None) -> LeadState:
    lead = map_lead(r)
    return LeadState(crm_id=crm_id or lead.crm_id, fingerprint=lead.fingerprint, last_status=status,
                     sent_tier=lead.tier, sent_stage=lead.stage_write)


def test_new_changed_and_failed_leads_are_sent_unchanged_ones_are_not():
    rows = [row(i) for i in range(4)]
    state = {"L0": sent(rows[0]), "L1": sent(rows[1]), "L2": sent(rows[2], status="failed")}
    rows[1]["fit_score"] = 51
    plan = make_plan(rows, state)
    assert sorted(lead.lead_id for lead in plan.to_send) == ["L1", "L2", "L3"]
    assert plan.unchanged == 1


def test_a_stage_we_wrote_is_not_rewritten_from_a_stale_warehouse_copy_unless_the_contact_changed():
    r = row(0)
    state = {"L0": sent(r)}  # we advanced 100 to MQL; the warehouse still says "lead"
    r["fit_score"] = 60
    assert make_plan([r], state).to_send[0].stage_write is None
    r["crm_id"] = "999"  # merged into another contact: its stage is unknown to us
    assert make_plan([r], state).to_send[0].stage_write == "marketingqualifiedlead"


def test_guard_counts_tier_changes_against_what_was_sent():
    rows = [row(i, "nurture") for i in range(10)]
    state = {r["lead_id"]: sent(r) for r in rows}
    for r in rows[:3]:
        r["tier"] = "mql"
    plan = make_plan(rows, state)
    assert (plan.tier_changes, plan.previously_sent) == (3, 10)
    error = blast_radius_error(plan, 0.2, first_sync=False)
    assert error is not None and "3 of 10" in str(error) and "30.0%" in str(error) and "force_sync" in str(error)
    assert blast_radius_error(plan, 0.3, first_sync=False) is None
    assert blast_radius_error(plan, 0.2, first_sync=True) is None


def test_threshold_comes_from_argument_then_environment(monkeypatch):
    monkeypatch.setenv("LEADSCORE_SYNC_MAX_TIER_CHANGE_SHARE", "0.35")
    assert threshold(None) == 0.35 and threshold(0.1) == 0.1
    monkeypatch.setenv("LEADSCORE_SYNC_MAX_TIER_CHANGE_SHARE", "lots")
    with pytest.raises(ConfigError):
        threshold(None)
    with pytest.raises(ConfigError):
        threshold(1.5)
