"""Deterministic fault injection: which request gets which fault.

Every API request (never `/_sandbox/*`) gets a sequence number n, counted from 0 at start,
at `POST /_sandbox/config` with fault settings, and at `POST /_sandbox/faults/replay`. The
fault for request n is drawn from u = sha256(f"{seed}:{n}") mapped to [0, 1) against the
cumulative probabilities in the fixed order 429, 5xx, timeout, drop, malformed; `partial`
(207 rows on batch update) is drawn independently from sha256(f"{seed}:{n}:partial").
So the same seed and the same request order replay exactly the same faults, whatever the
wall clock or thread timing.
"""
from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass

from leadscore.sandbox.config import Faults

ORDER = ("429", "5xx", "timeout", "drop", "malformed")
SERVER_ERRORS = (500, 502, 503)


def unit(seed: int, *parts: object) -> float:
    """A uniform number in [0, 1) that depends only on the seed and the parts."""
    digest = hashlib.sha256(":".join(map(str, (seed, *parts))).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


@dataclass(frozen=True)
class Decision:
    n: int
    kind: str | None  # one of ORDER, or None
    status: int | None = None  # for 5xx
    partial: bool = False
    retry_after: bool = False  # for 429


class FaultPlan:
    def __init__(self, faults: Faults):
        self.faults = faults
        self.counter = 0
        self.log: list[dict] = []
        self._lock = threading.Lock()

    def next(self, method: str, path: str, batch_write: bool) -> Decision:
        with self._lock:
            n = self.counter
            self.counter += 1
        decision = self.decide(n, batch_write)
        if decision.kind or decision.partial:
            self.log.append({"n": n, "method": method, "path": path, "fault": decision.kind or "partial",
                             "status": decision.status})
        return decision

    def decide(self, n: int, batch_write: bool = False) -> Decision:
        rates = self.faults.rates
        seed = self.faults.seed
        u = unit(seed, n)
        edge = 0.0
        kind = None
        for name in ORDER:
            edge += rates.get(name, 0.0)
            if u < edge:
                kind = name
                break
        status = SERVER_ERRORS[int(unit(seed, n, "status") * 3)] if kind == "5xx" else 429 if kind == "429" else None
        partial = batch_write and kind is None and unit(seed, n, "partial") < rates.get("partial", 0.0)
        return Decision(n, kind, status, partial, retry_after=kind == "429" and unit(seed, n, "retry") < 0.5)

    def partial_rows(self, n: int, rows: int) -> set[int]:
        """Which rows of a batch fail under a partial fault: about a third, at least one."""
        failed = {i for i in range(rows) if unit(self.faults.seed, n, "row", i) < 1 / 3}
        return failed or ({0} if rows else set())
