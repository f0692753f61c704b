"""Versioned suite JSON in expectations/ → GX ExpectationSuites with this run's parameters.

Suites use GX's own `{"$PARAMETER": name}` placeholders. They are resolved here, per stream,
rather than at checkpoint time, because batch thresholds differ per stream (previous row
count, freshness) while one checkpoint validates all streams. Two extensions live in `meta`:
`skip_when_null` drops a check whose threshold is disabled, and `sql_params` binds values
into an `unexpected_rows_query` with psycopg's client-side quoting (never string pasting).
"""
from __future__ import annotations

import copy
import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

import great_expectations as gx
import psycopg
from great_expectations.expectations.expectation_configuration import ExpectationConfiguration
from great_expectations.expectations.metadata_types import FailureSeverity

from leadscore import settings
from leadscore.errors import ConfigError

MAP_PREFIX = "expect_column_values_"   # row-by-row checks: their failures name rows
MAP_TYPES_EXTRA = ("expect_column_value_lengths_to_be_between",)


def suite_path(stem: str) -> Path:
    return settings.expectations_dir() / f"{stem}.json"


@lru_cache(maxsize=None)
def _load(path: str) -> str:
    return Path(path).read_text()


def load(stem: str) -> dict:
    path = suite_path(stem)
    try:
        return json.loads(_load(str(path)))
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"cannot read expectation suite {path} ({exc})", "restore it from git") from None


def is_map(expectation_type: str) -> bool:
    """Whether an expectation is evaluated per row (and can list its failing rows)."""
    return expectation_type.startswith(MAP_PREFIX) or expectation_type in MAP_TYPES_EXTRA


def _resolve(value: Any, params: Mapping[str, Any]) -> Any:
    if isinstance(value, dict) and set(value) == {"$PARAMETER"}:
        name = value["$PARAMETER"]
        if name not in params:
            raise ConfigError(f"expectation parameter {name!r} has no value", "add it to expectations/thresholds.yml")
        return params[name]
    if isinstance(value, dict):
        return {k: _resolve(v, params) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, params) for v in value]
    return value


def instantiate(definition: dict, name: str, params: Mapping[str, Any], conn: psycopg.Connection,
                *, map_only: bool | None = None) -> gx.ExpectationSuite:
    """A GX suite named `name` from a suite definition, parameters resolved.

    `map_only` True/False keeps only the row-by-row / the aggregate expectations (they run with
    different result formats); None keeps all.
    """
    suite = gx.ExpectationSuite(name=name, meta=copy.deepcopy(definition.get("meta", {})))
    for spec in definition["expectations"]:
        meta = spec.get("meta", {})
        if map_only is not None and is_map(spec["type"]) != map_only:
            continue
        if any(params.get(p) is None for p in meta.get("skip_when_null", [])):
            continue
        kwargs = _resolve(copy.deepcopy(spec["kwargs"]), params)
        if meta.get("sql_params"):
            bind = {p: params[p] for p in meta["sql_params"]}
            kwargs["unexpected_rows_query"] = psycopg.ClientCursor(conn).mogrify(kwargs["unexpected_rows_query"], bind)
        config = ExpectationConfiguration(type=spec["type"], kwargs=kwargs, meta=copy.deepcopy(meta),
                                          severity=FailureSeverity(spec.get("severity", "critical")))
        suite.add_expectation(config.to_domain_obj())
    return suite
