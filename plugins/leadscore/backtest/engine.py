"""Score every lead as it stood at past dates, with the same dbt models, and measure what the
tiers predicted over the horizon after each date.

    run_backtest([datetime(2026, 6, 1, tzinfo=UTC)], horizon_days=90)

Each rules file gets a schema of its own (`backtest_current`, `backtest_candidate`): every
model but the staging views is built there (var `backtest_schema`), so the daily run's
incremental state and the marts analysts read are never touched. The models that hold facts
(activities, the contact→lead mapping, deals, outcomes) are built once per rules file; the
models that depend on the scoring time are rebuilt from scratch at every date, with the date
as `as_of`. The figures of each date land in `marts.score_backtests`.
"""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, Iterator

from leadscore import settings, warehouse
from leadscore.backtest import store
from leadscore.errors import ConfigError, LeadscoreError

log = logging.getLogger(__name__)

# Models that hold facts, not scores: they do not depend on the scoring time (no as_of()).
FACT_MODELS = ("int_activities_unioned", "int_contacts_mapped_to_leads", "int_lead_deals_joined",
               "int_lead_outcomes_aggregated", "lead_outcomes")


@dataclass
class DateResult:
    as_of: datetime
    rows: list[dict]
    seconds: float

    def row(self, dimension: str, value: str) -> dict | None:
        return next((r for r in self.rows if r["dimension"] == dimension and r["value"] == value), None)

    def metric(self, name: str) -> float | None:
        r = self.row("metric", name)
        return r["metric_value"] if r else None


@dataclass
class BacktestRun:
    backtest_id: str
    label: str
    horizon_days: int
    rules_version: str
    dates: list[DateResult] = field(default_factory=list)
    seconds: float = 0.0


def schema_for(label: str) -> str:
    return f"backtest_{label}"


def backtest_dates(as_of: datetime | None, horizon_days: int, *, every_days: int | None = None,
                   start: datetime | None = None, end: datetime | None = None,
                   now: datetime | None = None) -> list[datetime]:
    """The past dates to score: one `as_of`, or every `every_days` from `start` to `end`.

    A date whose horizon has not passed yet (date + horizon after `now`, the newest data)
    would count conversions that cannot have happened yet as misses: refused with one line."""
    now = now or datetime.now(timezone.utc)
    if every_days:
        if not (start and end):
            raise ConfigError("--every needs --from and --to", "e.g. --every 30d --from 2026-01-01 --to 2026-06-01")
        if every_days <= 0 or end < start:
            raise ConfigError("--every must be positive and --from on or before --to", "e.g. --every 30d --from 2026-01-01 --to 2026-06-01")
        dates, d = [], start
        while d <= end:
            dates.append(d)
            d += timedelta(days=every_days)
    else:
        dates = [as_of or now - timedelta(days=horizon_days)]
    late = [d for d in dates if d + timedelta(days=horizon_days) > now + timedelta(minutes=1)]
    if late:
        raise ConfigError(
            f"as-of {late[0].date()} + {horizon_days} days is after the newest data ({now.date()}): "
            "its conversions are not known yet",
            f"pick dates on or before {(now - timedelta(days=horizon_days)).date()} or a shorter --horizon-days")
    return dates


def newest_data_time() -> datetime:
    """The time the warehouse's data reaches: the scoring time of the latest daily run (its
    `as_of`), else now."""
    with warehouse.connect() as conn:
        row = conn.execute("select max(scored_at) from marts.lead_scores").fetchone()
    return row[0] if row and row[0] else datetime.now(timezone.utc)


def is_scored_warehouse() -> bool:
    with warehouse.connect(p=warehouse.bootstrap()) as conn:
        return conn.execute("select to_regclass('staging.stg_hubspot__contacts') is not null "
                            "and to_regclass('marts.lead_scores') is not null").fetchone()[0]


def require_scored_warehouse() -> None:
    if not is_scored_warehouse():
        raise LeadscoreError("the warehouse has not been scored yet: a backtest reads its staging views and outcomes",
                             "run `leadscore run` (or `make demo`) once first")


def _rules_version(rules_file: Path | None) -> str:
    """`<version>-<hash>` of the rules file (default: the project's), as
    marts.lead_scores.rules_version shows it; a bad candidate fails here with the rule named."""
    from leadscore.scoring.rules import load_rules

    return load_rules(rules_file).version


