"""Run dbt (programmatically, dbtRunner) against the configured warehouse.

    run_dbt(["build"], as_of="2026-06-01T00:00:00Z")

The warehouse's LEADSCORE_PG_* variables are exported for dbt_project/profiles.yml, the
validated scoring rules for macros/rules/scoring_rules.sql (LEADSCORE_SCORING_RULES, see
leadscore.scoring.rules), telemetry is off, and a failure raises LeadscoreError naming the first
failing node in one line.
"""
from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path

from leadscore import settings, warehouse
from leadscore.errors import LeadscoreError

log = logging.getLogger(__name__)
_LOCK = threading.Lock()  # dbtRunner is not re-entrant within one process


def dbt_env(rules_file: str | Path | None = None) -> dict[str, str]:
    """Environment for dbt: warehouse coordinates, the validated scoring rules (`rules_file`,
    default dbt_project/scoring_rules.yml; a bad rule raises ConfigError naming it), profiles
    dir, telemetry off."""
    from leadscore.scoring import rules

    env = {**rules.dbt_env(rules_file), **warehouse.params(start=True).dbt_env()}
    env["DBT_PROFILES_DIR"] = str(settings.dbt_project_dir())
    env["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "False"
    env["DO_NOT_TRACK"] = "1"
    return env


def _first_line(text: str | None) -> str:
    for line in (text or "").splitlines():
        line = line.strip()
        if line and not line.startswith(("compiled code", "Database Error", "Compilation Error")):
            return line
    return (text or "").strip().splitlines()[0] if (text or "").strip() else "failed"


def _summarise(result) -> str:
    """One line: the first failing node and why (or the invocation's exception)."""
    if result.exception is not None:
        return _first_line(str(result.exception))
    failures = []
    for r in getattr(result.result, "results", None) or []:
        status = str(getattr(r, "status", "")).lower()
        if status in ("error", "fail", "runtimeerror"):
            node = getattr(r, "node", None)
            name = getattr(node, "unique_id", None) or getattr(node, "name", "?")
            failures.append(f"{name} {status}: {_first_line(getattr(r, 'message', ''))}")
    if not failures:
        return "dbt reported failure"
    more = f" (+{len(failures) - 1} more)" if len(failures) > 1 else ""
    return failures[0] + more


def run_dbt(args: list[str], *, as_of: str | None = None, vars: dict | None = None,
            project_dir: str | Path | None = None, env: dict[str, str] | None = None,
            rules_file: str | Path | None = None) -> None:
    """Invoke dbt in-process with the warehouse env; raise LeadscoreError on any failure.

    `as_of` is the scoring time (ISO 8601; default: the run start). It travels as
    LEADSCORE_AS_OF, not as a dbt var, so that dbt keeps its partial-parse cache from one day
    to the next (macros/as_of.sql). `project_dir` defaults to the repo's dbt_project/;
    `rules_file` (default: the project's scoring_rules.yml) is validated and scored with, e.g. a
    candidate of a what-if; `env` overrides variables for this call (e.g. LEADSCORE_PG_DBNAME to
    score into another database).
    """
    from dbt.cli.main import dbtRunner

    project = Path(project_dir) if project_dir else settings.dbt_project_dir()
    cli = list(args) + ["--project-dir", str(project), "--profiles-dir", str(project)]
    if vars:
        cli += ["--vars", json.dumps(vars, default=str)]
    env = {**dbt_env(rules_file or project / "scoring_rules.yml"),
           **({"LEADSCORE_AS_OF": str(as_of)} if as_of else {}), **(env or {})}
    with _LOCK:
        saved = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        try:
            result = dbtRunner().invoke(cli)
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
    if not result.success:
        raise LeadscoreError(f"dbt {' '.join(args)} failed: {_summarise(result)}",
                             f"see {Path(os.environ.get('DBT_LOG_PATH') or project / 'logs') / 'dbt.log'} for the full log")
