"""HubSpot's rate-limit buckets: rolling 10 s burst, daily cap, and search per second.

Off unless configured. A refused request is not counted against the buckets. Whether a 429
carries `Retry-After` is decided from the fault seed and the refusal count, so tests replay.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field

from leadscore.sandbox.config import RateLimits
from leadscore.sandbox.faults import unit

WINDOW_MS = 10_000


@dataclass
class Verdict:
    allowed: bool
    policy: str = ""
    message: str = ""
    retry_after: int | None = None
    headers: dict[str, str] = field(default_factory=dict)


class RateLimiter:
    def __init__(self, limits: RateLimits, seed: int = 0, clock=time.monotonic):
        self.limits = limits
        self.seed = seed
        self.clock = clock
        self.burst: deque[float] = deque()
        self.search: deque[float] = deque()
        self.day = 0
        self.refusals = 0
        self._lock = threading.Lock()

    def check(self, is_search: bool) -> Verdict:
        lim = self.limits
        with self._lock:
            now = self.clock()
            for window, seconds in ((self.burst, WINDOW_MS / 1000), (self.search, 1.0)):
                while window and window[0] <= now - seconds:
                    window.popleft()
            refusal = None
            if lim.daily is not None and self.day >= lim.daily:
                refusal = ("DAILY", "You have reached your daily limit.", None)
            elif is_search and lim.search_per_second is not None and len(self.search) >= lim.search_per_second:
                refusal = ("SECONDLY", "You have reached your secondly limit.", 1)
            elif not is_search and lim.ten_secondly is not None and len(self.burst) >= lim.ten_secondly:
                wait = max(1, int(self.burst[0] + WINDOW_MS / 1000 - now + 0.999))
                refusal = ("TEN_SECONDLY_ROLLING", "You have reached your ten_secondly_rolling limit.", wait)
            if refusal:
                self.refusals += 1
                policy, message, wait = refusal
                send = wait is not None and unit(self.seed, "retry-after", self.refusals) < lim.retry_after_probability
                return Verdict(False, policy, message, wait if send else None, self.headers(is_search))
            self.day += 1
            (self.search if is_search else self.burst).append(now)
            return Verdict(True, headers=self.headers(is_search))

    def headers(self, is_search: bool) -> dict[str, str]:
        """X-HubSpot-RateLimit-* for enabled buckets; search responses carry none (as in HubSpot)."""
        lim = self.limits
        if is_search:
            return {}
        out: dict[str, str] = {}
        if lim.ten_secondly is not None:
            out.update({"X-HubSpot-RateLimit-Max": str(lim.ten_secondly),
                        "X-HubSpot-RateLimit-Remaining": str(max(0, lim.ten_secondly - len(self.burst))),
                        "X-HubSpot-RateLimit-Interval-Milliseconds": str(WINDOW_MS)})
        if lim.daily is not None:
            out.update({"X-HubSpot-RateLimit-Daily": str(lim.daily),
                        "X-HubSpot-RateLimit-Daily-Remaining": str(max(0, lim.daily - self.day))})
        return out
