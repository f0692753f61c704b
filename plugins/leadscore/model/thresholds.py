"""`leadscore recommend-thresholds`: probability thresholds for sql and mql that meet a target,
read from what the backtests measured.

A backtest stores, per date, the percentiles of the conversion probability with their leads
and conversions (dimension probability_bin in marts.score_backtests). Pooled over the dates,
they say what share of leads a threshold would put in sql and how those leads converted.
The proposal is then written as a candidate rules file and backtested for real beside the
current rules (the what-if): hand-raises, disqualifiers and the open deals are only in that
second figure.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from leadscore import warehouse
from leadscore.errors import ConfigError, LeadscoreError


@dataclass(frozen=True)
class Bin:
    as_of: datetime
    leads: float
    converted: float
    min_probability: float


def bins_of(p, y, w, as_of: datetime, n: int = 100) -> list[Bin]:
    """Percentile bins of probabilities `p` (labels `y`, weights `w`), as backtest_metrics makes them."""
    import numpy as np

    order = np.argsort(-p, kind="stable")
    return [Bin(as_of, float(w[i].sum()), float((w[i] * y[i]).sum()), float(p[i].min()))
            for i in np.array_split(order, n) if len(i)]


Z = 1.645  # a target is met when it holds at the lower end of a one-sided 95 % interval


@dataclass
class Band:
    leads: float
    converted: float
    share: float
    rate: float
    lift: float
    lift_low: float  # the lift at the lower end of the rate's Wilson interval


def wilson_low(converted: float, leads: float, z: float = Z) -> float:
    """The lower end of the Wilson score interval of a conversion rate: a band of 40 leads with 4
    conversions is not proof of a 10 % rate."""
    if leads <= 0:
        return 0.0
    p = converted / leads
    centre = p + z * z / (2 * leads)
    spread = z * ((p * (1 - p) + z * z / (4 * leads)) / leads) ** 0.5
    return max(0.0, (centre - spread) / (1 + z * z / leads))


@dataclass
class Proposal:
    sql: float
    mql: float
    bands: dict[str, Band]
    backtest_id: str
    dates: list[datetime]
    notes: list[str]


def load_bins(backtest_id: str | None = None) -> tuple[str, list[Bin]]:
    """The probability bins of a backtest (default: the newest one of the current rules that has them)."""
    with warehouse.connect() as conn:
        if not conn.execute("select to_regclass('marts.score_backtests') is not null").fetchone()[0]:
            backtest_id = None
        else:
            backtest_id = backtest_id or (conn.execute(
                "select backtest_id from marts.score_backtests where rules_label = 'current' and dimension = "
                "'probability_bin' order by recorded_at desc limit 1").fetchone() or [None])[0]
        rows = conn.execute(
            "select as_of, leads, converted, metric_value from marts.score_backtests where backtest_id = %s and "
            "rules_label = 'current' and dimension = 'probability_bin' order by as_of, value",
            (backtest_id,)).fetchall() if backtest_id else []
    if not rows:
        raise LeadscoreError("no backtest with a conversion probability yet: thresholds are read from backtests",
                             "run `leadscore train`, then `leadscore backtest` (dates after the model's training "
                             "window, e.g. the default date), then this again")
    return backtest_id, [Bin(a, n, c, p) for a, n, c, p in rows]


def band(bins: list[Bin], low: float, high: float | None) -> Band:
    """Leads with probability in [low, high) pooled over the dates (at bin granularity)."""
    total = sum(b.leads for b in bins)
    base = sum(b.converted for b in bins) / total
    inside = [b for b in bins if b.min_probability >= low and (high is None or b.min_probability < high)]
    n, c = sum(b.leads for b in inside), sum(b.converted for b in inside)
    rate = c / n if n else 0.0
    return Band(n, c, n / total, rate, rate / base if base else 0.0, wilson_low(c, n) / base if base else 0.0)


def recommend(bins: list[Bin], *, sql_share: float | None = None, sql_lift: float | None = None,
              mql_lift: float = 2.0, backtest_id: str = "") -> Proposal:
    """The lowest sql threshold meeting the capacity (share of leads) and/or the lift, then the
    lowest mql threshold below it whose band still converts at `mql_lift` × the baseline. A lift
    counts as met when the lower end of its 95 % interval meets it, so a threshold that only
    just made it on one backtest's noise is not proposed."""
    if sql_share is None and sql_lift is None:
        raise ConfigError("no target given", "pass --sql-share 0.05 (a capacity), --sql-lift 4 (a minimum lift), or both")
    if sql_share is not None and not 0 < sql_share < 1:
        raise ConfigError(f"--sql-share {sql_share} is not a share between 0 and 1", "pass e.g. --sql-share 0.05")
    candidates = sorted({b.min_probability for b in bins}, reverse=True)
    sql = None
    for t in candidates:  # descending: the last one that still meets the target is the lowest
        top = band(bins, t, None)
        if (sql_share is None or top.share <= sql_share) and (sql_lift is None or top.lift_low >= sql_lift):
            sql = t
        elif sql_share is not None and top.share > sql_share:
            break
    notes = []
    if sql is None:
        raise LeadscoreError(f"no probability threshold meets the target (lift {sql_lift}, share {sql_share}) in the "
                             "backtest", "ask for a lower --sql-lift or a larger --sql-share")
    mql = sql
    for t in (t for t in candidates if t < sql):
        if band(bins, t, sql).lift_low >= mql_lift:
            mql = t
    if mql == sql:
        notes.append(f"no band below sql converts at {mql_lift}× the baseline: no mql")
    dates = sorted({b.as_of for b in bins})
    return Proposal(sql, mql, tier_bands(bins, sql, mql), backtest_id, dates, notes)


