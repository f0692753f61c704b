"""Lead → HubSpot contact properties, and the forward-only lifecycle-stage decision.

Everything the CRM sees is decided here, so the fingerprint (what the diff compares) and the
payload (what is sent) are computed from the same values and cannot drift apart.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from functools import cached_property
from decimal import Decimal
from typing import Any, Mapping

# Bump when the mapping changes shape: every lead is then re-sent once.
MAPPING_VERSION = "1"

PROPERTY_GROUP = {"name": "leadscore", "label": "Lead score", "displayOrder": -1}

# customer and in_pipeline are not leads (converted, or in an open deal): their tier is
# written, their lifecycle stage never (TIER_STAGE has no stage for them).
TIER_LABELS = {"sql": "SQL", "mql": "MQL", "nurture": "Nurture", "disqualified": "Disqualified",
               "in_pipeline": "In pipeline", "customer": "Customer"}
TIERS = tuple(TIER_LABELS)

# HubSpot's property definitions (Properties API `PropertyCreate`).
PROPERTY_DEFINITIONS: tuple[dict[str, Any], ...] = (
    {"name": "leadscore_tier", "label": "Lead tier", "type": "enumeration", "fieldType": "select",
     "description": "sql, mql, nurture or disqualified (in_pipeline and customer: not leads), from the leadscore pipeline",
     "options": [{"label": label, "value": t, "displayOrder": i, "hidden": False}
                 for i, (t, label) in enumerate(TIER_LABELS.items())]},
    {"name": "leadscore_fit_score", "label": "Lead fit score", "type": "number", "fieldType": "number",
     "description": "0-100: how well the company and contact match the ideal customer profile"},
    {"name": "leadscore_engagement_score", "label": "Lead engagement score", "type": "number",
     "fieldType": "number", "description": "0-100: recent activity (emails, pages, forms, meetings)"},
    {"name": "leadscore_grade", "label": "Lead grade", "type": "string", "fieldType": "text",
     "description": "Fit letter + engagement level, e.g. A1"},
    {"name": "leadscore_bant_met", "label": "BANT criteria met", "type": "number", "fieldType": "number",
     "description": "How many of budget, authority, need and timing are met (0-4)"},
    {"name": "leadscore_reasons", "label": "Lead tier reasons", "type": "string", "fieldType": "textarea",
     "description": "Why the lead has its tier"},
    {"name": "leadscore_scored_at", "label": "Lead scored at", "type": "datetime", "fieldType": "date",
     "description": "When the pipeline last scored the lead"},
    {"name": "leadscore_conversion_probability", "label": "Lead conversion probability (%)", "type": "number",
     "fieldType": "number",
     "description": "0-100: the learned chance in percent that the lead converts within the model's horizon "
                    "(leadscore train); empty while no conversion model is trained"},
)
PROPERTY_NAMES = tuple(p["name"] for p in PROPERTY_DEFINITIONS)
SCORED_AT = "leadscore_scored_at"

# Source column for each property (scored_at is special: written, never fingerprinted).
COLUMNS = {
    "leadscore_tier": "tier",
    "leadscore_fit_score": "fit_score",
    "leadscore_engagement_score": "engagement_score",
    "leadscore_grade": "grade",
    "leadscore_bant_met": "bant_met",
    "leadscore_reasons": "tier_reasons",
    "leadscore_scored_at": "scored_at",
    # the probability in percent with one decimal, as lead_scores rounds it in SQL, so the CRM,
    # the mart and `leadscore explain` show the same figure; null (no model) clears the property
    "leadscore_conversion_probability": "predicted_score",
}
SOURCE_COLUMNS = ("lead_id", "crm_id", "lifecyclestage", *COLUMNS.values())
# Scores are shown to CRM users with one decimal; rounding before the fingerprint also keeps
# float noise (1e-12 between an incremental and a full recompute) from re-sending a lead.
SCORE_DECIMALS = {"leadscore_fit_score": 1, "leadscore_engagement_score": 1, "leadscore_conversion_probability": 1}
# Properties added after MAPPING_VERSION 1 stay out of the fingerprint while empty: a lead without
# a value fingerprints as before the property existed, so adding it re-sends nobody, while a value
# appearing or going away (the model was dropped) still changes the fingerprint and is sent.
ADDED_SINCE_V1 = frozenset({"leadscore_conversion_probability"})

# HubSpot's default stages in funnel order. `other` and custom stages are not in the funnel:
# the sync never touches a contact whose stage it cannot place.
LIFECYCLE_ORDER = ("subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead",
                   "opportunity", "customer", "evangelist")
TIER_STAGE = {"mql": "marketingqualifiedlead", "sql": "salesqualifiedlead"}
LIFECYCLE = "lifecyclestage"

MAX_TEXT = 65_536  # HubSpot's limit for a string property value


@dataclass(frozen=True)
class MappedLead:
    lead_id: str
    crm_id: str | None
    tier: str | None
    properties: dict[str, str]
    stage_floor: str | None       # the stage the tier implies (part of the fingerprint)
    stage_write: str | None       # the stage to send now (only if it moves the contact forward)

    @property
    def payload(self) -> dict[str, str]:
        """The properties of one batch input: leadscore_* plus lifecyclestage when it advances."""
        return self._with_stage(self.stage_write)

    def payload_for(self, crm_stage: str | None) -> dict[str, str]:
        """The payload re-decided against the stage the CRM holds right now (read just before writing)."""
        return self._with_stage(stage_to_write(self.tier, crm_stage) if self.stage_write else None)

    def _with_stage(self, stage: str | None) -> dict[str, str]:
        return {**self.properties, LIFECYCLE: stage} if stage else dict(self.properties)

    @cached_property
    def fingerprint(self) -> str:
        """Hash of what the CRM should hold, without scored_at (it changes on every run)."""
        values = {k: v for k, v in self.properties.items()
                  if k != SCORED_AT and not (k in ADDED_SINCE_V1 and v == "")}
        doc = {"v": MAPPING_VERSION, "crm_id": self.crm_id, "stage_floor": self.stage_floor, "values": values}
        return hashlib.sha256(json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def to_hubspot(value: Any) -> str:
    """HubSpot property values are strings; numbers without float noise, datetimes in UTC ISO."""
    if value is None:
        return ""  # an empty string clears the property in HubSpot
    if isinstance(value, str):
        return value[:MAX_TEXT]
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (Decimal, float)):
        number = Decimal(str(value)).normalize()
        return format(number.quantize(Decimal(1)) if number == number.to_integral_value() else number, "f")
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)[:MAX_TEXT]


def stage_rank(stage: str | None) -> int | None:
    """Funnel position; -1 for an empty stage, None for `other` or a custom stage."""
    if not stage:
        return -1
    try:
        return LIFECYCLE_ORDER.index(stage.strip().lower())
    except ValueError:
        return None


def stage_to_write(tier: str | None, current: str | None) -> str | None:
    """The stage to send: the tier's stage only if it is strictly later than the current one."""
    target = TIER_STAGE.get(tier or "")
    if target is None:
        return None
    rank = stage_rank(current)
    if rank is None or rank >= LIFECYCLE_ORDER.index(target):
        return None
    return target


