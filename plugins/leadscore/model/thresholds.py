"""`leadscore recommend-thresholds`: thresholds that meet a target, read from what the backtests
measured: the probability's for sql and mql (modes predicted and hybrid), or the rules' mql gate
(mode rules: min_fit and min_engagement, from the backtest's fit × engagement cells).

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
    """Thresholds read from a backtest (as write_candidate takes them), with what their tiers
    converted to there."""
    thresholds: dict[str, float]
    described: str
    bands: dict[str, Band]
    backtest_id: str
    dates: list[datetime]
    notes: list[str]


def backtest_with(conn, dimension: str, backtest_id: str | None) -> str | None:
    """`backtest_id`, else the newest backtest of the current rules that stored `dimension`
    (None when there is none, or no backtest table yet)."""
    if not conn.execute("select to_regclass('marts.score_backtests') is not null").fetchone()[0]:
        return None
    return backtest_id or (conn.execute(
        "select backtest_id from marts.score_backtests where rules_label = 'current' and dimension = %s "
        "order by recorded_at desc limit 1", (dimension,)).fetchone() or [None])[0]


def load_bins(backtest_id: str | None = None) -> tuple[str, list[Bin]]:
    """The probability bins of a backtest (default: the newest one of the current rules that has them)."""
    with warehouse.connect() as conn:
        backtest_id = backtest_with(conn, "probability_bin", backtest_id)
        rows = conn.execute(
            "select as_of, leads, converted, metric_value from marts.score_backtests where backtest_id = %s and "
            "rules_label = 'current' and dimension = 'probability_bin' order by as_of, value",
            (backtest_id,)).fetchall() if backtest_id else []
    if not rows:
        raise LeadscoreError("no backtest with a conversion probability yet: thresholds are read from backtests",
                             "run `leadscore train`, then `leadscore backtest` (dates after the model's training "
                             "window, e.g. the default date), then this again")
    return backtest_id, [Bin(a, n, c, p) for a, n, c, p in rows]


def pooled(leads: float, converted: float, total_leads: float, total_converted: float) -> Band:
    """A band of `leads` with `converted` conversions, against a population's baseline."""
    base = total_converted / total_leads if total_leads else 0.0
    rate = converted / leads if leads else 0.0
    return Band(leads, converted, leads / total_leads if total_leads else 0.0, rate, rate / base if base else 0.0,
                wilson_low(converted, leads) / base if base else 0.0)


def band(bins: list[Bin], low: float, high: float | None) -> Band:
    """Leads with probability in [low, high) pooled over the dates (at bin granularity)."""
    inside = [b for b in bins if b.min_probability >= low and (high is None or b.min_probability < high)]
    return pooled(sum(b.leads for b in inside), sum(b.converted for b in inside),
                  sum(b.leads for b in bins), sum(b.converted for b in bins))


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
    return Proposal({"sql": sql, "mql": mql}, f"sql at probability >= {sql:.4g}, mql >= {mql:.4g}",
                    tier_bands(bins, sql, mql), backtest_id, dates, notes)


@dataclass(frozen=True)
class Cell:
    """The leads the rules' mql gate sorted at one date with fit and engagement in one step of 10."""
    as_of: datetime
    fit: int
    engagement: int
    leads: float
    converted: float


@dataclass
class GateCells:
    """What recommend_rules reads from one backtest: the gate's cells, every lead, the rules' sql."""
    backtest_id: str
    cells: list[Cell]
    overall: tuple[float, float]  # leads, converted: the baseline
    sql: tuple[float, float]
    dates: list[datetime]


GATE_STEPS = range(0, 101, 10)


def load_gate_cells(backtest_id: str | None = None) -> GateCells:
    """The fit × engagement cells of a backtest (default: the newest of the current rules that has them)."""
    with warehouse.connect() as conn:
        backtest_id = backtest_with(conn, "fit_engagement", backtest_id)
        rows = conn.execute(
            "select as_of, dimension, value, coalesce(leads, 0), coalesce(converted, 0) from marts.score_backtests "
            "where backtest_id = %s and rules_label = 'current' and (dimension in ('fit_engagement', 'overall') "
            "or (dimension = 'tier' and value = 'sql')) order by as_of, dimension, value",
            (backtest_id,)).fetchall() if backtest_id else []
    cells = [Cell(a, int(v.split("/")[0]), int(v.split("/")[1]), n, c) for a, d, v, n, c in rows if d == "fit_engagement"]
    if not cells:
        raise LeadscoreError("no backtest with the rules' fit and engagement cells yet: thresholds are read from backtests",
                             "run `leadscore backtest`, then this again")
    def total(dim: str) -> tuple[float, float]:
        return sum(n for _, d, _, n, _ in rows if d == dim), sum(c for _, d, _, _, c in rows if d == dim)

    return GateCells(backtest_id, cells, total("overall"), total("tier"), sorted({c.as_of for c in cells}))


