"""Release pages for security officers and section chiefs: per record, where it has been
sent, what is pending and what is withheld and why; the ORCON approval queue; recall; and
the partner nodes' exchange status.

Everything comes from the functions the CLI uses: ``nucsec release explain`` is
:func:`nucsec.federation.explain.explain_release`, ``release approve`` is
:func:`nucsec.federation.outbox.approve_orcon`, ``release recall`` is the register's
``recall_document`` / ``recall_incident``. A record page reads the record through the
reference monitor first (:func:`nucsec.service.labelled.read`): a record the viewer may not
read answers "not found" exactly like an absent one. Who may ask:

* a record's release status: security officers, and section chiefs (``officer``) of the
  record's originator agency (the agency that answers for its release);
* the ORCON queue: section chiefs see their agency's ORCON records waiting for approval,
  security officers every ORCON record they may read (only the originator approves);
* the peer page: security officers only — its counts cover every record in an outbox,
  readable by the viewer or not (``nucsec peer list`` and ``sync`` are operator commands).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from nucsec.errors import AccessDenied, InputError
from nucsec.federation.explain import explain_release
from nucsec.federation.outbox import approve_orcon
from nucsec.federation.status import (
    nucsec_peers,
    orcon_queue,
    peer_status,
    queue_labels,
    release_state,
)
from nucsec.markings import Label
from nucsec.node import Node
from nucsec.service import labelled
from nucsec.service.documents import recall_document
from nucsec.service.incidents import recall_incident
from nucsec.service.kinds import RecordKind
from nucsec.web.access import may_edit, may_see_release
from nucsec.web.auth import Caller
from nucsec.web.deps import Form, NodeDep, csrf_form, first, page_caller
from nucsec.web.i18n import N_
from nucsec.web.pages.common import labels_of
from nucsec.web.views import render

__all__ = ["router"]

router = APIRouter()
CallerDep = Depends(page_caller)
FormDep = Depends(csrf_form)

#: how each release state reads (msgids)
STATES = {
    "sent": N_("sent, acknowledged by the partner"),
    "pending": N_("pending: released, not yet acknowledged"),
    "withheld": N_("withheld from the partner"),
    "withdrawn": N_("withdrawn (recalled or no longer released)"),
    "received": N_("received from a partner: never released onward"),
}
#: notices after an action (msgids)
NOTICES = {
    "approved": N_("Approved: the record is released to the partner if the monitor allows."),
    "recalled": N_("Recalled: hidden from every user here and withdrawn from every partner."),
}
#: the register's recall by record kind (``nucsec release recall`` has these two)
RECALLS = {"document": recall_document, "incident": recall_incident}


def _officer_or_chief(caller: Caller) -> None:
    if not caller.has_role("security_officer", "officer"):
        raise AccessDenied("release is for security officers and section chiefs", field="role")


def _federated(node: Node, collection: str) -> RecordKind:
    kind = node.kinds.by_collection(collection)  # NotFoundError for an unknown one
    if kind.wire is None:
        raise kind.not_found("release")
    return kind


def _readable(
    node: Node, caller: Caller, collection: str, record_id: str
) -> tuple[RecordKind, Any, Label]:
    """The record through the monitor (404 if hidden or absent), and may the caller ask."""
    kind = _federated(node, collection)
    view = labelled.read(node, caller.principal, kind, record_id)
    label = Label.from_dict(view.label)
    if not may_see_release(caller, label):
        raise AccessDenied(
            "only security officers and section chiefs of the originator agency see "
            "a record's release",
            field="id",
        )
    return kind, view, label


@router.get("/{collection}/{record_id}/release", response_class=HTMLResponse)
def record_release(
    request: Request,
    collection: str,
    record_id: str,
    done: str = Query("", max_length=16),
    caller: Caller = CallerDep,
    node: Node = NodeDep,
) -> Response:
    """Per partner: released, pending or withheld, with both checks' reasons."""
    kind, view, label = _readable(node, caller, collection, record_id)
    with node.engine.connect() as conn:
        peers = nucsec_peers(conn)
    rows = []
    for peer in peers:
        explained = explain_release(node, view.id, peer.name, actor=caller.user.id, kind=kind.name)
        approvable = (
            label.orcon
            and label.originator == caller.principal.qualified_agency
            and peer.nation not in explained["orcon_approvals"]
            and view.origin is None
        )
        rows.append({"x": explained, "state": release_state(explained), "approve": approvable})
    values = {name: p.value for name, p in view.portions.items()}
    return render(
        request,
        "release.html",
        {
            "view": view,
            "kind": kind,
            "title": kind.title(values),
            "record_label": label,
            "rows": rows,
            "states": STATES,
            "notice": NOTICES.get(done, ""),
            "can_recall": kind.name in RECALLS and view.origin is None and may_edit(caller, label),
        },
        caller=caller,
        labels=labels_of(view),
    )


@router.post("/{collection}/{record_id}/release/approve", response_class=HTMLResponse)
def approve(
    collection: str,
    record_id: str,
    form: Form = FormDep,
    caller: Caller = CallerDep,
    node: Node = NodeDep,
) -> Response:
    """The originator approves an ORCON record for a peer's nation (``release approve``)."""
    kind, view, _ = _readable(node, caller, collection, record_id)
    with node.engine.begin() as conn:
        approve_orcon(node, conn, caller.principal, kind.name, view.id, first(form, "peer"))
    back = first(form, "next")
    if back != "/release":
        back = f"/{kind.collection}/{view.id}/release"
    return RedirectResponse(f"{back}?{urlencode({'done': 'approved'})}", status_code=303)


@router.post("/{collection}/{record_id}/release/recall", response_class=HTMLResponse)
def recall(
    collection: str,
    record_id: str,
    form: Form = FormDep,
    caller: Caller = CallerDep,
    node: Node = NodeDep,
) -> Response:
    """Recall a document or an incident (``release recall``), once confirmed."""
    kind, view, _ = _readable(node, caller, collection, record_id)
    if kind.name not in RECALLS:
        raise InputError(f"a {kind.name} is not recalled this way", field="kind")
    if first(form, "confirm") != "yes":
        raise InputError("tick the box to confirm the recall", field="confirm")
    RECALLS[kind.name](node, caller.principal, view.id)
    return RedirectResponse("/release?done=recalled", status_code=303)


@router.get("/release", response_class=HTMLResponse)
def release_home(
    request: Request,
    done: str = Query("", max_length=16),
    caller: Caller = CallerDep,
    node: Node = NodeDep,
) -> Response:
    """The ORCON approval queue (and the way to the peer page for security officers)."""
    _officer_or_chief(caller)
    mine_only = not caller.has_role("security_officer")
    items = orcon_queue(node, caller.principal, mine_only=mine_only)
    return render(
        request,
        "release_queue.html",
        {
            "items": items,
            "mine_only": mine_only,
            "agency": caller.principal.qualified_agency,
            "notice": NOTICES.get(done, ""),
        },
        caller=caller,
        labels=queue_labels(node, items),
    )


@router.get("/peers", response_class=HTMLResponse)
def peers(request: Request, caller: Caller = CallerDep, node: Node = NodeDep) -> Response:
    """Each partner: last runs both ways, last errors, what waits in its outbox."""
    if not caller.has_role("security_officer"):
        raise AccessDenied("the partner nodes' status is for security officers", field="role")
    return render(
        request, "peers.html", {"peers": peer_status(node, caller.user.id)}, caller=caller
    )
