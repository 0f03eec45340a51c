"""The officer's approval queue for partners' library queries (issue 13).

When the node setting ``library_approval`` is on, a partner's query is not answered at
once: the holder keeps it as a labelled record (kind ``library_query``, under the query's
label, authored by the partner) with the state ``pending`` and answers the partner
``{"status": "pending"}``. An officer who may read and update the record lists the queue
(:func:`queue`), then approves it (:func:`approve`: the answer is computed then, over the
entries the monitor releases to that partner, and stored) or refuses it (:func:`refuse`,
with a reason). The partner fetches the outcome by sending the same query again
(:func:`held_answer`) over the same signed endpoint: the approved answer, or
``{"status": "refused", "reason"}``, or still ``pending``. Every step is audited.
The record never leaves the node (no ``wire``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from nucsec.errors import AccessDenied, InputError
from nucsec.forensics.library import LibraryIndex, Sample, answer_for_partner
from nucsec.markings import Label
from nucsec.node import Node
from nucsec.policy import Principal
from nucsec.service import labelled
from nucsec.service.kinds import RecordKind, Values
from nucsec.service.library import Held, indexed_entries
from nucsec.service.trail import emit
from nucsec.service.views import RecordView
from nucsec.store.labels import intern_label
from nucsec.store.records import Portion, RecordStore, VersionRow

__all__ = [
    "LIBRARY_QUERY",
    "LibraryQueryView",
    "approve",
    "held_answer",
    "hold_query",
    "queue",
    "queue_item",
    "refuse",
    "resolve",
]

PENDING, APPROVED, REFUSED = "pending", "approved", "refused"
_NAMESPACE = uuid.UUID("5c0b6a52-8d4e-4f1e-9a59-6f1f7f0d2a13")


@dataclass(frozen=True, kw_only=True, slots=True)
class LibraryQueryView(RecordView):
    """A partner's query as held here: what was asked and its state."""

    query: dict[str, Any]  # {"id", "peer", "received_at", "sample", "false_exclusion_rate"}
    status: dict[str, Any]  # {"state", "by"?, "at"?, "reason"?, "answer"?}


def _view(node: Node, conn: Connection, row: Any, version: VersionRow) -> LibraryQueryView:
    p = version.portions
    return LibraryQueryView(
        **labelled.base_fields(node, conn, row, version),
        query=p["query"].value,
        status=p["status"].value,
    )


def _title(values: Values) -> str:
    query, status = values["query"], values["status"]
    return f"Library query {query['id']} from {query['peer']}: {status['state']}"


LIBRARY_QUERY = RecordKind(
    name="library_query",
    collection="library-queries",
    view=_view,
    title=_title,
)


def _record_id(peer: str, query_id: str) -> str:
    """One record per (partner, query id): asking again finds it."""
    return str(uuid.uuid5(_NAMESPACE, f"{peer}\n{query_id}"))


def held_answer(node: Node, conn: Connection, peer: str, query_id: str) -> dict[str, Any] | None:
    """What the partner gets for a query held here: the approved answer, the refusal,
    ``{"status": "pending"}``; None if no such query is held."""
    store = RecordStore(conn, node.ctx)
    row = store.get(LIBRARY_QUERY.name, _record_id(peer, query_id))
    if row is None:
        return None
    status = store.version(row).portions["status"].value
    if status["state"] == APPROVED:
        answer: dict[str, Any] = status["answer"]
        return answer
    if status["state"] == REFUSED:
        return {"status": REFUSED, "reason": status.get("reason", "")}
    return {"status": PENDING}


def hold_query(
    node: Node,
    conn: Connection,
    peer: Principal,
    peer_name: str,
    query: dict[str, Any],
    sample: Sample,
    label: Label,
    rate: float,
) -> dict[str, Any]:
    """Keep a partner's query pending (in the caller's transaction): ``{"status": "pending"}``."""
    query_id = query["query"][:64]
    values = {
        "query": {
            "id": query_id,
            "peer": peer_name,
            "received_at": node.clock().isoformat(),
            "sample": sample.to_dict(),
            "false_exclusion_rate": rate,
        },
        "status": {"state": PENDING},
    }
    label_id = intern_label(conn, label, node.ctx)
    store = RecordStore(conn, node.ctx)
    row = store.create(
        LIBRARY_QUERY.name,
        {name: Portion(value, label_id) for name, value in values.items()},
        label_id,
        author_id=peer.id,
        now=node.clock(),
        title=_title(values),
        record_id=_record_id(peer_name, query_id),
        origin=peer_name,
        note=f"library query {query_id} from {peer_name}, awaiting approval",
    )
    emit(
        node,
        conn,
        actor=peer.id,
        action="exchange.receive",
        obj=f"library_query:{query_id}",
        details={"kind": "library_query", "state": PENDING, "record": LIBRARY_QUERY.ref(row)},
    )
    return {"status": PENDING}


def queue(node: Node, principal: Principal, state: str | None = PENDING) -> list[LibraryQueryView]:
    """The partners' queries the principal may read (``state`` only, if given), newest first."""
    out: list[LibraryQueryView] = []
    after: str | None = None
    while True:
        page = labelled.page(node, principal, LIBRARY_QUERY, limit=200, after=after)
        for item in page.items:
            view: LibraryQueryView = labelled.read(node, principal, LIBRARY_QUERY, item.id)
            if state is None or view.status["state"] == state:
                out.append(view)
        after = page.next
        if after is None:
            return out


