"""Documents: the first labelled record type (title and body, each with a portion label).

Every function here is one transaction: the reference monitor decides, the audit log
records, the store reads or writes. A document the caller may not read is reported as not
found — exactly as a document that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from nucsec.errors import AccessDenied, InputError, NotFoundError
from nucsec.markings import Label, render_banner, render_in, render_portion, rollup
from nucsec.node import Node
from nucsec.policy import Decision, Principal, Resource, decide
from nucsec.service.guard import check, record_decision
from nucsec.service.trail import digest, emit
from nucsec.store.labels import intern_label, load_label, resolve_basis
from nucsec.store.records import Portion, RecordRow, RecordStore, VersionRow

__all__ = [
    "KIND",
    "DocumentInput",
    "create_document",
    "explain_document",
    "get_document",
    "history",
    "list_documents",
    "update_document",
]

KIND = "document"
FIELDS = ("title", "body")
MAX_TITLE = 500
MAX_BODY = 1_000_000


@dataclass(frozen=True)
class DocumentInput:
    title: str
    body: str
    title_label: Label
    body_label: Label
    note: str = ""

    def check(self) -> None:
        if not self.title.strip():
            raise InputError("a document needs a title", field="title")
        if len(self.title) > MAX_TITLE:
            raise InputError(f"title longer than {MAX_TITLE} characters", field="title")
        if len(self.body) > MAX_BODY:
            raise InputError(f"body longer than {MAX_BODY} characters", field="body")


def _not_found(doc_id: str) -> NotFoundError:
    return NotFoundError(f"document {doc_id} not found", field="id", value=doc_id)


def _ref(row: RecordRow, version: int | None = None) -> str:
    return f"{KIND}:{row.id}#v{version or row.version}"


def _portion_labels(
    node: Node, principal: Principal, doc: DocumentInput, originator: str | None = None
) -> dict[str, Label]:
    """Fill in originator (the record's, else the author's agency) and legal basis: every
    portion is stored with an explicit label."""
    agency = originator or principal.qualified_agency
    out = {}
    for name, label in (("title", doc.title_label), ("body", doc.body_label)):
        if label.originator is None and agency and label.authority == principal.nation:
            label = label.with_(originator=agency)
        out[name] = resolve_basis(label, node.ctx).validate(node.ctx, stored=True)
    return out


def _view(node: Node, conn: Connection, row: RecordRow, version: VersionRow) -> dict[str, Any]:
    ctx = node.ctx
    banner_label = load_label(conn, version.label_id)
    portions = {}
    for name, portion in version.portions.items():
        label = load_label(conn, portion.label_id)
        portions[name] = {
            "value": portion.value,
            "portion": render_portion(label, ctx),
            "label": label.to_dict(),
        }
    return {
        "id": row.id,
        "kind": KIND,
        "title": version.portions["title"].value,
        "body": version.portions["body"].value,
        "banner": render_banner(banner_label, ctx),
        "banner_ja": render_in(banner_label, ctx, "JPN", "ja"),
        "banner_en": render_in(banner_label, ctx, "USA", "en"),
        "label": banner_label.to_dict(),
        "portions": portions,
        "version": version.version,
        "created_at": row.created_at.isoformat(),
        "updated_at": version.created_at.isoformat(),
        "origin": row.origin,
    }


def _summary(node: Node, conn: Connection, row: RecordRow) -> dict[str, Any]:
    label = load_label(conn, row.label_id)
    return {
        "id": row.id,
        "title": row.title,
        "banner": render_banner(label, node.ctx),
        "banner_ja": render_in(label, node.ctx, "JPN", "ja"),
        "portion": render_portion(label, node.ctx),
        "version": row.version,
        "updated_at": row.updated_at.isoformat(),
        "origin": row.origin,
    }


def create_document(node: Node, principal: Principal, doc: DocumentInput) -> dict[str, Any]:
    """Create a document; AccessDenied (with reasons) if the principal may not."""
    doc.check()
    labels = _portion_labels(node, principal, doc)
    banner = rollup(labels.values(), node.ctx)
    with node.engine.begin() as conn:
        resource = Resource(banner, kind=KIND)
        decision = decide(principal, "create", resource, node.ctx)
        if not decision.allowed:
            record_decision(node, conn, principal, "create", resource, decision)
        else:
            store = RecordStore(conn, node.ctx)
            portions = {
                name: Portion(value, intern_label(conn, labels[name], node.ctx))
                for name, value in (("title", doc.title), ("body", doc.body))
            }
            row = store.create(
                KIND,
                portions,
                intern_label(conn, banner, node.ctx),
                author_id=principal.id,
                now=node.clock(),
                title=doc.title,
                note=doc.note,
            )
            record_decision(node, conn, principal, "create", resource, decision, _ref(row))
            view = _view(node, conn, row, store.version(row))
    if not decision.allowed:
        raise AccessDenied("; ".join(decision.reasons), field="label")
    return view


def _readable(
    node: Node, conn: Connection, principal: Principal, doc_id: str, action: str = "read"
) -> tuple[RecordRow | None, Decision | None]:
    store = RecordStore(conn, node.ctx)
    row = store.get(KIND, doc_id)
    if row is None:
        emit(
            node,
            conn,
            actor=principal.id,
            action="record.read",
            outcome="failure",
            details={"kind": KIND, "reason": "not_found", "id": digest(doc_id)},
        )
        return None, None
    label = load_label(conn, row.label_id)
    resource = Resource(label, kind=KIND, ref=_ref(row), recalled=row.recalled)
    return row, check(node, conn, principal, action, resource)


def get_document(node: Node, principal: Principal, doc_id: str) -> dict[str, Any]:
    """The current version of a document, or NotFoundError (hidden or absent alike)."""
    with node.engine.begin() as conn:
        row, decision = _readable(node, conn, principal, doc_id)
        view = None
        if row is not None and decision is not None and decision.allowed:
            view = _view(node, conn, row, RecordStore(conn, node.ctx).version(row))
    if view is None:
        raise _not_found(doc_id)
    return view


def list_documents(
    node: Node,
    principal: Principal,
    *,
    query: str | None = None,
    origin: str | None = None,
    limit: int = 50,
    after: str | None = None,
) -> dict[str, Any]:
    """A page of the documents the principal may read, newest first."""
    with node.engine.begin() as conn:
        store = RecordStore(conn, node.ctx)
        rows, nxt = store.list_visible(
            KIND, principal, query=query, origin=origin, limit=limit, after=after
        )
        items = [_summary(node, conn, r) for r in rows]
        emit(
            node,
            conn,
            actor=principal.id,
            action="record.search" if query else "record.list",
            details={
                "kind": KIND,
                "query": digest(query or ""),
                "origin": origin,
                "after": after,
                "ids": [r.id for r in rows],
            },
        )
    return {"items": items, "next": nxt}


def count_documents(node: Node, principal: Principal, query: str | None = None) -> int:
    with node.engine.begin() as conn:
        n = RecordStore(conn, node.ctx).count_visible(KIND, principal, query)
        emit(
            node,
            conn,
            actor=principal.id,
            action="record.search",
            details={"kind": KIND, "query": digest(query or ""), "count": n},
        )
    return n


def history(node: Node, principal: Principal, doc_id: str) -> list[dict[str, Any]]:
    """The versions of a document the principal may read (each checked on its own label)."""
    with node.engine.begin() as conn:
        row, decision = _readable(node, conn, principal, doc_id, "history")
        out = None
        if row is not None and decision is not None and decision.allowed:
            versions = RecordStore(conn, node.ctx).versions_visible(row, principal)
            out = [
                {**_view(node, conn, row, v), "author_id": v.author_id, "note": v.note}
                for v in versions
            ]
            emit(
                node,
                conn,
                actor=principal.id,
                action="record.read",
                obj=_ref(row),
                details={
                    "kind": KIND,
                    "view": "versions",
                    "versions": [v.version for v in versions],
                },
            )
    if out is None:
        raise _not_found(doc_id)
    return out


def update_document(
    node: Node, principal: Principal, doc_id: str, doc: DocumentInput
) -> dict[str, Any]:
    """Append a new version; NotFoundError if unreadable, AccessDenied if not allowed."""
    doc.check()
    with node.engine.begin() as conn:
        row, seen = _readable(node, conn, principal, doc_id)
        if row is None or seen is None or not seen.allowed:
            view, decision = None, None
        else:
            view, decision = _write_version(node, conn, principal, row, doc)
    if row is None or seen is None or not seen.allowed:
        raise _not_found(doc_id)
    if view is None:
        raise AccessDenied("; ".join(decision.reasons if decision else []), field="label")
    return view


def _write_version(
    node: Node, conn: Connection, principal: Principal, row: RecordRow, doc: DocumentInput
) -> tuple[dict[str, Any] | None, Decision]:
    current = load_label(conn, row.label_id)
    labels = _portion_labels(node, principal, doc, current.originator)
    banner = rollup(labels.values(), node.ctx)
    resource = Resource(current, kind=KIND, ref=_ref(row), new_label=banner)
    decision = check(node, conn, principal, "update", resource)
    if not decision.allowed:
        return None, decision
    store = RecordStore(conn, node.ctx)
    portions = {
        name: Portion(value, intern_label(conn, labels[name], node.ctx))
        for name, value in (("title", doc.title), ("body", doc.body))
    }
    row = store.add_version(
        row,
        portions,
        intern_label(conn, banner, node.ctx),
        author_id=principal.id,
        now=node.clock(),
        title=doc.title,
        note=doc.note,
    )
    return _view(node, conn, row, store.version(row)), decision


def explain_document(
    node: Node, principal: Principal, doc_id: str, *, actor: str, action: str = "read"
) -> dict[str, Any]:
    """The decision for ``principal`` on a document, with reasons (an audited act of
    ``actor``, who must be entitled to see the record's existence)."""
    with node.engine.begin() as conn:
        row = RecordStore(conn, node.ctx).get(KIND, doc_id)
        out = None
        if row is not None:
            label = load_label(conn, row.label_id)
            resource = Resource(label, kind=KIND, ref=_ref(row), recalled=row.recalled)
            decision = decide(principal, action, resource, node.ctx)
            emit(
                node,
                conn,
                actor=actor,
                action="policy.explain",
                obj=_ref(row),
                details={
                    "kind": KIND,
                    "subject": principal.id,
                    "action": action,
                    "allowed": decision.allowed,
                },
            )
            out = {
                "document": row.id,
                "user": principal.id,
                "action": action,
                "banner": render_banner(label, node.ctx),
                **decision.to_dict(),
            }
    if out is None:
        raise _not_found(doc_id)
    return out
