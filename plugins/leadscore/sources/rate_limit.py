"""Client-side rate limiting shared by every stream of one source.

HubSpot enforces a *rolling* window ("100 requests per 10 seconds", policy
TEN_SECONDLY_ROLLING) plus a separate search limit (4/s). A token bucket either overshoots
such a window (capacity + refill) or wastes a tenth of it, so this limiter keeps the send
times of the last `limit` requests and waits until the oldest leaves the window: it never
exceeds the server's limit and, in steady state, reaches it.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from typing import Callable


class RollingWindowLimiter:
    """At most `limit` acquisitions in any `interval` seconds. Thread-safe."""

    def __init__(self, limit: int, interval: float, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep, margin: float = 0.05):
        if limit < 1 or interval <= 0:
            raise ValueError("limit must be >= 1 and interval > 0")
        self.limit = limit
        # The server counts a request when it arrives, a little after we record sending it: keep a
        # small margin so the server's window never sees limit + 1 (costs 0.5 % of a 10 s window).
        self.interval = interval + margin
        self._clock = clock
        self._sleep = sleep
        self._sent: deque[float] = deque()
        self._lock = threading.Lock()
        self.waited_seconds = 0.0

    def acquire(self) -> None:
        while True:
            with self._lock:
                now = self._clock()
                while self._sent and now - self._sent[0] >= self.interval - 1e-9:  # float tolerance
                    self._sent.popleft()
                if len(self._sent) < self.limit:
                    self._sent.append(now)
                    return
                wait = self.interval - (now - self._sent[0])
            self.waited_seconds += wait
            self._sleep(wait)

    def penalise(self, seconds: float) -> None:
        """After a 429, treat the window as full for `seconds` (the server knows better than us)."""
        with self._lock:
            until = self._clock() + seconds - self.interval
            self._sent = deque([until] * self.limit)


class NoLimit:
    """The limiter for a source with no configured limit."""

    waited_seconds = 0.0

    def acquire(self) -> None:
        return None

    def penalise(self, seconds: float) -> None:
        return None


_shared: dict[str, RollingWindowLimiter | NoLimit] = {}
_shared_lock = threading.Lock()


def shared_limiter(key: str, limit: int | None, interval: float) -> RollingWindowLimiter | NoLimit:
    """One limiter per (source, bucket) in this process, so parallel streams share the budget."""
    with _shared_lock:
        existing = _shared.get(key)
        wanted = (limit, interval)
        if existing is None or getattr(existing, "_config", None) != wanted:
            existing = RollingWindowLimiter(limit, interval) if limit else NoLimit()
            existing._config = wanted  # type: ignore[attr-defined]
            _shared[key] = existing
        return existing