def queue_item(view: LibraryQueryView) -> dict[str, Any]:
    """A held query as the queue lists it (CLI and REST): what was asked, not the values."""
    return {
        "record": view.id,
        "query": view.query["id"],
        "peer": view.query["peer"],
        "received_at": view.query["received_at"],
        "signatures": [s["name"] for s in view.query["sample"]["signatures"]],
        "state": view.status["state"],
        **{k: view.status[k] for k in ("by", "at", "reason") if k in view.status},
        "released": [e["id"] for e in view.status.get("answer", {}).get("released", [])],
        "banner": view.banner,
    }


def _require_officer(principal: Principal) -> None:
    if "officer" not in principal.roles and "security_officer" not in principal.roles:
        raise AccessDenied("only an officer decides on a partner's query", field="as")


def resolve(node: Node, principal: Principal, ident: str) -> str:
    """The record id of a held query named by its record id or its query id
    (NotFoundError, like an absent record, if the principal cannot read it)."""
    for view in queue(node, principal, None):
        if ident in (view.id, view.query["id"]):
            return view.id
    raise LIBRARY_QUERY.not_found(ident)


def _decide(
    node: Node, principal: Principal, record_id: str, status: dict[str, Any], note: str
) -> LibraryQueryView:
    view: LibraryQueryView = labelled.read(node, principal, LIBRARY_QUERY, record_id)
    if view.status["state"] != PENDING:
        raise InputError(
            f"query {view.query['id']} is already {view.status['state']}", field="query"
        )
    status = {"by": principal.id, "at": node.clock().isoformat(), **status}
    # not labelled.update: the query's label names the partner's agency as originator, so
    # only the holder's officer (checked above, after a monitored read) records the decision
    with node.engine.begin() as conn:
        store = RecordStore(conn, node.ctx)
        row = store.get(LIBRARY_QUERY.name, record_id)
        if row is None:  # pragma: no cover - just read
            raise LIBRARY_QUERY.not_found(record_id)
        current = store.version(row)
        portions = dict(current.portions)
        portions["status"] = Portion(status, current.portions["status"].label_id)
        values = {"query": view.query, "status": status}
        row = store.add_version(
            row,
            portions,
            row.label_id,
            author_id=principal.id,
            now=node.clock(),
            title=_title(values),
            note=note,
        )
        version = store.version(row)
        emit(
            node,
            conn,
            actor=principal.id,
            action="record.update",
            obj=LIBRARY_QUERY.ref(row),
            details={"state": status["state"]},
        )
        done = _view(node, conn, row, version)
    return done


def approve(
    node: Node,
    principal: Principal,
    record_id: str,
    held: list[Held],
    release: str | None = None,
) -> LibraryQueryView:
    """Approve a pending query: its answer is computed now over ``held`` (the entries the
    monitor releases to the asking partner, from
    :func:`nucsec.service.library_queries.usable_for_partner`), kept for the partner to
    fetch, and audited. ``release`` names one entry (entry id) the officer releases with
    the answer under ``"released"``: it must be in ``held`` and readable by the officer
    (InputError otherwise; nothing is decided)."""
    from nucsec.forensics.library import sample_from_dict

    _require_officer(principal)
    view: LibraryQueryView = labelled.read(node, principal, LIBRARY_QUERY, record_id)
    name = view.query["peer"]
    answer = answer_for_partner(
        LibraryIndex.build(indexed_entries(held)),
        sample_from_dict(view.query["sample"]),
        false_exclusion_rate=float(view.query["false_exclusion_rate"]),
    ).to_dict()
    released = []
    if release is not None:
        released = [_released(node, principal, held, release)]
        answer["released"] = released
    done = _decide(
        node, principal, record_id, {"state": APPROVED, "answer": answer}, "answer approved"
    )
    with node.engine.begin() as conn:
        emit(
            node,
            conn,
            actor=principal.id,
            action="release.approve",
            obj=f"library_query:{view.query['id']}",
            details={
                "kind": "library_answer",
                "peer": name,
                "conclusion": answer["conclusion"],
                "entries_used": len(held),
                "released": [e["id"] for e in released],
            },
        )
    return done


def _released(node: Node, principal: Principal, held: list[Held], entry_id: str) -> dict[str, Any]:
    """The named entry's JSON, if the partner may get it and the officer reads it."""
    from nucsec.service.library import get_entry

    for h in held:
        if entry_id in (h.entry.id, h.record_id):
            get_entry(node, principal, h.record_id)  # the officer's read: monitored, audited
            entry: dict[str, Any] = h.entry.to_dict()
            return entry
    raise InputError(f"no entry {entry_id!r} that may be released to this partner", field="release")


def refuse(node: Node, principal: Principal, record_id: str, reason: str) -> LibraryQueryView:
    """Refuse a pending query with a reason the partner will read; audited."""
    _require_officer(principal)
    reason = reason.strip()[:500]
    if not reason:
        raise InputError("a refusal needs a reason", field="reason")
    done = _decide(node, principal, record_id, {"state": REFUSED, "reason": reason}, "refused")
    with node.engine.begin() as conn:
        emit(
            node,
            conn,
            actor=principal.id,
            action="release.decide",
            obj=f"library_query:{done.query['id']}",
            outcome="denied",
            details={"kind": "library_answer", "peer": done.query["peer"], "reason": reason},
        )
    return done
