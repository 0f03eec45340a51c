"""The per-partner outboxes: an object version enters one only when the monitor releases it.

:func:`on_version_written` is the hook the record services call in the transaction that
writes a version; :func:`backfill` runs when a peer is added; :func:`approve_orcon`
records an originator's approval and releases the record. For each peer, the reference
monitor decides ``release`` (audited as ``release.decide``); if it allows, the version is
written to the peer's outbox as canonical STIX JSON, after the definitions it needs
(identities, extension definitions, marking definitions) — so a partner reading the
collection in order always has a marking before the objects that reference it.

A version the monitor refuses to a peer that already holds an earlier version (the label
was tightened) becomes a revocation notice for that peer; a recall becomes one for every
peer that received the record. Received records are never released (third-party rule).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, func, insert, select

from nucsec.errors import InputError, NotFoundError, PolicyDenial
from nucsec.federation import stix
from nucsec.federation.jws import JWSError, canonical_json
from nucsec.federation.objects import ObjectBuilder, times_of, version_times
from nucsec.federation.peers import Peer, get_peer, list_peers, peer_principal
from nucsec.federation.tables import exchange_outbox, exchange_peers
from nucsec.markings.label import Label
from nucsec.node import Node
from nucsec.policy import Decision, Principal, Resource, decide
from nucsec.service.guard import record_decision
from nucsec.service.kinds import RecordKind
from nucsec.service.trail import emit
from nucsec.store.labels import load_label
from nucsec.store.records import RECORD_COLUMNS, RecordRow, RecordStore, VersionRow, record_row
from nucsec.store.schema import orcon_approvals, records

__all__ = [
    "Releaser",
    "approve_orcon",
    "backfill",
    "on_version_written",
    "orcon_nations",
    "version_times",
]

_ONE_US = dt.timedelta(microseconds=1)
_CHUNK = 500


def _parse_ts(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ")


def federated(node: Node, kind: str) -> RecordKind | None:
    """The node's record kind called ``kind`` if it travels between nodes, else None."""
    found = node.kinds.get(kind) if kind in node.kinds else None
    return found if found is not None and found.wire is not None else None


def orcon_nations(conn: Connection, record_pk: int) -> frozenset[str]:
    """Nations the originator approved an ORCON record for."""
    rows = conn.execute(
        select(orcon_approvals.c.nation).where(orcon_approvals.c.record_pk == record_pk)
    )
    return frozenset(r[0] for r in rows)


