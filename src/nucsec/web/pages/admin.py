"""Pages for security officers (users, clearances, compartments, the equivalence table,
API tokens), for auditors (the audit log and its ``verify`` status), and the caller's own
account page. Every change goes through :mod:`nucsec.service.users` (audited)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from nucsec.audit.queries import EventFilter
from nucsec.errors import AccessDenied, ConflictError, InputError, NotFoundError
from nucsec.markings.banner import level_name
from nucsec.node import Node
from nucsec.policy import ROLES
from nucsec.service import users as users_service
from nucsec.web import audit_view
from nucsec.web.auth import Caller
from nucsec.web.deps import Form, NodeDep, csrf_form, first, page_caller
from nucsec.web.i18n import N_
from nucsec.web.passwords import hash_password
from nucsec.web.tokens import (
    end_sign_ins,
    ends_sign_ins,
    issue_token,
    list_tokens,
    revoke_token,
)
from nucsec.web.views import render

__all__ = ["router"]

router = APIRouter()
CallerDep = Depends(page_caller)
FormDep = Depends(csrf_form)
MIN_PASSWORD = 12


def _officer(caller: Caller) -> None:
    if not caller.has_role("security_officer"):
        raise AccessDenied("administration is for security officers", field="role")


def _auditor(caller: Caller) -> None:
    if not caller.has_role("auditor"):
        raise AccessDenied("the audit log is for auditors", field="role")


def _user_form_context(node: Node) -> dict[str, Any]:
    ctx = node.ctx
    nations = list(ctx.nations) if node.joint else [node.nation]
    return {
        "nations": [ctx.nations[n] for n in nations],
        "schemes": {n: ctx.schemes[n].levels for n in nations},
        "compartments": ctx.compartments,
        "roles": ROLES,
    }


# -- users --------------------------------------------------------------------------------
@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request, caller: Caller = CallerDep, node: Node = NodeDep) -> Response:
    _officer(caller)
    with node.engine.connect() as conn:
        everyone = users_service.list_users(conn)
    return render(request, "admin_users.html", {"users": everyone}, caller=caller)


@router.get("/admin/users/new", response_class=HTMLResponse)
def new_user_page(request: Request, caller: Caller = CallerDep, node: Node = NodeDep) -> Response:
    _officer(caller)
    return render(
        request,
        "admin_user.html",
        {"user": None, "values": {}, "error": "", "tokens": [], **_user_form_context(node)},
        caller=caller,
    )


def _spec(form: Form) -> dict[str, Any]:
    agency = first(form, "agency")
    nation, _, code = agency.partition(".")
    return {
        "username": first(form, "username").strip(),
        "display_name": first(form, "display_name").strip() or None,
        "nation": first(form, "nation") or nation,
        "agency": code or agency,
        "clearance": first(form, "clearance"),
        "compartments": form.get("compartments", []),
        "roles": form.get("roles", []),
    }


def _password_hash(form: Form) -> str | None:
    password = first(form, "password")
    if not password:
        return None
    if len(password) < MIN_PASSWORD:
        raise InputError(f"a password needs at least {MIN_PASSWORD} characters", field="password")
    return hash_password(password)


@router.post("/admin/users/new", response_class=HTMLResponse)
def create_user(
    request: Request, form: Form = FormDep, caller: Caller = CallerDep, node: Node = NodeDep
) -> Response:
    _officer(caller)
    try:
        spec = _spec(form)
        if not spec["roles"]:
            raise InputError("give the user at least one role", field="roles")
        with node.engine.begin() as conn:
            user = users_service.create_user(
                node, conn, spec, actor=caller.user.id, password_hash=_password_hash(form)
            )
    except (InputError, ConflictError) as exc:
        context: dict[str, Any] = {"user": None, "values": form, "error": exc.message}
        context["tokens"] = []
        return render(
            request,
            "admin_user.html",
            {**context, **_user_form_context(node)},
            caller=caller,
            status=409 if isinstance(exc, ConflictError) else 422,
        )
    return RedirectResponse(f"/admin/users/{user.username}", status_code=303)


#: what an admin action did, shown on the page it leads to (``?done=KEY``, a fixed text)
DONE = {
    "created": N_("User created."),
    "saved": N_("Changes saved."),
    "disabled": N_("User disabled: their sessions ended and their API tokens were revoked."),
    "enabled": N_("User enabled again. They sign in with their password (new tokens needed)."),
    "revoked": N_("API token revoked."),
}


def _done(url: str, key: str) -> RedirectResponse:
    """303 to ``url`` that shows the notice ``DONE[key]`` there."""
    return RedirectResponse(f"{url}?done={key}", status_code=303)


def _find_user(node: Node, username: str) -> users_service.User:
    with node.engine.connect() as conn:
        for user in users_service.list_users(conn):
            if user.username == username:
                return user
    raise NotFoundError(f"no user {username!r}", field="user", value=username)


def _user_page(
    request: Request,
    caller: Caller,
    node: Node,
    user: users_service.User,
    *,
    error: str = "",
    new_token: str = "",
    done: str = "",
    status: int = 200,
) -> Response:
    with node.engine.connect() as conn:
        tokens = list_tokens(conn, user.id)
    values = {
        "display_name": [user.display_name],
        "agency": [f"{user.nation}.{user.agency}"],
        "clearance": [user.clearance],
        "compartments": list(user.compartments),
        "roles": list(user.roles),
    }
    context = {
        "user": user,
        "values": values,
        "error": error,
        "tokens": tokens,
        "new_token": new_token,
        "done": DONE.get(done, ""),
        "undo_enable": done == "disabled" and not user.active,
        **_user_form_context(node),
    }
    return render(request, "admin_user.html", context, caller=caller, status=status)


@router.get("/admin/users/{username}", response_class=HTMLResponse)
def user_page(
    request: Request, username: str, caller: Caller = CallerDep, node: Node = NodeDep
) -> Response:
    _officer(caller)
    done = request.query_params.get("done", "")
    return _user_page(request, caller, node, _find_user(node, username), done=done)


@router.post("/admin/users/{username}", response_class=HTMLResponse)
def update_user(
    request: Request,
    username: str,
    form: Form = FormDep,
    caller: Caller = CallerDep,
    node: Node = NodeDep,
) -> Response:
    _officer(caller)
    user = _find_user(node, username)
    was_active = user.active
    spec = _spec(form)
    changes: dict[str, Any] = {
        "display_name": spec["display_name"] or user.display_name,
        "agency": spec["agency"],
        "clearance": spec["clearance"],
        "compartments": spec["compartments"],
        "roles": spec["roles"],
        "active": first(form, "active") == "on",
    }
    try:
        if not changes["roles"]:
            raise InputError("give the user at least one role", field="roles")
        password_hash = _password_hash(form)
        if password_hash:
            changes["password_hash"] = password_hash
        with node.engine.begin() as conn:
            user = users_service.update_user(node, conn, username, changes, actor=caller.user.id)
            if ends_sign_ins(changes):
                reason = "password_reset" if "password_hash" in changes else "disabled"
                end_sign_ins(node, conn, user.id, actor=caller.user.id, reason=reason)
    except InputError as exc:
        return _user_page(request, caller, node, user, error=exc.message, status=422)
    return _done(f"/admin/users/{username}", _what_changed(was_active, changes["active"]))


def _what_changed(was_active: bool, active: bool) -> str:
    if was_active and not active:
        return "disabled"
    return "enabled" if active and not was_active else "saved"


@router.post("/admin/users/{username}/active")
def set_active(
    username: str, form: Form = FormDep, caller: Caller = CallerDep, node: Node = NodeDep
) -> Response:
    """Enable or disable a user in one step (the undo of a disable)."""
    _officer(caller)
    user = _find_user(node, username)
    active = first(form, "active") == "on"
    with node.engine.begin() as conn:
        users_service.update_user(node, conn, username, {"active": active}, actor=caller.user.id)
        if ends_sign_ins({"active": active}):
            end_sign_ins(node, conn, user.id, actor=caller.user.id, reason="disabled")
    return _done(f"/admin/users/{username}", _what_changed(user.active, active))


@router.post("/admin/users/{username}/tokens", response_class=HTMLResponse)
def issue_user_token(
    request: Request,
    username: str,
    form: Form = FormDep,
    caller: Caller = CallerDep,
    node: Node = NodeDep,
) -> Response:
    _officer(caller)
    user = _find_user(node, username)
    try:
        days = first(form, "expires_days")
        with node.engine.begin() as conn:
            secret, _info = issue_token(
                node,
                conn,
                user,
                scopes=form.get("scopes", []),
                name=first(form, "name")[:200],
                expires_days=float(days) if days else None,
                actor=caller.user.id,
            )
    except (InputError, ValueError) as exc:
        message = exc.message if isinstance(exc, InputError) else "expiry must be a number of days"
        return _user_page(request, caller, node, user, error=message, status=422)
    return _user_page(request, caller, node, user, new_token=secret, status=201)


@router.post("/admin/tokens/{token_id}/revoke")
def revoke(
    token_id: str, form: Form = FormDep, caller: Caller = CallerDep, node: Node = NodeDep
) -> Response:
    _officer(caller)
    with node.engine.begin() as conn:
        info = revoke_token(node, conn, token_id, actor=caller.user.id)
        owner = users_service.get_user_by_id(conn, info.user_id)
    return _done(f"/admin/users/{owner.username}" if owner else "/admin/users", "revoked")


# -- markings reference -------------------------------------------------------------------
@router.get("/admin/compartments", response_class=HTMLResponse)
def compartments(request: Request, caller: Caller = CallerDep, node: Node = NodeDep) -> Response:
    _officer(caller)
    with node.engine.connect() as conn:
        everyone = users_service.list_users(conn)
    holders = {
        c: [u.username for u in everyone if c in u.compartments] for c in node.ctx.compartments
    }
    return render(
        request,
        "admin_compartments.html",
        {"compartments": node.ctx.compartments, "holders": holders},
        caller=caller,
    )


@router.get("/admin/equivalence", response_class=HTMLResponse)
def equivalence(request: Request, caller: Caller = CallerDep, node: Node = NodeDep) -> Response:
    _officer(caller)
    ctx = node.ctx
    tables = []
    for table in ctx.agreements.values():
        rows = []
        for rank, row in enumerate(table.ranks):
            cells = []
            for nation in table.nations:
                level = ctx.schemes[nation].find(row[nation]) if nation in row else None
                lang = ctx.lang_of(nation)
                native = level_name(level, lang) if level and lang != "en" else ""
                cells.append(
                    {
                        "name": row.get(nation, "—"),
                        "native": native if native != row.get(nation) else "",
                        "lang": lang,
                        "abbrev": level.abbrev if level else "",
                    }
                )
            rows.append({"rank": rank, "cells": cells})
        tables.append(
            {"table": table, "rows": rows, "default": table.legal_basis == ctx.default_basis}
        )
    return render(request, "admin_equivalence.html", {"tables": tables}, caller=caller)


# -- audit and account --------------------------------------------------------------------
AUDIT_OUTCOMES = ("success", "denied", "failure")


def _audit_filter(request: Request, node: Node) -> tuple[EventFilter, str | None, dict[str, str]]:
    """The filter of the audit page's form (actor by user name); InputError naming a bad
    field; and the form's values as given."""
    q = {k: request.query_params.get(k, "").strip()[:200] for k in _AUDIT_FIELDS}
    actor = None
    if q["actor"]:
        actor = _find_user(node, q["actor"]).id
    if q["outcome"] and q["outcome"] not in AUDIT_OUTCOMES:
        raise InputError("outcome must be success, denied or failure", field="outcome")
    times = {}
    for key in ("since", "until"):
        try:
            times[key] = datetime.fromisoformat(q[key]).replace(tzinfo=UTC) if q[key] else None
        except ValueError:
            raise InputError("a time is YYYY-MM-DD or YYYY-MM-DDTHH:MM", field=key) from None
    flt = EventFilter(actor, q["action"] or None, q["outcome"] or None, **times)
    return flt, q["record"] or None, q


