"""Mapping and lifecycle decisions: pure functions, no warehouse or HTTP."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from leadscore.sync.mapping import SCORED_AT, map_lead, stage_to_write, to_hubspot


def row(**over):
    base = {"lead_id": "L1", "crm_id": "101", "tier": "mql", "fit_score": Decimal("72.50"),
            "engagement_score": 40, "grade": "B2", "bant_met": 2, "tier_reasons": "fit 72.5 ≥ 40",
            "scored_at": dt.datetime(2026, 11, 23, 6, 0, tzinfo=dt.timezone.utc), "lifecyclestage": "lead"}
    return {**base, **over}


@pytest.mark.parametrize("tier,current,expected", [
    ("mql", "lead", "marketingqualifiedlead"),
    ("mql", None, "marketingqualifiedlead"),
    ("mql", "", "marketingqualifiedlead"),
    ("sql", "marketingqualifiedlead", "salesqualifiedlead"),
    ("mql", "salesqualifiedlead", None),   # never backwards
    ("sql", "salesqualifiedlead", None),   # already there
    ("sql", "opportunity", None),
    ("sql", "customer", None),
    ("mql", "evangelist", None),
    ("sql", "other", None),                # not in the funnel: untouched
    ("sql", "my_custom_stage", None),
    ("nurture", "lead", None),
    ("disqualified", "marketingqualifiedlead", None),
    ("customer", "lead", None),            # not leads: their stage is the CRM's own
    ("customer", "", None),
    ("in_pipeline", "marketingqualifiedlead", None),
])
def test_lifecycle_is_forward_only(tier, current, expected):
    assert stage_to_write(tier, current) == expected


def test_values_are_hubspot_strings():
    assert to_hubspot(Decimal("72.50")) == "72.5"
    assert to_hubspot(Decimal("100.00")) == "100"
    assert to_hubspot(3) == "3"
    assert to_hubspot(True) == "true"
    assert to_hubspot(None) == ""
    assert to_hubspot(dt.datetime(2026, 11, 23, 7, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))) \
        == "2026-11-23T06:00:00.000Z"


def test_payload_carries_stage_only_when_it_advances():
    assert map_lead(row()).payload["lifecyclestage"] == "marketingqualifiedlead"
    assert "lifecyclestage" not in map_lead(row(lifecyclestage="customer")).payload
    assert "hs_lead_status" not in map_lead(row()).payload


def test_fingerprint_ignores_scored_at_and_crm_stage_refresh():
    lead = map_lead(row())
    assert map_lead(row(scored_at=dt.datetime(2027, 1, 1, tzinfo=dt.timezone.utc))).fingerprint == lead.fingerprint
    # after our write, extraction brings back the advanced stage: nothing new to send
    assert map_lead(row(lifecyclestage="marketingqualifiedlead")).fingerprint == lead.fingerprint
    assert SCORED_AT in lead.payload


@pytest.mark.parametrize("change", [{"tier": "sql"}, {"fit_score": 73}, {"tier_reasons": "other"},
                                    {"crm_id": "102"}, {"bant_met": 3}, {"grade": "A2"}])
def test_fingerprint_changes_with_any_mapped_value(change):
    assert map_lead(row(**change)).fingerprint != map_lead(row()).fingerprint


def test_missing_crm_id():
    assert map_lead(row(crm_id=None)).crm_id is None
    assert map_lead(row(crm_id="  ")).crm_id is None


@pytest.mark.parametrize("tier", ["customer", "in_pipeline"])
def test_customers_and_open_deals_get_their_tier_and_never_a_stage(tier):
    """The CRM user sees `customer` / `in_pipeline`, not SQL; the lifecycle stage is untouched
    even where it lags (a customer still at `lead`)."""
    lead = map_lead(row(tier=tier, lifecyclestage="lead"))
    assert lead.payload["leadscore_tier"] == tier
    assert "lifecyclestage" not in lead.payload and lead.stage_floor is None


def test_the_tier_property_offers_every_tier():
    from leadscore.sync.mapping import PROPERTY_DEFINITIONS

    tier = next(p for p in PROPERTY_DEFINITIONS if p["name"] == "leadscore_tier")
    assert [o["value"] for o in tier["options"]] == ["sql", "mql", "nurture", "disqualified", "in_pipeline", "customer"]
    assert [o["label"] for o in tier["options"]][-2:] == ["In pipeline", "Customer"]


@pytest.mark.parametrize("predicted_score,expected", [(12.3, "12.3"), (12.34999, "12.3"), (Decimal("7.0"), "7"),
                                                      (0.0, "0"), (100.0, "100"), (None, "")])
def test_conversion_probability_is_percent_with_one_decimal_and_empty_without_a_model(predicted_score, expected):
    """lead_scores.predicted_score is 100 × conversion_probability rounded to one decimal; no model
    (null) is an empty string, which clears a HubSpot number property — never a made-up 0."""
    assert map_lead(row(predicted_score=predicted_score)).payload["leadscore_conversion_probability"] == expected


def test_conversion_probability_is_a_hubspot_number_property():
    from leadscore.sync.mapping import PROPERTY_DEFINITIONS

    prop = next(p for p in PROPERTY_DEFINITIONS if p["name"] == "leadscore_conversion_probability")
    assert (prop["type"], prop["fieldType"]) == ("number", "number")


def test_a_lead_without_a_probability_keeps_its_mapping_v1_fingerprint():
    """What the sync stored before the property existed still matches: adding it re-sends no lead
    until a model gives the lead a probability (hash pinned from the mapping without the property)."""
    v1 = "c9cb9e073737c479ad0126b2cf3613c507e9c4e4273fa8e54c900500e78f0fb7"
    assert map_lead(row()).fingerprint == map_lead(row(predicted_score=None)).fingerprint == v1


def test_a_probability_appearing_changing_or_going_away_changes_the_fingerprint():
    none, p12, p13 = (map_lead(row(predicted_score=v)).fingerprint for v in (None, 12.3, 13.0))
    assert len({none, p12, p13}) == 3
    assert map_lead(row(predicted_score=12.3 + 1e-12)).fingerprint == p12  # float noise is not a change
