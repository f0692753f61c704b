"""Armed, one-shot oddities of a real API, for tests: `POST /_sandbox/quirks`.

Random faults (faults.py) are transport trouble a retry heals. Quirks are answers that are
well-formed but odd, the kind that make a naive client stop early or loop: a test arms one for
the next `times` matching requests and the sandbox goes back to the real contracts after.

Kinds (`path`: the exact request path it applies to; absent, any API path):
- `empty_page`: a search request without `after` is answered with no results and a
  `paging.next.after` of "0", i.e. "nothing on this page, continue at the start of the query"
  (HubSpot answers empty pages with a cursor when hits are dropped after the index query).
- `repeated_cursor`: a request that carries an `after` cursor is answered with that same
  cursor as `paging.next.after` (a cursor handed back unchanged).
- `understated_total`: `total_items` (Mailchimp) or `total` (HubSpot search) is reported as at
  most `value` (seen in the wild: 1,000 reported, 2,102 real).
- `retry_after`: HTTP 429 with `Retry-After: <value>` verbatim (seconds, an HTTP-date, or junk).

A request a quirk does not apply to (no cursor for `repeated_cursor`, say) is served normally
and does not use up one of its `times`.
"""
from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass
from typing import Any

KINDS = ("empty_page", "repeated_cursor", "understated_total", "retry_after")


@dataclass
class Quirk:
    kind: str
    path: str | None = None
    times: int = 1
    value: Any = None
    fired: int = 0

    @classmethod
    def parse(cls, body: dict[str, Any]) -> "Quirk":
        kind = body.get("kind")
        if kind not in KINDS:
            raise ValueError(f"unknown quirk kind {kind!r}; use one of {', '.join(KINDS)}")
        times = int(body.get("times", 1))
        if times < 1:
            raise ValueError("times must be at least 1")
        if kind in ("understated_total", "retry_after") and body.get("value") is None:
            raise ValueError(f"quirk {kind} needs a value")
        return cls(kind=kind, path=body.get("path"), times=times, value=body.get("value"))

    def applies(self, path: str, after: str | None, is_search: bool) -> bool:
        if self.fired >= self.times or (self.path is not None and self.path != path):
            return False
        if self.kind == "empty_page":
            return is_search and after is None
        if self.kind == "repeated_cursor":
            return after is not None
        return True

    def alter(self, body: bytes, after: str | None) -> bytes:
        """The route's JSON answer as this quirk distorts it."""
        data = json.loads(body)
        if self.kind == "empty_page":
            data["results"] = []
            data["paging"] = {"next": {"after": "0", "link": "?after=0"}}
        elif self.kind == "repeated_cursor":
            data["paging"] = {"next": {"after": after, "link": f"?after={after}"}}
        elif self.kind == "understated_total":
            for key in ("total_items", "total"):
                if isinstance(data.get(key), int):
                    data[key] = min(data[key], int(self.value))
        return json.dumps(data).encode()


class Quirks:
    def __init__(self) -> None:
        self.armed: list[Quirk] = []
        self._lock = threading.Lock()

    def arm(self, quirk: Quirk) -> None:
        with self._lock:
            self.armed.append(quirk)

    def take(self, path: str, after: str | None, is_search: bool) -> Quirk | None:
        """The first armed quirk for this request, with one of its `times` used up."""
        with self._lock:
            for quirk in self.armed:
                if quirk.applies(path, after, is_search):
                    quirk.fired += 1
                    return quirk
        return None

    def wanted(self, path: str) -> bool:
        """Whether any armed quirk could apply to `path` (only then is the request body read)."""
        with self._lock:
            return any(q.fired < q.times and q.path in (None, path) for q in self.armed)

    def clear(self) -> None:
        with self._lock:
            self.armed.clear()

    def as_dict(self) -> dict:
        with self._lock:
            return {"quirks": [asdict(q) for q in self.armed]}