def _fresh_schema(label: str) -> tuple[str, Path]:
    """The label's schema, dropped so every model builds from scratch, and its own dbt target
    directory (its parse cache, apart from the daily run's)."""
    schema = schema_for(label)
    target = settings.home() / "backtest" / f"target-{label}"
    target.mkdir(parents=True, exist_ok=True)
    with warehouse.connect(autocommit=True) as conn:
        conn.execute(f'drop schema if exists "{schema}" cascade')
    return schema, target


def scored_at_dates(dates: list[datetime], horizon_days: int, *, label: str, select: str,
                    rules_file: Path | None = None) -> Iterator[tuple[str, str, datetime]]:
    """Build `select` (a model and what it needs) as it stood at every date, in the label's own
    schema; yield (rules_version, schema, date) after each date's build, while that date's
    tables stand. The fact models are built once; the scoring models from scratch per date."""
    from leadscore.scoring.dbt import run_dbt

    require_scored_warehouse()
    version = _rules_version(rules_file)
    schema, target = _fresh_schema(label)
    common = ["--target-path", str(target)]
    dbt_vars = {"backtest_schema": schema}
    env = {"LEADSCORE_BACKTEST_HORIZON_DAYS": str(horizon_days)}
    run_dbt(["--quiet", "run", "--select", *FACT_MODELS, *common], vars=dbt_vars, rules_file=rules_file, env=env)
    per_date = ["--select", f"+{select}", "--exclude", *FACT_MODELS, "path:models/staging"]
    for as_of in dates:
        run_dbt(["--quiet", "run", "--full-refresh", *per_date, *common], as_of=as_of.isoformat(), vars=dbt_vars,
                rules_file=rules_file, env=env)
        yield version, schema, as_of


def run_backtest(dates: list[datetime], horizon_days: int = 90, *, rules_file: Path | None = None,
                 label: str = "current", backtest_id: str | None = None,
                 on_date: Callable[[DateResult], None] | None = None) -> BacktestRun:
    """Score at every date with the rules (the project's, or `rules_file`), store the figures."""
    import time

    started = t0 = time.monotonic()
    run: BacktestRun | None = None
    with warehouse.connect(autocommit=True) as conn:
        store.ensure_table(conn)
    for version, schema, as_of in scored_at_dates(dates, horizon_days, label=label, select="backtest_metrics",
                                                  rules_file=rules_file):
        run = run or BacktestRun(backtest_id or new_backtest_id(), label, horizon_days, version)
        with warehouse.connect() as conn:
            rows = store.read_metrics(conn, schema)
            store.save(conn, run.backtest_id, label, horizon_days, as_of, rows)
        result = DateResult(as_of, rows, time.monotonic() - t0)
        run.dates.append(result)
        if on_date:
            on_date(result)
        t0 = time.monotonic()
    assert run is not None, "no dates to backtest"
    run.seconds = time.monotonic() - started
    return run


def new_backtest_id() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]


@dataclass
class TierChanges:
    """How many of today's leads a candidate rules file would move, tier to tier."""

    moves: dict[tuple[str, str], int]
    leads: int

    @property
    def changed(self) -> int:
        return sum(n for (a, b), n in self.moves.items() if a != b)


def tier_changes_today(rules_file: Path, as_of: datetime | None = None) -> TierChanges:
    """Score today's leads with `rules_file` (in the candidate schema) and compare the tiers
    with marts.lead_scores, lead by lead."""
    from leadscore.scoring.dbt import run_dbt

    schema, target = _fresh_schema("candidate_today")
    when = as_of or newest_data_time()
    run_dbt(["--quiet", "run", "--select", "+lead_scores", "--exclude", "path:models/staging", "--target-path", str(target)],
            as_of=when.isoformat(), vars={"backtest_schema": schema}, rules_file=rules_file)
    with warehouse.connect() as conn:
        rows = conn.execute(
            f'select coalesce(t.tier, \'(none)\'), coalesce(c.tier, \'(none)\'), count(*) '
            f'from marts.lead_scores as t full join "{schema}".lead_scores as c on c.lead_id = t.lead_id '
            f'group by 1, 2').fetchall()
    return TierChanges({(a, b): n for a, b, n in rows}, sum(n for _, _, n in rows))
