"""Labelled records of every kind: the operations documents, incidents and analyses share.

A record is a set of named portions, each a value with its own label; its banner is their
roll-up. Every function is one transaction in which the reference monitor decides, the
audit log records and the store reads or writes. A record the caller may not read is
reported as not found, exactly like one that does not exist.

Every function takes the :class:`~nucsec.service.kinds.RecordKind` it works on: its
view is what a read returns (``kind.redact`` takes out what the reader may not see), its
title function titles every version written. After a version is written,
:func:`after_write` lets others react in the same transaction: the kind's own hooks (e.g.
incident statistics), then the node's subscribers (``node.subscribers``, registered where
the node is built: federation queues the version for every peer the policy releases it
to).
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Connection, Engine, func, select

from nucsec.errors import ConflictError, InputError, PolicyDenial
from nucsec.markings import (
    Label,
    LabelError,
    render_banner,
    render_in,
    render_portion,
    renderings,
    rollup,
)
from nucsec.node import Node
from nucsec.policy import Decision, Principal, Resource, decide
from nucsec.service.guard import check, record_decision
from nucsec.service.kinds import Draft, RecordKind
from nucsec.service.trail import Sink, emit, keyed, reading
from nucsec.service.views import ExplainView, PortionView, RecordPage, RecordSummary
from nucsec.store.labels import intern_label, load_label, resolve_basis
from nucsec.store.record_filter import RecordFilter, checked_sort
from nucsec.store.records import NewRecord, Portion, RecordRow, RecordStore, VersionRow
from nucsec.store.schema import labels as label_table

__all__ = [
    "after_write",
    "banner_fields",
    "base_fields",
    "count",
    "create",
    "create_all",
    "create_in",
    "create_many",
    "explain",
    "page",
    "portion_views",
    "read",
    "refusal_in",
    "summary_fields",
    "update",
    "update_in",
    "versions",
]


def _prepared(
    node: Node, principal: Principal, draft: Draft, originator: str | None = None
) -> tuple[dict[str, Label], Label]:
    """Portion labels made explicit and their roll-up, the banner.

    A label without an originator gets the record's (``originator``, on updates) or, for
    a new record, the author's agency; without a legal basis, the node default.
    """
    agency = originator or principal.qualified_agency
    labels = {}
    for name, label in draft.labels.items():
        if label.originator is None and agency and agency.startswith(label.authority + "."):
            label = label.with_(originator=agency)
        elif label.originator is None and label.authority:
            raise LabelError(
                f"{name}: a marking under {label.authority}'s scheme needs an originator "
                f"agency of {label.authority} (this record's is {agency or 'none'}): mark it "
                "under your own nation's scheme, or name the originator in the label's "
                "JSON form",
                field="originator",
                value=label.authority,
            )
        labels[name] = resolve_basis(label, node.ctx).validate(node.ctx, stored=True)
    return labels, rollup(labels.values(), node.ctx)


#: portions an edit carries over when the draft does not name them (files attached)
CARRIED_PREFIXES = ("attachment.",)


def _carried(draft: Draft, current: VersionRow, conn: Connection) -> Draft:
    """The draft plus the current version's attachment portions it does not replace."""
    values, labels = dict(draft.values), dict(draft.labels)
    for name, portion in current.portions.items():
        if name.startswith(CARRIED_PREFIXES) and name not in values:
            values[name] = portion.value
            labels[name] = load_label(conn, portion.label_id)
    return replace(draft, values=values, labels=labels)


def _portions(
    conn: Connection, node: Node, draft: Draft, labels: dict[str, Label]
) -> dict[str, Portion]:
    return {
        name: Portion(draft.values[name], intern_label(conn, labels[name], node.ctx))
        for name in draft.values
    }


def after_write(
    node: Node,
    conn: Connection,
    kind: RecordKind,
    row: RecordRow,
    version: VersionRow,
    banner: Label,
) -> None:
    """Run the kind's hooks, then the node's subscribers, for a version just written."""
    for hook in kind.after_write:
        hook(node, conn, row, version, banner)
    for subscriber in node.subscribers:
        subscriber(node, conn, kind.name, row, banner)


