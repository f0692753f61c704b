"""Nothing disappears silently: per stream, loaded = scored (passed by staging) + quarantined.

Each live raw row must be in exactly one of: the ids a dbt staging model passes on, or the
stream's current quarantine set. Every stream is mapped to its staging model and key column
explicitly (STAGING): guessing a column name once made the check compare nothing. A stream
without a staging model must be listed in UNSTAGED with the reason. The input gate runs before
dbt and passes `staging=False` (raw vs quarantine only, `checked` False); the output gate treats
a stream it could not check as a failure.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Iterable

import psycopg
from psycopg import sql

from leadscore.sources import raw_store

# stream → (staging relation, the column carrying raw.<stream>.id); mirrors
# dbt_project/models/staging/**/_*__models.yml, where that column is tested unique and not_null.
STAGING: dict[str, tuple[str, str]] = {
    "hubspot_contacts": ("staging.stg_hubspot__contacts", "contact_id"),
    "hubspot_companies": ("staging.stg_hubspot__companies", "company_id"),
    "hubspot_deals": ("staging.stg_hubspot__deals", "deal_id"),
    "hubspot_deal_pipelines": ("staging.stg_hubspot__deal_pipelines", "pipeline_id"),
    "hubspot_calls": ("staging.stg_hubspot__calls", "call_id"),
    "hubspot_meetings": ("staging.stg_hubspot__meetings", "meeting_id"),
    "hubspot_emails": ("staging.stg_hubspot__emails", "email_id"),
    "hubspot_notes": ("staging.stg_hubspot__notes", "note_id"),
    "hubspot_form_submissions": ("staging.stg_hubspot__form_submissions", "form_submission_id"),
    "hubspot_page_views": ("staging.stg_hubspot__page_views", "page_view_id"),
    "mailchimp_members": ("staging.stg_mailchimp__members", "member_id"),
    "mailchimp_campaigns": ("staging.stg_mailchimp__campaigns", "campaign_id"),
    "mailchimp_email_activity": ("staging.stg_mailchimp__email_activity", "email_activity_id"),
    "mailchimp_unsubscribes": ("staging.stg_mailchimp__unsubscribes", "unsubscribe_id"),
}
# stream → why it has no staging model (counted raw vs quarantine only). Empty today: every
# extracted stream is staged.
UNSTAGED: dict[str, str] = {}


@dataclass
class Reconciliation:
    stream: str
    loaded: int
    quarantined: int
    passed: int
    missing: int = 0        # live raw rows neither passed nor quarantined: silently lost
    leaked: int = 0         # quarantined rows that staging still passes on
    extra: int = 0          # staging ids with no raw row
    staging: str | None = None
    checked: bool = False
    unchecked_reason: str | None = None

    @property
    def balanced(self) -> bool:
        return self.missing == 0 and self.leaked == 0 and self.extra == 0 and self.loaded == self.passed + self.quarantined

    def line(self) -> str:
        text = f"{self.stream}: loaded {self.loaded} = scored {self.passed} + quarantined {self.quarantined}"
        if not self.balanced:
            text += f" FAILS (missing {self.missing}, leaked {self.leaked}, extra {self.extra})"
        return text if self.checked else f"{text} (staging not checked: {self.unchecked_reason})"

    def as_dict(self) -> dict:
        return {**asdict(self), "balanced": self.balanced}


def _unchecked_reason(conn: psycopg.Connection, stream: str) -> str | None:
    """Why `stream` cannot be compared with its staging model, or None when it can."""
    if stream in UNSTAGED:
        return f"no staging model ({UNSTAGED[stream]})"
    if stream not in STAGING:
        return "not mapped to a staging model in leadscore.quality.reconcile.STAGING"
    relation, column = STAGING[stream]
    schema, _, name = relation.partition(".")
    columns = {r[0] for r in conn.execute(
        "select column_name from information_schema.columns where table_schema = %s and table_name = %s",
        (schema, name))}
    if not columns:
        return f"{relation} does not exist (did dbt build it?)"
    if column not in columns:
        return f"{relation} has no column {column}"
    return None


def reconcile(conn: psycopg.Connection, streams: Iterable[str], *, staging: bool = True) -> dict[str, Reconciliation]:
    """Reconcile each stream against its staging model (STAGING); `staging=False` counts raw vs quarantine only."""
    out = {}
    for stream in streams:
        raw_store.ensure_table(conn, stream)
        reason = _unchecked_reason(conn, stream) if staging else "before dbt"
        if reason is None:
            relation, column = STAGING[stream]
            schema, _, name = relation.partition(".")
            staged = sql.SQL("select distinct {col}::text as id from {rel}").format(
                col=sql.Identifier(column), rel=sql.Identifier(schema, name))
        else:
            relation, staged = None, sql.SQL("select null::text as id where false")
        row = conn.execute(sql.SQL(
            """
            with live as (select id from {raw} where not is_deleted),
                 q as (select distinct record_id from quality.quarantined_records where stream = %(stream)s),
                 s as ({staged})
            select count(*),
                   count(*) filter (where q.record_id is not null),
                   count(*) filter (where s.id is not null and q.record_id is null),
                   count(*) filter (where s.id is null and q.record_id is null),
                   count(*) filter (where s.id is not null and q.record_id is not null),
                   -- an anti-join: `not in (subquery)` degrades to a nested scan per row once
                   -- the ids outgrow work_mem (143k e-mail events took minutes)
                   (select count(*) from s where not exists (select 1 from {raw} as r where r.id = s.id))
            from live left join q on q.record_id = live.id left join s on s.id = live.id
            """).format(raw=raw_store.table_name(stream), staged=staged), {"stream": stream}).fetchone()
        loaded, quarantined, passed, missing, leaked, extra = row
        if reason:  # without staging, everything not quarantined counts as passed on
            passed, missing = loaded - quarantined, 0
        out[stream] = Reconciliation(stream, loaded, quarantined, passed, missing, leaked, extra,
                                     staging=relation, checked=reason is None, unchecked_reason=reason)
    return out
