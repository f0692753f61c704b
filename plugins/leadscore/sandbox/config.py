"""Runtime settings of the sandbox: credentials, rate limits, index lag and faults.

Everything here can be changed while the server runs (POST /_sandbox/config), so one
server can serve a whole test session. Secrets come from arguments or the environment
(LEADSCORE_SANDBOX_HUBSPOT_TOKEN, LEADSCORE_SANDBOX_MAILCHIMP_KEY) and never appear in
`public()` or in any log line.
"""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from typing import Any

FAULT_KINDS = ("429", "5xx", "timeout", "drop", "malformed", "partial")


@dataclass
class RateLimits:
    """HubSpot's three buckets; None switches a bucket off (the default)."""

    ten_secondly: int | None = None
    daily: int | None = None
    search_per_second: int | None = None
    retry_after_probability: float = 0.5

    def any(self) -> bool:
        return any(v is not None for v in (self.ten_secondly, self.daily, self.search_per_second))


@dataclass
class Faults:
    """Per-request probabilities of each fault kind (see faults.py for how they are drawn)."""

    rates: dict[str, float] = field(default_factory=dict)
    seed: int = 0
    timeout_seconds: float = 35.0

    @classmethod
    def parse(cls, spec: str | dict[str, float] | None, seed: int = 0, timeout_seconds: float = 35.0) -> "Faults":
        """'429=0.05,5xx=0.05,timeout=0.02' (or a dict) → Faults; unknown kinds are an error."""
        if not spec:
            return cls(seed=seed, timeout_seconds=timeout_seconds)
        if isinstance(spec, str):
            pairs = [part.split("=", 1) for part in spec.replace(" ", "").split(",") if part]
            try:
                rates = {k: float(v) for k, v in pairs}
            except ValueError:
                raise ValueError(f"fault spec {spec!r} is not KIND=PROBABILITY[,KIND=PROBABILITY…]") from None
        else:
            rates = {k: float(v) for k, v in spec.items()}
        unknown = sorted(set(rates) - set(FAULT_KINDS))
        if unknown:
            raise ValueError(f"unknown fault kind(s) {', '.join(unknown)}; use {', '.join(FAULT_KINDS)}")
        if sum(v for k, v in rates.items() if k != "partial") > 1.0 or any(not 0 <= v <= 1 for v in rates.values()):
            raise ValueError("fault probabilities must be within 0..1 and sum to at most 1 (partial excluded)")
        return cls(rates=rates, seed=seed, timeout_seconds=timeout_seconds)

    def active(self) -> bool:
        return any(v > 0 for v in self.rates.values())


def parse_rate_limit(spec: str | None) -> int | None:
    """'100/10' (the only window HubSpot's burst bucket has) or '100' → 100; 'off' → None."""
    if not spec or str(spec).lower() in ("off", "none", "0"):
        return None
    count, _, seconds = str(spec).partition("/")
    if seconds and float(seconds) != 10:
        raise ValueError(f"rate limit {spec!r}: HubSpot's burst window is 10 seconds; write it as N/10")
    return int(count)


@dataclass
class SandboxConfig:
    hubspot_token: str = field(default_factory=lambda: os.environ.get("LEADSCORE_SANDBOX_HUBSPOT_TOKEN", "sandbox-hubspot-token"),
                               repr=False)
    mailchimp_key: str = field(default_factory=lambda: os.environ.get("LEADSCORE_SANDBOX_MAILCHIMP_KEY", "sandbox-mailchimp-key-us1"),
                               repr=False)
    rate_limits: RateLimits = field(default_factory=RateLimits)
    faults: Faults = field(default_factory=Faults)
    index_lag_seconds: float = 0.0
    lifecycle_forward_only: bool = True
    association_page_size: int = 500   # v4 association targets per record per page (HubSpot's default limit)

    def public(self) -> dict[str, Any]:
        """The settings minus the secrets (for GET /_sandbox/config)."""
        data = asdict(self)
        data.pop("hubspot_token")
        data.pop("mailchimp_key")
        return data

    def update(self, body: dict[str, Any]) -> None:
        """Apply a partial JSON update from POST /_sandbox/config."""
        if "rate_limits" in body:
            merged = {**asdict(self.rate_limits), **(body["rate_limits"] or {})}
            self.rate_limits = RateLimits(**merged)
        if "faults" in body or "seed" in body or "timeout_seconds" in body:
            spec = body.get("faults", self.faults.rates)
            self.faults = Faults.parse(spec, int(body.get("seed", self.faults.seed)),
                                       float(body.get("timeout_seconds", self.faults.timeout_seconds)))
        if "index_lag_seconds" in body:
            self.index_lag_seconds = float(body["index_lag_seconds"])
        if "lifecycle_forward_only" in body:
            self.lifecycle_forward_only = bool(body["lifecycle_forward_only"])
        if "association_page_size" in body:
            self.association_page_size = int(body["association_page_size"])
        if "hubspot_token" in body:
            self.hubspot_token = str(body["hubspot_token"])
        if "mailchimp_key" in body:
            self.mailchimp_key = str(body["mailchimp_key"])