def create_many(
    node: Node, conn: Connection, kind: RecordKind, new: Sequence[NewRecord]
) -> list[RecordRow]:
    """Write records decided elsewhere (version 1 each) in bulk, in the caller's
    transaction, and run :func:`after_write` for each (the kind's hooks, e.g. incident
    statistics, then the node's subscribers).

    For a caller that already checked every record: the federation importer, which ran
    the reference monitor and the boundary check on what it received. Nothing is decided
    or audited here; the caller audits what it wrote.
    """
    wrong = [n.kind for n in new if n.kind != kind.name]
    if wrong:
        raise InputError(f"a {wrong[0]} record given as {kind.name}", field="kind")
    rows = RecordStore(conn, node.ctx).create_many(new)
    for row, item in zip(rows, new, strict=True):
        version = VersionRow(
            1, item.label_id, item.author_id, item.version_at, item.portions, item.note
        )
        after_write(node, conn, kind, row, version, load_label(conn, item.label_id))
    return rows


# -- views ---------------------------------------------------------------------------


def banner_fields(node: Node, label: Label) -> dict[str, Any]:
    """The banner of a label in the node's renderings (cached on the immutable label):
    ``banner`` (CAPCO), ``banner_ja`` and ``banner_en`` (the Japanese and US schemes, kept
    for existing readers; None under an agreement without that nation), ``banners`` (every
    nation of the label's agreement, each in its own scheme and language) and the
    ``portion`` mark."""
    key = ("banner_fields", node.ctx)
    fields: dict[str, Any] | None = label._cache.get(key)
    if fields is None:
        nations = node.ctx.agreement(label.legal_basis).nations
        fields = {
            "banner": render_banner(label, node.ctx),
            "banner_ja": render_in(label, node.ctx, "JPN", "ja") if "JPN" in nations else None,
            "banner_en": render_in(label, node.ctx, "USA", "en") if "USA" in nations else None,
            "banners": renderings(label, node.ctx),
            "portion": render_portion(label, node.ctx),
        }
        label._cache[key] = fields
    return {**fields, "banners": dict(fields["banners"])}


def portion_views(node: Node, conn: Connection, version: VersionRow) -> dict[str, PortionView]:
    """Each portion of a version: value, portion mark, label."""
    out = {}
    for name, portion in version.portions.items():
        label = load_label(conn, portion.label_id)
        out[name] = PortionView(
            value=portion.value, portion=render_portion(label, node.ctx), label=label.to_dict()
        )
    return out


def base_fields(
    node: Node, conn: Connection, row: RecordRow, version: VersionRow
) -> dict[str, Any]:
    """The fields of :class:`~nucsec.service.views.RecordView` for a version: id, kind,
    banners, label, portions, version, dates, origin (a kind's view adds its own)."""
    banner = load_label(conn, version.label_id)
    fields = banner_fields(node, banner)
    fields.pop("portion")
    return {
        "id": row.id,
        "kind": row.kind,
        **fields,
        "label": banner.to_dict(),
        "portions": portion_views(node, conn, version),
        "version": version.version,
        "created_at": row.created_at.isoformat(),
        "updated_at": version.created_at.isoformat(),
        "origin": row.origin,
    }


def summary_fields(node: Node, conn: Connection, row: RecordRow) -> dict[str, Any]:
    """The fields of :class:`~nucsec.service.views.RecordSummary` of a record."""
    return {
        "id": row.id,
        "title": row.title,
        **banner_fields(node, load_label(conn, row.label_id)),
        "version": row.version,
        "updated_at": row.updated_at.isoformat(),
        "origin": row.origin,
    }


# -- operations ----------------------------------------------------------------------


