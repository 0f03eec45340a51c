"""REST API of accounts: the caller, users (security officers) and API tokens.

Administering users and issuing tokens are audited acts of security officers; a token is
shown once, when it is issued.
"""

from __future__ import annotations

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response

from nucsec.errors import AccessDenied, InputError, NotFoundError
from nucsec.markings.banner import level_name
from nucsec.node import Node
from nucsec.service import users as users_service
from nucsec.web.api.common import READ, WRITE, Admin, AnyScope, errs, need_role
from nucsec.web.api.schemas import Me, TokenCreated, TokenIn, TokenOut, UserIn, UserOut, UserPatch
from nucsec.web.auth import Caller
from nucsec.web.deps import JsonBody, NodeDep, Read
from nucsec.web.passwords import hash_password
from nucsec.web.tokens import (
    end_sign_ins,
    ends_sign_ins,
    issue_token,
    list_tokens,
    revoke_token,
)

__all__ = ["router"]

router = APIRouter()


# -- the caller and users -----------------------------------------------------------------
@router.get(
    "/me",
    response_model=None,
    responses={200: {"model": Me}, **errs(401)},
    summary="The caller: roles, clearance (in each scheme), compartments, token scopes",
)
def me(caller: Caller = AnyScope, node: Node = NodeDep) -> Response:
    ctx = node.ctx
    user = caller.user
    level = ctx.resolve_level(user.clearance, user.nation)
    clearance_in = {}
    for nation in ctx.agreement().nations:
        eq = ctx.equivalent(level, nation)
        clearance_in[nation] = level_name(eq, ctx.lang_of(nation))
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
    responses={200: {"model": list[UserOut]}, **errs(401, 403)},
    summary="Users of the node (security officers)",
)
def list_users(caller: Caller = Admin, node: Node = NodeDep) -> Response:
    need_role(caller, "security_officer", "user administration")
    with node.engine.connect() as conn:
        return JSONResponse([u.to_dict() for u in users_service.list_users(conn)])


@router.post(
    "/users",
    status_code=201,
    response_model=None,
    responses={201: {"model": UserOut}, **WRITE, **errs(409)},
    summary="Create a user (security officers; audited)",
)
def create_user(
    body: UserIn, caller: Caller = Admin, node: Node = NodeDep, _json: None = JsonBody
) -> Response:
    need_role(caller, "security_officer", "user administration")
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
    responses={200: {"model": UserOut}, **WRITE, **errs(404)},
    summary="Change a user's clearance, roles, compartments, agency or active flag (audited)",
)
def update_user(
    username: str,
    body: UserPatch,
    caller: Caller = Admin,
    node: Node = NodeDep,
    _json: None = JsonBody,
) -> Response:
    need_role(caller, "security_officer", "user administration")
    changes = body.model_dump(exclude_none=True)
    if not changes:
        raise InputError("nothing to change", field="body")
    with node.engine.begin() as conn:
        user = users_service.update_user(node, conn, username, changes, actor=caller.user.id)
        if ends_sign_ins(changes):
            end_sign_ins(node, conn, user.id, actor=caller.user.id, reason="disabled")
    return JSONResponse(user.to_dict())


# -- API tokens ---------------------------------------------------------------------------
def _on_others_tokens(caller: Caller, what: str) -> None:
    """Acting on another user's tokens: the admin scope and the security officer role."""
    if "admin" not in caller.scopes:
        raise AccessDenied(f"{what} needs a token with the 'admin' scope", field="scope")
    need_role(caller, "security_officer", what)


@router.get(
    "/tokens",
    response_model=None,
    responses={200: {"model": list[TokenOut]}, **READ, **errs(404)},
    summary="API tokens: the caller's own (security officers with the admin scope: any "
    "user's, with ?user=)",
)
def tokens(
    user: str | None = Query(None, max_length=64),
    caller: Caller = Read,
    node: Node = NodeDep,
) -> Response:
    with node.engine.connect() as conn:
        if user is not None and user != caller.user.username:
            _on_others_tokens(caller, "seeing other users' tokens")
            target = users_service.get_user(conn, user).id
        else:
            target = caller.user.id
        return JSONResponse([t.to_dict() for t in list_tokens(conn, target)])


@router.post(
    "/tokens",
    status_code=201,
    response_model=None,
    responses={201: {"model": TokenCreated}, **WRITE, **errs(404)},
    summary="Issue an API token for a user (security officers; audited; shown once)",
)
def create_token(
    body: TokenIn, caller: Caller = Admin, node: Node = NodeDep, _json: None = JsonBody
) -> Response:
    need_role(caller, "security_officer", "issuing API tokens")
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
    responses={200: {"model": TokenOut}, **errs(401, 403, 404)},
    summary="Revoke an API token: one's own (write scope) or anyone's (security officers "
    "with the admin scope; audited)",
)
def delete_token(token_id: str, caller: Caller = AnyScope, node: Node = NodeDep) -> Response:
    with node.engine.begin() as conn:
        own = {t.id for t in list_tokens(conn, caller.user.id)}
        if token_id in own:
            if "write" not in caller.scopes:
                raise AccessDenied("revoking a token needs the 'write' scope", field="scope")
        elif not caller.has_role("security_officer"):
            raise NotFoundError(f"no API token {token_id!r}", field="token", value=token_id)
        else:
            _on_others_tokens(caller, "revoking other users' tokens")
        info = revoke_token(node, conn, token_id, actor=caller.user.id)
    return JSONResponse(info.to_dict())
