"""Rich renderings of a run summary, shared by `leadscore demo` and `leadscore run`."""
from __future__ import annotations

from rich.console import Console, Group
from rich.table import Table

from leadscore.pipeline import TIERS, RunSummary


def render_summary(s: RunSummary) -> Group:
    parts = []
    tiers = Table(title="Leads per tier", show_edge=False)
    tiers.add_column("tier")
    tiers.add_column("leads", justify="right")
    for tier in TIERS:
        tiers.add_row(tier, str(s.tiers.get(tier, 0)))
    tiers.add_row("[b]total[/b]", f"[b]{sum(s.tiers.values())}[/b]")
    parts.append(tiers)

    hot = Table(title=f"The {len(s.hottest)} hottest leads", show_edge=False, show_lines=False)
    hot.add_column("#", justify="right")
    hot.add_column("lead", overflow="fold", ratio=2)
    hot.add_column("tier", no_wrap=True)
    hot.add_column("grade", no_wrap=True)
    hot.add_column("score", justify="right", no_wrap=True)
    hot.add_column("why", overflow="fold", ratio=5)
    for rank, lead in enumerate(s.hottest, 1):
        who = lead["email"] or ""
        if lead["company_name"]:
            who += f"\n[dim]{lead['company_name']}[/dim]"
        hot.add_row(str(rank), who, lead["tier"], lead["grade"] or "", f"{float(lead['total_score']):.0f}",
                    lead["tier_reasons"] or "")
    parts.append(hot)

    extracted = Table(title="Extraction", show_edge=False)
    for col in ("stream", "records", "new", "updated", "pages", "retries", "429s", "seconds"):
        extracted.add_column(col, justify="right" if col != "stream" else "left")
    for e in s.extracted:
        extracted.add_row(e["stream"], str(e["records"]), str(e["inserted"]), str(e["updated"]), str(e["pages"]),
                          str(e["retries"]), str(e["rate_limited"]), f"{float(e['seconds'] or 0):.1f}")
    parts.append(extracted)
    passed = [v for v in s.validation if v["success"]]
    failed = [v for v in s.validation if not v["success"]]
    parts.append(f"Validation: {len(passed)} of {len(s.validation)} suites passed"
                 + (f"; FAILED: {', '.join(v['suite'] for v in failed)}" if failed else ""))
    if s.sync_line:
        parts.append(f"CRM sync: {s.sync_line}")
    if s.crm_updated is not None:
        parts.append(f"CRM records updated this run: {s.crm_updated}")
    return Group(*parts)


def print_summary(s: RunSummary, console: Console | None = None) -> None:
    (console or Console()).print(render_summary(s))
