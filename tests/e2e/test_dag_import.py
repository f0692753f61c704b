"""The DAG file imports cleanly and has the shape the README describes."""
from __future__ import annotations

from leadscore.airflow_runner import DAG_ID, load_dag
from leadscore.sources.extract import stream_names


def test_dag_imports_with_expected_tasks():
    dag = load_dag()
    assert dag.dag_id == DAG_ID
    assert dag.catchup is False
    assert set(dag.params.keys()) >= {"full_refresh", "dry_run_sync", "force_sync"}
    ids = set(dag.task_ids)
    expected = {"prepare_warehouse", "validate_inputs", "validate_outputs", "reverse_sync", "summary"}
    expected |= {f"extract_{name}" for name in stream_names()}
    assert expected <= ids
    dbt_tasks = {t for t in ids if t.startswith("dbt.")}
    # TestBehavior.BUILD: one `dbt build` per node runs the model, then its tests
    assert {"dbt.lead_scores_model_build", "dbt.lead_score_factors_model_build",
            "dbt.lead_tier_history_snapshot_build"} <= dbt_tasks


def test_nothing_reaches_the_crm_before_both_gates():
    dag = load_dag()
    sync = dag.get_task("reverse_sync")
    upstream = sync.get_flat_relative_ids(upstream=True)
    assert {"validate_inputs", "validate_outputs", "dbt.lead_scores_model_build"} <= upstream
    for name in stream_names():
        assert dag.get_task(f"extract_{name}").retries >= 1


def test_every_task_has_an_execution_timeout():
    dag = load_dag()
    missing = [t.task_id for t in dag.tasks if t.execution_timeout is None]
    assert not missing, missing
    assert dag.get_task("extract_hubspot_contacts").execution_timeout.total_seconds() == 2 * 3600
    assert dag.get_task("dbt.lead_scores_model_build").execution_timeout.total_seconds() == 3600


def test_the_backtest_dag_is_weekly_with_the_cli_options_as_params():
    dag = load_dag("lead_scoring_backtest")
    assert dag.task_ids == ["backtest"] and dag.catchup is False
    assert set(dag.params.keys()) == {"as_of", "horizon_days", "every_days", "from", "to", "rules_file"}
    assert dag.params["horizon_days"] == 90
    assert dag.timetable.expression == "0 0 * * 0"  # @weekly
    assert dag.get_task("backtest").execution_timeout.total_seconds() == 3 * 3600


def test_the_training_dag_is_weekly_with_the_cli_options_as_params():
    dag = load_dag("lead_scoring_training")
    assert dag.task_ids == ["train_conversion_model"] and dag.catchup is False
    assert set(dag.params.keys()) == {"horizon_days", "every_days", "history_days"}
    assert dag.timetable.expression == "0 0 * * 0"  # @weekly
    assert dag.get_task("train_conversion_model").execution_timeout.total_seconds() == 4 * 3600
