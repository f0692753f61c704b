"""HubSpot CRM v3 streams: contacts, companies, deals, engagements (search), archived contacts,
deal pipelines, events.

Incremental CRM objects use the search endpoint with *keyset* paging: filter
`<replication key> GTE bookmark − lookback AND hs_object_id GT last id`, sorted by
`hs_object_id`. Every request starts at offset 0, so the 10,000-result cap is never hit,
no record is skipped when thousands share one timestamp, and a crash resumes from the last
committed id. The bookmark only advances to min(max seen, query start) when the query is
exhausted, so records changed during the sync are picked up by the next run.

A query (or listing) ends only when a page carries no `paging.next` cursor: an empty page that
still has one is followed with `after`, so a page the API answers empty never ends the stream
early and never moves the bookmark past records not yet landed. A cursor handed back twice is a
paging loop and fails the stream (`Stream.follow`).
"""
from __future__ import annotations

from datetime import timedelta
from typing import ClassVar, Iterator

from leadscore.sources.raw_store import RawRecord
from leadscore.sources.streams import Page, Stream, iso, newest, parse_ts, to_ms

SEARCH_LIMIT = 100
ASSOCIATION_BATCH = 100


def next_cursor(body: dict) -> str | None:
    """`paging.next.after`: the only sign that more pages exist (an empty page may still carry one)."""
    return ((body.get("paging") or {}).get("next") or {}).get("after") or None


def cursor_pages(stream: Stream, path: str, params: dict) -> Iterator[tuple[list[dict], bool]]:
    """(results, is_last) per page of a HubSpot GET that pages with `paging.next.after`.

    The listing ends on a missing cursor only, never on an empty page.
    """
    after = None
    while True:
        body = stream.client.get(path, {**params, "after": after} if after else params)
        stream.pages += 1
        after = next_cursor(body)
        yield body.get("results", []), not after
        if not after:
            return
        stream.follow(after)


def crm_record(obj: dict, extra: dict | None = None) -> RawRecord:
    record = dict(obj)
    if extra:
        record.update(extra)
    return RawRecord(
        id=str(obj["id"]),
        record=record,
        source_updated_at=parse_ts(obj.get("updatedAt")),
        is_deleted=bool(obj.get("archived")),
    )


class CrmSearchStream(Stream):
    """A CRM object type read incrementally through POST /crm/v3/objects/{type}/search."""

    source = "hubspot"
    object_type: ClassVar[str]
    replication_key = "hs_lastmodifieddate"
    paginator = "keyset-search"
    associate_to: ClassVar[str | None] = None
    archived_too: ClassVar[bool] = False
    required_properties: ClassVar[tuple[str, ...]] = ()

    @property
    def path(self) -> str:  # type: ignore[override]
        return f"/crm/v3/objects/{self.object_type}/search"

    def property_names(self) -> list[str]:
        """Every property the portal defines, so new CRM properties land with no code change,
        plus the ones downstream models read (`required_properties`), asked for even when the
        portal's property list omits them (HubSpot ignores names it does not know)."""
        body = self.client.get(f"/crm/v3/properties/{self.object_type}")
        return sorted({p["name"] for p in body.get("results", [])} | set(self.required_properties))

    def pages_from(self, state: dict) -> Iterator[Page]:
        for page in self.search_pages(state):
            if page.final and self.archived_too:
                # the bookmark advances only once the archived listing has landed too
                yield Page(page.records, state)
                yield from self.archived_pages(page.state)
            else:
                yield page

    def search_pages(self, state: dict) -> Iterator[Page]:
        props = self.property_names()
        since_ms = state.get("since_ms")
        last_id = int(state.get("last_id", 0))
        query_started_ms = int(state.get("query_started_ms") or to_ms(self.ctx.started_at))
        max_seen_ms = int(state.get("max_seen_ms") or since_ms or 0)
        lower_ms = None if since_ms is None else int(since_ms) - self.ctx.lookback_seconds * 1000
        after = None  # set only to follow an empty page's cursor; a page with results moves last_id instead
        while True:
            filters = [{"propertyName": "hs_object_id", "operator": "GT", "value": str(last_id)}]
            if lower_ms is not None:
                filters.append({"propertyName": self.replication_key, "operator": "GTE", "value": str(lower_ms)})
            query = {
                "filterGroups": [{"filters": filters}],
                "sorts": [{"propertyName": "hs_object_id", "direction": "ASCENDING"}],
                "properties": props,
                "limit": self.ctx.page_size,
            }
            if after:
                query["after"] = after
            # the same position twice (a cursor handed back, or results that do not move last_id) is a loop
            self.follow((last_id, after), f"{after!r} (after id {last_id})")
            body = self.client.post(self.path, query, limiter=self.ctx.options.get("search_limiter"))
            results = body.get("results", [])
            self.pages += 1
            associations = self.associations([r["id"] for r in results]) if self.associate_to else {}
            records = []
            for obj in results:
                extra = {"associations": {self.associate_to: associations.get(str(obj["id"]), [])}} if self.associate_to else None
                records.append(crm_record(obj, extra))
                last_id = max(last_id, int(obj["id"]))
                modified = parse_ts((obj.get("properties") or {}).get(self.replication_key)) or parse_ts(obj.get("updatedAt"))
                if modified:
                    max_seen_ms = max(max_seen_ms, to_ms(modified))
            cursor = next_cursor(body)
            if not cursor:  # only a missing cursor ends the query; an empty page may still have one
                yield Page(records, {"since_ms": min(max_seen_ms, query_started_ms)}, final=True)
                return
            after = None if results else cursor
            yield Page(records, {"since_ms": since_ms, "last_id": last_id, "max_seen_ms": max_seen_ms,
                                 "query_started_ms": query_started_ms})

    def archived_pages(self, final_state: dict) -> Iterator[Page]:
        """Archived records never appear in search: list them (`archived=true`) and mark them deleted."""
        params = {"limit": self.ctx.page_size, "archived": "true"}
        for results, last in cursor_pages(self, f"/crm/v3/objects/{self.object_type}", params):
            records = [crm_record({**obj, "archived": True}) for obj in results]
            yield Page(records, final_state if last else {}, final=last)

    def associations(self, ids: list[str]) -> dict[str, list[str]]:
        """Record → contact ids via the v4 associations batch read (search returns none).

        A record with more associations than one answer holds carries `paging.next.after`; it is
        asked again with `{"id", "after"}` until its list has no cursor.
        """
        found: dict[str, list[str]] = {}
        pending = [{"id": str(i)} for i in ids]
        while pending:
            chunk, pending = pending[:ASSOCIATION_BATCH], pending[ASSOCIATION_BATCH:]
            body = self.client.post(
                f"/crm/v4/associations/{self.object_type}/{self.associate_to}/batch/read",
                {"inputs": chunk}, accept_status=(207,),
            )
            for row in body.get("results", []):
                from_id = str(row["from"]["id"])
                found.setdefault(from_id, []).extend(str(t["toObjectId"]) for t in row.get("to", []))
                after = next_cursor(row)
                if after:
                    self.follow(("associations", from_id, after), f"{after!r} (associations of {from_id})")
                    pending.append({"id": from_id, "after": after})
        return {k: sorted(set(v)) for k, v in found.items()}


