"""lead_scoring_backtest: score every lead as it stood at past dates and measure what the tiers
predicted (marts.score_backtests, and the page LEADSCORE_HOME/reports/backtest.html).

Weekly, after the daily runs have kept the warehouse current; trigger it with params for other
dates, a longer history or a candidate rules file. Wiring only: the body is leadscore.pipeline.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import Param, dag, task

from leadscore import pipeline
from leadscore.settings import backtest_schedule


@dag(
    dag_id="lead_scoring_backtest",
    schedule=backtest_schedule(),
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args={"execution_timeout": timedelta(hours=3)},
    tags=["leadscore"],
    params={
        "as_of": Param("", type="string", description="One date (ISO); empty: horizon days before the newest data."),
        "horizon_days": Param(90, type="integer", minimum=1, description="Conversions counted this many days after each date."),
        "every_days": Param(0, type="integer", minimum=0, description="Several dates this many days apart (with from/to)."),
        "from": Param("", type="string", description="First date with every_days (ISO)."),
        "to": Param("", type="string", description="Last date with every_days (ISO)."),
        "rules_file": Param("", type="string", description="A candidate rules file on the workers, compared with the current rules."),
    },
    doc_md=__doc__,
)
def lead_scoring_backtest():
    @task
    def backtest(params=None) -> dict:
        return pipeline.backtest(params["as_of"], params["horizon_days"], params["every_days"], params["from"],
                                 params["to"], params["rules_file"])

    backtest()


lead_scoring_backtest()
