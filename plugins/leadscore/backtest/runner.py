"""One backtest as a user asks for it: the dates, the current rules, optionally a candidate
rules file beside them (and how many of today's leads it would move), optionally the page.
The CLI and the `lead_scoring_backtest` DAG both call `run`."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable

from leadscore import settings
from leadscore.backtest.engine import (BacktestRun, DateResult, TierChanges, backtest_dates, new_backtest_id,
                                       newest_data_time, require_scored_warehouse, run_backtest, tier_changes_today)


@dataclass
class Request:
    as_of: datetime | None = None
    horizon_days: int = 90
    every_days: int | None = None
    start: datetime | None = None
    end: datetime | None = None
    rules_file: Path | None = None
    html: bool = False


@dataclass
class Outcome:
    newest: datetime
    current: BacktestRun
    candidate: BacktestRun | None = None
    changes: TierChanges | None = None
    page: Path | None = None

    @property
    def runs(self) -> list[BacktestRun]:
        return [self.current] + ([self.candidate] if self.candidate else [])


def report_path() -> Path:
    return settings.home() / "reports" / "backtest.html"


def run(req: Request, on_date: Callable[[str, DateResult], None] | None = None) -> Outcome:
    require_scored_warehouse()
    if req.horizon_days <= 0:
        from leadscore.errors import ConfigError

        raise ConfigError(f"--horizon-days {req.horizon_days} is not positive", "pass e.g. --horizon-days 90")
    newest = newest_data_time()
    dates = backtest_dates(req.as_of, req.horizon_days, every_days=req.every_days, start=req.start, end=req.end,
                           now=newest)
    backtest_id = new_backtest_id()
    hook = (lambda label: (lambda d: on_date(label, d))) if on_date else (lambda label: None)
    out = Outcome(newest, run_backtest(dates, req.horizon_days, label="current", backtest_id=backtest_id,
                                       on_date=hook("current")))
    if req.rules_file:
        out.candidate = run_backtest(dates, req.horizon_days, rules_file=req.rules_file, label="candidate",
                                     backtest_id=backtest_id, on_date=hook("candidate"))
        out.changes = tier_changes_today(req.rules_file, newest)
    if req.html:
        from leadscore.backtest.report import write_html

        out.page = write_html(out.runs, report_path(), out.changes)
    return out
