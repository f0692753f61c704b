"""Timestamps users type (CLI options, DAG params, `as_of`): ISO 8601 in, aware UTC out.

One parser for all of them, so a naive `2026-06-01` means the same (UTC midnight) everywhere
and a bad value is the same one-line error whichever way it came in."""
from __future__ import annotations

from datetime import datetime, timezone

from leadscore.errors import ConfigError

HINT = "pass e.g. 2026-12-01 or 2026-12-01T06:00:00+00:00"


def parse_utc(value: datetime | str | None, name: str, hint: str = HINT) -> datetime | None:
    """`value` as an aware datetime (a naive one is UTC); None for an empty value; a
    ConfigError naming `name` (the option or param) for text that is not ISO 8601."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise ConfigError(f"{name} {value!r} is not an ISO 8601 timestamp", hint) from None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
