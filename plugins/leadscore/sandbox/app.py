"""The app factory: one FastAPI app serving HubSpot, Mailchimp and the sandbox helpers."""
from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from leadscore.sandbox import admin, hubspot, mailchimp, salesforce
from leadscore.sandbox.config import SandboxConfig
from leadscore.sandbox.errors import HubSpotError, MailchimpError, hubspot_response, problem_response
from leadscore.sandbox.middleware import SandboxMiddleware, family_of
from leadscore.sandbox.state import SandboxState


def create_app(dataset_dir: Path, config: SandboxConfig | None = None, workdir: Path | None = None,
               state_file: Path | None = None, reset_state: bool = False) -> FastAPI:
    """Load `dataset_dir` (see leadscore.synthetic) into a private database and serve it;
    with `state_file`, CRM writes are kept there and replayed at the next start."""
    config = config or SandboxConfig()
    state = SandboxState(Path(dataset_dir), config, workdir, state_file, reset_state)
    app = FastAPI(title="leadscore sandbox (HubSpot + Mailchimp)", docs_url="/_sandbox/docs", redoc_url=None,
                  openapi_url="/_sandbox/openapi.json")
    app.state.sandbox = state
    app.include_router(hubspot.router)
    app.include_router(mailchimp.router)
    app.include_router(salesforce.router)
    app.include_router(admin.router)

    @app.exception_handler(HubSpotError)
    async def _hubspot(_: Request, exc: HubSpotError) -> JSONResponse:
        return JSONResponse(exc.body, status_code=exc.status)

    @app.exception_handler(salesforce.SalesforceError)
    async def _salesforce(_: Request, exc: salesforce.SalesforceError) -> JSONResponse:
        return exc.response()

    @app.exception_handler(MailchimpError)
    async def _mailchimp(_: Request, exc: MailchimpError) -> JSONResponse:
        return problem_response(exc.status, exc.title, exc.detail)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        detail = "; ".join(f"{'.'.join(map(str, e.get('loc', ())))}: {e.get('msg')}" for e in exc.errors())
        if family_of(request.url.path) == "mailchimp":
            return problem_response(400, "Invalid Resource", detail)
        return hubspot_response(400, detail)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if family_of(request.url.path) == "mailchimp":
            return problem_response(exc.status_code, "Resource Not Found", "The requested resource could not be found.")
        return hubspot_response(exc.status_code, str(exc.detail), "OBJECT_NOT_FOUND" if exc.status_code == 404 else "ERROR")

    app.add_middleware(SandboxMiddleware, state=state, router=app.router)
    return app
