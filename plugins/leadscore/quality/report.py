"""What a validation run returns to the DAG and the CLI, and how a failed gate is worded."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from leadscore.errors import QualityGateError
from leadscore.quality.gx_runner import Outcome

FIX = ("if the change is expected, rerun with force_sync=true (DAG param; CLI `leadscore run --force-sync`) "
       "or adjust expectations/thresholds.yml / LEADSCORE_QUALITY_* — Data Docs: {docs}")


@dataclass
class CriticalFailure:
    suite: str
    expectation: str
    observed: str
    threshold: str
    stream: str | None = None
    reason: str = ""

    def line(self) -> str:
        return f"{self.stream or self.suite}: {self.expectation} observed {self.observed}, allowed {self.threshold}"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class StreamCounts:
    rows: int
    quarantined: int


@dataclass
class ValidationReport:
    run_id: str
    stage: str                                   # "inputs" or "outputs"
    success: bool
    streams: dict[str, StreamCounts] = field(default_factory=dict)
    critical_failures: list[CriticalFailure] = field(default_factory=list)
    data_docs: str | None = None
    forced: bool = False
    reconciliation: dict[str, dict] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)   # worth a look, never a stop (tier sanity)
    seconds: float = 0.0

    @property
    def rows(self) -> int:
        return sum(s.rows for s in self.streams.values())

    @property
    def quarantined(self) -> int:
        return sum(s.quarantined for s in self.streams.values())

    def summary_line(self) -> str:
        status = "passed" if self.success else ("FAILED (forced through)" if self.forced else "FAILED")
        line = (f"validate_{self.stage} {status}: {len(self.streams)} tables, {self.rows} rows, "
                f"{self.quarantined} quarantined, {len(self.critical_failures)} critical failures")
        if self.critical_failures:
            line += " — " + "; ".join(f.line() for f in self.critical_failures[:3])
            if len(self.critical_failures) > 3:
                line += f"; +{len(self.critical_failures) - 3} more"
        for warning in self.warnings:
            line += f"; WARNING {warning}"
        return line + f" ({self.seconds:.1f}s)"

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["summary"] = self.summary_line()
        return data

    def gate_error(self) -> QualityGateError:
        first = self.critical_failures[0]
        problem = f"quality gate failed in validate_{self.stage} (run {self.run_id}): {first.line()}"
        if first.reason:
            problem += f" ({first.reason})"
        if len(self.critical_failures) > 1:
            problem += f"; +{len(self.critical_failures) - 1} more: " + ", ".join(
                f"{f.stream or f.suite}.{f.expectation}" for f in self.critical_failures[1:6])
        return QualityGateError(problem, FIX.format(docs=self.data_docs))


def _number(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _range(kwargs: dict) -> str:
    low, high = kwargs.get("min_value"), kwargs.get("max_value")
    if low is not None and high is not None:
        return f"{_number(low)}..{_number(high)}"
    return f">= {_number(low)}" if low is not None else f"<= {_number(high)}"


def _threshold(outcome: Outcome) -> str:
    kw, kind = outcome.kwargs, outcome.expectation_type
    if "value_set" in kw:
        return "one of " + ", ".join(map(str, kw["value_set"]))
    if "regex" in kw:
        return f"matching {kw['regex']}"
    if kind.endswith("to_be_unique"):
        return "unique values"
    if kind.endswith("not_be_null"):
        return "no nulls"
    if "min_value" in kw or "max_value" in kw:
        unit = " rows" if "row_count" in kind else ""
        return _range(kw) + unit
    return outcome.meta.get("reason", kind)


def _observed(outcome: Outcome) -> str:
    res = outcome.result
    if outcome.exception:
        return f"an error ({outcome.exception.splitlines()[0][:200]})"
    if "unexpected_count" in res:
        sample = ", ".join(repr(v)[:40] for v in (res.get("partial_unexpected_list") or [])[:3])
        return (f"{res['unexpected_count']} of {res.get('element_count')} rows"
                + (f" (e.g. {sample})" if sample else ""))
    value = res.get("observed_value")
    return f"{value} rows" if "row_count" in outcome.expectation_type else str(value)


def failures_from(outcome: Outcome) -> list[CriticalFailure]:
    """Critical failures of one failed expectation (an unexpected-rows check may report several)."""
    base = dict(suite=outcome.suite, expectation=outcome.rule, stream=outcome.stream,
                reason=outcome.meta.get("reason", ""))
    rows = (outcome.result.get("details") or {}).get("unexpected_rows") or []
    if outcome.exception is None and rows and isinstance(rows[0], dict) and "observed" in rows[0]:
        out = []
        for row in rows:
            unit = row.get("unit") or ""
            extra = {k: v for k, v in row.items() if k not in ("subject", "observed", "threshold", "unit")}
            detail = (" (" + ", ".join(f"{k} {_number(v)}" for k, v in extra.items()) + ")") if extra else ""
            out.append(CriticalFailure(
                observed=f"{row.get('subject')} {_number(row['observed'])}{unit}{detail}",
                threshold=f"<= {_number(row['threshold'])}{unit}", **base))
        return out
    return [CriticalFailure(observed=_observed(outcome), threshold=_threshold(outcome), **base)]
