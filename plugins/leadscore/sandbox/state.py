"""Everything one running sandbox holds: config, store, CRM logic, faults, limits, counters."""
from __future__ import annotations

import logging
import threading
from collections import Counter
from pathlib import Path

from leadscore.sandbox.config import SandboxConfig
from leadscore.sandbox.crm import Crm
from leadscore.sandbox.faults import FaultPlan
from leadscore.sandbox.persist import KeptState
from leadscore.sandbox.quirks import Quirks
from leadscore.sandbox.ratelimit import RateLimiter
from leadscore.sandbox.salesforce import Org
from leadscore.sandbox.store import Store

log = logging.getLogger(__name__)


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
    """`state_file`: keep the CRM writes there across restarts and replay them at start
    (persist.py); `reset_state` empties it first. Without one, writes die with the process."""

    def __init__(self, dataset_dir: Path, config: SandboxConfig, workdir: Path | None = None,
                 state_file: Path | None = None, reset_state: bool = False):
        self.dataset_dir = Path(dataset_dir)
        self.config = config
        self.store = Store(self.dataset_dir, workdir)
        self.kept: KeptState | None = None
        self.replayed: dict[str, int] = {}
        if state_file is not None:
            self.kept = KeptState(self.store.conn, state_file)
            if reset_state:
                self.store.conn.executescript("BEGIN;" + KeptState.forget_sql() + "COMMIT;")
            self.replayed = self.kept.replay()
            self.kept.keep()
            if self.replayed:
                log.info("sandbox CRM state %s replayed: %s", state_file, self.replayed)
        self.crm = Crm(self.store, config)
        self.stats = RequestStats()
        self.plan = FaultPlan(config.faults)
        self.limiter = RateLimiter(config.rate_limits, config.faults.seed)
        self.quirks = Quirks()
        self.salesforce = Org(self.dataset_dir)

    def reconfigure(self, body: dict) -> None:
        """Apply POST /_sandbox/config; fault and limit changes restart their sequences."""
        self.config.update(body)
        if {"faults", "seed", "timeout_seconds"} & body.keys():
            self.plan = FaultPlan(self.config.faults)
        if {"rate_limits", "seed"} & body.keys():
            self.limiter = RateLimiter(self.config.rate_limits, self.config.faults.seed)

    def forget_writes(self) -> None:
        """The CRM back to the dataset as loaded, in memory and in the kept file."""
        self.store.reset(KeptState.forget_sql() if self.kept else "")
        self.crm.forget_catalogs()

    def state_summary(self) -> dict:
        return {**(self.kept.summary() if self.kept else {"path": None, "kept": {}}), "replayed_at_start": self.replayed}

    def reset(self) -> None:
        self.forget_writes()
        self.quirks.clear()
        self.salesforce.reset()
        self.plan = FaultPlan(self.config.faults)
        self.limiter = RateLimiter(self.config.rate_limits, self.config.faults.seed)

    def close(self) -> None:
        self.store.close()