_AUDIT_FIELDS = ("actor", "action", "outcome", "since", "until", "record")
_CSV_COLUMNS = ("seq", "time", "actor", "actor_name", "action", "object", "outcome", "details")


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    verify: bool = False,
    before: int | None = None,
    caller: Caller = CallerDep,
    node: Node = NodeDep,
) -> Response:
    """Events, newest first, filtered (actor, action, outcome, time, record) and paged;
    the stored result of the last verification. ``?verify=1`` recomputes the whole log
    now (seconds for a million events); the button starts it in the background."""
    _auditor(caller)
    report = audit_view.verify(node, caller.user.id) if verify else None
    error, status = "", 200
    try:
        flt, record, values = _audit_filter(request, node)
        page = audit_view.search(node, caller.user.id, flt, record_ref=record, before=before)
    except (InputError, NotFoundError) as exc:
        values = {k: request.query_params.get(k, "") for k in _AUDIT_FIELDS}
        page, error, status = {"items": [], "next": None}, exc.message, 422
    query = urlencode({k: v for k, v in values.items() if v})
    context = {
        "events": page["items"],
        "next": page["next"],
        "query": query,
        "values": values,
        "error": error,
        "report": report,
        "status": audit_view.status(node),
        "last": audit_view.last_verification(node),
        "running": audit_view.verification_running(node),
        "outcomes": AUDIT_OUTCOMES,
    }
    return render(request, "audit.html", context, caller=caller, status=status)


