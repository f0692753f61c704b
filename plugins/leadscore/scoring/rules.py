"""Load and validate dbt_project/scoring_rules.yml, and hand the result to dbt.

The rules file is plain YAML. This module is the one validator: a bad rule raises one line,

    scoring_rules.yml: fit rule 'x': unknown operator 'foo'

and dbt never sees it. dbt gets the validated rules as JSON in the environment variable
LEADSCORE_SCORING_RULES (`dbt_env()`), which every dbt invocation of leadscore sets (run_dbt,
and the DAG's Cosmos tasks through orchestration.export_dbt_env); macros/rules/scoring_rules.sql
reads it and compiles the rules to SQL. An environment variable rather than a dbt var: dbt
re-parses only the models that read it when its value changes, keeps its partial-parse cache
when it does not, and Airflow never renders it as a template (Cosmos templates its `vars`).
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from leadscore import settings
from leadscore.errors import ConfigError

ATTRIBUTES: dict[str, str] = {
    "email": "text", "email_domain": "text", "job_title": "text", "decision_role": "text",
    "industry": "text", "employees": "number", "annual_revenue": "number", "company_name": "text",
    "company_domain": "text", "country": "text", "lifecyclestage": "text", "budget_range": "text",
    "purchase_timeframe": "text", "challenge": "text", "meddic_metrics": "text",
    "meddic_economic_buyer": "text", "meddic_decision_criteria": "text",
    "meddic_decision_process": "text", "meddic_identified_pain": "text", "meddic_champion": "text",
}
# The normalised activity types (int_activities_unioned). Fixed by the code, not the rules: the
# activity state has columns per type (macros/activity_state_columns.sql), so a new type means
# new columns and a recompute of every lead. Keep in step with rules_activity_types() in
# macros/rules/scoring_rules.sql and the accepted values in models/intermediate/_int__models.yml.
ACTIVITY_TYPES = (
    "demo_request", "contact_sales", "pricing_inquiry", "case_study_request", "ebook_download",
    "webinar_registration", "event_registration", "newsletter_signup", "form_other",
    "page_pricing", "page_case_study", "page_product", "page_careers", "page_blog", "page_docs",
    "page_other", "email_open", "email_click", "email_click_scanner", "email_hard_bounce",
    "email_soft_bounce", "email_unsubscribe", "crm_call_inbound", "crm_call_connected",
    "crm_call_outbound", "crm_meeting", "crm_email_reply", "crm_email_outbound", "crm_note",
)
# Types earlier versions had, and what replaced them (named in the error for an old rules file).
RETIRED_ACTIVITY_TYPES = {
    "crm_call": "crm_call_inbound, crm_call_connected or crm_call_outbound",
    "crm_email": "crm_email_reply or crm_email_outbound",
}
# The page types `normalisation.page_paths` may assign (page_other is what matches none).
PAGE_TYPES = ("page_pricing", "page_case_study", "page_product", "page_careers", "page_blog", "page_docs")
_PATH_PREFIX = re.compile(r"^/[\w/.~%-]*$")
OPERATORS = ("eq", "neq", "in", "not_in", "in_list", "matches", "contains", "gte", "gt", "lte", "lt",
             "between", "is_set", "is_empty")
SECTIONS = ("version", "normalisation", "fit", "activities", "grades", "signals", "frameworks", "tiers")
KNOWN_SECTIONS = ("version", "lists", "patterns", "normalisation", "fit", "activities", "grades", "signals",
                  "frameworks", "disqualifiers", "tiers")
# Where dbt finds the validated rules (macros/rules/scoring_rules.sql reads the same name).
RULES_ENV = "LEADSCORE_SCORING_RULES"


def default_path() -> Path:
    return settings.dbt_project_dir() / "scoring_rules.yml"


@dataclass(frozen=True)
class ScoringRules:
    """The parsed, validated rules plus their version string (as in marts.*.rules_version)."""

    data: dict[str, Any]
    version: str
    path: Path

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)


def _fail(where: str, problem: str) -> None:
    raise ConfigError(f"scoring_rules.yml: {where}: {problem}",
                      "fix the rule in dbt_project/scoring_rules.yml (see the operator list at its top)")


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _is_list(v: Any) -> bool:
    return isinstance(v, (list, tuple))


def _check_condition(where: str, c: dict, rules: dict) -> None:
    attr, op, v = c.get("attribute"), c.get("operator"), c.get("value")
    if attr not in ATTRIBUTES:
        _fail(where, f"unknown attribute '{attr}'")
    if op not in OPERATORS:
        _fail(where, f"unknown operator '{op}'")
    if op in ("gte", "gt", "lte", "lt"):
        if ATTRIBUTES[attr] != "number":
            _fail(where, f"operator '{op}' needs a numeric attribute, not '{attr}'")
        if not _is_number(v):
            _fail(where, f"operator '{op}' needs a number value")
    elif op == "between":
        if ATTRIBUTES[attr] != "number":
            _fail(where, f"operator 'between' needs a numeric attribute, not '{attr}'")
        if not _is_list(v) or len(v) != 2 or not all(_is_number(x) for x in v):
            _fail(where, "operator 'between' needs [low, high] numbers")
    elif op in ("in", "not_in"):
        if not _is_list(v) or not v:
            _fail(where, f"operator '{op}' needs a non-empty list value")
    elif op == "in_list":
        if not isinstance(v, str) or v not in (rules.get("lists") or {}):
            _fail(where, f"unknown list '{v}'")
    elif op in ("eq", "neq", "contains", "matches"):
        if v is None or isinstance(v, dict) or _is_list(v):
            _fail(where, f"operator '{op}' needs a single value")
        if op == "matches" and isinstance(v, str):
            if v.startswith("@"):
                if v[1:] not in (rules.get("patterns") or {}):
                    _fail(where, f"unknown pattern '{v}'")
            else:
                _check_regex(where, v)


def _check_regex(where: str, pattern: str) -> None:
    # PostgreSQL ARE word boundaries \m \M have no Python equivalent; \b is close enough to compile.
    try:
        re.compile(pattern.replace(r"\m", r"\b").replace(r"\M", r"\b"))
    except re.error as exc:
        _fail(where, f"invalid regular expression ({exc})")


def _check_activity_type(where: str, t: Any) -> None:
    if t in RETIRED_ACTIVITY_TYPES:
        _fail(where, f"activity type '{t}' was split into {RETIRED_ACTIVITY_TYPES[t]}")
    if t not in ACTIVITY_TYPES:
        _fail(where, f"unknown activity type '{t}'")


def _check_activity_list(where: str, types: Any, within_days: Any, min_count: Any = None) -> None:
    if not _is_list(types) or not types:
        _fail(where, "activity needs a non-empty list of activity types")
    for t in types:
        _check_activity_type(where, t)
    if within_days is not None and (not _is_number(within_days) or within_days <= 0):
        _fail(where, "within_days must be a number > 0")
    if min_count is not None and (not isinstance(min_count, int) or isinstance(min_count, bool) or min_count < 1):
        _fail(where, "min_count must be a whole number >= 1")


def _check_normalisation(norm: Any) -> None:
    """The settings int_activities_unioned types raw activities by (scanner clicks, page paths)."""
    if not isinstance(norm, dict):
        _fail("normalisation", "must be a mapping")
    for key in norm:
        if key not in ("scanner_click_seconds", "connected_call_dispositions", "page_paths"):
            _fail("normalisation", f"unknown key '{key}'")
    seconds = norm.get("scanner_click_seconds")
    if not _is_number(seconds) or seconds < 0:
        _fail("normalisation.scanner_click_seconds", "must be a number >= 0 (0 turns scanner detection off)")
    dispositions = norm.get("connected_call_dispositions")
    if not _is_list(dispositions) or not all(isinstance(x, str) and x for x in dispositions):
        _fail("normalisation.connected_call_dispositions", "must be a list of call dispositions")
    paths = norm.get("page_paths")
    if not isinstance(paths, dict) or not paths:
        _fail("normalisation.page_paths", "must map page types to lists of path prefixes")
    seen: dict[str, str] = {}
    for page_type, prefixes in paths.items():
        where = f"normalisation.page_paths.{page_type}"
        if page_type not in PAGE_TYPES:
            _fail(where, f"unknown page type (one of {', '.join(PAGE_TYPES)})")
        if not _is_list(prefixes) or not prefixes:
            _fail(where, "needs a non-empty list of path prefixes")
        for prefix in prefixes:
            if not isinstance(prefix, str) or not _PATH_PREFIX.match(prefix):
                _fail(where, f"'{prefix}' is not a path prefix (starts with /, no spaces or quotes)")
            if prefix.lower() in seen:
                _fail(where, f"path '{prefix}' is listed under {seen[prefix.lower()]} too")
            seen[prefix.lower()] = page_type


def validate(rules: Any) -> dict:
    """Raise ConfigError naming the first bad rule; return the rules unchanged."""
    if not isinstance(rules, dict):
        _fail("file", "not a YAML mapping")
    for section in SECTIONS:
        if section not in rules:
            _fail("file", f"missing section '{section}'")
    for section in rules:
        if section not in KNOWN_SECTIONS:
            _fail("file", f"unknown section '{section}'")
    for name, values in (rules.get("lists") or {}).items():
        if not _is_list(values):
            _fail(f"list '{name}'", "must be a list")
    for name, values in (rules.get("patterns") or {}).items():
        if not _is_list(values):
            _fail(f"pattern '{name}'", "must be a list of alternatives")
        _check_regex(f"pattern '{name}'", "(" + "|".join(str(x) for x in values) + ")")
    _check_normalisation(rules["normalisation"])
    seen: set[str] = set()
    for i, r in enumerate(rules["fit"] or [], start=1):
        if not isinstance(r, dict) or not r.get("name"):
            _fail(f"fit rule #{i}", "missing name")
        where = f"fit rule '{r['name']}'"
        if r["name"] in seen:
            _fail(where, "duplicate name")
        seen.add(r["name"])
        if not _is_number(r.get("points")):
            _fail(where, "points must be a number")
        _check_condition(where, r, rules)
    for t, a in (rules["activities"] or {}).items():
        where = f"activity '{t}'"
        if t in RETIRED_ACTIVITY_TYPES:
            _fail(where, f"activity type was split into {RETIRED_ACTIVITY_TYPES[t]}")
        if t not in ACTIVITY_TYPES:
            _fail(where, "unknown activity type")
        if not isinstance(a, dict) or not _is_number(a.get("points")):
            _fail(where, "points must be a number")
        for key in ("half_life_days", "window_days"):
            if a.get(key) is not None and (not _is_number(a[key]) or a[key] <= 0):
                _fail(where, f"{key} must be a number > 0")
        if a.get("cap") is not None and (not _is_number(a["cap"]) or a["cap"] < 0):
            _fail(where, "cap must be a number >= 0")
        for key in a:
            if key not in ("points", "half_life_days", "window_days", "cap"):
                _fail(where, f"unknown key '{key}'")
    grades = rules["grades"] or {}
    for g in ("A", "B", "C"):
        if not _is_number((grades.get("fit") or {}).get(g)):
            _fail("grades.fit", f"threshold '{g}' must be a number")
    for g in ("1", "2"):
        eng = grades.get("engagement") or {}
        if not _is_number(eng.get(g, eng.get(int(g)))):
            _fail("grades.engagement", f"threshold '{g}' must be a number")
    for s, conds in (rules["signals"] or {}).items():
        if not _is_list(conds) or not conds:
            _fail(f"signal '{s}'", "needs a list of conditions")
        for i, c in enumerate(conds, start=1):
            where = f"signal '{s}' condition {i}"
            if not isinstance(c, dict):
                _fail(where, "must be a mapping")
            elif "activity" in c:
                _check_activity_list(where, c["activity"], c.get("within_days"), c.get("min_count"))
            elif "engagement_gte" in c:
                if not _is_number(c["engagement_gte"]):
                    _fail(where, "engagement_gte must be a number")
            elif "attribute" in c:
                _check_condition(where, c, rules)
            else:
                _fail(where, "needs attribute, activity or engagement_gte")
    for f, criteria in (rules["frameworks"] or {}).items():
        if not isinstance(criteria, dict) or not criteria:
            _fail(f"framework '{f}'", "needs criterion: signal pairs")
        for crit, sig in criteria.items():
            if sig not in rules["signals"]:
                _fail(f"framework '{f}' criterion '{crit}'", f"unknown signal '{sig}'")
    dq_seen: set[str] = set()
    for i, d in enumerate(rules.get("disqualifiers") or [], start=1):
        if not isinstance(d, dict) or not d.get("name"):
            _fail(f"disqualifier #{i}", "missing name")
        where = f"disqualifier '{d['name']}'"
        if d["name"] in dq_seen:
            _fail(where, "duplicate name")
        dq_seen.add(d["name"])
        if "activity" in d:
            # an activity disqualifier: the lead did one of `activity` and none of `unless_later` since
            _check_activity_list(where, d["activity"], None)
            if d.get("unless_later") is not None:
                _check_activity_list(where + " unless_later", d["unless_later"], None)
        else:
            _check_condition(where, d, rules)
    tiers = rules["tiers"] or {}
    sql_t, mql_t = tiers.get("sql"), tiers.get("mql")
    if not isinstance(sql_t, dict):
        _fail("tiers", "missing 'sql'")
    if not isinstance(mql_t, dict):
        _fail("tiers", "missing 'mql'")
    for k in ("min_fit", "min_engagement"):
        if not _is_number(mql_t.get(k)):
            _fail("tiers.mql", f"{k} must be a number")
    if isinstance(sql_t.get("hand_raise"), dict):
        _check_activity_list("tiers.sql.hand_raise", sql_t["hand_raise"].get("activity"),
                             sql_t["hand_raise"].get("within_days"))
        if not _is_number(sql_t.get("min_fit")):
            _fail("tiers.sql", "min_fit must be a number")
    for i, q in enumerate(sql_t.get("sequences") or [], start=1):
        where = f"tiers.sql sequence '{q.get('name')}'"
        if not q.get("name"):
            _fail(f"tiers.sql sequence #{i}", "missing name")
        _check_activity_list(where, q.get("first"), q.get("within_days"))
        _check_activity_list(where, q.get("then"), q.get("within_days"))
        if q.get("within_days") is None:
            _fail(where, "within_days must be a number > 0")
        if q.get("min_fit") is not None and not _is_number(q["min_fit"]):
            _fail(where, "min_fit must be a number")
    fw = sql_t.get("framework")
    if fw is not None:
        if fw.get("name") not in rules["frameworks"]:
            _fail("tiers.sql.framework", f"unknown framework '{fw.get('name')}'")
        if not _is_number(fw.get("min_met")):
            _fail("tiers.sql.framework", "min_met must be a number")
    _check_tier_mode(tiers)
    return rules


TIER_MODES = ("rules", "predicted", "hybrid")


def _check_tier_mode(tiers: dict) -> None:
    """tiers.mode and the probability thresholds of tiers.predicted (0 < mql <= sql <= 1)."""
    mode = tiers.get("mode", "rules")
    if mode not in TIER_MODES:
        _fail("tiers.mode", f"must be one of {', '.join(TIER_MODES)}, not '{mode}'")
    p = tiers.get("predicted")
    if p is None:
        if mode != "rules":
            _fail("tiers.predicted", f"mode '{mode}' needs probability thresholds, e.g. {{sql: 0.2, mql: 0.05}}")
        return
    if not isinstance(p, dict) or set(p) - {"sql", "mql"}:
        _fail("tiers.predicted", "must be {sql: <probability>, mql: <probability>}")
    for k in ("sql", "mql"):
        if not _is_number(p.get(k)) or not 0 < p[k] <= 1:
            _fail("tiers.predicted", f"{k} must be a probability between 0 and 1")
    if p["mql"] > p["sql"]:
        _fail("tiers.predicted", "mql must not be above sql")


def rules_version(text: str, version: Any) -> str:
    """`<version>-<md5[:12]>` of the whole file: any edit, comments included, changes it."""
    return f"{version}-{hashlib.md5(text.encode('utf-8')).hexdigest()[:12]}"


def load_rules(path: str | Path | None = None) -> ScoringRules:
    """Parse and validate the rules file; raises ConfigError with the bad rule named."""
    path = Path(path) if path else default_path()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        fix = ("restore dbt_project/scoring_rules.yml from git" if path == default_path()
               else "pass a copy of dbt_project/scoring_rules.yml with your edits")
        raise ConfigError(f"cannot read scoring rules {path} ({exc.strerror})", fix) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "file"
        raise ConfigError(f"scoring_rules.yml: {where}: not valid YAML ({getattr(exc, 'problem', exc)})",
                          "fix the indentation or quoting in dbt_project/scoring_rules.yml") from None
    validate(data)
    return ScoringRules(data=data, version=rules_version(text, data["version"]), path=path)


def dbt_env(path: str | Path | None = None) -> dict[str, str]:
    """{RULES_ENV: JSON of the validated rules and their version}, for dbt's environment.

    The same file gives the same text, so dbt keeps its partial-parse cache while the rules
    stand still. Mapping keys become strings (YAML's `1:` is `"1"`, as the models index them)."""
    rules = load_rules(path)
    payload = {"rules_version": rules.version, "rules": rules.data}
    return {RULES_ENV: json.dumps(payload, separators=(",", ":"), ensure_ascii=False, default=str)}
