"""Everything one running sandbox holds: config, store, CRM logic, faults, limits, counters."""
from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path

from leadscore.sandbox.config import SandboxConfig
from leadscore.sandbox.crm import Crm
from leadscore.sandbox.faults import FaultPlan
from leadscore.sandbox.ratelimit import RateLimiter
from leadscore.sandbox.store import Store


class RequestStats:
    """Request counts per (method, endpoint template, status) for GET /_sandbox/requests."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str, int]] = Counter()
        self._lock = threading.Lock()

    def record(self, method: str, template: str, status: int) -> None:
        with self._lock:
            self.counts[(method, template, status)] += 1

    def clear(self) -> None:
        with self._lock:
            self.counts.clear()

    def as_dict(self) -> dict:
        with self._lock:
            rows = [{"method": m, "path": p, "status": s, "count": c} for (m, p, s), c in sorted(self.counts.items())]
        return {"requests": rows, "total": sum(r["count"] for r in rows)}


class SandboxState:
    def __init__(self, dataset_dir: Path, config: SandboxConfig, workdir: Path | None = None):
        self.dataset_dir = Path(dataset_dir)
        self.config = config
        self.store = Store(self.dataset_dir, workdir)
        self.crm = Crm(self.store, config)
        self.stats = RequestStats()
        self.plan = FaultPlan(config.faults)
        self.limiter = RateLimiter(config.rate_limits, config.faults.seed)

    def reconfigure(self, body: dict) -> None:
        """Apply POST /_sandbox/config; fault and limit changes restart their sequences."""
        self.config.update(body)
        if {"faults", "seed", "timeout_seconds"} & body.keys():
            self.plan = FaultPlan(self.config.faults)
        if {"rate_limits", "seed"} & body.keys():
            self.limiter = RateLimiter(self.config.rate_limits, self.config.faults.seed)

    def reset(self) -> None:
        self.store.reset()
        self.crm.forget_catalogs()
        self.plan = FaultPlan(self.config.faults)
        self.limiter = RateLimiter(self.config.rate_limits, self.config.faults.seed)

    def close(self) -> None:
        self.store.close()
