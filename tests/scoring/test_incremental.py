"""The daily incremental run equals a full refresh (to 1e-9) after a sequence of simulated
days with new activities, late arrivals, a new duplicate contact, activities of a contact
that arrives later, window expiries, future-dated activities coming due, a rules change,
and contact and company changes (new title, new industry, email change, merge, archive).

Two databases on the test server get the same raw rows: `ls_incr` is built incrementally
day after day, `ls_full` is rebuilt with --full-refresh each day; the marts are compared.
"""
from __future__ import annotations

import dataclasses
from datetime import timedelta

import psycopg
import pytest

from leadscore import warehouse
from leadscore.scoring.dbt import run_dbt

from leadscore.sources.raw_store import RawRecord

from tests.scoring.fixtures import AS_OF, Dataset, scenario_dataset

DBS = ("ls_incr", "ls_full")
TOL = 1e-9


def _params(db: str):
    return dataclasses.replace(warehouse.params(), dbname=db)


def _setup_databases():
    base = warehouse.params()
    with psycopg.connect(dataclasses.replace(base, dbname="postgres").url, autocommit=True) as conn:
        for db in DBS:
            conn.execute(f'drop database if exists "{db}" with (force)')
            conn.execute(f'create database "{db}"')
    for db in DBS:
        warehouse.bootstrap(_params(db))


def _land(data: Dataset) -> None:
    rows = {k: list(v) for k, v in data.rows.items()}
    for db in DBS:
        data.rows.clear()
        data.rows.update({k: list(v) for k, v in rows.items()})
        with warehouse.connect(p=_params(db)) as conn:
            data.land(conn, run_id=f"day-{data.as_of:%Y%m%d}")


def _build(as_of, project_dir=None, *, with_tests: bool = False) -> None:
    args = ["build", "--exclude", "resource_type:snapshot"] if with_tests else ["run"]
    run_dbt(args, as_of=as_of.isoformat(), project_dir=project_dir, env={"LEADSCORE_PG_DBNAME": "ls_incr"})
    run_dbt(["run", "--full-refresh"], as_of=as_of.isoformat(), project_dir=project_dir,
            env={"LEADSCORE_PG_DBNAME": "ls_full"})


def _fetch(db: str, sql: str) -> list[tuple]:
    with warehouse.connect(p=_params(db)) as conn:
        return conn.execute(sql).fetchall()


def _compare(day: str, windowed_types: tuple[str, ...] = ("email_unsubscribe", "page_careers")) -> None:
    scores_sql = """select lead_id, tier, grade, bant_met, rules_version, fit_score, engagement_score, total_score
                    from marts.lead_scores order by lead_id"""
    incr, full = _fetch("ls_incr", scores_sql), _fetch("ls_full", scores_sql)
    assert [r[:5] for r in incr] == [r[:5] for r in full], f"{day}: tiers/grades differ"
    for a, b in zip(incr, full):
        for x, y in zip(a[5:], b[5:]):
            assert abs(x - y) <= TOL, f"{day}: lead {a[0]} scores {a[5:]} (incremental) vs {b[5:]} (full)"
    factors_sql = "select lead_id, category, factor, points from marts.lead_score_factors order by 1, 2, 3"
    fi, ff = _fetch("ls_incr", factors_sql), _fetch("ls_full", factors_sql)
    assert [r[:3] for r in fi] == [r[:3] for r in ff], f"{day}: factor rows differ"
    worst = max((abs(a[3] - b[3]) for a, b in zip(fi, ff)), default=0.0)
    assert worst <= TOL, f"{day}: factor points differ by {worst}"
    # tables dbt rebuilds (lead_scores every run, everything on --full-refresh, as ls_full
    # gets daily) keep their indexes (by definition: dbt's `indexes` config names them by a hash)
    expected = {"UNIQUE marts.lead_scores (lead_id)", "marts.lead_scores (crm_id)", "marts.lead_scores (email)",
                "intermediate.int_leads_changed (lead_id)", "intermediate.int_activities_unioned (activity_key)",
                "intermediate.int_activities_unioned (contact_key) WHERE (lead_id IS NULL)",
                "UNIQUE intermediate.int_lead_activities_accumulated (lead_id)", "UNIQUE intermediate.int_leads_joined (lead_id)",
                "intermediate.int_contacts_mapped_to_leads (contact_id) WHERE (previous_lead_id IS DISTINCT FROM lead_id)"}
    for db in DBS:
        present = {r[0] for r in _fetch(db, "select regexp_replace(indexdef, '^CREATE (UNIQUE )?INDEX \\S+ ON (\\S+) USING btree ', '\\1\\2 ') "
                                            "from pg_indexes where schemaname in ('intermediate', 'marts')")}
        assert expected <= present, f"{day}: {db} lost indexes: {sorted(expected - present)}"
        # the tables updated in place keep room on their pages for HOT updates (config fillfactor)
        options = dict(_fetch(db, "select relname, array_to_string(reloptions, ',') from pg_class where relname = "
                                  "'int_lead_activities_accumulated' and relkind = 'r'"))
        assert options == {"int_lead_activities_accumulated": "fillfactor=80"}, (day, db, options)
        # one partial index of the windowed activity types, following the rules (a rules
        # change that windows another type replaces it)
        windowed = _fetch(db, "select indexdef from pg_indexes where starts_with(indexname, 'int_activities_unioned_windowed_')")
        assert len(windowed) == 1 and windowed[0][0].count("'::text") == len(windowed_types), (day, db, windowed)
        assert all(f"'{t}'::text" in windowed[0][0] for t in windowed_types), (day, db, windowed)


