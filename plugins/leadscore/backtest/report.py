"""What a backtest says, for a terminal (tables, one paragraph) and for a browser (a page with
a lift chart, conversion by tier over time and a calibration plot, drawn by matplotlib and
inlined as SVG so the page opens offline)."""
from __future__ import annotations

import html
import io
from datetime import datetime
from pathlib import Path

from rich.table import Table

from leadscore.backtest.engine import BacktestRun, DateResult, TierChanges

TIER_ORDER = ("sql", "mql", "nurture", "disqualified")


def pct(x: float | None, digits: int = 1) -> str:
    return "–" if x is None else f"{100 * x:.{digits}f} %"


def times(x: float | None) -> str:
    return "–" if x is None else f"{x:.1f}×"


def num(x: float | None, digits: int = 2) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


def _tiers(result: DateResult) -> list[dict]:
    rows = [r for r in result.rows if r["dimension"] == "tier"]
    return sorted(rows, key=lambda r: TIER_ORDER.index(r["value"]) if r["value"] in TIER_ORDER else 99)


def date_table(run: BacktestRun, result: DateResult) -> Table:
    """One date: per tier, the leads, their share, conversions in the horizon, rate, lift and
    the share of all converters the tier caught; the caption carries AUC and SQL precision/recall."""
    base = result.row("overall", "all") or {}
    table = Table(title=f"as of {result.as_of.date()}: converted within {run.horizon_days} days "
                        f"(rules {run.label}, {run.rules_version})", title_justify="left")
    for col in ("tier", "leads", "share", "converted", "rate", "lift", "of converters"):
        table.add_column(col, justify="left" if col == "tier" else "right")
    for r in _tiers(result):
        table.add_row(r["value"], f"{r['leads']:,}", pct(r["share_of_leads"]), f"{r['converted']:,}",
                      pct(r["conversion_rate"]), times(r["lift"]), pct(r["share_of_converters"], 0))
    table.add_row("all leads", f"{base.get('leads', 0):,}", "100 %", f"{base.get('converted', 0):,}",
                  pct(base.get("conversion_rate")), "1.0×", "100 %", style="bold")
    excluded = {r["value"]: r["leads"] for r in result.rows if r["dimension"] == "excluded"}
    table.caption = (f"AUC: total score {num(result.metric('auc_total_score'))}, fit {num(result.metric('auc_fit_score'))}, "
                     f"engagement {num(result.metric('auc_engagement_score'))}"
                     + (f", conversion probability {num(result.metric('auc_conversion_probability'))}"
                        if result.metric("auc_conversion_probability") is not None else "")
                     + " · sql precision "
                     f"{pct(result.metric('sql_precision'))}, recall {pct(result.metric('sql_recall'))} · not leads then: "
                     f"{excluded.get('customer', 0):,} customers, {excluded.get('in_pipeline', 0):,} in pipeline")
    table.caption_justify = "left"
    return table


def comparison_table(current: BacktestRun, candidate: BacktestRun, changes: TierChanges | None) -> Table:
    """The what-if: both rules files at the same dates, tier by tier, side by side."""
    table = Table(title=f"what-if: current rules ({current.rules_version}) vs candidate ({candidate.rules_version}), "
                        f"converted within {current.horizon_days} days", title_justify="left")
    for col in ("as of", "tier", "share now", "share cand.", "rate now", "rate cand.", "lift now", "lift cand."):
        table.add_column(col, justify="left" if col in ("as of", "tier") else "right")
    for a, b in zip(current.dates, candidate.dates):
        rows_b = {r["value"]: r for r in _tiers(b)}
        for r in _tiers(a):
            o = rows_b.get(r["value"], {})
            table.add_row(str(a.as_of.date()), r["value"], pct(r["share_of_leads"]), pct(o.get("share_of_leads")),
                          pct(r["conversion_rate"]), pct(o.get("conversion_rate")), times(r["lift"]), times(o.get("lift")))
        table.add_row(str(a.as_of.date()), "AUC total", "", "", "", "", num(a.metric("auc_total_score")),
                      num(b.metric("auc_total_score")), style="bold")
        if a.metric("auc_conversion_probability") is not None:
            table.add_row(str(a.as_of.date()), "AUC probability", "", "", "", "",
                          num(a.metric("auc_conversion_probability")), num(b.metric("auc_conversion_probability")),
                          style="bold")
    if changes is not None:
        moved = sorted(((n, x, y) for (x, y), n in changes.moves.items() if x != y), reverse=True)[:6]
        table.caption = (f"today: {changes.changed:,} of {changes.leads:,} leads would change tier"
                         + (" — " + ", ".join(f"{x}→{y} {n:,}" for n, x, y in moved) if moved else ""))
        table.caption_justify = "left"
    return table


