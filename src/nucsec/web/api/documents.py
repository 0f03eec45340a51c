"""The REST API under ``/api/v1``: documents, labels, the caller, users, tokens, audit.

Every labelled answer comes from :mod:`nucsec.service` (the reference monitor decides,
the audit log records). A record the caller may not read answers 404 exactly as one that
does not exist. Bearer tokens carry scopes (``read``, ``write``, ``admin``); the user's
roles still bound what a scope allows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse, Response

from nucsec.errors import AccessDenied, InputError, NotFoundError
from nucsec.markings import Label, parse_label, render_banner, render_portion
from nucsec.node import Node
from nucsec.service import documents as docs
from nucsec.service import users as users_service
from nucsec.web import audit_view
from nucsec.web.access import access_report
from nucsec.web.api.schemas import (
    AccessReport,
    AuditPage,
    Count,
    DocumentIn,
    DocumentOut,
    DocumentPage,
    ErrorOut,
    LabelIn,
    LabelRendered,
    LabelText,
    Me,
    TokenCreated,
    TokenIn,
    TokenOut,
    UserIn,
    UserOut,
    UserPatch,
    VerifyOut,
    VersionList,
)
from nucsec.web.auth import Caller
from nucsec.web.banners import SCHEME_LANG
from nucsec.web.deps import (
    JsonBody,
    NodeDep,
    Read,
    Write,
    api_caller,
    require_scope,
)
from nucsec.web.passwords import hash_password
from nucsec.web.tokens import issue_token, list_tokens, revoke_token

__all__ = ["router"]

router = APIRouter()

_ERRORS = {
    400: "malformed request body",
    401: "not signed in, or unknown/revoked/expired token",
    403: "the caller's role or token scope does not allow this",
    404: "not found (or not visible to the caller)",
    413: "request body too large",
    415: "request body is not application/json",
    409: "conflicts with the current state (e.g. the user exists)",
    422: "invalid input",
    429: "too many requests",
}


def _errs(*codes: int) -> dict[int | str, dict[str, Any]]:
    """Documented error answers; 422 everywhere (any path or query may be invalid)."""
    return {c: {"model": ErrorOut, "description": _ERRORS[c]} for c in (*codes, 422)}


_READ = _errs(401, 403, 422)
_WRITE = _errs(400, 401, 403, 413, 415, 422)

AnyScope = Depends(api_caller)
Admin = Depends(require_scope("admin"))
SinceQuery = Query(None, description="ISO 8601 time with zone")


def _need_role(caller: Caller, role: str, what: str) -> None:
    if not caller.has_role(role):
        raise AccessDenied(f"{what} is for the {role} role", field="role")


def _label(value: LabelText, node: Node, field: str) -> Label:
    try:
        if isinstance(value, dict):
            return Label.from_dict(value).validate(node.ctx)
        return parse_label(value, node.ctx)
    except InputError as exc:
        exc.field = field if exc.field in (None, "label", "banner") else f"{field}.{exc.field}"
        raise


def _document_input(body: DocumentIn, node: Node) -> docs.DocumentInput:
    base = _label(body.label, node, "label")
    return docs.DocumentInput(
        title=body.title,
        body=body.body,
        title_label=_label(body.title_label, node, "title_label") if body.title_label else base,
        body_label=_label(body.body_label, node, "body_label") if body.body_label else base,
        note=body.note,
    )


# -- documents ----------------------------------------------------------------------------
@router.get(
    "/documents",
    response_model=None,
    responses={200: {"model": DocumentPage}, **_READ},
    summary="List the documents the caller may read, newest first",
)
def list_documents(
    q: str | None = Query(None, max_length=200, description="search text"),
    origin: str | None = Query(None, max_length=64, description="'local' or a peer name"),
    limit: int = Query(50, ge=1, le=500),
    after: str | None = Query(None, max_length=64, description="cursor from `next`"),
    caller: Caller = Read,
    node: Node = NodeDep,
) -> Response:
    page = docs.list_documents(
        node, caller.principal, query=q or None, origin=origin, limit=limit, after=after
    )
    return JSONResponse(page)


@router.get(
    "/documents/count",
    response_model=None,
    responses={200: {"model": Count}, **_READ},
    summary="How many documents the caller may read (matching `q`)",
)
def count_documents(
    q: str | None = Query(None, max_length=200),
    caller: Caller = Read,
    node: Node = NodeDep,
) -> Response:
    return JSONResponse({"count": docs.count_documents(node, caller.principal, q or None)})


@router.post(
    "/documents",
    status_code=201,
    response_model=None,
    responses={201: {"model": DocumentOut}, **_WRITE},
    summary="Create a document (the label decides who may read it)",
)
def create_document(
    body: DocumentIn, caller: Caller = Write, node: Node = NodeDep, _json: None = JsonBody
) -> Response:
    view = docs.create_document(node, caller.principal, _document_input(body, node))
    return JSONResponse(view, status_code=201)


@router.get(
    "/documents/{doc_id}",
    response_model=None,
    responses={200: {"model": DocumentOut}, **_errs(401, 403, 404)},
    summary="One document (404 if absent or not visible)",
)
def get_document(doc_id: str, caller: Caller = Read, node: Node = NodeDep) -> Response:
    return JSONResponse(docs.get_document(node, caller.principal, doc_id))


@router.put(
    "/documents/{doc_id}",
    response_model=None,
    responses={200: {"model": DocumentOut}, **_WRITE, **_errs(404)},
    summary="Append a new version of a document",
)
def update_document(
    doc_id: str,
    body: DocumentIn,
    caller: Caller = Write,
    node: Node = NodeDep,
    _json: None = JsonBody,
) -> Response:
    view = docs.update_document(node, caller.principal, doc_id, _document_input(body, node))
    return JSONResponse(view)


@router.get(
    "/documents/{doc_id}/history",
    response_model=None,
    responses={200: {"model": VersionList}, **_errs(401, 403, 404)},
    summary="The versions of a document the caller may read",
)
def document_history(doc_id: str, caller: Caller = Read, node: Node = NodeDep) -> Response:
    return JSONResponse({"items": docs.history(node, caller.principal, doc_id)})


@router.get(
    "/documents/{doc_id}/access",
    response_model=None,
    responses={200: {"model": AccessReport}, **_errs(401, 403, 404)},
    summary="Who can see this document, and why (originator agency, security officers)",
)
def document_access(doc_id: str, caller: Caller = Read, node: Node = NodeDep) -> Response:
    return JSONResponse(access_report(node, caller, doc_id))


# -- markings -----------------------------------------------------------------------------
def _renderings(label: Label, node: Node) -> dict[str, str]:
    from nucsec.markings import render_in

    return {
        n: render_in(label, node.ctx, n, SCHEME_LANG.get(n, "en"))
        for n in node.ctx.agreement(label.legal_basis).nations
    }


@router.post(
    "/labels/render",
    response_model=None,
    responses={200: {"model": LabelRendered}, **_WRITE},
    summary="Parse a label and render its banner, portion mark and each scheme's form",
)
def render_label(
    body: LabelIn, caller: Caller = Read, node: Node = NodeDep, _json: None = JsonBody
) -> Response:
    label = _label(body.label, node, "label")
    return JSONResponse(
        {
            "banner": render_banner(label, node.ctx),
            "portion": render_portion(label, node.ctx),
            "renderings": _renderings(label, node),
            "label": label.to_dict(),
        }
    )


@router.get(
    "/markings",
    response_model=None,
    responses={200: {"model": dict[str, Any]}, **_errs(401, 403)},
    summary="Nations, agencies, schemes, compartments and equivalence tables (with versions)",
)
def markings(caller: Caller = Read, node: Node = NodeDep) -> Response:
    ctx = node.ctx
    return JSONResponse(
        {
            "default_legal_basis": ctx.default_basis,
            "nations": [
                {
                    "code": n.code,
                    "name_en": n.name_en,
                    "name_ja": n.name_ja,
                    "agencies": [
                        {"code": a.code, "name_en": a.name_en, "name_ja": a.name_ja}
                        for a in n.agencies
                    ],
                }
                for n in ctx.nations.values()
            ],
            "schemes": {
                code: [
                    {"name": lv.name, "abbrev": lv.abbrev, "native": lv.native, "ja": lv.ja}
                    for lv in s.levels
                ]
                for code, s in ctx.schemes.items()
            },
            "compartments": dict(ctx.compartments),
            "agreements": [
                {
                    "legal_basis": t.legal_basis,
                    "agreement": t.agreement,
                    "version": t.version,
                    "title": t.title,
                    "nations": list(t.nations),
                    "ranks": [dict(r) for r in t.ranks],
                }
                for t in ctx.agreements.values()
            ],
        }
    )


# -- the caller and users -----------------------------------------------------------------
@router.get(
    "/me",
    response_model=None,
    responses={200: {"model": Me}, **_errs(401)},
    summary="The caller: roles, clearance (in each scheme), compartments, token scopes",
)
def me(caller: Caller = AnyScope, node: Node = NodeDep) -> Response:
    ctx = node.ctx
    user = caller.user
    level = ctx.resolve_level(user.clearance, user.nation)
    clearance_in = {}
    for nation in ctx.agreement().nations:
        eq = ctx.equivalent(level, nation)
        clearance_in[nation] = eq.ja if SCHEME_LANG.get(nation) == "ja" and eq.ja else eq.name
    return JSONResponse(
        {
            **user.to_dict(),
            "clearance_in": clearance_in,
            "via": caller.via,
            "scopes": sorted(caller.scopes),
        }
    )


@router.get(
    "/users",
    response_model=None,
    responses={200: {"model": list[UserOut]}, **_errs(401, 403)},
    summary="Users of the node (security officers)",
)
def list_users(caller: Caller = Admin, node: Node = NodeDep) -> Response:
    _need_role(caller, "security_officer", "user administration")
    with node.engine.connect() as conn:
        return JSONResponse([u.to_dict() for u in users_service.list_users(conn)])


@router.post(
    "/users",
    status_code=201,
    response_model=None,
    responses={201: {"model": UserOut}, **_WRITE, **_errs(409)},
    summary="Create a user (security officers; audited)",
)
def create_user(
    body: UserIn, caller: Caller = Admin, node: Node = NodeDep, _json: None = JsonBody
) -> Response:
    _need_role(caller, "security_officer", "user administration")
    spec = body.model_dump(exclude={"password"})
    password_hash = hash_password(body.password) if body.password else None
    with node.engine.begin() as conn:
        user = users_service.create_user(
            node, conn, spec, actor=caller.user.id, password_hash=password_hash
        )
    return JSONResponse(user.to_dict(), status_code=201)


@router.patch(
    "/users/{username}",
    response_model=None,
    responses={200: {"model": UserOut}, **_WRITE, **_errs(404)},
    summary="Change a user's clearance, roles, compartments, agency or active flag (audited)",
)
def update_user(
    username: str,
    body: UserPatch,
    caller: Caller = Admin,
    node: Node = NodeDep,
    _json: None = JsonBody,
) -> Response:
    _need_role(caller, "security_officer", "user administration")
    changes = body.model_dump(exclude_none=True)
    if not changes:
        raise InputError("nothing to change", field="body")
    with node.engine.begin() as conn:
        user = users_service.update_user(node, conn, username, changes, actor=caller.user.id)
    return JSONResponse(user.to_dict())


# -- API tokens ---------------------------------------------------------------------------
@router.get(
    "/tokens",
    response_model=None,
    responses={200: {"model": list[TokenOut]}, **_READ, **_errs(404)},
    summary="API tokens: the caller's own (security officers: any user's, with ?user=)",
)
def tokens(
    user: str | None = Query(None, max_length=64),
    caller: Caller = Read,
    node: Node = NodeDep,
) -> Response:
    with node.engine.connect() as conn:
        if user is not None and user != caller.user.username:
            _need_role(caller, "security_officer", "seeing other users' tokens")
            target = users_service.get_user(conn, user).id
        else:
            target = caller.user.id
        return JSONResponse([t.to_dict() for t in list_tokens(conn, target)])


@router.post(
    "/tokens",
    status_code=201,
    response_model=None,
    responses={201: {"model": TokenCreated}, **_WRITE, **_errs(404)},
    summary="Issue an API token for a user (security officers; audited; shown once)",
)
def create_token(
    body: TokenIn, caller: Caller = Admin, node: Node = NodeDep, _json: None = JsonBody
) -> Response:
    _need_role(caller, "security_officer", "issuing API tokens")
    with node.engine.begin() as conn:
        user = users_service.get_user(conn, body.user)
        secret, info = issue_token(
            node,
            conn,
            user,
            scopes=body.scopes,
            name=body.name,
            expires_days=body.expires_days,
            actor=caller.user.id,
        )
    return JSONResponse({**info.to_dict(), "token": secret}, status_code=201)


@router.delete(
    "/tokens/{token_id}",
    response_model=None,
    responses={200: {"model": TokenOut}, **_errs(401, 403, 404)},
    summary="Revoke an API token (its owner or a security officer; audited)",
)
def delete_token(token_id: str, caller: Caller = Read, node: Node = NodeDep) -> Response:
    with node.engine.begin() as conn:
        own = {t.id for t in list_tokens(conn, caller.user.id)}
        if token_id not in own and not caller.has_role("security_officer"):
            raise NotFoundError(f"no API token {token_id!r}", field="token", value=token_id)
        info = revoke_token(node, conn, token_id, actor=caller.user.id)
    return JSONResponse(info.to_dict())


# -- audit --------------------------------------------------------------------------------
@router.get(
    "/audit/events",
    response_model=None,
    responses={200: {"model": AuditPage}, **_READ},
    summary="Audit events, oldest first (auditors; reading is audited)",
)
def audit_events(
    actor: str | None = Query(None, max_length=128),
    since: datetime | None = SinceQuery,
    limit: int = Query(100, ge=1, le=1000),
    caller: Caller = Read,
    node: Node = NodeDep,
) -> Response:
    _need_role(caller, "auditor", "reading the audit log")
    if since is not None and since.tzinfo is None:
        raise InputError("`since` needs a time zone (e.g. 2024-05-01T00:00:00Z)", field="since")
    return JSONResponse(audit_view.query(node, caller.user.id, who=actor, since=since, limit=limit))


@router.get(
    "/audit/verify",
    response_model=None,
    responses={200: {"model": VerifyOut}, **_errs(401, 403)},
    summary="Recompute the audit log and check its signed checkpoints (auditors)",
)
def audit_verify(caller: Caller = Read, node: Node = NodeDep) -> Response:
    _need_role(caller, "auditor", "verifying the audit log")
    return JSONResponse(audit_view.verify(node, caller.user.id))
