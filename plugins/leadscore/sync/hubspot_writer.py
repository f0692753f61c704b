"""HubSpot side of the sync: the leadscore properties, and batch updates that report per row.

Per-row outcomes come from either shape HubSpot uses: a 207 with `errors[]` beside
`results[]`, or a whole batch rejected with 400 — which we halve until the bad rows stand
alone, as Census does, so one bad value never blocks 99 good ones. 429/5xx/timeouts are the
shared ApiClient's business (backoff + rate limiter).
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any, Sequence

from leadscore.errors import ConfigError
from leadscore.sources.http import ApiClient
from leadscore.sync.mapping import PROPERTY_DEFINITIONS, PROPERTY_GROUP

log = logging.getLogger(__name__)

BATCH_UPDATE = "/crm/v3/objects/contacts/batch/update"
BATCH_READ = "/crm/v3/objects/contacts/batch/read"
PROPERTIES = "/crm/v3/properties/contacts"
GROUPS = "/crm/v3/properties/contacts/groups"
MAX_BATCH = 100
# Row-error categories that say "try again" (a 207 from an internal hiccup), not "this value is wrong".
RETRYABLE_CATEGORIES = {"INTERNAL_ERROR", "RATE_LIMITS", "RATE_LIMIT", "SERVICE_UNAVAILABLE", "TIMEOUT"}


@dataclass(frozen=True)
class RowResult:
    ok: bool
    http_status: int | None
    error: str | None = None
    retryable: bool = False   # worth another try within the same run


@dataclass(frozen=True)
class PropertyPlan:
    """What the portal lacks: the group, properties to create, enum options to add."""

    create_group: bool
    create: list[dict[str, Any]]
    add_options: list[dict[str, Any]]

    @property
    def empty(self) -> bool:
        return not (self.create_group or self.create or self.add_options)

    def describe(self) -> list[str]:
        out = [f"create property group {PROPERTY_GROUP['name']}"] if self.create_group else []
        out += [f"create property {p['name']}" for p in self.create]
        out += [f"add options to {p['name']}" for p in self.add_options]
        return out


def _message(body: Any) -> str:
    if isinstance(body, dict):
        text = str(body.get("message") or body.get("category") or body)
        details = [e.get("message") for e in body.get("errors") or [] if isinstance(e, dict) and e.get("message")]
        return (text + (": " + "; ".join(details) if details and details[0] not in text else ""))[:1000]
    return str(body)[:1000]


def _is_whole_rejection(body: Any) -> bool:
    return isinstance(body, dict) and "results" not in body and (body.get("status") == "error" or "category" in body)


def _ids_named(error: dict, ids: set[str]) -> set[str]:
    """Which of our ids an error item names: in `id`, anywhere in `context`, or in its message."""
    named: set[str] = set()
    if str(error.get("id", "")) in ids:
        named.add(str(error["id"]))
    for values in (error.get("context") or {}).values():
        for value in values if isinstance(values, list) else [values]:
            if str(value) in ids:
                named.add(str(value))
    if not named:
        named = {i for i in ids if re.search(rf"(?<![\w-]){re.escape(i)}(?![\w-])", str(error.get("message", "")))}
    return named


class HubSpotWriter:
    def __init__(self, client: ApiClient):
        self.client = client

    # --- properties -------------------------------------------------------------------------
    def property_plan(self) -> PropertyPlan:
        """Read the portal's contact properties and say what is missing (reads only)."""
        groups = {g.get("name") for g in self.client.get(GROUPS).get("results", [])}
        existing = {p.get("name"): p for p in self.client.get(PROPERTIES).get("results", [])}
        create, add_options = [], []
        for wanted in PROPERTY_DEFINITIONS:
            have = existing.get(wanted["name"])
            if have is None:
                create.append({**wanted, "groupName": PROPERTY_GROUP["name"]})
                continue
            if have.get("type") and have["type"] != wanted["type"]:
                raise ConfigError(
                    f"HubSpot contact property {wanted['name']} is of type {have['type']}, leadscore writes {wanted['type']}",
                    "delete or rename that property in HubSpot so the sync can create its own")
            have_values = {o.get("value") for o in have.get("options") or []}
            if wanted.get("options") and not {o["value"] for o in wanted["options"]} <= have_values:
                add_options.append({"name": wanted["name"], "options": wanted["options"]})
        return PropertyPlan(PROPERTY_GROUP["name"] not in groups, create, add_options)

    def ensure_properties(self) -> list[str]:
        """Create the group/properties the portal lacks; a 409 (created meanwhile) is fine."""
        plan = self.property_plan()
        if plan.create_group:
            self.client.post(GROUPS, PROPERTY_GROUP, accept_status=(409,))
        for prop in plan.create:
            self.client.post(PROPERTIES, prop, accept_status=(409,))
        for prop in plan.add_options:
            self.client.request("PATCH", f"{PROPERTIES}/{prop['name']}", json={"options": prop["options"]})
        done = plan.describe()
        if done:
            log.info("HubSpot properties: %s", ", ".join(done))
        return done

    # --- batch reads and updates ------------------------------------------------------------
    def lifecycle_stages(self, ids: Sequence[str]) -> dict[str, str | None]:
        """The contacts' lifecycle stage right now (ids HubSpot does not know are left out).

        Read just before a stage write because the warehouse's copy may be a day old and a
        rep may have moved the contact to opportunity since; HubSpot is documented to ignore
        backward writes, but not every account of the v3 API agrees, so we never send one.
        """
        if not ids:
            return {}
        body = self.client.post(BATCH_READ, {"inputs": [{"id": i} for i in ids], "properties": ["lifecyclestage"]})
        return {str(r.get("id")): (r.get("properties") or {}).get("lifecyclestage")
                for r in body.get("results") or [] if isinstance(r, dict)}

    def update(self, inputs: Sequence[tuple[str, dict[str, str]]]) -> dict[str, RowResult]:
        """Update up to 100 contacts (crm_id, properties); returns an outcome per crm_id."""
        if not inputs:
            return {}
        if len(inputs) > MAX_BATCH:
            raise ValueError(f"HubSpot batch update takes at most {MAX_BATCH} inputs, got {len(inputs)}")
        body = self.client.post(BATCH_UPDATE, {"inputs": [{"id": i, "properties": p} for i, p in inputs]},
                                accept_status=(400,))
        if _is_whole_rejection(body):
            if len(inputs) == 1:
                return {inputs[0][0]: RowResult(False, 400, _message(body))}
            mid = len(inputs) // 2
            log.info("batch of %d rejected (%s); splitting", len(inputs), _message(body)[:200])
            return {**self.update(inputs[:mid]), **self.update(inputs[mid:])}
        return self._per_row([i for i, _ in inputs], body)

    @staticmethod
    def _per_row(ids: list[str], body: Any) -> dict[str, RowResult]:
        body = body if isinstance(body, dict) else {}
        errors = [e for e in body.get("errors") or [] if isinstance(e, dict)]
        status = 207 if errors else 200
        succeeded = {str(r.get("id")) for r in body.get("results") or [] if isinstance(r, dict)}
        wanted = set(ids)
        failed: dict[str, RowResult] = {}
        unattributed: list[str] = []
        for error in errors:
            named = _ids_named(error, wanted)
            for crm_id in named:
                failed[crm_id] = RowResult(False, 207, _message(error), error.get("category") in RETRYABLE_CATEGORIES)
            if not named:
                unattributed.append(_message(error))
        out: dict[str, RowResult] = {}
        for crm_id in ids:
            if crm_id in failed:
                out[crm_id] = failed[crm_id]
            elif crm_id in succeeded:
                out[crm_id] = RowResult(True, status)
            else:
                out[crm_id] = RowResult(False, status, "; ".join(unattributed)[:1000]
                                        or "HubSpot's response did not include this contact")
        return out