def paragraph(run: BacktestRun, newest: datetime | None = None) -> str:
    """One paragraph on the last date: what each tier converted to, against the baseline."""
    if not run.dates:
        return "no backtest date"
    result = run.dates[-1]
    base = result.row("overall", "all") or {}
    when = f"as of {result.as_of.date()}"
    if newest is not None:
        when += f" ({(newest - result.as_of).days} days before the newest data)"
    parts = []
    for r in _tiers(result):
        if r["value"] in ("sql", "mql"):
            parts.append(f"{r['value']} ({pct(r['share_of_leads'], 0)} of leads) converted {pct(r['conversion_rate'])} "
                         f"in the next {run.horizon_days} days, {times(r['lift'])} the {pct(base.get('conversion_rate'))} baseline")
        else:
            parts.append(f"{r['value']} {pct(r['conversion_rate'])}")
    sql = result.row("tier", "sql") or {}
    return (f"Backtest {when}: " + "; ".join(parts)
            + f". sql caught {pct(sql.get('share_of_converters'), 0)} of the {base.get('converted', 0):,} converters "
              f"among {base.get('leads', 0):,} leads; AUC of the total score {num(result.metric('auc_total_score'))}"
            + (f", of the conversion probability {num(result.metric('auc_conversion_probability'))}"
               if result.metric("auc_conversion_probability") is not None else "") + ".")


# --- the page --------------------------------------------------------------------------------

def _svg(fig) -> str:
    import matplotlib.pyplot as plt

    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    plt.close(fig)
    text = buf.getvalue()
    return text[text.find("<svg"):]


def _lift_chart(runs: list[BacktestRun]):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.6))
    width = 0.8 / len(runs)
    for i, run in enumerate(runs):
        last = run.dates[-1]
        deciles = sorted((r for r in last.rows if r["dimension"] == "decile"), key=lambda r: r["value"])
        xs = [int(r["value"]) + (i - (len(runs) - 1) / 2) * width for r in deciles]
        ax.bar(xs, [100 * (r["conversion_rate"] or 0) for r in deciles], width=width, label=f"rules {run.label}")
        base = last.row("overall", "all")
        if base and base["conversion_rate"] is not None:
            ax.axhline(100 * base["conversion_rate"], linestyle="--", color="grey", linewidth=1)
    ax.set_xticks(range(1, 11))
    ax.set_xlabel("score decile at the date (1 = highest total score)")
    ax.set_ylabel(f"converted within {runs[0].horizon_days} days (%)")
    ax.set_title(f"Lift chart, as of {runs[0].dates[-1].as_of.date()} (dashed: baseline)")
    ax.legend()
    return fig


def _tiers_over_time(runs: list[BacktestRun]):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.6))
    for run in runs:
        style = "-" if run.label == "current" else "--"
        for tier in TIER_ORDER:
            pts = [(d.as_of, d.row("tier", tier)) for d in run.dates]
            pts = [(t, 100 * r["conversion_rate"]) for t, r in pts if r and r["conversion_rate"] is not None]
            if pts:
                ax.plot([t for t, _ in pts], [y for _, y in pts], style, marker="o", label=f"{tier} ({run.label})")
        base = [(d.as_of, d.row("overall", "all")) for d in run.dates]
        ax.plot([t for t, _ in base], [100 * (r["conversion_rate"] or 0) for _, r in base], ":", color="grey",
                label=f"baseline ({run.label})")
    ax.set_ylabel(f"converted within {runs[0].horizon_days} days (%)")
    ax.set_title("Conversion by tier over time")
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1))
    fig.autofmt_xdate()
    return fig


