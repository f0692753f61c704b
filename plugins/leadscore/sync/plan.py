"""Which leads to send this run, and the blast-radius guard that can stop the run.

A lead is sent when it is new, its fingerprint differs from the last successful send, or its
last attempt failed (Multiwoven's bug was to skip failed rows forever). The guard compares
each lead's tier with the tier last *sent*, so a rules change that reshuffles many tiers
waits for a human instead of rewriting the CRM.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Iterable

from leadscore.errors import ConfigError, SyncBlockedError, SyncFailedError
from leadscore.sync.mapping import STEP_01, MappedLead, Resolution, crm_id_of, map_lead
from leadscore.sync.state import LeadState

DEFAULT_MAX_TIER_CHANGE_SHARE = 0.20
SHARE_ENV = "LEADSCORE_SYNC_MAX_TIER_CHANGE_SHARE"
DEFAULT_MIN_SUCCESS_SHARE = 0.5
SUCCESS_ENV = "LEADSCORE_SYNC_MIN_SUCCESS_SHARE"


@dataclass(frozen=True)
class Skip:
    lead_id: str
    crm_id: str | None
    reason: str


@dataclass
class Plan:
    to_send: list[MappedLead] = field(default_factory=list)
    unchanged: int = 0
    skipped: list[Skip] = field(default_factory=list)
    tier_changes: int = 0
    previously_sent: int = 0     # leads whose tier was sent before: the guard's denominator

    @property
    def lifecycle_advances(self) -> int:
        return sum(1 for lead in self.to_send if lead.stage_write)

    @property
    def tier_change_share(self) -> float:
        return self.tier_changes / self.previously_sent if self.previously_sent else 0.0


def needs_send(lead: MappedLead, previous: LeadState | None) -> bool:
    return previous is None or previous.last_status != "success" or previous.fingerprint != lead.fingerprint


def make_plan(rows: Iterable[dict[str, Any]], state: dict[str, LeadState], res: Resolution = STEP_01) -> Plan:
    """What to send at resolution `res`; `state`'s fingerprints must be at the same resolution
    (`sync.state.load_state` re-derives those taken at another step)."""
    plan = Plan()
    owner: dict[str, str] = {}  # crm_id → the lead that writes it (first by lead_id)
    for row in rows:
        previous = state.get(str(row["lead_id"]))
        same_contact = previous is not None and previous.crm_id == crm_id_of(row)
        lead = map_lead(row, previous.sent_stage if same_contact else None, res)
        if lead.crm_id is None:
            plan.skipped.append(Skip(lead.lead_id, None, "lead has no crm_id (no HubSpot contact)"))
            continue
        if lead.crm_id in owner:
            plan.skipped.append(Skip(lead.lead_id, lead.crm_id,
                                     f"crm_id {lead.crm_id} is also lead {owner[lead.crm_id]}'s, which is synced"))
            continue
        owner[lead.crm_id] = lead.lead_id
        if previous is not None and previous.sent_tier is not None:
            plan.previously_sent += 1
            plan.tier_changes += previous.sent_tier != lead.tier
        if needs_send(lead, previous):
            plan.to_send.append(lead)
        else:
            plan.unchanged += 1
    return plan


def share_setting(value: float | None, env: str, default: float) -> float:
    """A share in [0, 1]: the argument, else the env var `env`, else `default`."""
    if value is None:
        raw = os.environ.get(env, "").strip()
        try:
            value = float(raw) if raw else default
        except ValueError:
            raise ConfigError(f"{env}={raw!r} is not a number", f"set it to a share like {default}") from None
    if not 0 <= value <= 1:
        raise ConfigError(f"{env.removeprefix('LEADSCORE_SYNC_').lower()} {value} is not between 0 and 1",
                          f"pass a share like {default} ({default:.0%})")
    return value


def threshold(value: float | None) -> float:
    """The guard's share: the argument, else LEADSCORE_SYNC_MAX_TIER_CHANGE_SHARE, else 20%."""
    return share_setting(value, SHARE_ENV, DEFAULT_MAX_TIER_CHANGE_SHARE)


def min_success_share(value: float | None) -> float:
    """The share of sent leads that must be accepted: the argument, else LEADSCORE_SYNC_MIN_SUCCESS_SHARE, else 50%."""
    return share_setting(value, SUCCESS_ENV, DEFAULT_MIN_SUCCESS_SHARE)


def success_error(sent: int, unchanged: int, failed: int, min_share: float,
                  first_error: str | None) -> SyncFailedError | None:
    """The error to fail the run with when less than `min_share` of the leads are current in the
    CRM after it (accepted now, or unchanged since an accepted send); None when enough are.

    Measured over the current leads, not only this run's attempts: a few leads HubSpot rejects
    every day stay `partial` (logged, retried), but a run where every row is rejected fails,
    and so does the next one until the cause is fixed.
    """
    current, total = sent + unchanged, sent + unchanged + failed
    if not failed or current / total >= min_share:
        return None
    reason = " ".join((first_error or "no error message").split())[:300]
    return SyncFailedError(
        f"reverse sync: HubSpot rejected {failed} of {sent + failed} leads sent, so {current / total:.0%} of "
        f"{total} leads are current in the CRM (minimum {min_share:.0%}); first error: {reason}",
        "fix what HubSpot rejects (every row is in sync.crm_sync_log) and rerun; failed leads are sent again")


def blast_radius_error(plan: Plan, max_share: float, first_sync: bool) -> SyncBlockedError | None:
    """The error to stop with when too many tiers would change; None when the run may go on."""
    if first_sync or not plan.previously_sent or plan.tier_change_share <= max_share:
        return None
    return SyncBlockedError(
        f"reverse sync blocked: {plan.tier_changes} of {plan.previously_sent} synced leads "
        f"({plan.tier_change_share:.1%}) would change tier, above the {max_share:.0%} threshold",
        "check the scoring rules and the dry-run log (sync.crm_sync_log), then rerun with force_sync",
    )
