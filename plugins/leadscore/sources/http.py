"""The one HTTP client every connector uses: auth, timeouts, retries, backoff and rate limits.

Retries cover what a flaky API does in practice: 429 (honouring `Retry-After` when sent and
HubSpot's `policyName` when not), 5xx, timeouts, connections dropped mid-body and malformed
JSON. `Retry-After` is read per RFC 9110 (delay-seconds or an HTTP-date); a negative or unreadable
value falls back to the default back-off, and a wait longer than `max_wait` (15 min unless the
connection says otherwise) fails at once with the time the API allows calls again, instead of
sleeping for hours inside a task. 401/403 are never retried: a bad token or a missing scope does not heal, so the caller
gets one line naming the connection at once. Credentials never appear in messages or logs.
"""
from __future__ import annotations

import json
import logging
import random
import math
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Callable

import httpx

from leadscore.errors import SourceAuthError, SourceError
from leadscore.sources.rate_limit import NoLimit, RollingWindowLimiter

log = logging.getLogger(__name__)

RETRYABLE_STATUS = {429, 500, 502, 503, 504}


@dataclass
class ClientStats:
    requests: int = 0
    retries: int = 0
    rate_limited: int = 0
    write_calls: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"requests": self.requests, "retries": self.retries, "rate_limited": self.rate_limited,
                "write_calls": self.write_calls}


@dataclass
class RetryPolicy:
    max_attempts: int = 6
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    daily_limit_is_fatal: bool = True
    rate_limit_wait: float | None = None  # override the wait after a 429 without Retry-After
    max_wait: float = 900.0  # longest single wait before giving up (connection extra max_retry_wait_seconds)

    def backoff(self, attempt: int) -> float:
        """Exponential backoff with full jitter (attempt counts from 1)."""
        return random.uniform(0, min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1)))


class ApiError(SourceError):
    """A non-retryable HTTP error with the API's own message; `status` and `body` for callers."""

    def __init__(self, problem: str, fix: str | None, status: int, body: Any):
        super().__init__(problem, fix)
        self.status = status
        self.body = body


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """Seconds a `Retry-After` header asks for (RFC 9110 §10.2.3): delay-seconds or an HTTP-date.

    None when absent, negative or unreadable, so the caller uses its default back-off rather
    than hammering the API with no wait at all. A date already past means "now" (0).
    """
    text = (value or "").strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:  # RFC 9110 dates are GMT
            when = when.replace(tzinfo=timezone.utc)
        return max(0.0, (when - now).total_seconds())
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def _error_message(body: Any) -> str:
    if isinstance(body, dict):
        for key in ("message", "detail", "title"):
            if body.get(key):
                return str(body[key])
    return str(body)[:200]


