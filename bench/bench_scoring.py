"""Scoring (dbt) benchmark: full refresh vs a hand-written query, and the daily incremental run.

Raw rows are generated in SQL (generate_series) in the shapes the extractors land:
  small: 20k leads × 400k activities;  full: 1M leads × 20M activities.
Figures (median of `runs`: 3 small, 2 full):
  scoring_full_refresh_seconds      `dbt run --full-refresh` of every model (staging → marts);
                                    lower bound: one hand-written scoring query over the same
                                    raw data (parse, dedupe by email, decay, caps, fit, tier)
  scoring_handwritten_query_seconds that lower bound on its own
  scoring_incremental_seconds       a following day's `dbt run` after 1% new activities (one
                                    sample per simulated day, three days); its lower bound is a
                                    full refresh of the same data (ratio < 1 = incremental wins)
Notes name the slowest models of the last run of each kind (dbt's run_results.json).
The raw tables are vacuumed and analysed after loading, and the whole warehouse before each
timed daily run and the final full refresh, as autovacuum leaves it between scheduled runs.
"""
from __future__ import annotations

import statistics
import time
from datetime import datetime, timedelta, timezone

from harness import figure

SCALES = {"small": (20_000, 400_000), "full": (1_000_000, 20_000_000)}
AS_OF = datetime(2026, 6, 1, tzinfo=timezone.utc)
STREAMS = ("hubspot_contacts", "hubspot_companies", "hubspot_calls", "hubspot_meetings", "hubspot_emails",
           "hubspot_notes", "hubspot_form_submissions", "hubspot_page_views", "mailchimp_members",
           "mailchimp_campaigns", "mailchimp_email_activity", "mailchimp_unsubscribes")

GENERATE_SQL = """
set work_mem = '256MB';
insert into raw.hubspot_companies (id, record, source_updated_at, is_deleted, _run_id)
select 'co' || g,
       jsonb_build_object('id', 'co' || g, 'archived', false, 'properties', jsonb_build_object(
           'name', 'Company ' || g, 'domain', 'company' || g || '.example',
           'industry', (array['Software','Financial Services','Manufacturing','Retail','SaaS'])[1 + g % 5],
           'numberofemployees', case when g % 7 = 0 then to_char(g % 5000, 'FM9,999') else (g % 5000)::text end,
           'annualrevenue', ((g % 100) * 250000)::text, 'country', (array['CZ','DE','PL','US','FR'])[1 + g % 5])),
       %(as_of)s::timestamptz - interval '30 days', false, 'bench'
from generate_series(1::bigint, %(companies)s) g;

insert into raw.hubspot_contacts (id, record, source_updated_at, is_deleted, _run_id)
select 'c' || g,
       jsonb_build_object('id', 'c' || g, 'archived', g % 97 = 0, 'properties', jsonb_build_object(
           'email', case when g % 50 = 0 then ' Lead' || (g - 1) || '@Company' || ((g - 1) % %(companies)s + 1) || '.example '
                         else 'lead' || g || '@company' || (g % %(companies)s + 1) || '.example' end,
           'jobtitle', (array['CEO','Marketing Manager','Head of IT','Student','Engineer','jednatel','Analyst'])[1 + g % 7],
           'associatedcompanyid', 'co' || (g % %(companies)s + 1),
           'lifecyclestage', (array['lead','marketingqualifiedlead','customer','subscriber'])[1 + g % 4],
           'createdate', to_char(%(as_of)s::timestamptz - (g % 700) * interval '1 day', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
           'country', 'CZ')),
       %(as_of)s::timestamptz - interval '5 days', g % 97 = 0, 'bench'
from generate_series(1::bigint, %(leads)s) g;

insert into raw.hubspot_form_submissions (id, record, source_updated_at, is_deleted, _run_id)
select 'f' || g,
       jsonb_build_object('id', 'f' || g, 'eventType', 'e_submitted_form', 'objectId', 'c' || (1 + (g * 7919) %% %(leads)s),
           'occurredAt', to_char(%(as_of)s::timestamptz - ((g * 31) %% 400) * interval '1 day' - (g %% 1440) * interval '1 minute', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
           'properties', jsonb_build_object('form_type', (array['demo_request','ebook_download','newsletter_signup','webinar_registration','case_study_request','mystery'])[1 + g %% 6],
               'budget_range', (array['', '10k-50k', '<10k'])[1 + g %% 3], 'purchase_timeframe', (array['', '<3 months', 'no plans'])[1 + g %% 3])),
       %(as_of)s::timestamptz, false, 'bench'
from generate_series(1::bigint, %(forms)s) g;

insert into raw.hubspot_page_views (id, record, source_updated_at, is_deleted, _run_id)
select 'pv' || g,
       jsonb_build_object('id', 'pv' || g, 'eventType', 'e_visited_page', 'objectId', 'c' || (1 + (g * 104729) %% %(leads)s),
           'occurredAt', to_char(%(as_of)s::timestamptz - ((g * 17) %% 365) * interval '1 day' - (g %% 1440) * interval '1 minute', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
           'properties', jsonb_build_object('hs_url', 'https://example.test' || (array['/pricing','/blog/a','/product/x','/case-studies/y','/careers','/docs/z'])[1 + g %% 6])),
       %(as_of)s::timestamptz, false, 'bench'
from generate_series(1::bigint, %(pages)s) g;

insert into raw.mailchimp_email_activity (id, record, source_updated_at, is_deleted, _run_id)
select 'ea' || g,
       jsonb_build_object('campaign_id', 'cmp' || (g %% 50), 'list_id', 'l1', 'action', (array['open','open','open','click','bounce'])[1 + g %% 5],
           'type', case when g %% 10 = 4 then 'hard' else 'soft' end,
           'email_address', 'lead' || (1 + (g * 15485863) %% %(leads)s) || '@company' || ((1 + (g * 15485863) %% %(leads)s) %% %(companies)s + 1) || '.example',
           'timestamp', to_char(%(as_of)s::timestamptz - ((g * 13) %% 365) * interval '1 day' - (g %% 1440) * interval '1 minute', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')),
       %(as_of)s::timestamptz, false, 'bench'
from generate_series(1::bigint, %(emails)s) g;
analyze;
"""

