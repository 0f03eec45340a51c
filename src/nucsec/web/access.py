""" "Who can see this, and why": the reference monitor's decision for each agency and user.

For the originator agency and security officers only. Each agency is asked as a
synthetic principal holding the highest clearance and the union of the compartments of
that agency's active users on this node (so the answer is "could anyone at this agency
read it here"); an agency without users on this node is asked at its nation's highest
level with every compartment, and says so. Every decision comes from
:func:`nucsec.service.labelled.explain` (one audited ``policy.explain`` each), for
documents and incidents alike.
"""

from __future__ import annotations

from typing import Any

from nucsec.errors import AccessDenied
from nucsec.markings import Label, LabelError, MarkingContext
from nucsec.node import Node
from nucsec.policy import WRITER_ROLES, Principal
from nucsec.service import labelled
from nucsec.service.documents import DOCUMENT
from nucsec.service.kinds import RecordKind
from nucsec.service.users import User, list_users
from nucsec.service.views import ExplainView
from nucsec.web.auth import Caller

__all__ = ["access_report", "may_edit", "may_see_access", "may_see_release"]


def may_see_access(caller: Caller, label: Label) -> bool:
    """Originator agency members and security officers may ask who can see a record."""
    return caller.has_role("security_officer") or (
        label.originator is not None and label.originator == caller.principal.qualified_agency
    )


def may_edit(caller: Caller, label: Label) -> bool:
    """Whether to offer an edit link: a writer of the originator agency, or a security
    officer (the reference monitor still decides the save)."""
    return may_see_access(caller, label) and caller.has_role(*WRITER_ROLES)


def may_see_release(caller: Caller, label: Label) -> bool:
    """Who sees a record's release to partners: security officers, and section chiefs
    (``officer``) of the record's originator agency (which answers for its release)."""
    return caller.has_role("security_officer") or (
        caller.has_role("officer")
        and label.originator is not None
        and label.originator == caller.principal.qualified_agency
    )


def _rank(ctx: MarkingContext, user: User) -> int:
    try:
        return ctx.rank(ctx.resolve_level(user.clearance, user.nation))
    except LabelError:
        return -1


def _agency_principal(
    ctx: MarkingContext, nation: str, agency: str, members: list[User]
) -> tuple[Principal, str]:
    if members:
        best = max(members, key=lambda u: _rank(ctx, u))
        compartments = sorted({c for u in members for c in u.compartments})
        note = f"highest clearance of its {len(members)} user(s) on this node"
        clearance = best.clearance
    else:
        clearance = ctx.schemes[nation].levels[-1].name
        compartments = sorted(ctx.compartments)
        note = "no users on this node: asked at the nation's highest level, all compartments"
    principal = Principal.create(
        id=f"agency:{nation}.{agency}",
        nation=nation,
        agency=agency,
        clearance=clearance,
        compartments=compartments,
        roles=["viewer"],
    )
    return principal, note


def _entry(
    result: ExplainView, subject: str, kind: str, clearance: str, note: str = ""
) -> dict[str, Any]:
    return {
        "subject": subject,
        "kind": kind,
        "clearance": clearance,
        "allowed": result.allowed,
        "reasons": list(result.reasons),
        "note": note,
    }


def access_report(
    node: Node, caller: Caller, record_id: str, kind: RecordKind = DOCUMENT
) -> dict[str, Any]:
    """The decision for every agency of the node's agreements and every user on the node,
    on a record of ``kind`` (a document unless told).

    Raises NotFoundError when the caller may not read the record, AccessDenied when the
    caller may read it but is neither of the originator agency nor a security officer.
    """
    doc = labelled.read(node, caller.principal, kind, record_id)
    label = Label.from_dict(doc.label)
    if not may_see_access(caller, label):
        raise AccessDenied(
            "only the originator agency and security officers see who can read a record",
            field="id",
        )
    ctx = node.ctx
    with node.engine.connect() as conn:
        everyone = [u for u in list_users(conn) if u.active]
    actor = caller.user.id
    agencies = []
    for code in ctx.agreement(label.legal_basis).nations:
        for agency in ctx.nations[code].agencies:
            members = [u for u in everyone if u.nation == code and u.agency == agency.code]
            principal, note = _agency_principal(ctx, code, agency.code, members)
            result = labelled.explain(node, principal, kind, record_id, actor=actor)
            agencies.append(_entry(result, agency.qualified, "agency", principal.clearance, note))
    users = []
    for user in everyone:
        result = labelled.explain(node, user.principal, kind, record_id, actor=actor)
        users.append(_entry(result, user.username, "user", user.clearance))
    return {"document": doc.id, "banner": doc.banner, "agencies": agencies, "users": users}
