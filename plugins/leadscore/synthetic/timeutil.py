"""Timestamp formatting shared by the generator: epoch milliseconds in, API strings out."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import lru_cache

DAY_MS = 86_400_000
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@lru_cache(maxsize=8192)
def _day(day: int) -> str:
    return (EPOCH + timedelta(days=day)).strftime("%Y-%m-%d")


def as_of_default() -> datetime:
    """Today at 00:00 UTC: fresh data for the demo, stable for a whole day of reruns."""
    now = datetime.now(timezone.utc)
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def to_ms(ts: datetime) -> int:
    return int(ts.timestamp() * 1000)


def hubspot_iso(ms: int) -> str:
    """HubSpot v3 style: 2024-05-01T09:00:00.123Z (integer arithmetic: this runs ~50M times at 1M contacts)."""
    day, rem = divmod(ms, DAY_MS)
    sec, milli = divmod(rem, 1000)
    minute, sec = divmod(sec, 60)
    hour, minute = divmod(minute, 60)
    return f"{_day(day)}T{hour:02d}:{minute:02d}:{sec:02d}.{milli:03d}Z"


def mailchimp_iso(ms: int) -> str:
    """Mailchimp style: 2024-05-01T09:00:00+00:00 (second precision)."""
    return hubspot_iso(ms)[:19] + "+00:00"