def recommend_rules(gate: GateCells, *, sql_share: float | None = None, sql_lift: float | None = None,
                    mql_lift: float = 2.0) -> Proposal:
    """The rules' mql gate (min_fit, min_engagement, in steps of 10) that lets the most leads into
    mql while their band still converts at `mql_lift` × the baseline (at the lower end of its
    95 % interval). The rules' sql is not a threshold (hand-raises, sequences, frameworks): its
    backtested band is reported, and a capacity or lift it misses is said, not hidden."""
    leads, converted = gate.overall

    def gate_band(f: int, e: int, inside: bool) -> Band:
        chosen = [c for c in gate.cells if (c.fit >= f and c.engagement >= e) == inside]
        return pooled(sum(c.leads for c in chosen), sum(c.converted for c in chosen), leads, converted)

    sql = pooled(*gate.sql, leads, converted)
    notes = []
    if sql_share is not None and sql.share > sql_share:
        notes.append(f"the rules put {sql.share:.1%} of leads in sql, above the capacity of {sql_share:.1%}: sql comes "
                     "from hand-raises, sequences and frameworks, not a threshold; --mode hybrid or predicted caps it")
    if sql_lift is not None and sql.lift_low < sql_lift:
        notes.append(f"the rules' sql converts at {sql.lift:.1f}x (95 % low end {sql.lift_low:.1f}x), below the "
                     f"{sql_lift:g}x asked for")
    best = None
    for f in GATE_STEPS:
        for e in GATE_STEPS:
            b = gate_band(f, e, True)
            if b.leads and b.lift_low >= mql_lift and (best is None or (b.leads, b.lift) > (best[2].leads, best[2].lift)):
                best = (f, e, b)
    if best is None:
        raise LeadscoreError(f"no fit and engagement gate converts at {mql_lift:g}x the baseline in the backtest",
                             "ask for a lower --mql-lift, or use --mode predicted")
    f, e, mql = best
    return Proposal({"min_fit": f, "min_engagement": e}, f"mql at fit >= {f} and engagement >= {e} (rules)",
                    {"sql": sql, "mql": mql, "nurture": gate_band(f, e, False)}, gate.backtest_id, gate.dates, notes)


def tier_bands(bins: list[Bin], sql: float, mql: float) -> dict[str, Band]:
    """The sql, mql and nurture bands that thresholds `sql` and `mql` cut from `bins`."""
    return {"sql": band(bins, sql, None), "mql": band(bins, mql, sql), "nurture": band(bins, 0.0, mql)}


def write_candidate(rules_file: Path, out: Path, mode: str, sql: float | None = None, mql: float | None = None, *,
                    min_fit: int | None = None, min_engagement: int | None = None) -> Path:
    """A copy of the rules file with tiers.mode and the proposed thresholds set, comments kept:
    each line is replaced where it stands, else added at the end of its section (tiers, or
    tiers.mql for the rules' gate)."""
    from leadscore.scoring.rules import load_rules

    lines = rules_file.read_text(encoding="utf-8").split("\n")
    try:
        first = lines.index("tiers:")
    except ValueError:
        raise ConfigError(f"{rules_file} has no tiers section to set", "pass a copy of dbt_project/scoring_rules.yml") from None
    end = _section_end(lines, first, 0)
    end = _set_line(lines, first, end, "  mode", mode)
    if sql is not None and mql is not None:
        end = _set_line(lines, first, end, "  predicted", f"{{sql: {sql:.4g}, mql: {mql:.4g}}}")
    if min_fit is not None and min_engagement is not None:
        try:
            gate = lines.index("  mql:", first, end)
        except ValueError:
            raise ConfigError(f"{rules_file} has no tiers.mql section to set", "pass a copy of dbt_project/scoring_rules.yml") from None
        gate_end = _section_end(lines, gate, 2)
        gate_end = _set_line(lines, gate, gate_end, "    min_fit", str(min_fit))
        _set_line(lines, gate, gate_end, "    min_engagement", str(min_engagement))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines), encoding="utf-8")
    load_rules(out)
    return out


def _section_end(lines: list[str], first: int, indent: int) -> int:
    """The index after the last line of the section whose header is lines[first] (at `indent`):
    the next line indented no deeper that is not a comment, else the file's last non-blank line."""
    deeper = " " * (indent + 1)
    for i in range(first + 1, len(lines)):
        line = lines[i]
        if line.strip() and not line.startswith(deeper) and not line.lstrip().startswith("#"):
            return i
    end = len(lines)
    while end > first + 1 and not lines[end - 1].strip():
        end -= 1
    return end


def _set_line(lines: list[str], first: int, end: int, key: str, value: str) -> int:
    """Set `key: value` (key with its indent) in lines[first:end]; returns the section's new end."""
    at = next((i for i in range(first + 1, end) if lines[i].startswith(f"{key}:")), None)
    if at is None:
        lines.insert(end, f"{key}: {value}")
        return end + 1
    lines[at] = f"{key}: {value}"
    return end


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
    table = Table(title=f"proposal: {p.described} (backtest {p.backtest_id}, as of {dates})", title_justify="left")
    for col in ("tier", "leads", "share", "converted", "rate", "lift", "lift, 95 % low end"):
        table.add_column(col, justify="left" if col == "tier" else "right")
    for tier, b in p.bands.items():
        table.add_row(tier, f"{b.leads:,.0f}", pct(b.share), f"{b.converted:,.0f}", pct(b.rate), times(b.lift),
                      times(b.lift_low))
    table.caption = ("sql as the rules set it, mql and nurture by the gate alone (disqualified leads in neither), "
                     "pooled over the dates; the what-if below backtests the candidate whole"
                     if "min_fit" in p.thresholds else
                     "by probability alone, pooled over the dates; the what-if below adds the disqualifiers, "
                     "hand-raises (hybrid) and open deals")
    table.caption_justify = "left"
    return table
