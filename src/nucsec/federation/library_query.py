"""Asking a partner's forensics library: a signed query out, a signed answer back.

The asking node sends ``POST {api root}/x-nucsec/library-queries/`` to a pinned ``nucsec``
peer, signed like every federation request (:class:`~nucsec.federation.auth.SignedAuth`)::

    {"type": "nucsec-library-query/v1", "query": <uuid>, "label": <the sample's label>,
     "sample": {"id": <uuid>, "material_type": ..., "signatures": [...]},
     "false_exclusion_rate": 0.01}

Only the sample's material type and signatures leave, under their label, and only if the
reference monitor releases that label to the peer (``release``, audited); the sample's own
id stays home. The peer answers (:func:`nucsec.service.library_queries.answer_partner_query`)
over the entries its policy releases to the asker, with a detached JWS over
``{"query", "answer"}`` that echoes the request's nonce and names the asker as audience::

    {"query": <uuid>, "answer": {"conclusion", "false_exclusion_rate", "signatures": [...]},
     "jws": ...}

The asker checks the signature with the peer's pinned key, the nonce and audience, and
that the answer has the shape of a partner answer and nothing else, audits the receipt
(``exchange.receive``) and keeps the answer as a ``library_answer`` record citing the query.
"""

from __future__ import annotations

import uuid
from typing import Any

import requests
from sqlalchemy import Connection

from nucsec.errors import AccessDenied, InputError, NotFoundError, PeerError
from nucsec.federation.auth import SignedAuth, request_nonce
from nucsec.federation.jws import (
    JWSError,
    canonical_json,
    sign_detached,
    thumbprint,
    verify_detached,
)
from nucsec.federation.peers import Peer, get_peer, peer_principal
from nucsec.forensics.library import DEFAULT_FALSE_EXCLUSION_RATE, Sample, sample_from_dict
from nucsec.markings import Label
from nucsec.node import Node
from nucsec.policy import Principal, Resource, decide
from nucsec.service import labelled
from nucsec.service.guard import check, record_decision
from nucsec.service.kinds import Draft
from nucsec.service.library_queries import (
    LIBRARY_ANSWER,
    LibraryAnswerView,
    answer_partner_query,
    answer_state,
    check_answer,
    get_answer,
    query_sample,
    record_answer,
    usable_for_partner,
)
from nucsec.service.trail import emit
from nucsec.store.labels import resolve_basis

__all__ = ["QUERY_TYPE", "ROUTE", "answer_query", "approve_query", "poll_peer", "query_peer"]

QUERY_TYPE = "nucsec-library-query/v1"
ROUTE = "x-nucsec/library-queries/"
TIMEOUT_S = 60


def answer_query(
    node: Node, conn: Connection, peer: Peer, data: dict[str, Any], claims: dict[str, Any]
) -> dict[str, Any]:
    """The holder's side, in the request's transaction: the answer and its signature."""
    if data.get("type") != QUERY_TYPE:
        raise InputError(f"a library query has type {QUERY_TYPE}", field="type")
    answer = answer_partner_query(node, conn, peer_principal(node, peer.nation, peer.name), data)
    query_id = str(data["query"])[:64]
    signed = canonical_json({"query": query_id, "answer": answer})
    return {"query": query_id, "answer": answer, "jws": sign_detached(signed, node.key, claims)}


def _peer(node: Node, name: str) -> Peer:
    with node.engine.connect() as conn:
        peer = get_peer(conn, name)
    if peer is None or peer.kind != "nucsec" or peer.public_key is None:
        raise NotFoundError(f"no active nucsec peer {name!r}", field="peer", value=name)
    return peer


def _url(peer: Peer) -> str:
    base = peer.url.rstrip("/")
    return (base + "/api/" if base.endswith("/taxii2") else base + "/taxii2/api/") + ROUTE