def test_incremental_equals_full_refresh(scoring_home, project_copy):
    _setup_databases()
    # a warehouse upgraded from a version with a per-(lead, type) state and a per-lead pivot:
    # their tables are dropped once nothing reads them
    retired = ("int_lead_activity_state", "int_lead_activity_state_runs", "int_lead_activities_pivoted",
               "int_lead_activities_pivoted_runs")
    with warehouse.connect(p=_params("ls_incr")) as conn:
        conn.execute("create schema if not exists intermediate")
        for table in retired:
            conn.execute(f"create table intermediate.{table} (lead_id text)")

    # day 0: the scenario data plus a careers-page view about to leave its 90-day window
    d0 = scenario_dataset()
    d0.page("s2", "/careers/jobs", 89.5)
    d0.unsubscribe("s4@finbank.example", 364)
    # a meeting booked yesterday for 10 days ahead: not counted until it takes place
    start = (AS_OF + timedelta(days=10)).isoformat()
    d0.engagement("meetings", ["s3"], -10, booked_days_ago=1, hs_meeting_title="Discovery call",
                  hs_meeting_outcome="SCHEDULED", hs_meeting_start_time=start)
    pricing = next(r for r in d0.rows["hubspot_page_views"] if r.record["objectId"] == "s1")
    _land(d0)
    _build(AS_OF)
    _compare("day 0")
    assert _meeting_factors() == [0, 0], "a meeting booked ahead does not count before it takes place"
    names = ", ".join(f"'{t}'" for t in retired)
    left = _fetch("ls_incr", f"select relname from pg_class where relname in ({names})")
    assert left == [], f"retired tables kept: {left}"

    # day 2: new activities and a new lead, late arrivals (occurred before day 0's scoring
    # time), a new duplicate contact of s5 and an updated activity
    day2 = AS_OF + timedelta(days=2)
    d2 = Dataset(as_of=day2)
    d2.page("s1", "/product/x", 0.5)
    d2.email_event("s3@nowhere.example", "open", 0.2)
    d2.email_event("S1@softco.example", "click", 0.3)
    d2.contact("new1", "new1@softco.example", title="CTO", company_id="co-soft", created_days_ago=0.5)
    d2.form("new1", "demo_request", 0.4)
    d2.page("s4", "/pricing", 6)               # late: occurred 4 days before day 0
    d2.email_event("s1@softco.example", "open", 3)
    d2.contact("s5b", "S5@startup.example", title="Founder", created_days_ago=1)
    d2.page("s5b", "/case-studies/y", 2.5)     # late, via a contact that did not exist on day 0
    d2.page("old", "/docs/a", 0.5)
    d2.page("ghost", "/pricing", 0.5)          # a contact not extracted yet
    d2.email_event("ghost@softco.example", "click", 0.5)
    d2.contact("m3", "m3@merge.example", title="CTO", created_days_ago=1)
    d2.page("m3", "/pricing", 0.2)
    # an updated activity: s1's pricing view re-extracted with a new time and page
    moved = dict(pricing.record, occurredAt=(day2 - timedelta(days=0.5)).isoformat(),
                 properties={"hs_url": "https://example.test/product/z", "hs_page_title": "z"})
    d2.rows["hubspot_page_views"].append(RawRecord(pricing.id, moved, day2))
    _land(d2)
    _build(day2)
    _compare("day 2")

    # day 3: a rules change (faster email decay, new points) → rules_version bumps, full recompute
    rules = project_copy / "scoring_rules.yml"
    text = rules.read_text(encoding="utf-8")
    text = text.replace("email_open:           {points: 2,  half_life_days: 30, cap: 10}",
                        "email_open:           {points: 3,  half_life_days: 20, cap: 12}")
    text = text.replace("page_docs:            {points: 2,", "page_docs:            {points: 4,")
    # email opens now also leave the score after 60 days (a window on top of the decay)
    text = text.replace("email_open:           {points: 3,  half_life_days: 20, cap: 12}",
                        "email_open:           {points: 3,  half_life_days: 20, window_days: 60, cap: 12}")
    windowed = ("email_open", "email_unsubscribe", "page_careers")
    # a signal that now also looks at docs pages: the per-lead pivot gains columns
    need = "{activity: [demo_request, contact_sales, case_study_request, page_product, page_case_study], within_days: 90}"
    assert need in text
    text = text.replace(need, need.replace("page_case_study]", "page_case_study, page_docs]"))
    rules.write_text(text, encoding="utf-8")
    day3 = AS_OF + timedelta(days=3)
    d3 = Dataset(as_of=day3)
    d3.email_event("s4@finbank.example", "open", 0.1)
    _land(d3)
    _build(day3, project_copy)
    _compare("day 3 (rules change)", windowed)
    assert _meeting_factors() == [0, 0]

    # day 32: windows expired (careers view, a year-old unsubscribe), the future-dated demo
    # request of 'stud' came due, plus new activity
    day32 = AS_OF + timedelta(days=32)
    d4 = Dataset(as_of=day32)
    d4.form("s3", "webinar_registration", 2)
    d4.page("comp", "/pricing", 1)
    d4.contact("ghost", "ghost@softco.example", title="CFO", company_id="co-soft", created_days_ago=1)
    d4.contact("s2", "s2@metal.example", title="CEO", company_id="co-mfg")           # new title
    d4.company("co-mfg", "Metalworks", "metal.example", "Software", "500")          # new industry
    d4.contact("s4", "s4@newbank.example", title="Head of Marketing", company_id="co-bank", country="DE")
    d4.contact("s5", "s5@startup.example", country=None, merged="m3")               # m3 merged into s5
    d4.contact("old", "ceo@bigsoft.example", title="CEO", company_id="co-big", archived=True)
    _land(d4)
    _build(day32, project_copy, with_tests=True)  # the dbt data tests hold on incremental results
    _compare("day 32", windowed)

    modes = [r[0] for r in _fetch("ls_incr", "select mode from intermediate.int_lead_activities_accumulated_runs order by recorded_at")]
    assert modes == ["full", "incremental", "full", "incremental"]
    _check_day32_details()
    assert _meeting_factors() == [1, 1], "the booked meeting counts once it has taken place (incrementally too)"

    # day 33: a run that stops after the activity state (Cosmos runs each model as its own
    # task; a later one failed); day 34's run must still carry day 33's changes to the marts
    day33, day34 = AS_OF + timedelta(days=33), AS_OF + timedelta(days=34)
    d5 = Dataset(as_of=day33)
    d5.form("s1", "demo_request", 0.5)
    d5.email_event("s3@nowhere.example", "click", 0.5)
    _land(d5)
    run_dbt(["run", "--select", "+int_lead_activities_accumulated"], as_of=day33.isoformat(),
            project_dir=project_copy, env={"LEADSCORE_PG_DBNAME": "ls_incr"})
    d6 = Dataset(as_of=day34)
    d6.page("s2", "/pricing", 0.5)
    _land(d6)
    _build(day34, project_copy)
    _compare("day 34 (after a run that stopped midway on day 33)", windowed)


