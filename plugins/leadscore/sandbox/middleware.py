"""The ASGI layer in front of the API routes: count, authenticate, rate-limit, inject faults.

All routes are `async def` on purpose: they run one at a time on the event loop, so the
SQLite connection and read-modify-write updates (lifecycle rules) never race.

Order per API request: take the fault decision (sequence number), check credentials, check
the rate-limit buckets, apply pre-response faults (429, 5xx, slow) and an armed quirk's 429,
run the route, let an armed quirk (quirks.py) distort its answer, then post-response faults
(dropped connection, malformed JSON). `/_sandbox/*` and the HTML page
bypass all of it.
"""
from __future__ import annotations

import asyncio
import json
from urllib.parse import parse_qs

from starlette.responses import Response
from starlette.routing import Match, Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from leadscore.sandbox.auth import hubspot_denied, mailchimp_denied
from leadscore.sandbox.errors import hubspot_body, hubspot_response, problem_response
from leadscore.sandbox.salesforce import sf_error
from leadscore.sandbox.state import SandboxState


async def request_after(scope: Scope, receive: Receive) -> tuple[Receive, str | None]:
    """The `after` cursor of a request (query string, or a search's JSON body), and a `receive`
    that still hands the route the body it was read from."""
    if scope["method"] == "GET":
        return receive, (parse_qs(scope.get("query_string", b"").decode()).get("after") or [None])[0]
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    raw = b"".join(chunks)
    try:
        after = json.loads(raw or b"{}").get("after")
    except (ValueError, AttributeError):
        after = None
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if replayed:
            return await receive()
        replayed = True
        return {"type": "http.request", "body": raw, "more_body": False}

    return replay, None if after in (None, "") else str(after)


def family_of(path: str) -> str | None:
    if path.startswith(("/crm/", "/events/")):
        return "hubspot"
    if path.startswith("/3.0/") or path == "/3.0":
        return "mailchimp"
    if path.startswith("/services/data/"):
        return "salesforce"  # the token endpoint stays outside: no faults on login
    return None


def rate_limited(family: str, policy: str, message: str, retry_after: int | None, headers: dict[str, str]) -> Response:
    extra = dict(headers)
    if retry_after is not None:
        extra["Retry-After"] = str(retry_after)
    if family == "salesforce":  # Salesforce sends no 429: a throttled org answers 503 SERVER_UNAVAILABLE
        return sf_error(503, "SERVER_UNAVAILABLE", "Server temporarily unavailable, please try again later", extra)
    if family == "mailchimp":
        return problem_response(429, "Too Many Requests", "You have exceeded the limit of 10 simultaneous connections.",
                                extra)
    body = {**hubspot_body(message, "RATE_LIMITS"), "errorType": "RATE_LIMIT", "policyName": policy}
    return Response(json.dumps(body), status_code=429, media_type="application/json", headers=extra)


def server_error(family: str, status: int) -> Response:
    if status == 502:  # gateways answer in HTML, not in the API's JSON
        return Response("<html><body><h1>502 Bad Gateway</h1></body></html>", 502, media_type="text/html")
    if family == "salesforce":
        return sf_error(status, "UNKNOWN_EXCEPTION", "An unexpected error occurred. Please include this ErrorId "
                                                     "if you contact support.")
    if family == "mailchimp":
        return problem_response(status, "Internal Server Error", "An unexpected internal error has occurred.")
    return hubspot_response(status, "internal error" if status == 500 else "Service Unavailable", "INTERNAL_ERROR")


class SandboxMiddleware:
    def __init__(self, app: ASGIApp, state: SandboxState, router: Router):
        self.app = app
        self.state = state
        self.router = router

    def template(self, scope: Scope) -> str:
        for route in self.router.routes:
            match, _ = route.matches(scope)
            if match == Match.FULL:
                return getattr(route, "path", scope["path"])
        return "unmatched"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        family = family_of(scope.get("path", "")) if scope["type"] == "http" else None
        if family is None:
            await self.app(scope, receive, send)
            return
        state = self.state
        method = scope["method"]
        template = self.template(scope)
        is_search = template.endswith("/search")
        decision = state.plan.next(method, template, batch_write=template.endswith("/batch/update"))
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        authorization = headers.get("authorization", "")
        # Salesforce sessions are checked by its routes, which know the tokens they issued
        denied = None if family == "salesforce" else (
            hubspot_denied if family == "hubspot" else mailchimp_denied)(authorization, state.config)
        if denied is not None:
            await self.finish(scope, receive, send, denied, template)
            return
        limit_headers: dict[str, str] = {}
        if family == "hubspot" and state.config.rate_limits.any():
            verdict = state.limiter.check(is_search)
            if not verdict.allowed:
                response = rate_limited(family, verdict.policy, verdict.message, verdict.retry_after, verdict.headers)
                await self.finish(scope, receive, send, response, template)
                return
            limit_headers = verdict.headers
        quirk, after = None, None
        if state.quirks.wanted(scope["path"]):
            receive, after = await request_after(scope, receive)
            quirk = state.quirks.take(scope["path"], after, is_search)
        if quirk is not None and quirk.kind == "retry_after":
            response = rate_limited(family, "TEN_SECONDLY_ROLLING", "You have reached your ten_secondly_rolling limit.",
                                    None, {**limit_headers, "Retry-After": str(quirk.value)})
            await self.finish(scope, receive, send, response, template)
            return
        if decision.kind == "429":
            response = rate_limited(family, "TEN_SECONDLY_ROLLING", "You have reached your ten_secondly_rolling limit.",
                                    1 if decision.retry_after else None, limit_headers)
            await self.finish(scope, receive, send, response, template)
            return
        if decision.kind == "5xx":
            await self.finish(scope, receive, send, server_error(family, decision.status or 500), template)
            return
        if decision.kind == "timeout":
            await asyncio.sleep(state.config.faults.timeout_seconds)
        if decision.partial:
            scope.setdefault("state", {})["partial_fault_n"] = decision.n
        status, resp_headers, body = await self.capture(scope, receive)
        state.stats.record(method, template, status)
        if quirk is not None and status == 200:
            body = quirk.alter(body, after)
        if decision.kind == "drop":
            await send({"type": "http.response.start", "status": status, "headers": resp_headers})
            await send({"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True})
            return  # the server closes the connection mid-body
        if decision.kind == "malformed":
            body = body[: max(1, len(body) * 2 // 3)] + b'",{'
        out_headers = [(k, v) for k, v in resp_headers if k.lower() != b"content-length"]
        out_headers.append((b"content-length", str(len(body)).encode()))
        out_headers += [(k.lower().encode(), v.encode()) for k, v in limit_headers.items()]
        await send({"type": "http.response.start", "status": status, "headers": out_headers})
        await send({"type": "http.response.body", "body": body})

    async def capture(self, scope: Scope, receive: Receive) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        """Run the route and buffer its response, so faults can alter it."""
        status = 500
        headers: list[tuple[bytes, bytes]] = []
        chunks: list[bytes] = []

        async def collect(message: Message) -> None:
            nonlocal status, headers
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, collect)
        return status, headers, b"".join(chunks)

    async def finish(self, scope: Scope, receive: Receive, send: Send, response: Response, template: str) -> None:
        self.state.stats.record(scope["method"], template, response.status_code)
        await response(scope, receive, send)

