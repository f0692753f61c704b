"""Quality thresholds: `expectations/thresholds.yml`, then LEADSCORE_QUALITY_* env vars, then call overrides.

Thresholds live outside the suites so an operator can loosen a gate for one run (env or
DAG param) without editing versioned expectation JSON.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import yaml

from leadscore import settings
from leadscore.errors import ConfigError

ENV_PREFIX = "LEADSCORE_QUALITY_"
STREAM_KEYS = ("row_count_swing_pct", "max_invalid_share_pct", "freshness_hours", "min_rows")


@dataclass(frozen=True)
class Thresholds:
    values: dict[str, Any]
    streams: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def for_stream(self, stream: str) -> dict[str, Any]:
        """Batch-level thresholds of one stream: global values with the stream's overrides."""
        merged = {k: self.values.get(k) for k in STREAM_KEYS}
        merged.update(self.streams.get(stream, {}))
        return merged


def thresholds_path() -> Path:
    return settings.expectations_dir() / "thresholds.yml"


def _coerce(raw: str, like: Any) -> Any:
    if raw.strip().lower() in ("", "null", "none"):
        return None
    if isinstance(like, bool):
        return raw.strip().lower() in ("1", "true", "yes")
    if isinstance(like, int) and not isinstance(like, bool):
        return int(raw) if raw.strip().lstrip("-").isdigit() else float(raw)
    if isinstance(like, float):
        return float(raw)
    return raw


def load(overrides: Mapping[str, Any] | None = None, path: Path | None = None) -> Thresholds:
    """Thresholds from the YAML file, env vars (LEADSCORE_QUALITY_<KEY>) and `overrides`.

    `overrides` may hold top-level keys or `streams: {name: {key: value}}`.
    """
    path = path or thresholds_path()
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read quality thresholds {path} ({exc})", "restore expectations/thresholds.yml") from None
    streams = {k: dict(v or {}) for k, v in (data.pop("streams", None) or {}).items()}
    values = dict(data)
    for key, default in list(values.items()):
        env = os.environ.get(ENV_PREFIX + key.upper())
        if env is not None:
            try:
                values[key] = _coerce(env, default)
            except ValueError:
                raise ConfigError(f"{ENV_PREFIX + key.upper()}={env!r} is not a number",
                                  f"set it like {default!r}") from None
    for key, value in dict(overrides or {}).items():
        if key == "streams":
            for stream, extra in (value or {}).items():
                streams.setdefault(stream, {}).update(extra)
        elif key not in values:
            raise ConfigError(f"unknown quality threshold {key!r}", f"use one of {', '.join(sorted(values))}")
        else:
            values[key] = value
    return Thresholds(values=values, streams=streams)
