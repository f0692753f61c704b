"""The stream contract, in the spirit of the Singer SDK.

A stream declares its raw table name, primary key, replication key and paginator, and
yields `Page`s: the records of one API page plus the bookmark that is safe to store once
those records are landed. The extraction runner (`extract.py`) commits each page and its
bookmark in one transaction; streams never touch the warehouse.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, ClassVar, Iterator

from leadscore.errors import SourceError
from leadscore.sources.http import ApiClient
from leadscore.sources.raw_store import RawRecord


@dataclass
class Page:
    records: list[RawRecord]
    state: dict
    final: bool = False


@dataclass
class StreamContext:
    """What a stream needs at run time besides its client: settings and the run's clock."""

    started_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    lookback_seconds: int = 300
    page_size: int = 100
    options: dict[str, Any] = field(default_factory=dict)


class Stream:
    name: ClassVar[str]
    source: ClassVar[str]
    path: ClassVar[str]
    primary_key: ClassVar[str] = "id"
    replication_key: ClassVar[str | None] = None
    paginator: ClassVar[str] = ""
    # properties the pipeline writes to this source itself; a version changed only in those is
    # its own write echoing back and is not landed (raw_store.merge)
    echo_prefix: ClassVar[str | None] = None

    def __init__(self, client: ApiClient, ctx: StreamContext):
        self.client = client
        self.ctx = ctx
        self.pages = 0
        self._cursors: set = set()

    def follow(self, cursor, shown: str | None = None) -> None:
        """Note a page position about to be requested; one already requested in this run is a loop.

        An API that hands a cursor back unchanged would otherwise be asked for the same page
        forever; failing names the stream and the cursor (`shown`, if the position is more than
        a cursor), and no bookmark moves.
        """
        if cursor in self._cursors:
            raise SourceError(
                f"{self.name}: the API handed back the paging cursor {shown or repr(cursor)} a second time in this run "
                f"(after {self.pages} pages), which would loop forever; nothing past it was landed",
                "rerun later; if it persists, the API is misbehaving (report the cursor to its support)",
            )
        self._cursors.add(cursor)

    def pages_from(self, state: dict) -> Iterator[Page]:  # pragma: no cover - abstract
        raise NotImplementedError


def newest(current: datetime | None, ts: datetime | None, ceiling: datetime) -> datetime | None:
    """The bookmark candidate after seeing `ts`: the newest timestamp not after `ceiling`
    (the run's start), so a future-dated record cannot push the bookmark past real time."""
    if ts is None or ts > ceiling or (current is not None and ts <= current):
        return current
    return ts


def parse_ts(value: Any) -> datetime | None:
    """HubSpot and Mailchimp timestamps: ISO-8601 (any precision, Z or offset) or epoch ms."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    if text.isdigit():
        return datetime.fromtimestamp(int(text) / 1000, tz=timezone.utc)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def to_ms(ts: datetime) -> int:
    return int(ts.timestamp() * 1000)


def iso(ts: datetime) -> str:
    return ts.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