class Contacts(CrmSearchStream):
    name = "hubspot_contacts"
    object_type = "contacts"
    replication_key = "lastmodifieddate"
    archived_too = True
    # the reverse sync's properties (leadscore.sync.mapping.PROPERTY_DEFINITIONS): read, so that a
    # version changed only in them is recognised as the sync's own write and not landed again
    echo_prefix = "leadscore_"
    # when the contact reached each stage: the conversion and point-in-time lifecycle history
    required_properties = tuple(f"hs_lifecyclestage_{stage}_date" for stage in (
        "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer", "evangelist"))


class Companies(CrmSearchStream):
    name = "hubspot_companies"
    object_type = "companies"


class Deals(CrmSearchStream):
    """Deals with their contact ids: the outcomes leads are measured against."""

    name = "hubspot_deals"
    object_type = "deals"
    associate_to = "contacts"
    required_properties = ("dealname", "dealstage", "pipeline", "amount", "closedate", "createdate",
                           "hs_is_closed_won", "hs_is_closed", "hs_lastmodifieddate")


class Calls(CrmSearchStream):
    name = "hubspot_calls"
    object_type = "calls"
    associate_to = "contacts"


class Meetings(CrmSearchStream):
    name = "hubspot_meetings"
    object_type = "meetings"
    associate_to = "contacts"


class Emails(CrmSearchStream):
    name = "hubspot_emails"
    object_type = "emails"
    associate_to = "contacts"


class Notes(CrmSearchStream):
    name = "hubspot_notes"
    object_type = "notes"
    associate_to = "contacts"


class DealPipelines(Stream):
    """Deal pipelines and their stages (which stage is won: probability 1.0), read whole every
    run: a portal has a handful, and a stage edit must reach the warehouse the same day."""

    source = "hubspot"
    name = "hubspot_deal_pipelines"
    path = "/crm/v3/pipelines/deals"
    paginator = "none"

    def pages_from(self, state: dict) -> Iterator[Page]:
        body = self.client.get(self.path)
        self.pages += 1
        records = []
        for pipeline in body.get("results", []):
            stamps = [parse_ts(pipeline.get("updatedAt"))] + [parse_ts(s.get("updatedAt"))
                                                              for s in pipeline.get("stages") or []]
            records.append(RawRecord(id=str(pipeline["id"]), record=pipeline,
                                     source_updated_at=max((t for t in stamps if t), default=None),
                                     is_deleted=bool(pipeline.get("archived"))))
        yield Page(records, {}, final=True)


class ContactEvents(Stream):
    """Form submissions and page views from the Events v3 API, incremental on occurredAt.

    Events are immutable, so the bookmark only advances at the end of a pass and a rerun
    after a crash re-reads the window; the raw merge makes the repeat a no-op.
    """

    source = "hubspot"
    path = "/events/v3/events"
    replication_key = "occurredAt"
    paginator = "cursor"
    event_type: ClassVar[str]

    def pages_from(self, state: dict) -> Iterator[Page]:
        since = parse_ts(state.get("since"))
        max_seen = since
        params = {"objectType": "contact", "eventType": self.event_type, "limit": self.ctx.page_size}
        if since:
            params["occurredAfter"] = iso(since - timedelta(seconds=self.ctx.lookback_seconds))
        for results, last in cursor_pages(self, self.path, params):
            records = []
            for event in results:
                occurred = parse_ts(event.get("occurredAt"))
                records.append(RawRecord(id=str(event["id"]), record=event, source_updated_at=occurred))
                max_seen = newest(max_seen, occurred, self.ctx.started_at)
            if last:
                yield Page(records, {"since": iso(max_seen)} if max_seen else {}, final=True)
            else:
                yield Page(records, state)


class FormSubmissions(ContactEvents):
    name = "hubspot_form_submissions"
    event_type = "e_submitted_form"


class PageViews(ContactEvents):
    name = "hubspot_page_views"
    event_type = "e_visited_page"


STREAMS: tuple[type[Stream], ...] = (
    Contacts, Companies, Deals, DealPipelines, Calls, Meetings, Emails, Notes, FormSubmissions, PageViews,
)
