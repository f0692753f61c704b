"""lead_scoring_training: learn the conversion probability from the warehouse's own outcomes
(point in time, split by time), store it in marts.conversion_model and rescore
marts.lead_scores with it. Too few conversions skips the task with one line saying how many
were found; the rules keep scoring.

Weekly, after the daily runs have kept the warehouse current. Wiring only: the body is
leadscore.pipeline.train_conversion_model.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import Param, dag, task

from leadscore import pipeline
from leadscore.settings import training_schedule


@dag(
    dag_id="lead_scoring_training",
    schedule=training_schedule(),
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args={"execution_timeout": timedelta(hours=4)},
    tags=["leadscore"],
    params={
        "horizon_days": Param(90, type="integer", minimum=1, description="Learn who converts within this many days."),
        "every_days": Param(30, type="integer", minimum=1, description="Days between training dates."),
        "history_days": Param(450, type="integer", minimum=1, description="How far back the oldest training date lies."),
    },
    doc_md=__doc__,
)
def lead_scoring_training():
    @task
    def train_conversion_model(params=None) -> dict:
        return pipeline.train_conversion_model(params["horizon_days"], params["every_days"], params["history_days"])

    train_conversion_model()


lead_scoring_training()