# One query that does what the dbt project does, minus the explanations and frameworks:
# the natural floor for a set-based scoring run over the same raw data. It computes in double
# precision, as the models do (a literal like 40.0 is numeric in Postgres, and a floor in
# arbitrary precision is several times slower than one in float8), and runs with the models'
# session settings (SESSION_SQL), so the ratio compares the same work under the same memory.
HANDWRITTEN_SQL = """
drop table if exists bench_scoring.handwritten;
create table bench_scoring.handwritten as
with contacts as (
    select id, lower(btrim(record -> 'properties' ->> 'email')) as email, record -> 'properties' ->> 'jobtitle' as title,
           record -> 'properties' ->> 'associatedcompanyid' as company_id,
           coalesce((record -> 'properties' ->> 'createdate')::timestamptz, now()) as created_at
    from raw.hubspot_contacts where not is_deleted
), leads as (
    select distinct on (email) email, id as crm_id, title, company_id from contacts order by email, created_at, id
), ids as (
    select c.id, l.crm_id from contacts c join leads l using (email)
), acts as (
    select i.crm_id, case when f.record -> 'properties' ->> 'form_type' in ('demo_request','ebook_download','newsletter_signup','webinar_registration','case_study_request')
                          then f.record -> 'properties' ->> 'form_type' else 'form_other' end as t,
           (f.record ->> 'occurredAt')::timestamptz as ts
    from raw.hubspot_form_submissions f join ids i on i.id = f.record ->> 'objectId'
    union all
    select i.crm_id, case when p.record -> 'properties' ->> 'hs_url' like '%%/pricing%%' then 'page_pricing' else 'page_other' end,
           (p.record ->> 'occurredAt')::timestamptz
    from raw.hubspot_page_views p join ids i on i.id = p.record ->> 'objectId'
    union all
    select l.crm_id, 'email_' || (e.record ->> 'action'), (e.record ->> 'timestamp')::timestamptz
    from raw.mailchimp_email_activity e join leads l on l.email = lower(btrim(e.record ->> 'email_address'))
), rules (t, points, hl, cap) as (
    values ('demo_request', 40::float8, 30::float8, 60::float8), ('ebook_download', 10, 60, 20), ('newsletter_signup', 5, 90, 5),
           ('webinar_registration', 15, 45, 30), ('case_study_request', 20, 45, 30), ('form_other', 5, 60, 10),
           ('page_pricing', 10, 14, 20), ('page_other', 1, 30, 5), ('email_open', 2, 30, 10), ('email_click', 4, 30, 16),
           ('email_bounce', -20, 1e9, 20)
), per_type as (
    select a.crm_id, a.t, sum(r.points * power(0.5::float8, date_part('epoch', %(as_of)s::timestamptz - a.ts) / 86400 / r.hl)) as pts,
           max(r.cap) as cap
    from acts a join rules r using (t) where a.ts <= %(as_of)s::timestamptz group by 1, 2
), engagement as (
    select crm_id, least(100, greatest(0, sum(case when pts >= 0 then least(pts, cap) else greatest(pts, -cap) end))) as engagement
    from per_type group by 1
)
select l.crm_id, l.email, fit.fit, coalesce(e.engagement, 0) as engagement,
       case when fit.fit >= 40 and coalesce(e.engagement, 0) >= 20 then 'mql' else 'nurture' end as tier
from leads l
left join raw.hubspot_companies co on co.id = l.company_id
cross join lateral (select least(100, greatest(0,
    case when lower(co.record -> 'properties' ->> 'industry') in ('software', 'saas') then 25 else 0 end
  + case when l.title ~* '(ceo|head of|jednatel|director)' then 20 else 0 end
  + case when l.title ~* 'student' then -30 else 0 end))::float8 as fit) fit
left join engagement e on e.crm_id = l.crm_id;
"""


