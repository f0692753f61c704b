"""The quality policy around the catalogue: force, history, Data Docs, the current quarantine set,
reconciliation, thresholds, and that suites and typed snapshots agree."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from leadscore import warehouse
from leadscore.errors import QualityGateError
from leadscore.quality import config, reconcile, suites, typed, validate_inputs, validate_outputs
from leadscore.quality.reconcile import STAGING, UNSTAGED

from . import factory as f
from .conftest import load, reset, scores, stage, write_scores

STREAMS = ["hubspot_contacts", "hubspot_calls"]


@pytest.fixture
def clean(wh):
    with warehouse.connect() as conn:
        reset(conn)
        data = f.baseline(100)
        load(conn, {s: data[s] for s in STREAMS})


def test_force_records_and_continues(clean):
    with warehouse.connect() as conn:
        conn.execute("truncate raw.hubspot_calls")
    with pytest.raises(QualityGateError, match="hubspot_calls: rows_not_zero observed 0 rows"):
        validate_inputs("r-blocked", streams=STREAMS)
    report = validate_inputs("r-forced", streams=STREAMS, force=True)
    assert not report.success and report.forced
    assert [(c.stream, c.expectation) for c in report.critical_failures] == [("hubspot_calls", "rows_not_zero")]
    assert "FAILED (forced through)" in report.summary_line()
    assert report.as_dict()["summary"] == report.summary_line()
    with warehouse.connect() as conn:
        rows = dict(conn.execute("select suite, success from quality.validation_runs where run_id = 'r-forced'").fetchall())
        forced = conn.execute("select statistics->>'forced', critical_failures->0->>'expectation' from quality.validation_runs "
                              "where run_id = 'r-forced' and suite = 'raw_hubspot_calls'").fetchone()
    assert rows == {"raw_hubspot_contacts": True, "raw_hubspot_calls": False}
    assert forced == ("true", "rows_not_zero")


def test_results_stored_and_data_docs_built(clean):
    report = validate_inputs("r-docs", streams=STREAMS)
    assert report.success and report.rows == 200 and report.quarantined == 0
    index = Path(report.data_docs)
    assert index.name == "index.html" and index.exists()
    assert index.parent == Path(warehouse.settings.home()) / "data_docs"
    assert "raw_hubspot_contacts" in index.read_text()
    assert not (Path(__file__).parents[2] / "expectations" / "gx").exists()   # no runtime files in the repo


def test_quarantine_is_replaced_by_the_current_set(clean):
    with warehouse.connect() as conn:
        load(conn, {"hubspot_contacts": [f.contact("bad1", "nope"), f.contact("bad2", "nope2")]})
    validate_inputs("r1", streams=STREAMS, force=True)
    with warehouse.connect() as conn:  # the CRM fixes one of them
        load(conn, {"hubspot_contacts": [f.contact("bad1", "fixed@example.com", updated=f.NOW)]})
    validate_inputs("r2", streams=STREAMS, force=True)
    with warehouse.connect() as conn:
        current = conn.execute("select record_id, run_id from quality.quarantined_records where stream = 'hubspot_contacts'").fetchall()
        history = conn.execute("select run_id, record_id from quality.quarantine order by 1, 2").fetchall()
    assert current == [("bad2", "r2")]
    assert history == [("r1", "bad1"), ("r1", "bad2"), ("r2", "bad2")]
    # rerunning the same run id does not duplicate its history rows
    validate_inputs("r2", streams=STREAMS, force=True)
    with warehouse.connect() as conn:
        assert conn.execute("select count(*) from quality.quarantine where run_id = 'r2'").fetchone()[0] == 1


def test_reconciliation_balances_against_staging(clean):
    with warehouse.connect() as conn:
        load(conn, {"hubspot_contacts": [f.contact("bad1", "nope")]})
    validate_inputs("r1", streams=STREAMS, force=True)
    with warehouse.connect() as conn:
        stage(conn)
        result = reconcile(conn, STREAMS)
        assert all(r.checked and r.balanced for r in result.values())
        assert (result["hubspot_contacts"].loaded, result["hubspot_contacts"].passed,
                result["hubspot_contacts"].quarantined) == (101, 100, 1)
        assert (result["hubspot_calls"].staging, result["hubspot_calls"].passed) == ("staging.stg_hubspot__calls", 100)
        conn.execute("create or replace view staging.stg_hubspot__contacts as "
                     "select id as contact_id from raw.hubspot_contacts where id <> '7' and id <> 'bad1'")
        lost = reconcile(conn, STREAMS)["hubspot_contacts"]
        before_dbt = reconcile(conn, ["hubspot_contacts"], staging=False)["hubspot_contacts"]
    assert not lost.balanced and lost.missing == 1 and "FAILS (missing 1" in lost.line()
    assert not before_dbt.checked and before_dbt.balanced and "staging not checked: before dbt" in before_dbt.line()


def test_every_stream_is_mapped_to_its_dbt_staging_key():
    """Each typed stream has a staging model and key column (or a listed reason it has none), and the
    mapping matches the dbt project: the model exists, selects raw id as that column, tests it unique."""
    assert set(STAGING) | set(UNSTAGED) == set(typed.STREAMS) and not set(STAGING) & set(UNSTAGED)
    assert all(reason.strip() for reason in UNSTAGED.values())
    staging_dir = Path(__file__).parents[2] / "dbt_project" / "models" / "staging"
    declared = {m["name"]: {c["name"]: c.get("data_tests", []) for c in m.get("columns", [])}
                for y in staging_dir.rglob("_*__models.yml") for m in yaml.safe_load(y.read_text())["models"]}
    for stream, (relation, column) in STAGING.items():
        model = relation.removeprefix("staging.")
        assert {"unique", "not_null"} <= set(declared[model][column]), f"{model}.{column} is not tested as a key"
        sql_text = next(staging_dir.rglob(f"{model}.sql")).read_text()
        assert f"source.id as {column}," in sql_text and f"source('{stream.split('_')[0]}', '{stream}')" in sql_text


def test_output_gate_compares_every_stream_and_stops_on_a_lost_row(clean):
    with warehouse.connect() as conn:
        write_scores(conn, scores(100))
    assert validate_outputs("b1").success
    with warehouse.connect() as conn:
        recon = conn.execute("select statistics->'reconciliation' from quality.validation_runs "
                             "where run_id = 'b1' and suite = 'marts_lead_scores'").fetchone()[0]
        assert {s: (r["checked"], r["staging"]) for s, r in recon.items()} == {
            s: (True, relation) for s, (relation, _) in STAGING.items()}
        # a staging model that drops one call: the balance no longer holds
        conn.execute("create or replace view staging.stg_hubspot__calls as "
                     "select id as call_id from raw.hubspot_calls where id <> 'call5'")
    with pytest.raises(QualityGateError, match=r"hubspot_calls: loaded 100 = scored 99 \+ quarantined 0 FAILS \(missing 1"):
        validate_outputs("b2")
    with warehouse.connect() as conn:   # a staging model that is gone cannot be compared: that stops the run too
        conn.execute("drop view staging.stg_hubspot__calls")
    with pytest.raises(QualityGateError, match=r"staging not checked: staging.stg_hubspot__calls does not exist"):
        validate_outputs("b3")


def test_outputs_pass_then_report_tier_shares(clean):
    with warehouse.connect() as conn:
        write_scores(conn, scores(100))
    report = validate_outputs("o1")
    assert report.success and report.streams["marts.lead_scores"].rows == 100
    with warehouse.connect() as conn:
        share = conn.execute("select statistics->'tier_share' from quality.validation_runs where run_id = 'o1'").fetchone()[0]
    assert share == {"sql": 20.0, "mql": 20.0, "nurture": 40.0, "disqualified": 20.0}


def test_forced_output_becomes_the_new_baseline(clean):
    with warehouse.connect() as conn:
        write_scores(conn, scores(100))
    validate_outputs("o1")
    with warehouse.connect() as conn:
        write_scores(conn, scores(100, tiers=("sql", "mql")))
    with pytest.raises(QualityGateError, match="tier_shift"):
        validate_outputs("o2")
    assert validate_outputs("o2", force=True).forced
    assert validate_outputs("o3").success                   # a human accepted o2's distribution


def test_thresholds_env_and_param_overrides(monkeypatch):
    monkeypatch.setenv("LEADSCORE_QUALITY_ROW_COUNT_SWING_PCT", "50")
    th = config.load({"tier_shift_pct": 5, "streams": {"hubspot_contacts": {"freshness_hours": None}}})
    assert th["row_count_swing_pct"] == 50 and th["tier_shift_pct"] == 5
    assert th.for_stream("hubspot_contacts")["freshness_hours"] is None
    assert th.for_stream("mailchimp_unsubscribes")["min_rows"] == 0
    with pytest.raises(Exception, match="unknown quality threshold"):
        config.load({"no_such_key": 1})


def test_swing_threshold_is_configurable(clean):
    validate_inputs("s1", streams=STREAMS)
    with warehouse.connect() as conn:
        conn.execute("delete from raw.hubspot_contacts where id::int > 60")
    assert validate_inputs("s2", streams=STREAMS, thresholds={"row_count_swing_pct": 50,
                                                               "max_invalid_share_pct": 100}).success


def test_every_suite_column_exists_in_its_typed_table():
    for spec in typed.STREAMS.values():
        columns = {"id", "source_updated_at"} | {name for name, _ in spec.all_columns}
        for exp in suites.load(spec.suite)["expectations"]:
            for key in ("column",):
                if key in exp["kwargs"]:
                    assert exp["kwargs"][key] in columns, (spec.stream, exp["kwargs"][key])
            if "raw_value" in exp["meta"]:
                assert exp["meta"]["raw_value"] in columns, (spec.stream, exp["meta"]["raw_value"])
        applies = suites.load(spec.suite)["meta"].get("applies_to")
        assert applies is None or spec.stream in applies


def test_every_suite_file_is_used():
    stems = {p.stem for p in suites.suite_path("x").parent.glob("*.json")}
    assert stems == {s.suite for s in typed.STREAMS.values()} | {"batch", "lead_scores"}
