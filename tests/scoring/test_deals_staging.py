"""Deals, deal contacts, pipeline stages and lifecycle dates through the quality gate and
`dbt build --select staging` (issue 17 §1), in a database of its own (`ls_deals`)."""
from __future__ import annotations

import pytest

from leadscore import warehouse
from leadscore.quality import validate_inputs
from leadscore.quality.reconcile import reconcile
from leadscore.scoring.dbt import run_dbt

from tests.quality import factory as f
from tests.quality.conftest import load
from tests.scoring.conftest import own_database

DB = "ls_deals"
STREAMS = ["hubspot_contacts", "hubspot_deals", "hubspot_deal_pipelines"]


def _data() -> dict:
    renewals = f.pipeline("12345", (("67890", "0.5"), ("67891", "1.0")))
    return {
        "hubspot_contacts": [
            f.contact("c-won", hs_lifecyclestage_lead_date="2025-01-02T03:04:05.000Z",
                      hs_lifecyclestage_customer_date="2025-03-01T00:00:00Z"),
            f.contact("c-open"), f.contact("c-two")],
        "hubspot_deal_pipelines": [f.pipeline(), renewals],
        "hubspot_deals": [
            f.deal("won", ["c-won"], amount="1.2M"),
            f.deal("lost", ["c-two"], stage="closedlost"),
            f.deal("open", ["c-open", "c-two"], stage="qualifiedtobuy"),
            f.deal("renewed", ["c-won"], stage="67891", pipeline="12345", hs_is_closed_won="false"),
            # the stage is unknown: nulled by the gate, won-ness from hs_is_closed_won
            f.deal("odd", ["c-two"], stage="legacy_won", hs_is_closed_won="true", hs_is_closed="true"),
            f.deal("bad-amount", [], stage="qualifiedtobuy", amount="lots"),
            f.deal("bad-close", ["c-two"], closedate="someday"),
        ],
    }


@pytest.fixture(scope="module")
def staged(scoring_home):
    with own_database(DB) as p:
        with warehouse.connect(p=p) as conn:
            load(conn, _data())
        validate_inputs("deals", force=True, streams=STREAMS)
        run_dbt(["build", "--select", "staging"])
        with warehouse.connect(p=p, autocommit=True) as conn:
            yield conn


def _rows(conn, query: str) -> dict[str, dict]:
    cur = conn.execute(query)
    names = [c.name for c in cur.description]
    return {r[0]: dict(zip(names, r)) for r in cur.fetchall()}


def test_deals_are_typed_with_won_from_the_pipeline(staged):
    deals = _rows(staged, "select * from staging.stg_hubspot__deals")
    assert set(deals) == {"won", "lost", "open", "renewed", "odd", "bad-amount"}  # bad-close is quarantined
    won = deals["won"]
    assert (won["is_closed"], won["is_closed_won"], won["amount"], won["deal_stage_id"]) == (True, True, 1.2e6, "closedwon")
    assert won["closed_at"] is not None and won["expected_close_at"] is None
    assert (deals["lost"]["is_closed"], deals["lost"]["is_closed_won"]) == (True, False)
    assert (deals["open"]["is_closed"], deals["open"]["closed_at"]) == (False, None)
    assert deals["open"]["expected_close_at"] is not None
    # the pipeline says won (probability 1.0) even where HubSpot's flag disagrees
    assert deals["renewed"]["is_closed_won"] and not deals["renewed"]["hs_is_closed_won"]
    assert deals["odd"]["deal_stage_id"] is None and deals["odd"]["is_closed_won"]
    assert deals["bad-amount"]["amount"] is None and deals["bad-amount"]["deal_name"] == "Deal bad-amount"
    types = dict(staged.execute("""select column_name, data_type from information_schema.columns
                                   where table_schema = 'staging' and table_name = 'stg_hubspot__deals'""").fetchall())
    assert types["amount"] == "double precision" and types["closed_at"] == "timestamp with time zone"
    assert types["is_closed_won"] == "boolean" and types["deal_id"] == "text"


def test_deal_contacts_one_row_per_association(staged):
    pairs = sorted(staged.execute("select deal_id, contact_id from staging.stg_hubspot__deal_contacts").fetchall())
    assert pairs == [("lost", "c-two"), ("odd", "c-two"), ("open", "c-open"), ("open", "c-two"),
                     ("renewed", "c-won"), ("won", "c-won")]


def test_pipeline_stages_carry_probability_and_won(staged):
    stages = {(r[0], r[1]): r[2:] for r in staged.execute(
        "select pipeline_id, stage_id, probability, is_closed, is_closed_won from staging.stg_hubspot__deal_pipeline_stages")}
    assert stages[("default", "closedwon")] == (1.0, True, True)
    assert stages[("default", "closedlost")] == (0.0, True, False)
    assert stages[("default", "qualifiedtobuy")] == (0.4, False, False)
    assert stages[("12345", "67891")] == (1.0, True, True) and len(stages) == 6
    pipelines = dict(staged.execute("select pipeline_id, pipeline_label from staging.stg_hubspot__deal_pipelines"))
    assert set(pipelines) == {"default", "12345"}


def test_contacts_have_became_stage_columns(staged):
    row = staged.execute("""select became_lead_at, became_customer_at, became_opportunity_at
                            from staging.stg_hubspot__contacts where contact_id = 'c-won'""").fetchone()
    assert row[0].isoformat() == "2025-01-02T03:04:05+00:00" and row[1].isoformat() == "2025-03-01T00:00:00+00:00"
    assert row[2] is None


def test_every_deal_stream_balances(staged):
    recon = reconcile(staged, STREAMS[1:])
    assert all(r.checked and r.balanced for r in recon.values()), [r.line() for r in recon.values()]
    deals = recon["hubspot_deals"]
    assert (deals.loaded, deals.passed, deals.quarantined) == (7, 6, 1)
