"""`leadscore explain EMAIL|CRM_ID`: one lead's score, tier and every factor behind them.

The breakdown is read from marts.lead_score_factors, a view over the tables the last dbt run
stored (fit rules, decay state, signals) with that run's scoring time fixed in it, so what it
shows is exactly what produced the scores and the synced tier until the next run. The
conversion model's rows (category 'model') carry no points but a logit_contribution; they are
shown apart, largest first, with the probability the CRM receives.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from leadscore import warehouse
from leadscore.errors import LeadscoreError

FRAMEWORKS = ("bant", "champ", "anum", "faint", "gpct", "meddic")
CATEGORY_ORDER = {"fit": 0, "engagement": 1, "penalty": 2, "framework": 3}
MODEL = "model"            # lead_score_factors.category of the conversion model's terms
INTERCEPT = "(intercept)"
TOP_MODEL_TERMS = 5


@dataclass(frozen=True)
class Factor:
    category: str
    score_component: str
    factor: str
    detail: str | None
    points: float
    logit_contribution: float | None = None   # model terms only: coefficient × value


@dataclass(frozen=True)
class Explanation:
    lead_id: str
    crm_id: str
    email: str | None
    company_name: str | None
    fit_score: float
    engagement_score: float
    total_score: float
    fit_grade: str
    engagement_level: int
    grade: str
    tier: str
    tier_reasons: str
    frameworks: dict[str, int]
    scored_at: datetime
    rules_version: str
    lifecyclestage: str | None = None
    factors: list[Factor] = field(default_factory=list)
    # activity types the rules score 0 (our outreach, link scanners, notes) and how many the
    # lead had: shown so a reader sees they were seen and not counted, not missed
    unscored: list[tuple[str, int]] = field(default_factory=list)
    # the learned conversion probability: all None while no model is stored (`leadscore train`)
    conversion_probability: float | None = None
    predicted_score: float | None = None      # the probability in percent, one decimal (as synced)
    conversion_logit: float | None = None
    model_version: str | None = None
    model_terms: list[Factor] = field(default_factory=list)   # largest |logit_contribution| first

    def factor_sum(self, component: str | None = None) -> float:
        return sum(f.points for f in self.factors if component is None or f.score_component == component)

    @property
    def intercept(self) -> float:
        return sum(t.logit_contribution for t in self.model_terms if t.factor == INTERCEPT)

    def top_model_terms(self, n: int = TOP_MODEL_TERMS) -> list[Factor]:
        """The features that moved this lead's log-odds most (the intercept is the baseline, not one)."""
        return [t for t in self.model_terms if t.factor != INTERCEPT][:n]

    def model_sum(self) -> float:
        """intercept + every term: equals conversion_logit (lead_score_factors is built so)."""
        return sum(t.logit_contribution for t in self.model_terms)


def _exists(conn, relation: str) -> bool:
    return conn.execute("select to_regclass(%s) is not null", (relation,)).fetchone()[0]


def _has_column(conn, relation: str, column: str) -> bool:
    """A mart built before the conversion model has no logit_contribution: explain it without one."""
    return conn.execute("select exists (select 1 from pg_attribute where attrelid = to_regclass(%s) "
                        "and attname = %s and not attisdropped)", (relation, column)).fetchone()[0]


def explain(lead: str) -> Explanation:
    """Look a lead up by email (any case/whitespace), CRM id (also merged-away ids) or lead_id."""
    key = (lead or "").strip()
    if not key:
        raise LeadscoreError("no lead given", "pass an email address or a HubSpot contact id")
    with warehouse.connect() as conn:
        if not _exists(conn, "marts.lead_scores") or not _exists(conn, "marts.lead_score_factors"):
            raise LeadscoreError("marts.lead_scores does not exist yet",
                                 "run the pipeline (`leadscore run`) or `dbt build` first")
        via_mapping = ("or s.lead_id in (select lead_id from intermediate.int_contacts_mapped_to_leads where contact_id = %(key)s)"
                       if _exists(conn, "intermediate.int_contacts_mapped_to_leads") else "")
        cur = conn.execute(f"""
            select s.* from marts.lead_scores as s
            where s.email = lower(%(key)s) or s.crm_id = %(key)s or s.lead_id = %(key)s {via_mapping}
            order by (s.email = lower(%(key)s)) desc, (s.crm_id = %(key)s) desc
            limit 1""", {"key": key})
        row = cur.fetchone()
        if row is None:
            raise LeadscoreError(f"no lead with email or CRM id '{key}'",
                                 "check marts.lead_scores (email is stored lower-case; archived and quarantined contacts are not scored)")
        s: dict[str, Any] = dict(zip([c.name for c in cur.description], row))
        contribution = ("logit_contribution" if _has_column(conn, "marts.lead_score_factors", "logit_contribution")
                        else "null::double precision")
        rows = [Factor(*r) for r in conn.execute(f"""
            select category, score_component, factor, detail, points, {contribution}
            from marts.lead_score_factors where lead_id = %s
            order by case category when 'fit' then 0 when 'engagement' then 1 when 'penalty' then 2 else 3 end,
                     abs(coalesce({contribution}, 0)) desc, abs(points) desc, factor""", (s["lead_id"],)).fetchall()]
        unscored = [(t, n) for t, n in conn.execute("""
            select activity_type, activity_count from intermediate.int_lead_activities_aggregated
            where lead_id = %s and points_each = 0 order by activity_count desc, activity_type""",
            (s["lead_id"],)).fetchall()] if _exists(conn, "intermediate.int_lead_activities_aggregated") else []
    return Explanation(
        lead_id=s["lead_id"], crm_id=s["crm_id"], email=s["email"], company_name=s["company_name"],
        fit_score=s["fit_score"], engagement_score=s["engagement_score"], total_score=s["total_score"],
        fit_grade=s["fit_grade"], engagement_level=s["engagement_level"], grade=s["grade"], tier=s["tier"],
        tier_reasons=s["tier_reasons"], frameworks={f: s[f"{f}_met"] for f in FRAMEWORKS if f"{f}_met" in s},
        scored_at=s["scored_at"], rules_version=s["rules_version"], lifecyclestage=s.get("lifecyclestage"),
        factors=[f for f in rows if f.category != MODEL], unscored=unscored,
        conversion_probability=s.get("conversion_probability"), predicted_score=s.get("predicted_score"),
        conversion_logit=s.get("conversion_logit"), model_version=s.get("model_version"),
        model_terms=[f for f in rows if f.category == MODEL and f.logit_contribution is not None],
    )


