"""Mailchimp Marketing API 3.0 streams: list members, campaigns, email activity, unsubscribes.

Offset-paged endpoints can shift under a concurrent change, so each stream re-reads its
whole incremental window and commits the bookmark only with the final page; the raw merge
turns re-read records into no-ops. Paging stops at the first short (or empty) page, never at
the `total_items` the API claims: that count has been seen understated (1,000 of 2,102).
Email activity is flattened to one row per event with a stable key (campaign, recipient,
action, timestamp, url), which deduplicates repeats.
"""
from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any, ClassVar, Iterator

from leadscore.sources.raw_store import RawRecord
from leadscore.sources.streams import Page, Stream, iso, newest, parse_ts

MAX_COUNT = 1000


class OffsetStream(Stream):
    source = "mailchimp"
    paginator = "offset"
    collection: ClassVar[str]

    def offset_pages(self, path: str, params: dict[str, Any], collection: str | None = None
                     ) -> Iterator[tuple[list[dict], bool]]:
        """(items, is_last) per page of an offset-paged collection (default: the stream's own)."""
        offset = 0
        count = max(1, min(MAX_COUNT, int(self.ctx.options.get("mailchimp_page_size", MAX_COUNT))))
        while True:
            body = self.client.get(path, {**params, "count": count, "offset": offset})
            self.pages += 1
            items = body.get(collection or self.collection, [])
            offset += len(items)
            last = len(items) < count  # a short or empty page ends it; `total_items` can be understated
            yield items, last
            if last:
                return

    @property
    def list_id(self) -> str:
        return self.ctx.options["mailchimp_list_id"]


class Members(OffsetStream):
    name = "mailchimp_members"
    primary_key = "id"
    replication_key = "last_changed"
    collection = "members"

    @property
    def path(self) -> str:  # type: ignore[override]
        return f"/3.0/lists/{self.list_id}/members"

    def pages_from(self, state: dict) -> Iterator[Page]:
        since = parse_ts(state.get("since"))
        params: dict[str, Any] = {"sort_field": "last_changed", "sort_dir": "ASC"}
        if since:
            params["since_last_changed"] = iso(since - timedelta(seconds=self.ctx.lookback_seconds))
        max_seen = since
        for items, last in self.offset_pages(self.path, params):
            records = []
            for m in items:
                changed = parse_ts(m.get("last_changed"))
                records.append(RawRecord(id=str(m["id"]), record=m, source_updated_at=changed))
                max_seen = newest(max_seen, changed, self.ctx.started_at)
            yield Page(records, {"since": iso(max_seen)} if (last and max_seen) else state, final=last)


class Campaigns(OffsetStream):
    name = "mailchimp_campaigns"
    path = "/3.0/campaigns"
    replication_key = "send_time"
    collection = "campaigns"

    def pages_from(self, state: dict) -> Iterator[Page]:
        for items, last in self.offset_pages(self.path, {}):
            records = [RawRecord(id=str(c["id"]), record=c, source_updated_at=parse_ts(c.get("send_time")))
                       for c in items]
            yield Page(records, {"completed_at": iso(self.ctx.started_at)} if last else state, final=last)


def recent_campaign_ids(stream: OffsetStream) -> list[str]:
    """Campaigns sent within the activity window (older ones rarely get new activity)."""
    window = timedelta(days=int(stream.ctx.options.get("activity_window_days", 180)))
    since = iso(stream.ctx.started_at - window)
    ids = []
    for items, _ in stream.offset_pages("/3.0/campaigns", {"since_send_time": since}, "campaigns"):
        ids.extend(str(c["id"]) for c in items if c.get("send_time"))
    return sorted(ids)


def event_key(*parts: Any) -> str:
    return hashlib.md5("|".join("" if p is None else str(p) for p in parts).encode()).hexdigest()


class EmailActivity(OffsetStream):
    name = "mailchimp_email_activity"
    replication_key = "timestamp"
    collection = "emails"
    path = "/3.0/reports/{campaign_id}/email-activity"

    def pages_from(self, state: dict) -> Iterator[Page]:
        bookmarks: dict[str, str] = dict(state.get("campaigns", {}))
        for campaign_id in recent_campaign_ids(self):
            since = parse_ts(bookmarks.get(campaign_id))
            params = {"since": iso(since - timedelta(seconds=self.ctx.lookback_seconds))} if since else {}
            max_seen = since
            for items, last in self.offset_pages(self.path.format(campaign_id=campaign_id), params):
                records = []
                for recipient in items:
                    for act in recipient.get("activity", []):
                        ts = parse_ts(act.get("timestamp"))
                        row = {k: v for k, v in recipient.items() if k != "activity"}
                        row.update(act)
                        row["campaign_id"] = campaign_id
                        key = event_key(campaign_id, recipient.get("email_id"), act.get("action"),
                                        act.get("timestamp"), act.get("url"))
                        records.append(RawRecord(id=key, record=row, source_updated_at=ts))
                        max_seen = newest(max_seen, ts, self.ctx.started_at)
                if last and max_seen:
                    bookmarks[campaign_id] = iso(max_seen)
                yield Page(records, {"campaigns": dict(bookmarks)}, final=False)
        yield Page([], {"campaigns": bookmarks}, final=True)


class Unsubscribes(OffsetStream):
    name = "mailchimp_unsubscribes"
    replication_key = "timestamp"
    collection = "unsubscribes"
    path = "/3.0/reports/{campaign_id}/unsubscribed"

    def pages_from(self, state: dict) -> Iterator[Page]:
        for campaign_id in recent_campaign_ids(self):
            for items, _ in self.offset_pages(self.path.format(campaign_id=campaign_id), {}):
                records = [RawRecord(id=f"{campaign_id}:{u.get('email_id')}", record={**u, "campaign_id": campaign_id},
                                     source_updated_at=parse_ts(u.get("timestamp"))) for u in items]
                yield Page(records, state)
        yield Page([], {"completed_at": iso(self.ctx.started_at)}, final=True)


STREAMS: tuple[type[Stream], ...] = (Members, Campaigns, EmailActivity, Unsubscribes)