def _write(
    node: Node,
    conn: Connection,
    principal: Principal,
    kind: RecordKind,
    draft: Draft,
    labels: dict[str, Label],
    banner: Label,
    decision: Decision,
) -> Any:
    """Write version 1 of an allowed record, record the decision, run the hooks; its view."""
    store = RecordStore(conn, node.ctx)
    row = store.create(
        kind.name,
        _portions(conn, node, draft, labels),
        intern_label(conn, banner, node.ctx),
        author_id=principal.id,
        now=node.clock(),
        title=kind.title(draft.values),
        note=draft.note,
    )
    resource = Resource(banner, kind=kind.name)
    record_decision(node, conn, principal, "create", resource, decision, kind.ref(row))
    version = store.version(row)
    after_write(node, conn, kind, row, version, banner)
    return kind.view(node, conn, row, version)


def create(node: Node, principal: Principal, kind: RecordKind, draft: Draft) -> Any:
    """Create a record; AccessDenied (with reasons) if the principal may not."""
    with node.engine.begin() as conn:
        out, decision = _create_in(node, conn, principal, kind, draft)
    if out is None:  # raised after the commit, which keeps the refusal's event
        raise PolicyDenial("; ".join(decision.reasons), field="label")
    return kind.redact(node, principal, out)  # after the commit: it may read other records


def create_in(
    node: Node, conn: Connection, principal: Principal, kind: RecordKind, draft: Draft
) -> str:
    """:func:`create` in the caller's transaction (a batch that must be all or nothing):
    the new record's id; AccessDenied if refused (the caller's rollback discards
    everything, the refusal's event too: a batch decides its rows first, with
    :func:`refusal_in`, which records refusals)."""
    out, decision = _create_in(node, conn, principal, kind, draft)
    if out is None:
        raise PolicyDenial("; ".join(decision.reasons), field="label")
    record_id: str = out.id
    return record_id


def _create_in(
    node: Node, conn: Connection, principal: Principal, kind: RecordKind, draft: Draft
) -> tuple[Any, Decision]:
    """The new record's view and the decision, or None and the (recorded) refusal."""
    labels, banner = _prepared(node, principal, draft)
    resource = Resource(banner, kind=kind.name)
    decision = decide(principal, "create", resource, node.ctx)
    if not decision.allowed:
        record_decision(node, conn, principal, "create", resource, decision)
        return None, decision
    return _write(node, conn, principal, kind, draft, labels, banner, decision), decision


#: per engine, the id of a stored label to decide on for an absent id (see _readable)
_STAND_IN: weakref.WeakKeyDictionary[Engine, int] = weakref.WeakKeyDictionary()


def _stand_in_label(conn: Connection) -> Label | None:
    """A stored label (the first: labels are never deleted), loaded as a hidden record's
    label is loaded, for an absent id; None when no label is stored (then no record can be
    hidden either)."""
    label_id = _STAND_IN.get(conn.engine)
    if label_id is None:
        found = conn.execute(select(func.min(label_table.c.id))).scalar()
        if found is None:
            return None
        label_id = _STAND_IN[conn.engine] = int(found)
    return load_label(conn, label_id)


def create_all(
    node: Node, principal: Principal, kind: RecordKind, drafts: Sequence[Draft]
) -> list[Any]:
    """Create several records in one transaction, all or nothing (an import): every
    draft is decided first; if any is refused, the refusals are recorded and AccessDenied
    raised with nothing written; otherwise each is written and its decision recorded."""
    prepared = [(draft, *_prepared(node, principal, draft)) for draft in drafts]
    decided = []
    for draft, labels, banner in prepared:
        resource = Resource(banner, kind=kind.name)
        decision = decide(principal, "create", resource, node.ctx)
        decided.append((draft, labels, banner, resource, decision))
    refused = [(r, d) for *_, r, d in decided if not d.allowed]
    if refused:
        with node.engine.begin() as conn:
            for resource, decision in refused:
                record_decision(node, conn, principal, "create", resource, decision)
        raise PolicyDenial("; ".join(refused[0][1].reasons), field="label")
    with node.engine.begin() as conn:
        out = [
            _write(node, conn, principal, kind, draft, labels, banner, decision)
            for draft, labels, banner, _, decision in decided
        ]
    return [kind.redact(node, principal, v) for v in out]