@router.get("/audit/export")
def audit_export(
    request: Request, format: str = "csv", caller: Caller = CallerDep, node: Node = NodeDep
) -> Response:
    """The filtered events (up to ``EXPORT_LIMIT``, newest first) as CSV or JSON, as the
    auditor may see them; audited."""
    _auditor(caller)
    if format not in ("csv", "json"):
        raise InputError("format must be csv or json", field="format")
    flt, record, _values = _audit_filter(request, node)
    items = audit_view.export(node, caller.user.id, flt, record_ref=record)
    name = f"audit-{node.nation.lower()}.{format}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if format == "json":
        return JSONResponse(items, headers=headers)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["seq", "time", "actor", "actor_name", "action", "object", "outcome", "details"]
    )
    for e in items:
        writer.writerow(
            [e["seq"], e.get("time", ""), e.get("actor", ""), e.get("actor_name", ""),
             e.get("action", ""), e.get("object") or "", e.get("outcome", ""),
             json.dumps(e.get("details") or {}, ensure_ascii=False, sort_keys=True)]
        )  # fmt: skip
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)


@router.post("/audit/verify")
def audit_verify(
    form: Form = FormDep, caller: Caller = CallerDep, node: Node = NodeDep
) -> Response:
    """Start verifying the whole log in the background; its result is stored in the log
    as the ``audit.verify`` event the page shows."""
    _auditor(caller)
    audit_view.verify_in_background(node, caller.user.id)
    return RedirectResponse("/audit", status_code=303)


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, caller: Caller = CallerDep, node: Node = NodeDep) -> Response:
    ctx = node.ctx
    level = ctx.resolve_level(caller.user.clearance, caller.user.nation)
    clearance_in = []
    for nation in ctx.agreement().nations:
        eq = ctx.equivalent(level, nation)
        lang = ctx.lang_of(nation)
        clearance_in.append({"nation": nation, "lang": lang, "name": level_name(eq, lang)})
    with node.engine.connect() as conn:
        tokens = list_tokens(conn, caller.user.id)
    return render(
        request,
        "account.html",
        {"clearance_in": clearance_in, "tokens": tokens},
        caller=caller,
    )