def session_sql() -> str:
    """The session settings every intermediate and mart model runs with (dbt_project.yml's
    vars through macros/transform_session_settings.sql), for the hand-written floor."""
    import yaml
    from leadscore import settings

    v = yaml.safe_load((settings.dbt_project_dir() / "dbt_project.yml").read_text())["vars"]
    return (f"set work_mem = '{v['work_mem']}'; set random_page_cost = {v['random_page_cost']}; "
            f"set effective_cache_size = '{v['effective_cache_size']}';")


def handwritten_sql(as_of: datetime) -> str:
    return session_sql() + HANDWRITTEN_SQL.replace("%%", "%").replace("%(as_of)s", f"'{as_of.isoformat()}'")


def _generate(conn, leads: int, activities: int) -> None:
    from leadscore.sources import raw_store

    for stream in STREAMS:
        raw_store.ensure_table(conn, stream)
        conn.execute(f"truncate raw.{stream}")
    conn.execute("create schema if not exists bench_scoring")
    forms, emails = activities // 20, activities * 2 // 5
    pages = activities - forms - emails
    sql = GENERATE_SQL.replace("%(leads)s", str(leads)).replace("%(companies)s", str(max(1, leads // 10)))
    sql = sql.replace("%%", "%")
    for key, value in {"forms": forms, "pages": pages, "emails": emails}.items():
        sql = sql.replace(f"%({key})s", str(value))
    sql = sql.replace("%(as_of)s", f"'{AS_OF.isoformat()}'")
    conn.execute(sql)
    conn.commit()
    # what autovacuum does to a loaded warehouse: without it the first timed scan also pays for
    # setting hint bits on every fresh row, and whichever query runs first looks slower
    from leadscore import warehouse

    with warehouse.connect(autocommit=True) as vac:
        for stream in STREAMS:
            vac.execute(f"vacuum analyze raw.{stream}")


def _new_day(conn, activities: int, day: datetime) -> None:
    """1% new page views and email events during the following day."""
    n = max(1, activities // 100)
    conn.execute(f"""
        insert into raw.hubspot_page_views (id, record, source_updated_at, is_deleted, _run_id)
        select 'pv-{day:%Y%m%d}-' || g, jsonb_build_object('id', 'pv-{day:%Y%m%d}-' || g, 'eventType', 'e_visited_page',
               'objectId', 'c' || (1 + (g * 7) % (select count(*) from raw.hubspot_contacts)),
               'occurredAt', to_char('{day.isoformat()}'::timestamptz - (g % 1440) * interval '1 minute', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
               'properties', jsonb_build_object('hs_url', 'https://example.test/pricing')),
               '{day.isoformat()}'::timestamptz, false, 'bench-day'
        from generate_series(1::bigint, {n}) g""")


def _autovacuum_catch_up() -> None:
    """What autovacuum does in the day between two daily runs, done before a timed run.

    Back to back, a run would start while autovacuum is still working through the tables the
    previous run (or the full refresh) rewrote, and a model's DDL then waits for it: Postgres
    cancels an autovacuum that blocks a lock only after deadlock_timeout (1 s), five times in
    one measured run. A scheduled run starts about a day later, with that work long done.
    """
    from leadscore import warehouse

    with warehouse.connect(autocommit=True) as conn:
        conn.execute("vacuum analyze")


def _model_seconds(top: int = 6) -> dict[str, float]:
    """The slowest models of the last dbt invocation (from its run_results.json)."""
    import json
    import os

    path = os.path.join(os.environ["DBT_TARGET_PATH"], "run_results.json")
    results = json.load(open(path))["results"]
    times = sorted(((r["execution_time"], r["unique_id"].split(".")[-1]) for r in results), reverse=True)
    return {name: round(sec, 2) for sec, name in times[:top]}


def _timed_dbt(args: list[str], as_of: datetime) -> tuple[float, dict[str, float]]:
    from leadscore.scoring.dbt import run_dbt

    start = time.perf_counter()
    run_dbt(args, as_of=as_of.isoformat())
    return time.perf_counter() - start, _model_seconds()


def _median(samples: list[float]) -> float:
    return statistics.median(samples)


def run(scale: str) -> dict[str, dict]:
    import os

    from leadscore import settings, warehouse

    # keep dbt's target/ and logs/ out of the repo (and away from concurrent runs)
    os.environ.setdefault("DBT_TARGET_PATH", str(settings.home() / "dbt-target"))
    os.environ.setdefault("DBT_LOG_PATH", str(settings.home() / "dbt-logs"))
    leads, activities = SCALES[scale]
    runs = 3 if scale == "small" else 2
    p = warehouse.bootstrap(warehouse.params())
    with warehouse.connect(p=p) as conn:
        _generate(conn, leads, activities)

    full_samples, full_models = [], {}
    for _ in range(runs):
        seconds, full_models = _timed_dbt(["run", "--full-refresh"], AS_OF)
        full_samples.append(seconds)
    hand_samples = []
    for _ in range(runs):
        with warehouse.connect(p=p) as conn:
            start = time.perf_counter()
            conn.execute(handwritten_sql(AS_OF))
            conn.commit()
            hand_samples.append(time.perf_counter() - start)

    # the following days: each adds 1% new activities and runs incrementally; then a full
    # refresh of the last day is the lower bound the incremental run is compared with
    incr_samples, incr_models, day = [], {}, AS_OF
    for _ in range(3):  # three days at every scale: cheap, and the first may find caches cold
        day += timedelta(days=1)
        with warehouse.connect(p=p) as conn:
            _new_day(conn, activities, day)
        _autovacuum_catch_up()
        seconds, incr_models = _timed_dbt(["run"], day)
        incr_samples.append(seconds)
    with warehouse.connect(p=p) as conn:
        scored = conn.execute("select count(*) from marts.lead_scores").fetchone()[0]
        modes = [r[0] for r in conn.execute(
            "select mode from intermediate.int_lead_activities_accumulated_runs order by recorded_at desc limit %s", (len(incr_samples),))]
    last_samples, last_models = [], {}
    for _ in range(1 if scale == "full" else runs):
        _autovacuum_catch_up()
        seconds, last_models = _timed_dbt(["run", "--full-refresh"], day)
        last_samples.append(seconds)

    note = f"{leads:,} contacts, {activities:,} activities, {scored:,} leads scored"
    hand_s, last_s = _median(hand_samples), _median(last_samples)
    return {
        "scoring_full_refresh_seconds": figure(_median(full_samples), "s", lower_bound=hand_s, runs=runs, samples=full_samples,
                                               note=note + "; lower bound = one hand-written scoring query; "
                                                           f"slowest models (last run): {full_models}"),
        "scoring_handwritten_query_seconds": figure(hand_s, "s", runs=runs, samples=hand_samples, note=note),
        "scoring_incremental_seconds": figure(_median(incr_samples), "s", lower_bound=last_s, runs=len(incr_samples), samples=incr_samples,
                                              note=f"{note}; one day's run after +1% activities (state modes {modes}); "
                                                   f"lower bound = full refresh of the same data ({[round(x, 2) for x in last_samples]} s; "
                                                   f"ratio < 1 = incremental wins); slowest models (last incremental run): "
                                                   f"{incr_models}; full refresh: {last_models}"),
    }
