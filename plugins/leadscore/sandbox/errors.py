"""Error bodies in each API's own shape, so clients exercise their real error handling.

HubSpot: `{status:"error", message, correlationId, category, ...}` as JSON.
Mailchimp: RFC 7807 problem+json `{type, title, status, detail, instance}`.
"""
from __future__ import annotations

import uuid
from typing import Any

from fastapi.responses import JSONResponse

MAILCHIMP_ERROR_DOCS = "https://mailchimp.com/developer/marketing/docs/errors/"
HUBSPOT_AUTH_MESSAGE = ("Authentication credentials not found. This API supports OAuth 2.0 authentication and you "
                        "can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview")
BATCH_LIMIT_MESSAGE = ("The maximum number of inputs supported in a batch is 100. Please reduce the number of items "
                       "and try again")


class HubSpotError(Exception):
    """Raised by HubSpot routes; rendered by the app's exception handler."""

    def __init__(self, status: int, message: str, category: str = "VALIDATION_ERROR", **extra: Any):
        super().__init__(message)
        self.status = status
        self.body = hubspot_body(message, category, **extra)


class MailchimpError(Exception):
    def __init__(self, status: int, title: str, detail: str):
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail


def hubspot_body(message: str, category: str, **extra: Any) -> dict[str, Any]:
    return {"status": "error", "message": message, "correlationId": str(uuid.uuid4()), "category": category, **extra}


def hubspot_response(status: int, message: str, category: str = "VALIDATION_ERROR",
                     headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    return JSONResponse(hubspot_body(message, category, **extra), status_code=status, headers=headers)


def problem_response(status: int, title: str, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    body = {"type": MAILCHIMP_ERROR_DOCS, "title": title, "status": status, "detail": detail,
            "instance": str(uuid.uuid4())}
    return JSONResponse(body, status_code=status, media_type="application/problem+json", headers=headers)


def row_error(category: str, message: str, code: str, context: dict[str, list[str]] | None = None,
              status: str = "error") -> dict[str, Any]:
    """One element of a 207 response's `errors[]` (HubSpot's StandardError shape)."""
    return {"status": status, "category": category, "message": message, "context": context or {}, "links": {},
            "errors": [{"message": message, "code": code, "context": context or {}}]}
