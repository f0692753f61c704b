"""Credential checks in each API's style: HubSpot Bearer token, Mailchimp HTTP Basic API key."""
from __future__ import annotations

import base64
import hmac

from starlette.responses import Response

from leadscore.sandbox.config import SandboxConfig
from leadscore.sandbox.errors import HUBSPOT_AUTH_MESSAGE, hubspot_response, problem_response


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def hubspot_denied(authorization: str, config: SandboxConfig) -> Response | None:
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() == "bearer" and token and _same(token.strip(), config.hubspot_token):
        return None
    return hubspot_response(401, HUBSPOT_AUTH_MESSAGE, "INVALID_AUTHENTICATION")


def mailchimp_denied(authorization: str, config: SandboxConfig) -> Response | None:
    scheme, _, credentials = authorization.partition(" ")
    key = ""
    if scheme.lower() == "basic":
        try:
            key = base64.b64decode(credentials.strip()).decode().partition(":")[2]
        except (ValueError, UnicodeDecodeError):
            key = ""
    elif scheme.lower() in ("bearer", "apikey"):
        key = credentials.strip()
    if not key:
        return problem_response(401, "API Key Missing", "Your request did not include an API key.")
    if not _same(key, config.mailchimp_key):
        return problem_response(401, "API Key Invalid",
                                "Your API key may be invalid, or you've attempted to access the wrong datacenter.")
    return None