def _meeting_factors() -> list[int]:
    """The crm_meeting factor rows of s3 in (ls_incr, ls_full)."""
    sql = ("select count(*) from marts.lead_score_factors f join marts.lead_scores s using (lead_id) "
           "where s.crm_id = 's3' and f.factor = 'crm_meeting'")
    return [_fetch(db, sql)[0][0] for db in DBS]


def _check_day32_details() -> None:
    versions = _fetch("ls_incr", "select distinct rules_version from marts.lead_scores")
    assert len(versions) == 1 and versions[0][0] != _fetch("ls_incr", "select rules_version from intermediate.int_lead_activities_accumulated_runs order by recorded_at limit 1")[0][0]
    stud = _fetch("ls_incr", "select count(*) from marts.lead_score_factors f join marts.lead_scores s using (lead_id) "
                             "where s.crm_id = 'stud' and f.factor = 'demo_request'")[0][0]
    assert stud == 1, "the future-dated demo request counts once its time has come"
    ghost = _fetch("ls_incr", "select f.factor from marts.lead_score_factors f join marts.lead_scores s using (lead_id) "
                              "where s.crm_id = 'ghost' and f.category = 'engagement' order by 1")
    assert [r[0] for r in ghost] == ["email_click", "page_pricing"], "activities that arrived before their contact count"
    assert _fetch("ls_incr", "select count(*) from marts.lead_scores where crm_id in ('old', 'm3')")[0][0] == 0
    s5 = _fetch("ls_incr", "select count(*) from marts.lead_score_factors f join marts.lead_scores s using (lead_id) "
                           "where s.crm_id = 's5' and f.factor = 'page_pricing'")[0][0]
    assert s5 == 1, "the merged contact's activity moved to the survivor's lead"


