"""Run one stream: page by page, land records and bookmark in one transaction, log a summary.

This is what the DAG's extract tasks and `leadscore run` call. A rerun after a crash resumes
from the last committed bookmark; `full_refresh` empties that stream's raw table and
bookmark (and only that stream's) before reading everything again.
"""
from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Callable

from leadscore import warehouse
from leadscore.errors import ConfigError
from leadscore.sources import hubspot, mailchimp, raw_store, state
from leadscore.sources.connect import open_source
from leadscore.sources.streams import Stream, StreamContext

log = logging.getLogger(__name__)

REGISTRY: dict[str, type[Stream]] = {s.name: s for s in (*hubspot.STREAMS, *mailchimp.STREAMS)}
LOG_EVERY_PAGES = 20
COMMIT_EVERY_RECORDS = 2_000  # pages are buffered up to this many records per transaction


def stream_names(source: str | None = None) -> list[str]:
    return [name for name, cls in REGISTRY.items() if source is None or cls.source == source]


def raw_tables() -> list[str]:
    """The raw tables the streams land in: one per stream, named like it."""
    return sorted(REGISTRY)


@dataclass
class StreamSummary:
    stream: str
    run_id: str
    records: int = 0
    inserted: int = 0
    updated: int = 0
    pages: int = 0
    retries: int = 0
    rate_limited: int = 0
    sanitised: int = 0  # records landed with NUL / lone surrogates stripped (raw_store.storable)
    seconds: float = 0.0
    status: str = "running"
    started_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))

    def line(self) -> str:
        return (f"{self.stream}: {self.records} records ({self.inserted} new, {self.updated} updated) "
                f"in {self.pages} pages, {self.retries} retries, {self.rate_limited}×429, "
                f"{self.sanitised} sanitised, {self.seconds:.1f}s")


def _record_summary(conn, s: StreamSummary) -> None:
    conn.execute(
        """
        insert into raw._extraction_runs (run_id, stream, started_at, finished_at, records, inserted, updated,
                                          pages, retries, rate_limited, sanitised, seconds, status)
        values (%(run_id)s, %(stream)s, %(started_at)s, now(), %(records)s, %(inserted)s, %(updated)s,
                %(pages)s, %(retries)s, %(rate_limited)s, %(sanitised)s, %(seconds)s, %(status)s)
        on conflict (run_id, stream) do update set finished_at = now(), records = excluded.records,
            inserted = excluded.inserted, updated = excluded.updated, pages = excluded.pages,
            retries = excluded.retries, rate_limited = excluded.rate_limited, sanitised = excluded.sanitised,
            seconds = excluded.seconds,
            status = excluded.status
        """,
        asdict(s),
    )


def run_stream(name: str, run_id: str, *, full_refresh: bool = False,
               on_page: Callable[[StreamSummary], None] | None = None) -> StreamSummary:
    """Extract one stream into raw.<table>; returns (and stores) its summary."""
    if name not in REGISTRY:
        raise ConfigError(f"unknown stream {name!r}", f"choose one of: {', '.join(REGISTRY)}")
    cls = REGISTRY[name]
    table = cls.name
    session = open_source(cls.source)
    summary = StreamSummary(stream=name, run_id=run_id)
    p = warehouse.params()
    started = time.perf_counter()
    try:
        with warehouse.connect(p=p) as conn:
            raw_store.ensure_table(conn, table)
            if full_refresh:
                raw_store.truncate(conn, table)
                state.reset(conn, name)
            bookmark = state.load(conn, name)
        ctx = StreamContext(lookback_seconds=session.options["lookback_seconds"],
                            page_size=session.options["page_size"], options=session.options)
        stream = cls(session.client, ctx)
        buffered: list = []
        commit_every = int(session.options.get("commit_every_records", COMMIT_EVERY_RECORDS))

        def commit(page_state: dict) -> None:
            # the records and the bookmark that covers them land in one transaction
            with conn.transaction():
                result = raw_store.merge(conn, table, buffered, run_id, cls.echo_prefix)
                state.save(conn, name, page_state)
            summary.records += len(buffered)
            summary.inserted += result.inserted
            summary.updated += result.updated
            summary.sanitised += result.sanitised
            buffered.clear()

        with warehouse.connect(autocommit=True, p=p) as conn:
            for page in stream.pages_from(bookmark):
                buffered.extend(page.records)
                if page.final or len(buffered) >= commit_every:
                    commit(page.state)
                summary.pages = stream.pages
                stats = session.client.stats
                summary.retries, summary.rate_limited = stats.retries, stats.rate_limited
                if on_page:
                    on_page(summary)
                if stream.pages % LOG_EVERY_PAGES == 0:
                    log.info("progress %s", summary.line())
        summary.status = "success"
    except BaseException:
        summary.status = "failed"
        raise
    finally:
        summary.seconds = time.perf_counter() - started
        stats = session.client.stats
        summary.retries, summary.rate_limited = stats.retries, stats.rate_limited
        session.client.close()
        try:
            with warehouse.connect(p=p) as conn:
                _record_summary(conn, summary)
        except Exception:  # the summary must never hide the real error
            log.warning("could not store the extraction summary for %s", name)
    log.info("extracted %s", summary.line())
    return summary
