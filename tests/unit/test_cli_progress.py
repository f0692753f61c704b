"""What `leadscore run` prints while the DAG runs and when it fails: a line per finished step,
one line for the dbt group, the root failure named with its error and the rest counted."""
from __future__ import annotations

from leadscore.airflow_runner import RunFailures, _error_lines
from leadscore.progress import ProgressState, Step, step_name

DBT = ["dbt.stg_hubspot__contacts_model_build", "dbt.lead_scores_model_build", "dbt.lead_tier_history_snapshot_build",
       "dbt.relationships_lead_score_factors_lead_id__test"]


def _plain(lines) -> list[str]:
    return [line.plain for line in lines]


def test_step_names_of_cosmos_tasks():
    assert step_name("dbt.lead_scores_model_build") == ("dbt", "model lead_scores")
    assert step_name("dbt.lead_tier_history_snapshot_build") == ("dbt", "snapshot lead_tier_history")
    assert step_name("extract_hubspot_contacts") == (None, "extract_hubspot_contacts")


def test_each_step_is_printed_once_and_the_dbt_group_when_all_of_it_is_done():
    state = ProgressState(records={"hubspot_contacts": (10_000, 2.0)})
    first = [Step("extract_hubspot_contacts", "success", 2.1), Step("validate_inputs", "running")] + \
            [Step(t, None) for t in DBT]
    assert _plain(state.lines(first)) == ["✓ extract_hubspot_contacts  2.1 s  10,000 records, 5,000/s"]
    assert state.lines(first) == []  # printed once
    half = first[:1] + [Step("validate_inputs", "success", 3.0)] + [Step(t, "success", 1.0) for t in DBT[:2]] + \
        [Step(t, "running") for t in DBT[2:]]
    assert _plain(state.lines(half)) == ["✓ validate_inputs  3.0 s"]
    done = half[:2] + [Step(t, "success", 1.0) for t in DBT]
    assert _plain(state.lines(done)) == ["✓ dbt: 2 models, 1 snapshot, 1 test built  4.0 s"]
    assert "4/6 tasks done" in ProgressState.status(half, 0) and "dbt snapshot lead_tier_history" in \
        ProgressState.status(half, 0)


def test_a_failed_model_is_named_at_once():
    state = ProgressState()
    steps = [Step(DBT[0], "failed", 1.5)] + [Step(t, "upstream_failed") for t in DBT[1:]]
    assert _plain(state.lines(steps)) == [f"✗ {DBT[0]} failed  1.5 s", "✗ dbt: nothing built, 1 failed  1.5 s"]


LOG = """\
2026-12-04T16:43:28.045039Z [info     ] [DAG TEST] starting task_id=extract_hubspot_companies map_index=-1 [airflow.sdk.definitions.dag]
2026-12-04T16:43:28.960303Z [info     ] [DAG TEST] starting task_id=validate_inputs map_index=-1 [airflow.sdk.definitions.dag]
2026-12-04T16:44:05.000436Z [error    ] Task failed with exception     [task] loc=task_runner.py:1676
Traceback (most recent call last):
  File "/x/validate.py", line 71, in _finish
    raise report.gate_error()
leadscore.errors.QualityGateError: quality gate failed in validate_inputs: hubspot_contacts: invalid_share 0.79%
2026-12-04T16:44:06.000436Z [info     ] [DAG TEST] starting task_id=summary map_index=-1 [airflow.sdk.definitions.dag]
ValueError: an unrelated error of another task
"""


def test_the_root_failure_with_its_error_line_and_the_upstream_failed_counted():
    errors = _error_lines(LOG, ["validate_inputs"])
    assert errors == {"validate_inputs": "quality gate failed in validate_inputs: hubspot_contacts: invalid_share 0.79%"}
    failures = RunFailures(["validate_inputs"], [f"t{i}" for i in range(9)], errors)
    assert failures.line() == ("failed: validate_inputs (quality gate failed in validate_inputs: hubspot_contacts: "
                               "invalid_share 0.79%); 9 tasks not run (upstream_failed)")
    assert RunFailures(["extract_x"], []).line() == "failed: extract_x"
    assert _error_lines(LOG, ["extract_hubspot_companies"]) == {}
