"""Resolve Airflow-style connections (`AIRFLOW_CONN_<ID>`) without needing an Airflow runtime.

Production points leadscore at real services by setting Airflow connections; the CLI, the
tests and the tasks all read them through this one function, in either of Airflow's two
env-var forms (URI or JSON). When nothing is configured the caller falls back to the
embedded defaults. Passwords and tokens are kept out of `repr` so they never reach a log.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote, urlsplit

from leadscore.errors import ConfigError


@dataclass(frozen=True)
class Connection:
    conn_id: str
    conn_type: str = ""
    host: str = ""
    port: int | None = None
    login: str = ""
    password: str = field(default="", repr=False)
    schema: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        """The HTTP base URL: `extra.base_url`, or a host that already is a URL, or scheme://host:port."""
        if self.extra.get("base_url"):
            return str(self.extra["base_url"]).rstrip("/")
        if "://" in self.host:
            return self.host.rstrip("/")
        scheme = "https" if self.conn_type in ("https", "hubspot", "mailchimp") and not self.port else "http"
        port = f":{self.port}" if self.port else ""
        return f"{scheme}://{self.host}{port}"


def _from_uri(conn_id: str, uri: str) -> Connection:
    parts = urlsplit(uri)
    extra = dict(parse_qsl(parts.query))
    if "__extra__" in extra:
        extra = json.loads(extra["__extra__"])
    return Connection(
        conn_id=conn_id,
        conn_type=parts.scheme.replace("-", "_"),
        host=unquote(parts.hostname or ""),
        port=parts.port,
        login=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        schema=unquote(parts.path.lstrip("/")),
        extra=extra,
    )


def _from_json(conn_id: str, text: str) -> Connection:
    data = json.loads(text)
    extra = data.get("extra") or {}
    if isinstance(extra, str):
        extra = json.loads(extra) if extra.strip() else {}
    port = data.get("port")
    return Connection(
        conn_id=conn_id,
        conn_type=data.get("conn_type", ""),
        host=data.get("host") or "",
        port=int(port) if port not in (None, "") else None,
        login=data.get("login") or "",
        password=data.get("password") or "",
        schema=data.get("schema") or "",
        extra=extra,
    )


def get_connection(conn_id: str) -> Connection | None:
    """The connection `conn_id` from `AIRFLOW_CONN_<ID>`, or None when it is not set."""
    env_name = f"AIRFLOW_CONN_{conn_id.upper()}"
    value = os.environ.get(env_name, "").strip()
    if not value:
        return None
    try:
        return _from_json(conn_id, value) if value.startswith("{") else _from_uri(conn_id, value)
    except (ValueError, TypeError) as exc:
        raise ConfigError(
            f"{env_name} is not a valid Airflow connection ({type(exc).__name__})",
            "set it to a URI like https://:TOKEN@api.hubapi.com or to Airflow's JSON form",
        ) from None