def render_explanation(expl: Explanation):
    """A Rich renderable: header, score summary, factor table per category."""
    from rich.console import Group
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    from leadscore.report import safe_text

    tier_style = {"sql": "bold green", "mql": "green", "nurture": "yellow", "disqualified": "red"}.get(expl.tier, "")
    head = Text()
    head.append_text(safe_text(expl.email or "(no email)", style="bold"))
    head.append("  CRM ").append_text(safe_text(expl.crm_id))
    if expl.company_name:
        head.append("  · ").append_text(safe_text(expl.company_name))
    head.append("\ntier ")
    head.append_text(safe_text(expl.tier.upper(), style=tier_style))
    head.append("  grade ").append_text(safe_text(expl.grade)).append("  ·  ").append_text(safe_text(expl.tier_reasons))
    head.append(f"\nfit {expl.fit_score:.1f} + engagement {expl.engagement_score:.1f} = total {expl.total_score:.1f}")
    head.append("\nframeworks: " + ", ".join(f"{k.upper()} {v}" for k, v in expl.frameworks.items()))
    head.append("\nscored at ", style="dim").append_text(safe_text(f"{expl.scored_at:%Y-%m-%d %H:%M %Z} with rules "
                                                                    f"{expl.rules_version}", style="dim"))

    table = Table(show_lines=False, expand=True)
    table.add_column("category")
    table.add_column("factor")
    table.add_column("points", justify="right")
    table.add_column("detail", overflow="fold")
    for f in expl.factors:
        style = "red" if f.points < 0 else ("dim" if f.points == 0 else "")
        table.add_row(safe_text(f.category), safe_text(f.factor), f"{f.points:+.2f}" if f.points else "·",
                      safe_text(f.detail), style=style)
    table.add_section()
    table.add_row("", "sum", f"{expl.factor_sum():.2f}", f"= total_score {expl.total_score:.2f}", style="bold")
    parts = [head, table, *_model_section(expl)]
    if expl.unscored:
        parts.append(safe_text("not engagement (0 points by the rules: our outreach, link scanners, notes): "
                               + ", ".join(f"{n}× {t}" for t, n in expl.unscored), style="dim"))
    return Panel(Group(*parts), title=safe_text(f"lead {expl.lead_id[:12]}"), border_style=tier_style or "white")


def _model_section(expl: Explanation) -> list:
    """The conversion probability and the terms that moved it most, or one line saying there is none."""
    from rich.table import Table

    from leadscore.report import safe_text

    if expl.conversion_probability is None:
        if expl.model_version is None:
            return [safe_text("conversion probability: no conversion model is trained yet (`leadscore train`)",
                              style="dim")]
        return [safe_text(f"conversion probability: model {expl.model_version} gave this lead none", style="dim")]
    percent = expl.predicted_score if expl.predicted_score is not None else 100 * expl.conversion_probability
    head = safe_text(f"conversion probability {percent:.1f}% (model {expl.model_version}, "
                     f"logit {expl.conversion_logit:+.3f})", style="bold")
    top = expl.top_model_terms()
    table = Table(expand=True, title=None)
    table.add_column("model term")
    table.add_column("logit", justify="right")
    table.add_column("detail", overflow="fold")
    for t in top:
        table.add_row(safe_text(t.factor), f"{t.logit_contribution:+.3f}", safe_text(t.detail),
                      style="red" if t.logit_contribution < 0 else "")
    features = [t for t in expl.model_terms if t.factor != INTERCEPT]
    rest = features[len(top):]
    rest_text = (f" + {len(rest)} other term{'s' if len(rest) != 1 else ''} {sum(t.logit_contribution for t in rest):+.3f}"
                 if rest else "")
    sums = safe_text(f"intercept {expl.intercept:+.3f} + top {len(top)} {sum(t.logit_contribution for t in top):+.3f}"
                     f"{rest_text} = logit {expl.model_sum():+.3f}", style="dim")
    return [head, table, sums] if top else [head, sums]