def _calibration(runs: list[BacktestRun]):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.6))
    for run in runs:
        last = run.dates[-1]
        deciles = [r for r in last.rows if r["dimension"] == "decile" and r["metric_value"] is not None]
        deciles.sort(key=lambda r: r["metric_value"])
        ax.plot([r["metric_value"] for r in deciles], [100 * (r["conversion_rate"] or 0) for r in deciles],
                marker="o", label=f"rules {run.label}")
    ax.set_xlabel("mean total score of the decile (0–200)")
    ax.set_ylabel(f"observed conversion within {runs[0].horizon_days} days (%)")
    ax.set_title("Calibration: observed conversion against the score")
    ax.legend()
    return fig


def _rows_html(run: BacktestRun) -> str:
    out = []
    for d in run.dates:
        base = d.row("overall", "all") or {}
        for r in _tiers(d):
            out.append(f"<tr><td>{d.as_of.date()}</td><td>{html.escape(run.label)}</td><td>{html.escape(r['value'])}</td>"
                       f"<td>{r['leads']:,}</td><td>{pct(r['share_of_leads'])}</td><td>{r['converted']:,}</td>"
                       f"<td>{pct(r['conversion_rate'])}</td><td>{times(r['lift'])}</td>"
                       f"<td>{pct(r['share_of_converters'], 0)}</td></tr>")
        out.append(f"<tr class='all'><td>{d.as_of.date()}</td><td>{html.escape(run.label)}</td><td>all leads</td>"
                   f"<td>{base.get('leads', 0):,}</td><td>100 %</td><td>{base.get('converted', 0):,}</td>"
                   f"<td>{pct(base.get('conversion_rate'))}</td><td>1.0×</td><td>AUC {num(d.metric('auc_total_score'))}</td></tr>")
    return "\n".join(out)


def write_html(runs: list[BacktestRun], path: Path, changes: TierChanges | None = None) -> Path:
    """A self-contained page: the tables and three charts, nothing loaded from a network."""
    import matplotlib

    matplotlib.use("Agg")
    charts = [_svg(f(runs)) for f in (_lift_chart, _tiers_over_time, _calibration)]
    what_if = (f"<p>Today {changes.changed:,} of {changes.leads:,} leads would change tier with the candidate rules.</p>"
               if changes else "")
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>leadscore backtest</title>
<style>body{{font-family:system-ui,sans-serif;margin:2em;max-width:980px}}table{{border-collapse:collapse}}
td,th{{padding:.2em .6em;border-bottom:1px solid #ddd;text-align:right}}td:nth-child(-n+3),th:nth-child(-n+3){{text-align:left}}
tr.all{{font-weight:bold}}svg{{max-width:100%;height:auto}}</style></head><body>
<h1>Is the score any good?</h1>
<p>{html.escape(paragraph(runs[0]))}</p>{what_if}
<p>Every lead scored as it stood at each date (activities and contacts up to then), against the conversions of the
next {runs[0].horizon_days} days. Customers and leads in an open deal at the date are left out. Backtest
{html.escape(runs[0].backtest_id)}; rules {", ".join(html.escape(f"{r.label} {r.rules_version}") for r in runs)}.</p>
<table><tr><th>as of</th><th>rules</th><th>tier</th><th>leads</th><th>share</th><th>converted</th><th>rate</th><th>lift</th><th>of converters</th></tr>
{"".join(_rows_html(r) for r in runs)}
</table>
{"".join(f"<figure>{c}</figure>" for c in charts)}
</body></html>
"""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path
