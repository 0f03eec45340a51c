"""The web application of a node: ``create_app(node) -> FastAPI``.

Mounts the REST API under ``/api/v1``, ``/api/health``, the OpenAPI document at
``/api/openapi.json``, the HTML pages, the static files and federation's TAXII routes
(:mod:`nucsec.federation.taxii`). Errors become one JSON shape on the API
(``{"error", "message", "field"}``) and an error page in the browser; nothing ever shows
a traceback.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from nucsec.errors import AccessDenied, AuthenticationError, NucsecError, PolicyDenial
from nucsec.node import Node
from nucsec.web.api.schemas import Health
from nucsec.web.dbscope import RequestConnection
from nucsec.web.deps import reject_nul
from nucsec.web.errors import LoginRequired, ThrottledError, http_status
from nucsec.web.security import BodyLimit, SecurityHeaders
from nucsec.web.warm import warming_state, worker_id

__all__ = ["create_app"]

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _error_body(kind: str, message: str, field: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"error": kind, "message": message}
    if field is not None:
        body["field"] = field
    return body


def _respond(
    request: Request,
    status: int,
    body: dict[str, Any],
    headers: dict[str, str] | None = None,
    error: NucsecError | None = None,
) -> Response:
    if _is_api(request):
        return JSONResponse(body, status_code=status, headers=headers)
    from nucsec.web.views import error_page

    return error_page(request, status, body["message"], headers=headers, error=error)


def _validation_message(exc: RequestValidationError) -> tuple[int, str, str | None]:
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return 400, "request body is not valid JSON", "body"
    first = errors[0] if errors else {}
    loc = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path")]
    field = ".".join(loc) or None
    msg = str(first.get("msg", "invalid input"))
    return 422, (f"{field}: {msg}" if field else msg), field


def _route_of(request: Request) -> str:
    """The request's path with its path parameters named (``/documents/{doc_id}/access``):
    an event names the route, never a record id."""
    names = {str(v): k for k, v in request.path_params.items()}
    parts = [f"{{{names[p]}}}" if p in names else p for p in request.url.path.split("/")]
    return "/".join(parts)[:200]


def audit_refusal(request: Request, exc: AccessDenied) -> None:
    """Every refusal is an audit event: a role, scope or anti-forgery refusal (403) that
    the reference monitor did not already record (``PolicyDenial``) is logged as
    ``policy.deny`` with who, the route (its template: no record id) and why — once per
    source and kind in a window, then counted (:mod:`nucsec.service.refusals`)."""
    from nucsec.service.refusals import Refusal, address_source, record_refusal

    node: Node = request.app.state.node
    caller = getattr(request.state, "caller", None)
    path = _route_of(request)
    address = request.client.host if request.client else "unknown"
    refusal = Refusal(
        source=caller.user.id if caller is not None else address_source(node, address),
        actor=caller.user.id if caller is not None else "anonymous",
        action="policy.deny",
        outcome="denied",
        reason=f"{exc.code}: {exc.message}",
        details={"route": path[:200], "method": request.method, "field": exc.field},
    )
    try:
        with node.engine.begin() as conn:
            record_refusal(node, conn, refusal)
    except Exception:  # pragma: no cover - logging must not hide the refusal
        log.exception("could not log a refused request to %s", path)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(NucsecError)
    async def nucsec_error(request: Request, exc: NucsecError) -> Response:
        if isinstance(exc, LoginRequired) and not _is_api(request):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            from urllib.parse import quote

            return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
        status = http_status(exc)
        if isinstance(exc, AccessDenied) and not isinstance(exc, PolicyDenial):
            await run_in_threadpool(audit_refusal, request, exc)
        headers: dict[str, str] = {}
        if isinstance(exc, ThrottledError):
            headers["Retry-After"] = str(exc.retry_after_s)
        elif isinstance(exc, AuthenticationError):
            headers["WWW-Authenticate"] = "Bearer"
        if status >= 500:
            log.error("%s %s: %s", request.method, request.url.path, exc.message)
        return _respond(request, status, exc.to_dict(), headers or None, exc)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        status, message, field = _validation_message(exc)
        kind = "malformed" if status == 400 else "invalid_input"
        return _respond(request, status, _error_body(kind, message, field))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        kinds = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}
        message = exc.detail if isinstance(exc.detail, str) else "request refused"
        if exc.status_code == 404:
            message = "not found"
        body = _error_body(kinds.get(exc.status_code, "error"), message)
        return _respond(request, exc.status_code, body, dict(exc.headers or {}) or None)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        body = _error_body("error", "internal error; the event was logged")
        return _respond(request, 500, body)


def _include_records(app: FastAPI) -> None:
    """The incident register, forensics and analyses: REST API and pages."""
    from nucsec.web.api import attachments as attachments_api
    from nucsec.web.api import cases as cases_api
    from nucsec.web.api import forensics as forensics_api
    from nucsec.web.api import incidents as incidents_api
    from nucsec.web.api import interop as interop_api
    from nucsec.web.api import library as library_api
    from nucsec.web.api import practices as practices_api
    from nucsec.web.pages import attachments as attachments_pages
    from nucsec.web.pages import case_forms, facilities, practices
    from nucsec.web.pages import cases as cases_pages
    from nucsec.web.pages import common as common_pages
    from nucsec.web.pages import forensics as forensics_pages
    from nucsec.web.pages import incident_edit as incident_edit_pages
    from nucsec.web.pages import incidents as incidents_pages
    from nucsec.web.pages import release as release_pages

    app.include_router(incidents_api.router, prefix="/api/v1", tags=["incidents"])
    app.include_router(forensics_api.router, prefix="/api/v1", tags=["forensics"])
    app.include_router(attachments_api.router, prefix="/api/v1", tags=["attachments"])
    app.include_router(library_api.router, prefix="/api/v1", tags=["library"])
    app.include_router(interop_api.router, prefix="/api/v1", tags=["interop"])
    app.include_router(practices_api.router, prefix="/api/v1", tags=["practices"])
    app.include_router(cases_api.router, prefix="/api/v1", tags=["cases"])
    app.include_router(incidents_pages.router, include_in_schema=False)
    app.include_router(incident_edit_pages.router, include_in_schema=False)
    app.include_router(forensics_pages.router, include_in_schema=False)
    app.include_router(common_pages.router, include_in_schema=False)
    app.include_router(attachments_pages.router, include_in_schema=False)
    app.include_router(release_pages.router, include_in_schema=False)
    for pages in (case_forms, cases_pages, practices, facilities):  # forms first: /cases/new
        app.include_router(pages.router, include_in_schema=False)


def create_app(node: Node) -> FastAPI:
    """The ASGI application serving ``node``."""
    from nucsec.federation import taxii
    from nucsec.web.api import accounts, audit, markings
    from nucsec.web.api import documents as documents_api
    from nucsec.web.pages import admin, session
    from nucsec.web.pages import documents as documents_pages
    from nucsec.web.views import make_templates

    app = FastAPI(
        dependencies=[Depends(reject_nul)],
        title="nucsec",
        summary="Node of the Japan-US Nuclear Security Working Group",
        version="1",
        openapi_url="/api/openapi.json",
        docs_url=None,  # Swagger UI loads from a CDN, which the CSP forbids
        redoc_url=None,
    )
    app.state.node = node
    app.state.templates = make_templates()
    app.add_middleware(BodyLimit, max_bytes=node.settings.max_upload_bytes)
    app.add_middleware(SecurityHeaders, secure=node.settings.secure_cookies)
    if node.engine.dialect.name == "postgresql":  # one connection per request
        app.add_middleware(RequestConnection, engine=node.engine)
    _install_error_handlers(app)

    @app.get(
        "/api/health",
        response_model=None,
        responses={
            200: {"model": Health},
            422: {"description": "invalid query"},
            503: {"model": Health},
        },
        tags=["health"],
        summary="Liveness, database reachability and start-up warming (no authentication)",
    )
    def health() -> Response:
        process = {"warming": warming_state(), "worker": worker_id()}
        try:
            with node.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception:
            log.exception("health check: database unreachable")
            body = {"status": "unavailable", "database": "unreachable", **process}
            return JSONResponse(body, 503)
        return JSONResponse({"status": "ok", "database": "ok", **process})

    for api in (documents_api, markings, accounts, audit):
        app.include_router(api.router, prefix="/api/v1", tags=["api"])
    _include_records(app)
    app.include_router(session.router, include_in_schema=False)
    app.include_router(documents_pages.router, include_in_schema=False)
    app.include_router(admin.router, include_in_schema=False)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(taxii.router)
    return app