def _sent(
    node: Node, principal: Principal, ref: str, peer: Peer, outcome: str, **details: Any
) -> None:
    """Audit the query leaving (``success``, with the signature names) or failing."""
    with node.engine.begin() as conn:
        emit(
            node,
            conn,
            actor=principal.id,
            action="release.send",
            obj=ref,
            outcome=outcome,
            details={"kind": "library_query", "peer": peer.name, **details},
        )


def _may_send(node: Node, principal: Principal, peer: Peer, label: Label, ref: str) -> None:
    """The asker may keep the answer under ``label`` and the monitor releases ``label``
    to the peer (both audited); AccessDenied otherwise, before anything leaves."""
    keep = Resource(label, kind=LIBRARY_ANSWER.name)
    kept = decide(principal, "create", keep, node.ctx)
    if not kept.allowed:
        with node.engine.begin() as conn:
            record_decision(node, conn, principal, "create", keep, kept)
        raise AccessDenied("; ".join(kept.reasons), field="label")
    send = Resource(label, kind="library_query", ref=ref, custodian=node.nation)
    with node.engine.begin() as conn:
        released = check(node, conn, peer_principal(node, peer.nation, peer.name), "release", send)
    if not released.allowed:
        raise AccessDenied(
            f"the sample's label is not releasable to {peer.name}: " + "; ".join(released.reasons),
            field="label",
        )


def _verified(node: Node, peer: Peer, response: requests.Response, query_id: str) -> Any:
    if response.status_code >= 400:
        try:
            detail = response.json().get("description", response.reason)
        except (ValueError, AttributeError):
            detail = response.reason
        raise PeerError(f"HTTP {response.status_code} from {peer.name}: {detail}")
    try:
        data = response.json()
        answer, token = data["answer"], data["jws"]
    except (ValueError, KeyError, TypeError):
        raise PeerError(f"{peer.name} sent no signed answer") from None
    key = peer.public_key
    if key is None:  # pragma: no cover - checked in _peer
        raise PeerError(f"no pinned key for {peer.name}")
    try:
        header = verify_detached(token, canonical_json({"query": query_id, "answer": answer}), key)
    except (JWSError, InputError) as exc:
        raise PeerError(f"the answer of {peer.name} does not verify: {exc.message}") from None
    sent = response.request.headers.get("Signature-Input", "")
    nonce = request_nonce({"Signature-Input": sent if isinstance(sent, str) else sent.decode()})
    if header.get("nonce") != nonce or header.get("aud") != thumbprint(node.key.public_key()):
        raise PeerError(f"the answer of {peer.name} was signed for another request")
    return answer


def query_peer(
    node: Node,
    principal: Principal,
    peer_name: str,
    sample: Sample,
    label: Label,
    *,
    false_exclusion_rate: float = DEFAULT_FALSE_EXCLUSION_RATE,
    session: requests.Session | None = None,
) -> LibraryAnswerView:
    """Ask ``peer_name``'s library about ``sample`` (under ``label``); the answer kept
    as a ``library_answer`` record citing the query. AccessDenied before anything leaves
    if the label is not releasable to the peer; PeerError if the peer fails or its answer
    does not verify (audited either way)."""
    peer = _peer(node, peer_name)
    agency = principal.qualified_agency
    if label.originator is None and agency and agency.startswith(label.authority + "."):
        label = label.with_(originator=agency)  # as the answer record will carry it
    label = resolve_basis(label, node.ctx).validate(node.ctx, stored=True)
    query_id = str(uuid.uuid4())
    _may_send(node, principal, peer, label, f"library_query:{query_id}")
    body = {
        "type": QUERY_TYPE,
        "query": query_id,
        "label": label.to_dict(),
        "sample": query_sample(sample, query_id),
        "false_exclusion_rate": false_exclusion_rate,
    }
    sent_at = node.clock().isoformat()
    answer = _ask(node, principal, peer, body, sample, session)
    query = {
        "id": query_id,
        "peer": peer.name,
        "sent_at": sent_at,
        "sample": body["sample"],
        "false_exclusion_rate": false_exclusion_rate,
    }
    return record_answer(node, principal, label, query, answer)


