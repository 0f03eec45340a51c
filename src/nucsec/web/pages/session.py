"""HTML pages of the session: sign-in (throttled, with an anti-forgery token), sign-out
and the interface language switch.

A signed-in visitor is sent on to ``next`` (a local path only: no open redirect).
"""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from nucsec.errors import AuthenticationError
from nucsec.node import Node
from nucsec.web.auth import Caller, check_csrf, close_session, sign_in
from nucsec.web.deps import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    Form,
    NodeDep,
    csrf_form,
    first,
    optional_page_caller,
    read_form,
)
from nucsec.web.errors import ThrottledError
from nucsec.web.i18n import LANGUAGE_COOKIE, LANGUAGES, translator
from nucsec.web.views import render

__all__ = ["router"]

router = APIRouter()
MaybeCallerDep = Depends(optional_page_caller)
FormDep = Depends(csrf_form)


def _cookie(response: Response, node: Node, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite="strict",
        secure=node.settings.secure_cookies,
        path="/",
    )


def _safe_next(target: str) -> str:
    """Only local paths after sign-in (no open redirect)."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


# -- sign-in ------------------------------------------------------------------------------
def _login_page(
    request: Request,
    node: Node,
    *,
    error: str = "",
    status: int = 200,
    username: str = "",
    next_url: str = "/",
) -> Response:
    token = secrets.token_urlsafe(24)
    demo_users: list[str] = []
    if node.demo:
        from nucsec.service.users import list_users

        with node.engine.connect() as conn:
            demo_users = [u.username for u in list_users(conn) if u.active]
    response = render(
        request,
        "login.html",
        {
            "login_token": token,
            "error": error,
            "username": username,
            "next_url": next_url,
            "demo_users": demo_users,
        },
        caller=None,
        status=status,
    )
    _cookie(response, node, LOGIN_COOKIE, token, 3600)
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(
    request: Request,
    next: str = Query("/", max_length=2000),
    node: Node = NodeDep,
    caller: Caller | None = MaybeCallerDep,
) -> Response:
    if caller is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return _login_page(request, node, next_url=_safe_next(next))


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request, node: Node = NodeDep) -> Response:
    from starlette.concurrency import run_in_threadpool

    form = await read_form(request)
    check_csrf(request.cookies.get(LOGIN_COOKIE), first(form, "login_token") or None)
    username = first(form, "username").strip()[:64]
    next_url = _safe_next(first(form, "next", "/"))
    address = request.client.host if request.client else "unknown"
    try:
        result = await run_in_threadpool(sign_in, node, username, first(form, "password"), address)
    except ThrottledError as exc:
        return await run_in_threadpool(
            _login_page,
            request,
            node,
            error=_throttled(request, exc),
            status=429,
            username=username,
            next_url=next_url,
        )
    except AuthenticationError as exc:
        return await run_in_threadpool(
            _login_page,
            request,
            node,
            error=translator(request).gettext(exc.message),
            status=401,
            username=username,
            next_url=next_url,
        )
    response = RedirectResponse(next_url, status_code=303)
    _cookie(
        response,
        node,
        SESSION_COOKIE,
        result.session_token,
        int(node.settings.session_hours * 3600),
    )
    response.delete_cookie(LOGIN_COOKIE, path="/")
    return response


@router.post("/logout")
def logout(request: Request, form: Form = FormDep, node: Node = NodeDep) -> Response:
    close_session(node, request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _throttled(request: Request, exc: ThrottledError) -> str:
    """The throttle message in the reader's language (the wait as people say it)."""
    from nucsec.web.humanize import human_duration
    from nucsec.web.i18n import request_language

    wait = human_duration(exc.retry_after_s, request_language(request))
    message = translator(request).gettext("too many failed sign-ins; try again in %(wait)s")
    return message % {"wait": wait}


# -- the interface language -----------------------------------------------------------------
@router.post("/language")
async def choose_language(
    request: Request, node: Node = NodeDep, caller: Caller | None = MaybeCallerDep
) -> Response:
    """Switch the interface language: stored on a signed-in user (so it follows them to
    any browser) and in a cookie (so the sign-in page keeps it after sign-out).

    A signed-in user's switch carries the session's anti-forgery token; without a user
    there is nothing to forge but the visitor's own cookie."""
    from starlette.concurrency import run_in_threadpool

    from nucsec.errors import InputError
    from nucsec.service.users import set_language

    form = await read_form(request)
    language = first(form, "language")
    if language not in LANGUAGES:
        raise InputError(f"unknown language {language!r}", field="language", value=language)
    if caller is not None:
        check_csrf(caller.csrf_token, first(form, "csrf_token") or None)

        def store() -> None:
            with node.engine.begin() as conn:
                set_language(node, conn, caller.user.id, language)

        await run_in_threadpool(store)
    response = RedirectResponse(_safe_next(first(form, "next", "/")), status_code=303)
    _cookie(response, node, LANGUAGE_COOKIE, language, 365 * 86400)
    return response