def _readable(
    node: Node,
    conn: Connection,
    sink: Sink,
    principal: Principal,
    kind: RecordKind,
    record_id: str,
    action: str = "read",
) -> tuple[RecordRow | None, Decision | None]:
    """The record and the monitor's (audited) decision on it; ``(None, None)`` if absent.

    A hidden and an absent record take the same path: one record lookup, one label from
    the label cache (an absent id gets a stored stand-in), one decision, the same keyed
    hashes, one event. So the time of the answer does not tell them apart
    (``tests/web/test_hidden_timing.py``).
    """
    row = RecordStore(conn, node.ctx).get(kind.name, record_id)
    label = load_label(conn, row.label_id) if row is not None else _stand_in_label(conn)
    version = row.version if row is not None else 0
    resource = None
    decision = None
    if label is not None:
        resource = Resource(
            label,
            kind=kind.name,
            ref=f"{kind.name}:{record_id}#v{version}",
            recalled=row.recalled if row is not None else False,
        )
        decision = decide(principal, "read" if action == "history" else action, resource, node.ctx)
    hashed_id = keyed(node, record_id)
    if row is None or resource is None or decision is None:
        if label is not None:
            keyed(node, label.to_json())  # as record_decision hashes a hidden record's label
        details = {"kind": kind.name, "reason": "not_found", "id": hashed_id}
        emit(
            node, sink, actor=principal.id, action="record.read", outcome="failure", details=details
        )
        return None, None
    record_decision(node, sink, principal, action, resource, decision)
    return row, decision


def read(node: Node, principal: Principal, kind: RecordKind, record_id: str) -> Any:
    """The current version of a record, or NotFoundError (hidden or absent alike)."""
    with reading(node) as (conn, recorder):
        row, decision = _readable(node, conn, recorder, principal, kind, record_id)
        out = None
        if row is not None and decision is not None and decision.allowed:
            out = kind.view(node, conn, row, RecordStore(conn, node.ctx).version(row))
    if out is None:
        raise kind.not_found(record_id)
    return kind.redact(node, principal, out)


def update(
    node: Node,
    principal: Principal,
    kind: RecordKind,
    record_id: str,
    draft: Draft,
    *,
    recalled: bool | None = None,
) -> Any:
    """Append a new version; NotFoundError if unreadable, AccessDenied if not allowed."""
    with node.engine.begin() as conn:
        visible, out, decision = _update_in(node, conn, principal, kind, record_id, draft, recalled)
    out = _written(kind, record_id, visible, out, decision)
    return kind.redact(node, principal, out)  # after the commit: it may read other records


def update_in(
    node: Node,
    conn: Connection,
    principal: Principal,
    kind: RecordKind,
    record_id: str,
    draft: Draft,
) -> None:
    """:func:`update` in the caller's transaction (a batch that must be all or nothing);
    NotFoundError or AccessDenied if refused (the caller's rollback discards everything)."""
    visible, out, decision = _update_in(node, conn, principal, kind, record_id, draft)
    _written(kind, record_id, visible, out, decision)


@dataclass(frozen=True)
class _Stale:
    """An update refused because the record moved on from the draft's base version."""

    version: int
    base: int


def _written(
    kind: RecordKind, record_id: str, visible: bool, out: Any, decision: Decision | None
) -> Any:
    """The view of an update, or its refusal: not found (hidden or absent), or denied."""
    if not visible:
        raise kind.not_found(record_id)
    if isinstance(out, _Stale):
        raise ConflictError(
            f"{kind.name} {record_id} is at version {out.version}, not {out.base}: "
            "someone saved a version after yours was read; read it again",
            field="base_version",
            value=str(out.base),
        )
    if out is None:
        raise PolicyDenial("; ".join(decision.reasons if decision else []), field="label")
    return out