def tier_bands(bins: list[Bin], sql: float, mql: float) -> dict[str, Band]:
    """The sql, mql and nurture bands that thresholds `sql` and `mql` cut from `bins`."""
    return {"sql": band(bins, sql, None), "mql": band(bins, mql, sql), "nurture": band(bins, 0.0, mql)}


def write_candidate(rules_file: Path, out: Path, mode: str, sql: float, mql: float) -> Path:
    """A copy of the rules file with tiers.mode and tiers.predicted set, comments kept: the two
    lines are replaced where they stand, else added at the end of the tiers section."""
    from leadscore.scoring.rules import load_rules

    lines = rules_file.read_text(encoding="utf-8").split("\n")
    new = {"mode": f"  mode: {mode}", "predicted": f"  predicted: {{sql: {sql:.4g}, mql: {mql:.4g}}}"}
    try:
        first = lines.index("tiers:")
    except ValueError:
        raise ConfigError(f"{rules_file} has no tiers section to set", "pass a copy of dbt_project/scoring_rules.yml") from None
    end = next((i for i in range(first + 1, len(lines))
                if lines[i][:1] not in ("", " ") and not lines[i].startswith("# ")
                or lines[i].startswith("# {% endmacro")), len(lines))
    for key, line in new.items():
        at = next((i for i in range(first + 1, end) if lines[i].startswith(f"  {key}:")), None)
        if at is None:
            lines.insert(end, line)
            end += 1
        else:
            lines[at] = line
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines), encoding="utf-8")
    load_rules(out)
    return out


def share_of_open_leads(count: int) -> float:
    """A capacity of `count` sql leads as a share of today's open leads (not customers, not in a
    deal, not disqualified)."""
    with warehouse.connect() as conn:
        open_leads = conn.execute("select count(*) from marts.lead_scores where tier in ('sql', 'mql', 'nurture')"
                                  ).fetchone()[0]
    if count <= 0 or not open_leads:
        raise ConfigError(f"--sql-count {count} is not a capacity for {open_leads:,} open leads", "pass e.g. --sql-count 200")
    return min(0.999, count / open_leads)


def horizon_of(backtest_id: str) -> int:
    with warehouse.connect() as conn:
        return conn.execute("select max(horizon_days) from marts.score_backtests where backtest_id = %s",
                            (backtest_id,)).fetchone()[0]


def proposal_table(p: Proposal):
    """The proposal with what its tiers converted to in the backtest it was read from."""
    from rich.table import Table

    from leadscore.backtest.report import pct, times

    dates = ", ".join(str(d.date()) for d in p.dates)
    table = Table(title=f"proposal: sql at probability >= {p.sql:.4g}, mql >= {p.mql:.4g} "
                        f"(backtest {p.backtest_id}, as of {dates})", title_justify="left")
    for col in ("tier", "leads", "share", "converted", "rate", "lift", "lift, 95 % low end"):
        table.add_column(col, justify="left" if col == "tier" else "right")
    for tier, b in p.bands.items():
        table.add_row(tier, f"{b.leads:,.0f}", pct(b.share), f"{b.converted:,.0f}", pct(b.rate), times(b.lift),
                      times(b.lift_low))
    table.caption = ("by probability alone, pooled over the dates; the what-if below adds the disqualifiers, "
                     "hand-raises (hybrid) and open deals")
    table.caption_justify = "left"
    return table
