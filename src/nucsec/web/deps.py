"""Request dependencies: the node, the caller (session cookie or bearer token), scopes,
and forms checked for their anti-forgery token."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Depends, Request

from nucsec.errors import AccessDenied, AuthenticationError, InputError
from nucsec.node import Node
from nucsec.store.scope import connection, read_transaction
from nucsec.web.auth import Caller, check_csrf, session_caller
from nucsec.web.errors import LoginRequired, UnsupportedMediaTypeError
from nucsec.web.tokens import mark_used, token_caller

__all__ = [
    "LOGIN_COOKIE",
    "SESSION_COOKIE",
    "Form",
    "JsonBody",
    "NodeDep",
    "Read",
    "Write",
    "api_caller",
    "csrf_form",
    "get_node",
    "page_caller",
    "reject_nul",
    "require_json",
    "require_scope",
]

SESSION_COOKIE = "nucsec_session"
LOGIN_COOKIE = "nucsec_login"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
Form = dict[str, list[str]]


def get_node(request: Request) -> Node:
    node: Node = request.app.state.node
    return node


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise AuthenticationError("use `Authorization: Bearer TOKEN`", field="authorization")
    return value.strip()


def _caller(request: Request, *, allow_token: bool) -> Caller | None:
    cached: Caller | None = getattr(request.state, "caller", None)
    if cached is not None:
        return cached
    node = get_node(request)
    token = _bearer(request) if allow_token else None
    cookie = request.cookies.get(SESSION_COOKIE)
    if token is None and not cookie:
        return None
    due = False
    caller: Caller | None
    # a read: it does not take SQLite's write lock (and on PostgreSQL, as the request's
    # other statements, it runs on the request's one connection: nucsec.web.dbscope)
    with read_transaction(node.engine) as conn:
        if token is not None:
            found = token_caller(node, conn, token)
            if found is None:
                raise AuthenticationError("unknown, revoked or expired API token")
            caller, due = found
        else:
            caller = session_caller(node, conn, cookie or "")
    if due and caller is not None and caller.token_id is not None:
        with connection(node.engine) as conn, conn.begin():
            mark_used(node, conn, caller.token_id)
    request.state.caller = caller
    return caller


def api_caller(request: Request) -> Caller:
    """The REST caller: a bearer token, or a browser session (CSRF header on writes)."""
    caller = _caller(request, allow_token=True)
    if caller is None:
        raise AuthenticationError("sign in, or send `Authorization: Bearer TOKEN`")
    if caller.via == "session" and request.method not in SAFE_METHODS:
        check_csrf(caller.csrf_token, request.headers.get("x-csrf-token"))
    return caller


def require_scope(scope: str) -> Callable[[Caller], Caller]:
    """Dependency: the caller's token carries ``scope`` (sessions carry every scope)."""

    def dependency(caller: Caller = _ApiCaller) -> Caller:
        if scope not in caller.scopes:
            raise AccessDenied(f"this API token lacks the {scope!r} scope", field="scope")
        return caller

    return dependency


def require_json(request: Request) -> None:
    """Dependency for endpoints with a JSON body: refuse other content types (415)."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/json":
        raise UnsupportedMediaTypeError(
            f"send the request body as application/json (got {media or 'none'})",
            field="content-type",
        )


def page_caller(request: Request) -> Caller:
    """The signed-in browser user; pages redirect to the sign-in form otherwise."""
    caller = _caller(request, allow_token=False)
    if caller is None:
        raise LoginRequired("please sign in")
    return caller


def optional_page_caller(request: Request) -> Caller | None:
    return _caller(request, allow_token=False)


_ApiCaller = Depends(api_caller)
_PageCaller = Depends(page_caller)


_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _nul_free(value: str, field: str) -> None:
    if "\x00" in value:
        raise InputError("text must not contain NUL characters", field=field)


def reject_nul(request: Request) -> None:
    """App-wide dependency: no NUL character in the path or the query (PostgreSQL cannot
    store one, and no nucsec text needs one)."""
    _nul_free(request.url.path, "path")
    for key, value in request.query_params.multi_items():
        _nul_free(key, "query")
        _nul_free(value, key)


async def read_form(request: Request) -> Form:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in _FORM_TYPES:
        raise UnsupportedMediaTypeError(
            f"send the form as {_FORM_TYPES[0]} (got {media or 'none'})", field="content-type"
        )
    form = await request.form(max_files=0, max_fields=2000)
    out = {key: [str(v) for v in form.getlist(key)] for key in form}
    for key, values in out.items():
        _nul_free(key, "form")
        for value in values:
            _nul_free(value, key)
    return out


async def csrf_form(request: Request, caller: Caller = _PageCaller) -> Form:
    """The posted form of a signed-in user, after checking its anti-forgery token."""
    form = await read_form(request)
    given = form.get("csrf_token", [""])
    check_csrf(caller.csrf_token, given[0] if len(given) == 1 else None)
    return form


def first(form: Form, key: str, default: str = "") -> str:
    """The single value of a form field (the first if repeated)."""
    values = form.get(key)
    return values[0] if values else default


# Route dependencies shared by the routers (FastAPI ``Depends`` markers).
NodeDep = Depends(get_node)
Read = Depends(require_scope("read"))
Write = Depends(require_scope("write"))
JsonBody = Depends(require_json)