def _update_in(
    node: Node,
    conn: Connection,
    principal: Principal,
    kind: RecordKind,
    record_id: str,
    draft: Draft,
    recalled: bool | None = None,
) -> tuple[bool, Any, Decision | None]:
    row, seen = _readable(node, conn, conn, principal, kind, record_id)
    if row is None or seen is None or not seen.allowed:
        return False, None, None
    if draft.base_version is not None and draft.base_version != row.version:
        return True, _Stale(row.version, draft.base_version), None
    draft, labels, banner, decision = _update_decision(node, conn, principal, kind, row, draft)
    if not decision.allowed:
        return True, None, decision
    store = RecordStore(conn, node.ctx)
    row = store.add_version(
        row,
        _portions(conn, node, draft, labels),
        intern_label(conn, banner, node.ctx),
        author_id=principal.id,
        now=node.clock(),
        title=kind.title(draft.values),
        note=draft.note,
        recalled=recalled,
    )
    version = store.version(row)
    after_write(node, conn, kind, row, version, banner)
    return True, kind.view(node, conn, row, version), decision


def _update_decision(
    node: Node,
    conn: Connection,
    principal: Principal,
    kind: RecordKind,
    row: RecordRow,
    draft: Draft,
) -> tuple[Draft, dict[str, Label], Label, Decision]:
    """The draft with carried portions, its labels and banner, and the monitor's (audited)
    decision on the update; LabelError if the labels cannot be stored."""
    current = load_label(conn, row.label_id)
    draft = _carried(draft, RecordStore(conn, node.ctx).version(row), conn)
    labels, banner = _prepared(node, principal, draft, current.originator)
    resource = Resource(current, kind=kind.name, ref=kind.ref(row), new_label=banner)
    return draft, labels, banner, check(node, conn, principal, "update", resource)


def refusal_in(
    node: Node,
    conn: Connection,
    principal: Principal,
    kind: RecordKind,
    record_id: str | None,
    draft: Draft,
) -> str | None:
    """Why a create (``record_id`` None) or an update of ``record_id`` with this draft
    would be refused now (None: it would be written), decided in the caller's transaction
    without writing. For all-or-nothing batches (CSV import), which decide every row before
    writing any: a refusal's events (the read, the denied decision) are recorded; when the
    write would be allowed nothing is recorded here, as :func:`create_in` and
    :func:`update_in` record the decisions they then make."""
    try:
        if record_id is None:
            banner = _prepared(node, principal, draft)[1]
            resource = Resource(banner, kind=kind.name)
            decision = decide(principal, "create", resource, node.ctx)
            if not decision.allowed:
                record_decision(node, conn, principal, "create", resource, decision)
            return None if decision.allowed else "; ".join(decision.reasons)
        with conn.begin_nested() as savepoint:
            row, seen = _readable(node, conn, conn, principal, kind, record_id)
            if row is None or seen is None or not seen.allowed:
                return f"{kind.name} {record_id} not found"
            decision = _update_decision(node, conn, principal, kind, row, draft)[3]
            if decision.allowed:
                savepoint.rollback()
                return None
            return "; ".join(decision.reasons)
    except LabelError as exc:
        return exc.message


def page(
    node: Node,
    principal: Principal,
    kind: RecordKind,
    *,
    query: str | None = None,
    origin: str | None = None,
    limit: int = 50,
    after: str | None = None,
    flt: RecordFilter | None = None,
    sort: str | None = None,
) -> RecordPage:
    """A page of the records the principal may read, newest first (or in the order
    ``sort`` names: ``new``, ``old``, ``title``), narrowed by ``flt`` (in SQL)."""
    items, nxt, _ = _page(
        node,
        principal,
        kind,
        query,
        origin,
        limit,
        after,
        with_views=False,
        flt=flt.checked(node.ctx) if flt is not None else None,
        sort=checked_sort(sort),
    )
    return RecordPage(items=items, next=nxt)


def page_views(
    node: Node, principal: Principal, kind: RecordKind, *, limit: int = 50, after: str | None = None
) -> tuple[RecordPage, tuple[Any, ...]]:
    """:func:`page` and each listed record's current view (redacted for the principal),
    read in the listing's transaction: one query for the versions and one audited
    ``record.list`` event naming the ids, not one audited read per record."""
    items, nxt, views = _page(node, principal, kind, None, None, limit, after, with_views=True)
    return RecordPage(items=items, next=nxt), tuple(kind.redact(node, principal, v) for v in views)


