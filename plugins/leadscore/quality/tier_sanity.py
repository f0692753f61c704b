"""Tier sanity: does the newest backtest of the current rules say `mql` and `sql` earn their names?

A tier that converts below the baseline (`mql`) or below twice the baseline (`sql`) sends sales
the wrong leads, but the data behind today's scores is not wrong, so this warns and never
blocks the run. It reads `marts.score_backtests` (written by `leadscore backtest` and the weekly
lead_scoring_backtest DAG) and judges only a backtest of the rules today's scores were made
with; a tier with too few leads to tell a bad tier from bad luck is named, not judged.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import timezone
from typing import Any

from leadscore.quality import config

TIERS = ("mql", "sql")
REVIEW = "review the tiers with `leadscore backtest --rules candidate.yml` or `leadscore recommend-thresholds`"
WARNING, PASSED, SKIPPED = "warning", "passed", "skipped"


@dataclass
class TierFigures:
    tier: str
    leads: int
    converted: int
    conversion_rate: float | None
    baseline_rate: float | None
    lift: float | None
    floor: float                  # the lift over the baseline the tier must reach
    verdict: str = ""             # "ok", "below" or "too small"


@dataclass
class TierSanity:
    status: str                   # warning, passed or skipped
    line: str
    backtest_id: str | None = None
    as_of: str | None = None
    horizon_days: int | None = None
    rules_version: str | None = None
    tiers: list[TierFigures] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _pct(rate: float | None) -> str:
    return f"{100 * (rate or 0):.1f} %"


def _times(lift: float, floor: float) -> str:
    """The lift to one decimal, or two where one would round a miss up to the floor (0.96 → 0.96×, not 1.0×)."""
    text = f"{lift:.1f}"
    return (f"{lift:.2f}" if lift < floor <= float(text) else text) + "×"


def _floor(value: float) -> str:
    return f"{value:g}×"


def judge(t: TierFigures, min_leads: int, min_expected: float) -> str:
    """Too small when the tier has fewer than `min_leads` leads or would convert fewer than
    `min_expected` leads at the baseline rate: counted from what was expected, not from what
    converted, so a tier of 500 leads that converted none is judged (and warns) rather than excused."""
    if t.leads < min_leads or t.lift is None or t.leads * (t.baseline_rate or 0) < min_expected:
        return "too small"
    return "below" if t.lift < t.floor else "ok"


def _phrase(t: TierFigures, with_baseline: bool) -> str:
    if t.verdict == "too small":
        return f"{t.tier} too small to judge ({t.leads:,} lead{'' if t.leads == 1 else 's'}, {t.converted:,} converted)"
    below = f", below {_floor(t.floor)}" if t.verdict == "below" else ""
    if with_baseline:
        return (f"{t.tier} converted {_pct(t.conversion_rate)} against a baseline of {_pct(t.baseline_rate)} "
                f"({_times(t.lift, t.floor)}{below})")
    return f"{t.tier} {_pct(t.conversion_rate)} ({_times(t.lift, t.floor)}{below})"


def _skip(reason: str, **known: Any) -> TierSanity:
    return TierSanity(SKIPPED, f"tier sanity skipped: {reason}", **known)


def _exists(conn, relation: str) -> bool:
    return conn.execute("select to_regclass(%s) is not null", (relation,)).fetchone()[0]


def _scores_version(conn) -> str | None:
    """The rules version most of today's leads were scored with (one, after a full dbt run)."""
    has_column = conn.execute(
        "select exists (select 1 from information_schema.columns where table_schema = 'marts'"
        " and table_name = 'lead_scores' and column_name = 'rules_version')").fetchone()[0]
    if not has_column:
        return None
    row = conn.execute("select rules_version from marts.lead_scores group by 1 order by count(*) desc, 1 limit 1"
                       ).fetchone()
    return row[0] if row else None


def check(conn, th: config.Thresholds) -> TierSanity:
    """Judge `mql` and `sql` on the newest as_of of the newest backtest of the current rules."""
    if not _exists(conn, "marts.score_backtests"):
        return _skip("no backtest yet (run `leadscore backtest`, or wait for the weekly lead_scoring_backtest DAG)")
    newest = conn.execute("""
        select backtest_id, max(as_of) from marts.score_backtests where rules_label = 'current'
        group by backtest_id order by max(recorded_at) desc, backtest_id desc limit 1""").fetchone()
    if newest is None:
        return _skip("no backtest yet (run `leadscore backtest`, or wait for the weekly lead_scoring_backtest DAG)")
    backtest_id, as_of = newest
    rows = conn.execute("""
        select dimension, value, coalesce(leads, 0), coalesce(converted, 0), conversion_rate, baseline_rate, lift,
               rules_version, horizon_days
        from marts.score_backtests
        where backtest_id = %s and rules_label = 'current' and as_of = %s and dimension in ('tier', 'overall')""",
                        (backtest_id, as_of)).fetchall()
    known = {"backtest_id": backtest_id, "as_of": as_of.astimezone(timezone.utc).date().isoformat(),
             "horizon_days": rows[0][8], "rules_version": rows[0][7]}
    if not _exists(conn, "marts.lead_scores"):
        return _skip("no scores to compare the backtest with", **known)
    current = _scores_version(conn)
    if current != known["rules_version"]:
        return _skip(f"the newest backtest ({backtest_id}) judged rules {known['rules_version']}, today's scores "
                     f"use {current or 'an unknown version'}; run `leadscore backtest` to judge these rules", **known)
    baseline = next((r[5] for r in rows if r[0] == "overall"), None)
    by_tier = {r[1]: r[2:7] for r in rows if r[0] == "tier"}
    tiers = []
    for tier in TIERS:   # a tier no lead was in at that date has no row: 0 leads, too small
        leads, converted, rate, base, lift = by_tier.get(tier) or (0, 0, None, baseline, None)
        t = TierFigures(tier, leads, converted, rate, base, lift, th[f"tier_sanity_{tier}_lift"])
        t.verdict = judge(t, th["tier_sanity_min_leads"], th["tier_sanity_min_expected_conversions"])
        tiers.append(t)
    first = next((t for t in tiers if t.verdict != "too small"), None)
    phrases = [_phrase(t, with_baseline=t is first) for t in tiers]
    head = f"tier sanity (backtest {backtest_id} as of {known['as_of']}, {known['horizon_days']} days): "
    if any(t.verdict == "below" for t in tiers):
        return TierSanity(WARNING, head + "; ".join(phrases) + " — " + REVIEW, tiers=tiers, **known)
    return TierSanity(PASSED, head + "; ".join(phrases), tiers=tiers, **known)
