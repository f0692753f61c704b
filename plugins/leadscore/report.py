"""Rich renderings of a run summary, shared by `leadscore demo` and `leadscore run`.

Every value that comes from data (a company name, an email, a tier reason, an error message)
is printed through `safe_text`: CRM fields are typed by strangers, and a `[bold]` or a stray
`[/]` must print as itself, an ANSI escape or a BEL must not reach the terminal.
"""
from __future__ import annotations

import re

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from leadscore.pipeline import TIERS, RunSummary

# ANSI CSI / OSC / two-byte escapes first, then any C0/C1 control character left over
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]?")
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def safe_text(value: object, style: str = "") -> Text:
    """Data as a Rich Text: never parsed as markup; escapes and control characters removed
    (tabs and line breaks become spaces: one value, one line)."""
    text = _ESCAPES.sub("", "" if value is None else str(value))
    text = _CONTROLS.sub(lambda m: " " if m.group() in "\t\n\r" else "", text)
    return Text(text, style=style)


def _n(value: int | None) -> str:
    return f"{value or 0:,}"


def render_funnel(s: RunSummary) -> Table:
    """Contacts in the warehouse → leads scored, each step a row, so the figures add up."""
    f = s.funnel
    table = Table(title="From contacts to leads", show_edge=False, show_header=False)
    table.add_column("step", overflow="fold")
    table.add_column("contacts", justify="right", no_wrap=True, min_width=len(_n(f["contacts"])))
    table.add_row("contacts loaded from the CRM", _n(f["contacts"]))
    table.add_row("− quarantined (not scored)", _n(f["quarantined"]))
    for rule in f["quarantined_by_rule"]:
        table.add_row(Text.assemble("    ", safe_text(rule["rule"]), ": ", safe_text(rule["reason"]), style="dim"),
                      Text(_n(rule["records"]), style="dim"))
    table.add_row("− archived in the CRM (no active contact left)", _n(f["archived"]))
    table.add_row("− folded into another lead (CRM merge or shared email)", _n(f["folded"]))
    if f["unaccounted"]:
        table.add_row(Text("− unaccounted (check `validate_outputs`)", style="red"), Text(_n(f["unaccounted"]), style="red"))
    table.add_row(Text("= leads scored", style="bold"), Text(_n(f["leads"]), style="bold"))
    return table


def render_quarantine(s: RunSummary) -> Table:
    """Rows of the other streams held back from scoring, per stream and rule."""
    table = Table(title="Quarantined records of the other streams (excluded from scoring)", show_edge=False)
    table.add_column("stream")
    table.add_column("records", justify="right")
    table.add_column("rules")
    for q in s.quarantine:
        table.add_row(safe_text(q["stream"]), _n(q["records"]),
                      safe_text(", ".join(f"{rule} {n:,}" for rule, n in q["by_rule"].items())))
    return table


def render_summary(s: RunSummary) -> Group:
    parts = []
    tiers = Table(title="Leads per tier", show_edge=False)
    tiers.add_column("tier")
    tiers.add_column("leads", justify="right")
    for tier in TIERS:
        tiers.add_row(tier, _n(s.tiers.get(tier, 0)))
    tiers.add_row("[b]total[/b]", f"[b]{_n(sum(s.tiers.values()))}[/b]")
    parts.append(tiers)
    if s.funnel:
        parts.append(render_funnel(s))
    if s.quarantine:
        parts.append(render_quarantine(s))

    hot = Table(title=f"The {len(s.hottest)} hottest leads (marts.lead_scores.priority_rank)", show_edge=False)
    hot.add_column("#", justify="right")
    hot.add_column("lead", overflow="fold", ratio=2)
    hot.add_column("tier", no_wrap=True)
    hot.add_column("grade", no_wrap=True)
    hot.add_column("score", justify="right", no_wrap=True)
    hot.add_column("why", overflow="fold", ratio=5)
    for lead in s.hottest:
        who = safe_text(lead["email"])
        if lead["company_name"]:
            who.append("\n").append_text(safe_text(lead["company_name"], style="dim"))
        hot.add_row(str(lead["priority_rank"]), who, safe_text(lead["tier"]), safe_text(lead["grade"]),
                    f"{float(lead['total_score']):.0f}", safe_text(lead["tier_reasons"]))
    parts.append(hot)

    extracted = Table(title="Extraction", show_edge=False)
    for col in ("stream", "records", "new", "updated", "pages", "retries", "429s", "seconds"):
        extracted.add_column(col, justify="right" if col != "stream" else "left")
    for e in s.extracted:
        extracted.add_row(safe_text(e["stream"]), _n(e["records"]), _n(e["inserted"]), _n(e["updated"]), _n(e["pages"]),
                          _n(e["retries"]), _n(e["rate_limited"]), f"{float(e['seconds'] or 0):.1f}")
    parts.append(extracted)
    passed = [v for v in s.validation if v["success"]]
    failed = [v for v in s.validation if not v["success"]]
    line = Text(f"Validation: {len(passed)} of {len(s.validation)} suites passed")
    if failed:
        line.append("; FAILED: ").append_text(safe_text(", ".join(v["suite"] for v in failed)))
    parts.append(line)
    for warning in (w for v in s.validation for w in v.get("warnings") or []):
        parts.append(Text("Warning: ", style="bold yellow").append_text(safe_text(warning)))
    if s.sync_line:
        parts.append(Text("CRM sync: ").append_text(safe_text(s.sync_line)))
    if s.crm_updated is not None:
        parts.append(Text(f"CRM records updated this run: {s.crm_updated:,}"))
    return Group(*parts)


def print_summary(s: RunSummary, console: Console | None = None) -> None:
    (console or Console()).print(render_summary(s))