def later_stage(a: str | None, b: str | None) -> str | None:
    """The later of two known funnel stages (a stage outside the funnel wins: it is left alone)."""
    ra, rb = stage_rank(a), stage_rank(b)
    if ra is None or rb is None:
        return a if ra is None else b
    return a if ra >= rb else b


def crm_id_of(row: Mapping[str, Any]) -> str | None:
    value = row.get("crm_id")
    return str(value).strip() or None if value is not None else None


def _rounded(value: Any, decimals: int | None) -> Any:
    if decimals is None or value is None or isinstance(value, bool):
        return value
    return round(Decimal(str(value)), decimals)


def map_lead(row: Mapping[str, Any], sent_stage: str | None = None) -> MappedLead:
    """One `marts.lead_scores` row → what the contact should show.

    `sent_stage` is the stage this sync last wrote: the contact holds at least that even when
    the warehouse's copy of the stage predates our write.
    """
    tier = row.get("tier")
    return MappedLead(
        lead_id=str(row["lead_id"]),
        crm_id=crm_id_of(row),
        tier=tier,
        properties={prop: to_hubspot(_rounded(row.get(col), SCORE_DECIMALS.get(prop))) for prop, col in COLUMNS.items()},
        stage_floor=TIER_STAGE.get(tier or ""),
        stage_write=stage_to_write(tier, later_stage(row.get("lifecyclestage"), sent_stage)),
    )
