"""A marketing-ops edit of `normalisation` in scoring_rules.yml (a new language's pricing path)
retypes the activities already loaded on the next daily run, without a full refresh."""
from __future__ import annotations

import dataclasses
from datetime import timedelta

import psycopg

from leadscore import warehouse
from leadscore.scoring.dbt import run_dbt

from tests.scoring.fixtures import AS_OF, Dataset

DB = "ls_normalisation"


def _fetch(sql: str) -> list[tuple]:
    with warehouse.connect(p=dataclasses.replace(warehouse.params(), dbname=DB)) as conn:
        return conn.execute(sql).fetchall()


def test_a_new_language_path_retypes_loaded_page_views(scoring_home, project_copy):
    with psycopg.connect(dataclasses.replace(warehouse.params(), dbname="postgres").url, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{DB}" with (force)')
        conn.execute(f'create database "{DB}"')
    params = dataclasses.replace(warehouse.params(), dbname=DB)
    warehouse.bootstrap(params)
    d = Dataset()
    d.contact("fr", "fr@example.fr", title="Directrice commerciale", country="FR")
    d.page("fr", "/fr/tarifs", 2)
    d.page("fr", "/pricing", 3)
    with warehouse.connect(p=params) as conn:
        d.land(conn)
    env = {"LEADSCORE_PG_DBNAME": DB}
    types_sql = "select detail, activity_type from intermediate.int_activities_unioned order by detail"
    factor_sql = ("select detail from marts.lead_score_factors where factor = 'page_pricing'")

    run_dbt(["run"], as_of=AS_OF.isoformat(), project_dir=project_copy, env=env)
    assert _fetch(types_sql) == [("/fr/tarifs", "page_other"), ("/pricing", "page_pricing")]
    assert _fetch(factor_sql)[0][0].startswith("1× page_pricing")

    rules = project_copy / "scoring_rules.yml"
    text = rules.read_text(encoding="utf-8")
    assert "page_pricing:    [/pricing," in text
    rules.write_text(text.replace("page_pricing:    [/pricing,", "page_pricing:    [/pricing, /fr/tarifs,", 1),
                     encoding="utf-8")
    run_dbt(["run"], as_of=(AS_OF + timedelta(days=1)).isoformat(), project_dir=project_copy, env=env)
    assert _fetch(types_sql) == [("/fr/tarifs", "page_pricing"), ("/pricing", "page_pricing")]
    assert _fetch(factor_sql)[0][0].startswith("2× page_pricing")