@dataclass
class ApiClient:
    """A JSON API client for one connection (`conn_id` names it in every error message)."""

    conn_id: str
    base_url: str
    auth: httpx.Auth | None = None
    headers: dict[str, str] = field(default_factory=dict, repr=False)
    timeout: float = 30.0
    limiter: RollingWindowLimiter | NoLimit = field(default_factory=NoLimit)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    sleep: Callable[[float], None] = time.sleep
    stats: ClientStats = field(default_factory=ClientStats)

    def __post_init__(self) -> None:
        self._http = httpx.Client(base_url=self.base_url, auth=self.auth, headers=self.headers,
                                  timeout=self.timeout)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "ApiClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def get(self, path: str, params: dict | None = None, **kw) -> Any:
        return self.request("GET", path, params=params, **kw)

    def post(self, path: str, body: Any, **kw) -> Any:
        return self.request("POST", path, json=body, **kw)

    def request(self, method: str, path: str, *, params: dict | None = None, json: Any = None,
                limiter: RollingWindowLimiter | NoLimit | None = None,
                accept_status: tuple[int, ...] = ()) -> Any:
        """Send one request with retries; returns the decoded JSON body.

        `accept_status` lists non-2xx statuses the caller handles itself (e.g. 400 on a
        batch write it will split); their body is returned instead of raising.
        """
        last_problem = ""
        for attempt in range(1, self.retry.max_attempts + 1):
            (limiter or self.limiter).acquire()
            self.stats.requests += 1
            if method != "GET" and "/search" not in path and "batch/read" not in path:
                self.stats.write_calls += 1
            try:
                response = self._http.request(method, path, params=params, json=json)
                body = self._decode(response)
            except (httpx.TimeoutException, httpx.TransportError, ValueError) as exc:
                last_problem = f"{type(exc).__name__} on {method} {path}"
                self._wait(attempt, self.retry.backoff(attempt), last_problem)
                continue
            status = response.status_code
            if status in (401, 403):
                raise SourceAuthError(
                    f"connection '{self.conn_id}' was rejected by {self.base_url} "
                    f"(HTTP {status}: {_error_message(body)})",
                    f"check the token/API key and scopes of the Airflow connection '{self.conn_id}'",
                )
            if status < 400 or status in accept_status:
                return body
            if status == 429:
                self.stats.rate_limited += 1
                wait = self._rate_limit_wait(response, body, attempt)
                self._check_wait(wait)
                (limiter or self.limiter).penalise(wait)
                last_problem = f"HTTP 429 ({body.get('policyName') if isinstance(body, dict) else ''})"
                self._wait(attempt, wait, last_problem)
                continue
            if status in RETRYABLE_STATUS:
                last_problem = f"HTTP {status} on {method} {path}"
                self._wait(attempt, self.retry.backoff(attempt), last_problem)
                continue
            raise ApiError(f"'{self.conn_id}' answered HTTP {status} to {method} {path}: {_error_message(body)}",
                           None, status, body)
        if last_problem.startswith("ConnectError"):
            raise SourceError(
                f"cannot reach '{self.conn_id}' at {self.base_url} (connection refused, {self.retry.max_attempts} attempts)",
                f"start the sandbox (`leadscore sandbox serve`) or point the Airflow connection '{self.conn_id}' "
                "at the real service",
            )
        raise SourceError(
            f"'{self.conn_id}' kept failing on {method} {path} after {self.retry.max_attempts} attempts "
            f"(last: {last_problem})",
            "the API may be down or rate-limited; the run can be retried safely",
        )

    @staticmethod
    def _decode(response: httpx.Response) -> Any:
        if not response.content:
            return {}
        try:
            return response.json()
        except json.JSONDecodeError:
            if response.status_code < 400:
                raise ValueError("malformed JSON") from None
            return {"message": response.text[:200]}

    def _rate_limit_wait(self, response: httpx.Response, body: Any, attempt: int) -> float:
        retry_after = retry_after_seconds(response.headers.get("Retry-After"), datetime.now(timezone.utc))
        if retry_after is not None:
            return retry_after
        policy = body.get("policyName") if isinstance(body, dict) else None
        if policy == "DAILY" and self.retry.daily_limit_is_fatal:
            raise SourceError(
                f"'{self.conn_id}' daily API limit is used up",
                "wait for the daily reset or raise the portal's API limit; the run is safe to retry",
            )
        if self.retry.rate_limit_wait is not None:
            return self.retry.rate_limit_wait
        interval_ms = response.headers.get("X-HubSpot-RateLimit-Interval-Milliseconds")
        if policy == "TEN_SECONDLY_ROLLING" or interval_ms:
            return float(interval_ms) / 1000 if interval_ms else 10.0
        if policy == "SECONDLY":
            return 1.0
        return self.retry.backoff(attempt) + 1.0

    def _check_wait(self, seconds: float) -> None:
        """Fail now, saying when calls are allowed again, rather than sleep past `max_wait`."""
        if seconds <= self.retry.max_wait:
            return
        until = datetime.now(timezone.utc) + timedelta(seconds=seconds)
        raise SourceError(
            f"'{self.conn_id}' is rate-limited for {seconds:.0f} s (HTTP 429 Retry-After, more than the "
            f"{self.retry.max_wait:.0f} s allowed); the API accepts calls again at {until:%Y-%m-%d %H:%M:%S} UTC",
            f"rerun after that time, or raise max_retry_wait_seconds in the Airflow connection '{self.conn_id}' extra",
        )

    def _wait(self, attempt: int, seconds: float, problem: str) -> None:
        if attempt >= self.retry.max_attempts:
            return
        self.stats.retries += 1
        log.info("%s: %s; retry %d in %.1fs", self.conn_id, problem, attempt, seconds)
        self.sleep(seconds)
