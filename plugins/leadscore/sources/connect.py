"""Build the API client of a source from its Airflow connection, or the sandbox defaults.

`AIRFLOW_CONN_HUBSPOT` / `AIRFLOW_CONN_MAILCHIMP` point at the real services (host = base URL,
password = private-app token / API key, extras = limits and options). With no connection
configured, the loopback sandbox on LEADSCORE_SANDBOX_PORT is used.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

import httpx

from leadscore.connections import Connection, get_connection
from leadscore.errors import ConfigError
from leadscore.settings import DEFAULTS
from leadscore.sources.http import ApiClient, RetryPolicy
from leadscore.sources.rate_limit import NoLimit, RollingWindowLimiter, shared_limiter

SANDBOX_MAILCHIMP_LIST = "a1b2c3d4e5"


def sandbox_url() -> str:
    port = int(os.environ.get("LEADSCORE_SANDBOX_PORT", DEFAULTS.sandbox_port))
    return f"http://127.0.0.1:{port}"


def resolve(source: str) -> Connection:
    conn = get_connection(source)
    if conn is not None:
        if not conn.password:
            raise ConfigError(
                f"Airflow connection '{source}' has no password",
                f"put the {'private-app token' if source == 'hubspot' else 'API key'} in its password field",
            )
        return conn
    secret = DEFAULTS.hubspot_token if source == "hubspot" else DEFAULTS.mailchimp_key
    extra = {"mailchimp_list_id": SANDBOX_MAILCHIMP_LIST} if source == "mailchimp" else {}
    return Connection(conn_id=source, conn_type="http", host=sandbox_url(), password=secret,
                      login="leadscore", extra=extra)


def _limit(spec: str | None) -> tuple[int | None, float]:
    """'100/10' → (100, 10.0); '' or 'off' → no limit."""
    if not spec or str(spec).lower() in ("off", "none", "0"):
        return None, 1.0
    try:
        count, _, seconds = str(spec).partition("/")
        return int(count), float(seconds or 1)
    except ValueError:
        raise ConfigError(f"rate limit {spec!r} is not COUNT/SECONDS", "write it like 100/10") from None


@dataclass
class SourceSession:
    client: ApiClient
    options: dict = field(default_factory=dict)


def open_source(source: str, *, timeout: float | None = None) -> SourceSession:
    """The shared client (auth, retries, rate limits) and stream options for one source."""
    conn = resolve(source)
    extra = conn.extra
    options: dict = {
        "lookback_seconds": int(extra.get("lookback_seconds", 300)),
        "page_size": int(extra.get("page_size", 100)),
    }
    if "commit_every_records" in extra:
        options["commit_every_records"] = int(extra["commit_every_records"])
    retry = RetryPolicy(max_attempts=int(extra.get("max_attempts", 6)),
                        backoff_base=float(extra.get("backoff_base", 0.5)),
                        rate_limit_wait=float(extra["rate_limit_backoff"]) if "rate_limit_backoff" in extra else None,
                        max_wait=float(extra.get("max_retry_wait_seconds", 900)))
    limit, interval = _limit(extra.get("rate_limit"))
    limiter: RollingWindowLimiter | NoLimit = shared_limiter(f"{source}:{conn.base_url}", limit, interval)
    if source == "hubspot":
        s_limit, s_interval = _limit(extra.get("search_rate_limit"))
        options["search_limiter"] = shared_limiter(f"{source}-search:{conn.base_url}", s_limit, s_interval)
        client = ApiClient(conn_id=conn.conn_id, base_url=conn.base_url,
                           headers={"Authorization": f"Bearer {conn.password}"},
                           timeout=timeout or float(extra.get("timeout", 30)), limiter=limiter, retry=retry)
    elif source == "mailchimp":
        list_id = extra.get("mailchimp_list_id") or extra.get("list_id")
        if not list_id:
            raise ConfigError("Airflow connection 'mailchimp' has no list_id in its extra",
                              'add {"list_id": "<your audience id>"} to the connection extra')
        options["mailchimp_list_id"] = list_id
        if "mailchimp_page_size" in extra:
            options["mailchimp_page_size"] = int(extra["mailchimp_page_size"])
        options["activity_window_days"] = int(extra.get("activity_window_days", 180))
        client = ApiClient(conn_id=conn.conn_id, base_url=conn.base_url,
                           auth=httpx.BasicAuth(conn.login or "leadscore", conn.password),
                           timeout=timeout or float(extra.get("timeout", 30)), limiter=limiter, retry=retry)
    else:
        raise ConfigError(f"unknown source {source!r}", "use hubspot or mailchimp")
    return SourceSession(client=client, options=options)
