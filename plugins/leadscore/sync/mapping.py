"""Lead → HubSpot contact properties, and the forward-only lifecycle-stage decision.

Everything the CRM sees is decided here, so the fingerprint (what the diff compares) and the
payload (what is sent) are computed from the same values and cannot drift apart.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
from dataclasses import dataclass
from functools import cached_property
from decimal import ROUND_FLOOR, Decimal, InvalidOperation
from typing import Any, Mapping

from leadscore.errors import ConfigError

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
REASONS = "leadscore_reasons"

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
SCORE_PROPERTIES = frozenset(SCORE_DECIMALS)
# Where the reasons text quotes a score ("fit 72.5 >= 40", "engagement 18.3 < 20", "conversion
# probability 12.5% >= 5%", as lead_scores writes them): these figures follow the resolution too,
# or a decaying engagement score would rewrite the reasons of every engaged lead every day.
REASON_FIGURE = re.compile(r"\b(fit|engagement|conversion probability) (\d+(?:\.\d+)?)")
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


STEP_ENV = "LEADSCORE_SYNC_SCORE_STEP"
CHANGES_ONLY = "changes"
DEFAULT_SCORE_STEP = "5"
FINEST = Decimal("0.1")


@dataclass(frozen=True)
class Resolution:
    """How finely the CRM sees the scores (LEADSCORE_SYNC_SCORE_STEP); the warehouse keeps full precision.

    A step (0.1, 1, 5, 10, …): the fit, engagement and conversion-probability properties and the
    figures quoted in `leadscore_reasons` are sent as the lower edge of their band — 28.7 at step
    5 is 25 — and the fingerprint sees the same banded values, so a lead is sent only when a band
    changes. Rounding down (not to nearest) keeps every shown figure on the same side of each
    threshold that is a multiple of the step (all the default rules' are multiples of 5), so the
    CRM never reads "engagement 20 < 20". Step 0.1 is the one-decimal rounding the sync always
    used (identical fingerprints).

    `changes`: a lead is sent only when a property other than the scores changes — tier, grade,
    lifecycle stage, BANT, the reasons' wording — and its scores then go along at one decimal.
    """

    step: Decimal | None          # None: changes only

    @classmethod
    def parse(cls, raw: Any, source: str = STEP_ENV) -> "Resolution":
        text = str(raw).strip().lower()
        if text in (CHANGES_ONLY, "changes-only", "changes_only"):
            return cls(None)
        try:
            step = Decimal(text)
        except InvalidOperation:
            step = None
        if step is None or not step.is_finite() or not FINEST <= step <= 100 or step % FINEST:
            raise ConfigError(f"{source}={text!r} is neither a score step nor {CHANGES_ONLY!r}",
                              f"set a step between 0.1 and 100 in tenths (0.1, 1, 5, 10) or {CHANGES_ONLY!r}; "
                              f"default {DEFAULT_SCORE_STEP}")
        return cls(step.normalize())

    @property
    def label(self) -> str:
        return CHANGES_ONLY if self.step is None else format(self.step, "f")

    def band(self, value: Decimal) -> Decimal:
        """The figure shown for a one-decimal score: itself at 0.1 or in changes mode, else its band's floor."""
        if self.step is None or self.step == FINEST:
            return value
        return (value / self.step).to_integral_value(ROUND_FLOOR) * self.step

    def shown(self, properties: Mapping[str, str]) -> dict[str, str]:
        """The properties as the CRM gets them (input: one-decimal scores, reasons as scored)."""
        out = dict(properties)
        if self.step is None or self.step == FINEST:
            return out
        for prop in SCORE_PROPERTIES & out.keys():
            if out[prop] != "":
                out[prop] = to_hubspot(self.band(Decimal(out[prop])))
        if out.get(REASONS):
            out[REASONS] = REASON_FIGURE.sub(lambda m: f"{m[1]} {to_hubspot(self.band(Decimal(m[2])))}", out[REASONS])
        return out

    def compared(self, properties: Mapping[str, str]) -> dict[str, str]:
        """What the fingerprint sees of the shown properties: all but scored_at (and, in changes
        mode, the scores and the figures the reasons quote)."""
        values = {k: v for k, v in properties.items()
                  if k != SCORED_AT and not (k in ADDED_SINCE_V1 and v == "")}
        if self.step is None:
            values = {k: v for k, v in values.items() if k not in SCORE_PROPERTIES}
            if values.get(REASONS):
                values[REASONS] = REASON_FIGURE.sub(r"\1 #", values[REASONS])
        return values


STEP_01 = Resolution(FINEST)


def resolution(value: Any = None) -> Resolution:
    """The CRM-facing resolution: the argument, else LEADSCORE_SYNC_SCORE_STEP, else step 5.

    Step 5 by default: a CRM admin's workflows and lists key on tier, grade and lifecycle stage,
    and every property write fires the automations on it; at one decimal the daily decay of
    engagement rewrote every engaged contact every day. In steps of 5 a contact is written when
    its score crosses a band, and the scores reps sort by are never more than one band stale.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        value = os.environ.get(STEP_ENV, "").strip() or DEFAULT_SCORE_STEP
    return value if isinstance(value, Resolution) else Resolution.parse(value)


def fingerprint(crm_id: str | None, stage_floor: str | None, properties: Mapping[str, str],
                res: Resolution) -> str:
    """Hash of what the CRM should hold at resolution `res` (`properties` as shown)."""
    doc = {"v": MAPPING_VERSION, "crm_id": crm_id, "stage_floor": stage_floor, "values": res.compared(properties)}
    return hashlib.sha256(json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def sent_fingerprint(crm_id: str | None, sent_values: Mapping[str, str], res: Resolution) -> str:
    """The fingerprint of what was last sent (`sent_values`, a payload) seen at resolution `res`:
    after the step setting changes, a lead is re-sent only when its value at the new step differs
    from what the CRM holds at the new step (the CRM keeps a finer figure until then)."""
    properties = {k: v for k, v in sent_values.items() if k in COLUMNS}
    tier = properties.get("leadscore_tier")
    return fingerprint(crm_id, TIER_STAGE.get(tier or ""), res.shown(properties), res)


@dataclass(frozen=True)
class MappedLead:
    lead_id: str
    crm_id: str | None
    tier: str | None
    properties: dict[str, str]
    stage_floor: str | None       # the stage the tier implies (part of the fingerprint)
    stage_write: str | None       # the stage to send now (only if it moves the contact forward)
    resolution: Resolution = STEP_01

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
        return fingerprint(self.crm_id, self.stage_floor, self.properties, self.resolution)


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


def map_lead(row: Mapping[str, Any], sent_stage: str | None = None, res: Resolution = STEP_01) -> MappedLead:
    """One `marts.lead_scores` row → what the contact should show at resolution `res`.

    `sent_stage` is the stage this sync last wrote: the contact holds at least that even when
    the warehouse's copy of the stage predates our write.
    """
    tier = row.get("tier")
    properties = {prop: to_hubspot(_rounded(row.get(col), SCORE_DECIMALS.get(prop))) for prop, col in COLUMNS.items()}
    return MappedLead(
        lead_id=str(row["lead_id"]),
        crm_id=crm_id_of(row),
        tier=tier,
        properties=res.shown(properties),
        stage_floor=TIER_STAGE.get(tier or ""),
        stage_write=stage_to_write(tier, later_stage(row.get("lifecyclestage"), sent_stage)),
        resolution=res,
    )