@dataclass
class Releaser:
    """Releases record versions to one peer inside the caller's transaction."""

    node: Node
    conn: Connection
    peer: Peer
    principal: Principal = field(init=False)
    _sent_definitions: set[str] = field(default_factory=set)
    _last_added: dt.datetime | None = None
    _decisions: dict[tuple[int, frozenset[str], bool], Decision] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.principal = peer_principal(self.node, self.peer.nation, self.peer.name)
        # one writer per outbox at a time: date_added order == commit order (PostgreSQL)
        self.conn.execute(
            select(exchange_peers.c.name)
            .where(exchange_peers.c.name == self.peer.name)
            .with_for_update()
        )
        self._sent_definitions = {
            r[0]
            for r in self.conn.execute(
                select(exchange_outbox.c.stix_id).where(
                    exchange_outbox.c.peer == self.peer.name,
                    exchange_outbox.c.record_id.is_(None),
                )
            )
        }
        last = self.conn.execute(
            select(func.max(exchange_outbox.c.date_added)).where(
                exchange_outbox.c.peer == self.peer.name
            )
        ).scalar()
        self._last_added = _parse_ts(last) if last else None
        self._objects = ObjectBuilder(self.node, self.conn)
        self._identity = self._objects.identity

    # -- helpers --------------------------------------------------------------------
    def label(self, label_id: int) -> Label:
        return self._objects.label(label_id)

    def _next_added(self) -> str:
        now = self.node.clock().astimezone(dt.UTC).replace(tzinfo=None)
        if self._last_added is not None and now <= self._last_added:
            now = self._last_added + _ONE_US
        self._last_added = now
        return stix.timestamp(now)

    @staticmethod
    def _canonical(obj: dict[str, Any]) -> bytes:
        # documents and definitions hold no numbers but integers; other kinds may hold
        # floats, which RFC 8785 formats (JWSError for a value JSON cannot carry, e.g. NaN)
        plain = obj["type"] == "x-nucsec-document" or "record_version" not in obj
        return canonical_json(obj, exotic=False if plain else None)

    def _row(
        self, obj: dict[str, Any], record_id: str | None, body: bytes | None = None
    ) -> dict[str, Any]:
        body = self._canonical(obj) if body is None else body
        return {
            "peer": self.peer.name,
            "stix_id": obj["id"],
            "stix_type": obj["type"],
            "record_id": record_id,
            "record_version": obj.get("record_version"),
            "revoked": bool(obj.get("revoked", False)),
            "modified": obj.get("modified", obj["created"]),
            "date_added": self._next_added(),
            "body": body.decode("utf-8"),
            "sha256": hashlib.sha256(body).hexdigest(),
            "queued_at": self.node.clock(),
        }

    def _definition_rows(self, objs: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        out = []
        for obj in objs:
            if obj["id"] not in self._sent_definitions:
                self._sent_definitions.add(obj["id"])
                out.append(self._row(obj, None))
        return out

    def _base_definitions(self) -> list[dict[str, Any]]:
        return self._definition_rows([*stix.definitions(self.node.kinds), self._identity])

    def decide(
        self, kind: str, row: RecordRow, approvals: frozenset[str], *, audit: bool = True
    ) -> Decision:
        label = self.label(row.label_id)
        resource = Resource(
            label,
            kind=kind,
            ref=f"{kind}:{row.id}#v{row.version}",
            recalled=row.recalled,
            custodian=self.node.nation,
            orcon_approvals=approvals,
        )
        key = (row.label_id, approvals if label.orcon else frozenset(), row.recalled)
        decision = self._decisions.get(key)
        if decision is None:
            decision = self._decisions[key] = decide(
                self.principal, "release", resource, self.node.ctx
            )
        if audit:
            record_decision(self.node, self.conn, self.principal, "release", resource, decision)
        return decision

    # -- objects --------------------------------------------------------------------
    def record_rows(
        self,
        kind: str,
        row: RecordRow,
        version: VersionRow,
        times: Sequence[str],
        approvals: frozenset[str],
    ) -> list[dict[str, Any]]:
        """Outbox rows releasing ``version`` of ``row`` (definitions first)."""
        banner = self.label(version.label_id)
        definitions, obj = self._objects.record(
            self.node.kinds.get(kind),
            row,
            version,
            times,
            orcon_approved_for=(approvals & {self.peer.nation}) if banner.orcon else (),
            released=self.releases,
        )
        body = self._canonical(obj)  # before any definition is counted as sent
        rows = self._base_definitions() + self._definition_rows(definitions)
        rows.append(self._row(obj, row.id, body))
        return rows

    def releases(self, kind: str, record_id: str) -> bool:
        """Is the local record ``record_id`` released to this peer now (monitor, not
        audited)? For references one record makes to another (a kind's ``outgoing``)."""
        if federated(self.node, kind) is None:
            return False
        row = RecordStore(self.conn, self.node.ctx).get(kind, record_id)
        if row is None or row.origin is not None or row.recalled:
            return False
        return self.decide(kind, row, orcon_nations(self.conn, row.pk), audit=False).allowed

    def revocation_rows(
        self, kind: str, row: RecordRow, times: Sequence[str]
    ) -> list[dict[str, Any]]:
        """A revocation notice for a peer that holds the record (else nothing)."""
        last = self.conn.execute(
            select(exchange_outbox.c.body, exchange_outbox.c.revoked)
            .where(exchange_outbox.c.peer == self.peer.name, exchange_outbox.c.record_id == row.id)
            .order_by(exchange_outbox.c.seq.desc())
            .limit(1)
        ).first()
        if last is None or last[1]:
            return []
        previous = json.loads(last[0])
        obj = stix.revocation_object(
            self.node.kinds.get(kind),
            record_id=row.id,
            created=times[0],
            modified=times[row.version - 1],
            version=row.version,
            banner_marking=previous["object_marking_refs"][0],  # what the peer already saw
            created_by=self._identity["id"],
        )
        return [self._row(obj, row.id)]

    def write(self, rows: list[dict[str, Any]]) -> int:
        if not rows:
            return 0
        self.conn.execute(insert(exchange_outbox), rows)
        return sum(1 for r in rows if r["record_id"] is not None)

    def already_queued(self, stix_id: str, modified: str) -> bool:
        return (
            self.conn.execute(
                select(exchange_outbox.c.seq).where(
                    exchange_outbox.c.peer == self.peer.name,
                    exchange_outbox.c.stix_id == stix_id,
                    exchange_outbox.c.modified == modified,
                )
            ).first()
            is not None
        )

    def release(self, kind: str, row: RecordRow) -> str:
        """Release the head version of one record; returns what happened."""
        found = federated(self.node, kind)
        if found is None or found.wire is None:
            return "none"
        times = _times(self.conn, row.pk)
        if self.already_queued(f"{found.wire.stix_type}--{row.id}", times[row.version - 1]):
            return "unchanged"
        if row.recalled:
            return "recalled" if self.write(self.revocation_rows(kind, row, times)) else "none"
        approvals = orcon_nations(self.conn, row.pk)
        if not self.decide(kind, row, approvals).allowed:
            withdrawn = self.write(self.revocation_rows(kind, row, times))
            return "withdrawn" if withdrawn else "denied"
        version = RecordStore(self.conn, self.node.ctx).version(row)
        try:
            rows = self.record_rows(kind, row, version, times, approvals)
        except JWSError as exc:  # a value JSON cannot carry exactly (e.g. a NaN)
            _unsendable(self, kind, row, exc.message)
            return "denied"
        self.write(rows)
        return "queued"


def _unsendable(releaser: Releaser, kind: str, row: RecordRow, reason: str) -> None:
    emit(
        releaser.node,
        releaser.conn,
        actor=releaser.principal.id,
        action="release.send",
        obj=f"{kind}:{row.id}#v{row.version}",
        outcome="denied",
        details={"peer": releaser.peer.name, "reasons": [reason[:500]]},
    )


def _times(conn: Connection, record_pk: int) -> list[str]:
    return times_of(conn, [record_pk])[record_pk]


def on_version_written(
    node: Node, conn: Connection, kind: str, row: RecordRow, banner: Label | None = None
) -> dict[str, str]:
    """Hook of :func:`nucsec.service.labelled.after_write`: offer a just-written version to
    every peer (the monitor decides per peer). A recall is audited (``record.recall``) and
    withdrawn from every peer that received the record.

    Returns ``{peer: outcome}`` (queued, denied, withdrawn, recalled, none, unchanged).
    """
    if row.origin is not None or federated(node, kind) is None:
        return {}
    outcomes = {
        peer.name: Releaser(node, conn, peer).release(kind, row)
        for peer in list_peers(conn)
        if peer.kind == "nucsec"
    }
    if row.recalled:
        emit(
            node,
            conn,
            actor="system",
            action="record.recall",
            obj=f"{kind}:{row.id}#v{row.version}",
            details={
                "kind": kind,
                "withdrawn_from": sorted(p for p, o in outcomes.items() if o == "recalled"),
            },
        )
    return outcomes


def backfill(node: Node, conn: Connection, peer: Peer) -> dict[str, int]:
    """Release every local record's current version to a (new) peer. Returns counts."""
    releaser = Releaser(node, conn, peer)
    counts = {"queued": 0, "denied": 0, "recalled": 0}
    for kind in (k.name for k in node.kinds.federated):
        last_pk = 0
        while True:
            rows = _record_chunk(conn, kind, last_pk)
            if not rows:
                break
            last_pk = rows[-1].pk
            for outcome, n in _backfill_chunk(releaser, kind, rows).items():
                counts[outcome] = counts.get(outcome, 0) + n
    return counts


def _record_chunk(conn: Connection, kind: str, after_pk: int) -> list[RecordRow]:
    rows = conn.execute(
        select(*RECORD_COLUMNS)
        .where(records.c.kind == kind, records.c.origin.is_(None), records.c.pk > after_pk)
        .order_by(records.c.pk)
        .limit(_CHUNK)
    ).all()
    return [record_row(r) for r in rows]


def _backfill_chunk(releaser: Releaser, kind: str, rows: list[RecordRow]) -> dict[str, int]:
    conn = releaser.conn
    pks = [r.pk for r in rows]
    times = times_of(conn, pks)
    approvals: dict[int, set[str]] = {}
    for pk, nation in conn.execute(
        select(orcon_approvals.c.record_pk, orcon_approvals.c.nation).where(
            orcon_approvals.c.record_pk.in_(pks)
        )
    ):
        approvals.setdefault(pk, set()).add(nation)
    allowed, denied, refs = [], 0, []
    for row in rows:
        decision = releaser.decide(kind, row, frozenset(approvals.get(row.pk, ())), audit=False)
        refs.append(f"{kind}:{row.id}#v{row.version}")
        if row.recalled or not decision.allowed:
            denied += 1
        else:
            allowed.append(row)
    _audit_backfill(releaser, kind, rows, approvals)
    versions = RecordStore(conn, releaser.node.ctx).head_versions(allowed)
    out_rows: list[dict[str, Any]] = []
    for row in allowed:
        try:
            out_rows += releaser.record_rows(
                kind, row, versions[row.pk], times[row.pk], frozenset(approvals.get(row.pk, ()))
            )
        except JWSError as exc:  # a value JSON cannot carry exactly (e.g. a NaN)
            _unsendable(releaser, kind, row, exc.message)
            denied += 1
    return {"queued": releaser.write(out_rows), "denied": denied}


def _audit_backfill(
    releaser: Releaser, kind: str, rows: list[RecordRow], approvals: dict[int, set[str]]
) -> None:
    """One ``release.decide`` event per label and outcome of the chunk (refs listed)."""
    groups: dict[tuple[int, bool, tuple[str, ...]], list[str]] = {}
    for row in rows:
        d = releaser.decide(kind, row, frozenset(approvals.get(row.pk, ())), audit=False)
        key = (row.label_id, d.allowed, d.denials)
        groups.setdefault(key, []).append(f"{kind}:{row.id}#v{row.version}")
    for (label_id, allowed, denials), refs in groups.items():
        details: dict[str, Any] = {
            "kind": kind,
            "label": "sha256:"
            + hashlib.sha256(releaser.label(label_id).to_json().encode()).hexdigest(),
            "backfill": True,
            "records": refs,
        }
        if not allowed:
            details["denials"] = list(denials)
        emit(
            releaser.node,
            releaser.conn,
            actor=releaser.principal.id,
            action="release.decide",
            outcome="success" if allowed else "denied",
            details=details,
        )


def approve_orcon(
    node: Node, conn: Connection, principal: Principal, kind: str, record_id: str, peer_name: str
) -> dict[str, str]:
    """The originator agency approves releasing an ORCON record to a peer's nation.

    Only a member of the originator agency who may read the record approves (audited as
    ``release.approve``); the record is then released to that peer if the monitor allows.
    """
    store = RecordStore(conn, node.ctx)
    row = store.get(kind, record_id)
    peer = get_peer(conn, peer_name)
    if peer is None:
        raise NotFoundError(f"no active peer {peer_name!r}", field="peer", value=peer_name)
    label = load_label(conn, row.label_id) if row is not None else None
    readable = (
        row is not None
        and label is not None
        and decide(
            principal, "read", Resource(label, kind=kind, recalled=row.recalled), node.ctx
        ).allowed
    )
    if row is None or label is None or not readable:
        raise NotFoundError(f"{kind} {record_id} not found", field="id", value=record_id)
    if not label.orcon:
        raise InputError(f"{kind} {record_id} is not ORCON: no approval needed", field="id")
    if label.originator != principal.qualified_agency:
        emit(
            node,
            conn,
            actor=principal.id,
            action="release.approve",
            obj=f"{kind}:{row.id}#v{row.version}",
            outcome="denied",
            details={"peer": peer.name, "nation": peer.nation},
        )
        raise PolicyDenial(
            f"only the originator {label.originator} approves release of ORCON material",
            field="as",
        )
    if peer.nation not in orcon_nations(conn, row.pk):
        conn.execute(
            insert(orcon_approvals).values(
                record_pk=row.pk,
                nation=peer.nation,
                approved_by=principal.id,
                approved_at=node.clock(),
            )
        )
    emit(
        node,
        conn,
        actor=principal.id,
        action="release.approve",
        obj=f"{kind}:{row.id}#v{row.version}",
        details={"peer": peer.name, "nation": peer.nation},
    )
    outcome = Releaser(node, conn, peer).release(kind, row)
    return {"peer": peer.name, "nation": peer.nation, "outcome": outcome}