def test_new_signal_and_new_columns_reach_every_lead(scoring_home, project_copy):
    """The per-lead attributes table follows the rules and the code: a signal added to the
    rules, or a column the table lacks (a warehouse built by an older version), makes the next
    daily run add the columns and evaluate every lead, not just the changed ones. The activity
    state does the same for a column it lacks."""
    db = "ls_columns"
    with psycopg.connect(dataclasses.replace(warehouse.params(), dbname="postgres").url, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{db}" with (force)')
        conn.execute(f'create database "{db}"')
    warehouse.bootstrap(_params(db))
    with warehouse.connect(p=_params(db)) as conn:
        scenario_dataset().land(conn)
    env = {"LEADSCORE_PG_DBNAME": db}
    run_dbt(["run"], as_of=AS_OF.isoformat(), project_dir=project_copy, env=env)

    # an older warehouse: the table lacks a column this version writes (and no view reads
    # it); nothing changed in the data, so only the column check can list every lead
    # the activity state likewise (its columns follow the code's activity types)
    with warehouse.connect(p=_params(db)) as conn:
        conn.execute("alter table intermediate.int_lead_attributes_evaluated drop column crm_id cascade")
        conn.execute("alter table intermediate.int_lead_activities_accumulated drop column counted_page_pricing cascade")
    run_dbt(["run"], as_of=(AS_OF + timedelta(days=1)).isoformat(), project_dir=project_copy, env=env)
    rows = _fetch(db, """select a.crm_id, l.crm_id from intermediate.int_leads_joined as l
                         left join intermediate.int_lead_attributes_evaluated as a using (lead_id)""")
    assert len(rows) >= 5 and all(r[0] == r[1] for r in rows), rows
    state = _fetch(db, """select count(*) filter (where count_page_pricing > 0),
                                 count(*) filter (where count_page_pricing > 0 and counted_page_pricing is null)
                          from intermediate.int_lead_activities_accumulated""")[0]
    assert state[0] >= 1 and state[1] == 0, state
    # recorded as the full recompute it was (the next run's mode and watermarks start from it)
    runs = _fetch(db, "select mode from intermediate.int_lead_activities_accumulated_runs")
    assert runs == [("full",)], runs

    # a new signal in the rules (a rules change lists every lead; the table gains two columns)
    rules = project_copy / "scoring_rules.yml"
    rules.write_text(rules.read_text(encoding="utf-8").replace(
        "signals:\n", "signals:\n  large_company:\n    - {attribute: employees, operator: gte, value: 1000}\n", 1),
        encoding="utf-8")
    run_dbt(["run"], as_of=(AS_OF + timedelta(days=2)).isoformat(), project_dir=project_copy, env=env)
    rows = _fetch(db, """select a.crm_id, l.crm_id, a.attr_large_company, coalesce(l.employees >= 1000, false)
                         from intermediate.int_leads_joined as l
                         left join intermediate.int_lead_attributes_evaluated as a using (lead_id)""")
    assert any(r[3] for r in rows) and not all(r[3] for r in rows), rows  # the signal separates leads
    assert all(r[2] == r[3] for r in rows), rows
    assert sorted(r[0] for r in _fetch(db, "select crm_id from marts.lead_scores")) == sorted(r[1] for r in rows)