def _page(
    node: Node,
    principal: Principal,
    kind: RecordKind,
    query: str | None,
    origin: str | None,
    limit: int,
    after: str | None,
    *,
    with_views: bool,
    flt: RecordFilter | None = None,
    sort: str = "new",
) -> tuple[tuple[RecordSummary, ...], str | None, list[Any]]:
    filtered = flt is not None and flt.active()
    with reading(node) as (conn, recorder):
        store = RecordStore(conn, node.ctx)
        rows, nxt = store.list_visible(
            kind.name,
            principal,
            query=query,
            origin=origin,
            limit=limit,
            after=after,
            flt=flt,
            sort=sort,
        )
        items = tuple(RecordSummary(**summary_fields(node, conn, r)) for r in rows)
        views: list[Any] = []
        if with_views:
            heads = store.head_versions(rows)
            views = [kind.view(node, conn, r, heads[r.pk]) for r in rows]
        emit(
            node,
            recorder,
            actor=principal.id,
            action="record.search" if query or filtered else "record.list",
            details={
                "kind": kind.name,
                "query": keyed(node, query or ""),
                "origin": origin,
                "after": after,
                "ids": [r.id for r in rows],
                **({"filters": flt.params()} if flt is not None and filtered else {}),
            },
        )
    return items, nxt, views


def count(
    node: Node,
    principal: Principal,
    kind: RecordKind,
    query: str | None = None,
    flt: RecordFilter | None = None,
) -> int:
    """How many records of a kind the principal may read (matching ``query`` and ``flt``)."""
    checked = flt.checked(node.ctx) if flt is not None else None
    with reading(node) as (conn, recorder):
        n = RecordStore(conn, node.ctx).count_visible(kind.name, principal, query, checked)
        extra = {"filters": checked.params()} if checked is not None and checked.active() else {}
        emit(
            node,
            recorder,
            actor=principal.id,
            action="record.search",
            details={"kind": kind.name, "query": keyed(node, query or ""), "count": n, **extra},
        )
    return n


def versions(
    node: Node, principal: Principal, kind: RecordKind, record_id: str
) -> list[tuple[Any, VersionRow]]:
    """The versions of a record the principal may read (each checked on its own label):
    each version's view and its stored row (author, note)."""
    with reading(node) as (conn, recorder):
        row, decision = _readable(node, conn, recorder, principal, kind, record_id, "history")
        out = None
        if row is not None and decision is not None and decision.allowed:
            rows = RecordStore(conn, node.ctx).versions_visible(row, principal)
            out = [(kind.redact(node, principal, kind.view(node, conn, row, v)), v) for v in rows]
            emit(
                node,
                recorder,
                actor=principal.id,
                action="record.read",
                obj=kind.ref(row),
                details={
                    "kind": kind.name,
                    "view": "versions",
                    "versions": [v.version for v in rows],
                },
            )
    if out is None:
        raise kind.not_found(record_id)
    return out


def explain(
    node: Node,
    principal: Principal,
    kind: RecordKind,
    record_id: str,
    *,
    actor: str,
    action: str = "read",
) -> ExplainView:
    """The decision for ``principal`` on a record, with reasons (an audited act of
    ``actor``, who must be entitled to know the record exists)."""
    with reading(node) as (conn, recorder):
        row = RecordStore(conn, node.ctx).get(kind.name, record_id)
        out = None
        if row is not None:
            label = load_label(conn, row.label_id)
            resource = Resource(label, kind=kind.name, ref=kind.ref(row), recalled=row.recalled)
            decision = decide(principal, action, resource, node.ctx)
            emit(
                node,
                recorder,
                actor=actor,
                action="policy.explain",
                obj=kind.ref(row),
                details={
                    "kind": kind.name,
                    "subject": principal.id,
                    "action": action,
                    "allowed": decision.allowed,
                },
            )
            out = ExplainView(
                kind=kind.name,
                record_id=row.id,
                user=principal.id,
                action=action,
                banner=render_banner(label, node.ctx),
                allowed=decision.allowed,
                reasons=tuple(decision.reasons),
            )
    if out is None:
        raise kind.not_found(record_id)
    return out