def _ask(
    node: Node,
    principal: Principal,
    peer: Peer,
    body: dict[str, Any],
    sample: Sample,
    session: requests.Session | None = None,
) -> dict[str, Any]:
    """Send ``body`` (audited) and return the verified, checked answer (audited)."""
    query_id = body["query"]
    ref = f"library_query:{query_id}"
    _sent(node, principal, ref, peer, "success", signatures=[m.name for m in sample.signatures])
    http = session or requests.Session()
    try:
        response = http.post(
            _url(peer),
            data=canonical_json(body),
            headers={"Content-Type": "application/json", "Accept": "application/taxii+json"},
            auth=SignedAuth(node.key, node.clock),
            timeout=TIMEOUT_S,
            allow_redirects=False,
        )
        answer = check_answer(_verified(node, peer, response, query_id), sample)
    except (requests.RequestException, PeerError, InputError) as exc:
        reason = exc.message if isinstance(exc, InputError | PeerError) else str(exc)
        _sent(node, principal, ref, peer, "failure", reasons=[reason[:500]])
        if isinstance(exc, PeerError):
            raise
        raise PeerError(f"library query to {peer.name} failed: {reason}") from None
    with node.engine.begin() as conn:
        emit(
            node,
            conn,
            actor=peer.actor,
            action="exchange.receive",
            obj=ref,
            details={
                "kind": "library_answer",
                "state": answer_state(answer),
                "conclusion": answer.get("conclusion", ""),
            },
        )
    return answer


def poll_peer(
    node: Node,
    principal: Principal,
    record_id: str,
    *,
    session: requests.Session | None = None,
) -> LibraryAnswerView:
    """Ask again about a pending query kept as record ``record_id`` (the same query id,
    sample and label, over the same signed endpoint); the record gets a new version
    when the partner's officer has decided. InputError if it is not pending."""
    kept = get_answer(node, principal, record_id)
    if answer_state(kept.answer) != "pending":
        raise InputError(f"query {kept.query['id']} is not pending", field="record")
    peer = _peer(node, kept.query["peer"])
    label = Label.from_dict(kept.label)
    query_id = kept.query["id"]
    _may_send(node, principal, peer, label, f"library_query:{query_id}")
    sample = sample_from_dict(kept.query["sample"])
    body = {
        "type": QUERY_TYPE,
        "query": query_id,
        "label": label.to_dict(),
        "sample": kept.query["sample"],
        "false_exclusion_rate": kept.query.get(
            "false_exclusion_rate", DEFAULT_FALSE_EXCLUSION_RATE
        ),
    }
    answer = _ask(node, principal, peer, body, sample, session)
    if answer_state(answer) == "pending":
        return kept
    draft = Draft(
        values={"query": kept.query, "answer": answer},
        labels={"query": label, "answer": label},
        note=f"answer of {peer.name} to library query {query_id}: {answer_state(answer)}",
        base_version=kept.version,
    )
    done: LibraryAnswerView = labelled.update(node, principal, LIBRARY_ANSWER, record_id, draft)
    return done


def approve_query(node: Node, principal: Principal, ref: str, release: str | None = None) -> Any:
    """The holder's officer approves the held query ``ref`` (query or record id) of a
    registered peer (:func:`nucsec.service.library_approvals.approve`)."""
    from nucsec.service.library_approvals import approve, resolve

    record_id = resolve(node, principal, ref)
    name = get_answer_peer(node, principal, record_id)
    with node.engine.connect() as conn:
        peer = get_peer(conn, name)
    if peer is None:
        raise InputError(f"no active peer {name!r}", field="peer")
    with node.engine.connect() as conn:
        held = usable_for_partner(node, conn, peer_principal(node, peer.nation, peer.name))
    return approve(node, principal, record_id, held, release)


def get_answer_peer(node: Node, principal: Principal, record_id: str) -> str:
    """The peer that asked the held query ``record_id``."""
    from nucsec.service.library_approvals import LIBRARY_QUERY

    view = labelled.read(node, principal, LIBRARY_QUERY, record_id)
    return str(view.query["peer"])
