"""Accepting what a partner sent: validate every object, fail closed, import idempotently.

For each object of a verified page, in order:

- identities and extension definitions: kept if known (an unknown extension is refused);
- marking definitions: a nucsec label (parsed and validated against this node's marking
  data; its name must be its banner and its id must match its content) or a TLP 2.0
  marking; anything else is refused, and so is every object that references it;
- records (``x-nucsec-document``...): shape, extensions and properties checked; every
  marking must be known from this peer; the banner must be the roll-up of the portion
  labels; the classifying authority must be the peer's nation (third-party rule); and
  *both* the reference monitor and the boundary check must allow this node's nation to
  receive it (``release`` from the peer to us, with the originator's ORCON approvals the
  object declares). From an unsigned plain-TAXII source only unclassified, uncontrolled
  TLP:CLEAR material is accepted.

Accepted versions are written as records with ``origin = <peer>`` and the STIX id's UUID,
keeping the originator's labels; a revoked version recalls the record here. The
``(peer, id, modified)`` key makes a second delivery change nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, func, insert, select

from nucsec.errors import InputError
from nucsec.federation import boundary, stix
from nucsec.federation.peers import Peer, peer_principal
from nucsec.federation.tables import (
    exchange_definitions,
    exchange_inbound,
    exchange_rejections,
)
from nucsec.markings.errors import LabelError
from nucsec.markings.label import Label
from nucsec.markings.rollup import rollup
from nucsec.node import Node
from nucsec.policy import Resource, decide
from nucsec.service import labelled
from nucsec.service.kinds import RecordKind
from nucsec.service.trail import emit
from nucsec.store.labels import intern_label, load_label
from nucsec.store.records import (
    NewRecord,
    Portion,
    RecordRow,
    RecordStore,
    VersionRow,
    bulk_insert,
)
from nucsec.store.schema import records

__all__ = ["Importer", "PageResult", "Refused", "local_id"]

_TLP_BY_ID = {obj["id"]: level for level, obj in stix.tlp_markings().items()}


class Refused(InputError):
    """An object this node will not accept; the message is the reason sent back."""

    code = "refused"


@dataclass
class PageResult:
    """What became of one page: the lists a receipt reports, and the audit references."""

    bundle_id: str
    accepted: list[dict[str, str]] = field(default_factory=list)
    unchanged: list[dict[str, str]] = field(default_factory=list)
    rejected: list[dict[str, str]] = field(default_factory=list)
    recalled: list[str] = field(default_factory=list)
    records: list[str] = field(default_factory=list)  # refs of record versions written


@dataclass(frozen=True)
class _Marking:
    label: Label | None  # a nucsec label, or None for a TLP marking
    tlp: str | None
    label_id: int | None = None


def _parse_time(text: str, name: str) -> dt.datetime:
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise Refused(f"`{name}` is not a timestamp", field=name) from None
    if when.tzinfo is None:
        raise Refused(f"`{name}` must be UTC", field=name)
    return when.astimezone(dt.UTC)


_LOCAL_IDS = uuid.UUID("5f0c3a52-8d4e-4c59-9a51-0d7c2f1e6b21")


def local_id(peer: str, record_id: str) -> str:
    """The id a peer's record is stored under when another origin's record already holds
    its own id (a collision, or a peer squatting an id): a UUIDv5 of (peer, id)."""
    return str(uuid.uuid5(_LOCAL_IDS, f"{peer}\n{record_id}"))


class Importer:
    """Imports pages from one peer inside the caller's transaction."""

    def __init__(self, node: Node, conn: Connection, peer: Peer) -> None:
        self.node = node
        self.conn = conn
        self.peer = peer
        self.unsigned = peer.kind != "nucsec"
        self.me = peer_principal(node, node.nation, "self")
        self.now = node.clock()
        self.markings: dict[str, _Marking] = {}
        self.definitions: dict[str, str] = {}  # stix id -> sha256
        self._decisions: dict[tuple[str, tuple[str, ...], frozenset[str]], tuple[bool, str]] = {}
        self._label_ids: dict[str, int] = {}
        self._load_definitions()

    # -- definitions ------------------------------------------------------------------
    def _load_definitions(self) -> None:
        d = exchange_definitions.c
        for sid, digest, label_json, tlp in self.conn.execute(
            select(d.stix_id, d.sha256, d.label_json, d.tlp).where(d.peer == self.peer.name)
        ):
            self.definitions[sid] = digest
            if label_json is not None:
                self.markings[sid] = _Marking(Label.from_dict(json.loads(label_json)), None)
            elif tlp is not None:
                self.markings[sid] = _Marking(None, tlp)

    def _definition(self, obj: Mapping[str, Any], digest: str) -> bool:
        """Keep an identity / extension / marking definition; False if already held."""
        sid = str(obj.get("id"))
        kind = obj.get("type")
        known = self.definitions.get(sid)
        if known is not None:
            if known != digest:
                raise Refused(f"{sid} differs from the definition received before (immutable)")
            return False
        label = tlp = None
        if kind == "extension-definition" and sid not in stix.known_extensions(self.node.kinds):
            raise Refused(f"unknown extension definition {sid}")
        if kind == "identity" and not isinstance(obj.get("name"), str):
            raise Refused("identity without a name")
        if kind == "marking-definition":
            if sid in _TLP_BY_ID:
                tlp = _TLP_BY_ID[sid]
                if dict(obj) != stix.tlp_markings()[tlp]:
                    raise Refused(f"{sid} is not the published TLP 2.0 {tlp} marking")
            else:
                try:
                    label = stix.label_from_marking(obj, self.node.ctx)
                except (LabelError, stix.StixError) as exc:
                    raise Refused(f"marking {sid} cannot be interpreted: {exc.message}") from None
            self.markings[sid] = _Marking(label, tlp)
        self.conn.execute(
            insert(exchange_definitions).values(
                peer=self.peer.name,
                stix_id=sid,
                stix_type=str(kind),
                sha256=digest,
                body=json.dumps(obj, sort_keys=True, ensure_ascii=False),
                label_json=label.to_json() if label else None,
                tlp=tlp,
                received_at=self.now,
            )
        )
        self.definitions[sid] = digest
        return True

    # -- records ----------------------------------------------------------------------
    def _label(self, ref: str) -> Label:
        marking = self.markings.get(ref)
        if marking is None or marking.label is None:
            raise Refused(f"unknown marking {ref} (fail closed)")
        return marking.label

    def _label_by_id(self, label_id: int) -> Label:
        return load_label(self.conn, label_id)

    def _label_id(self, ref: str) -> int:
        found = self._label_ids.get(ref)
        if found is None:
            found = self._label_ids[ref] = intern_label(self.conn, self._label(ref), self.node.ctx)
        return found

    def _may_receive(self, payload: stix.RecordPayload) -> None:
        """Refused unless the monitor and the boundary both let our nation receive it."""
        banner = self._label(payload.banner_marking)
        tlps = []
        for ref in payload.other_markings:
            marking = self.markings.get(ref)
            if marking is None or marking.tlp is None:
                raise Refused(f"unknown marking {ref} (fail closed)")
            tlps.append(marking.tlp)
        ctx = self.node.ctx
        if tlps and banner.rank(ctx) != 0:
            raise Refused("TLP marking on classified material")
        if self.unsigned and not (
            "clear" in tlps and banner.rank(ctx) == 0 and banner.is_public_unclassified
        ):
            raise Refused(
                "from an unsigned TAXII source only TLP:CLEAR unclassified material is accepted"
            )
        if payload.revoked:
            return
        approvals = payload.orcon_approved_for & {self.node.nation}
        refs = tuple(r for _, r in payload.portions.values())
        key = (payload.banner_marking, refs, approvals)
        if key not in self._decisions:
            portion_labels = [self._label(ref) for ref in refs]
            if rollup(portion_labels, ctx) != banner:
                self._decisions[key] = (
                    False,
                    "the banner is not the roll-up of the portion labels",
                )
            else:
                self._decisions[key] = self._decide(banner, portion_labels, approvals)
        allowed, reason = self._decisions[key]
        if not allowed:
            raise Refused(reason)

    def _decide(
        self, banner: Label, portions: Sequence[Label], approvals: frozenset[str]
    ) -> tuple[bool, str]:
        if banner.authority != self.peer.nation:
            return False, f"third party: {banner.authority} material from a {self.peer.nation} peer"
        resource = Resource(banner, custodian=self.peer.nation, orcon_approvals=approvals)
        decision = decide(self.me, "release", resource, self.node.ctx)
        if not decision.allowed:
            return False, "reference monitor: " + "; ".join(decision.reasons)
        for label in (banner, *portions):
            reasons = boundary.check_label(
                json.loads(label.to_json()),
                sender=self.peer.nation,
                recipient=self.node.nation,
                ctx=self.node.ctx,
                orcon_approved=self.node.nation in approvals,
            )
            if reasons:
                return False, "boundary: " + "; ".join(reasons)
        return True, ""

    # -- the page ---------------------------------------------------------------------
    def import_page(
        self, objects: Sequence[Any], bundle_id: str, digests: Sequence[str]
    ) -> PageResult:
        """Import a verified page; ``digests`` are the SHA-256 of each canonical object."""
        result = PageResult(bundle_id)
        writer = _Writer(self, result, objects)
        for obj, digest in zip(objects, digests, strict=True):
            sid = str(obj.get("id", "?"))[:128] if isinstance(obj, dict) else "?"
            version = (
                str(obj.get("modified", obj.get("created", ""))) if isinstance(obj, dict) else ""
            )
            try:
                if not isinstance(obj, dict):
                    raise Refused("not a JSON object")
                if obj.get("type") in ("identity", "extension-definition", "marking-definition"):
                    if self.unsigned and obj.get("type") != "marking-definition":
                        entry = {"id": sid, "version": version, "sha256": digest}
                        result.unchanged.append(entry)
                        continue
                    fresh = self._definition(obj, digest)
                    entry = {"id": sid, "version": version, "sha256": digest}
                    (result.accepted if fresh else result.unchanged).append(entry)
                    continue
                payload = stix.parse_record(obj, self.node.kinds)
                _parse_time(payload.created, "created")
                _parse_time(payload.modified, "modified")
                self._may_receive(payload)
                if not payload.revoked:  # content its kind's views and hooks can take
                    _check_values(payload)
                writer.record(payload, obj, digest)
            except (Refused, stix.StixError, LabelError) as exc:
                writer.flush()
                self._reject(result, sid, version, exc.message)
        writer.flush()
        self._audit(result)
        return result

    def _reject(self, result: PageResult, sid: str, version: str, reason: str) -> None:
        result.rejected.append({"id": sid, "version": version, "reason": reason})
        self.conn.execute(
            insert(exchange_rejections).values(
                peer=self.peer.name,
                stix_id=sid,
                modified=version[:32],
                bundle_id=result.bundle_id,
                reason=reason,
                at=self.now,
            )
        )
        emit(
            self.node,
            self.conn,
            actor=self.peer.actor,
            action="exchange.receive",
            obj=f"peer:{self.peer.name}",
            outcome="denied",
            details={
                "peer": self.peer.name,
                "bundle": result.bundle_id,
                "object": sid,
                "version": version[:32],
                "reason": reason[:1000],
            },
        )

    def _audit(self, result: PageResult) -> None:
        emit(
            self.node,
            self.conn,
            actor=self.peer.actor,
            action="exchange.receive",
            obj=f"peer:{self.peer.name}",
            details={
                "peer": self.peer.name,
                "bundle": result.bundle_id,
                "records": result.records,
                "recalled": result.recalled,
                "accepted": len(result.accepted),
                "unchanged": len(result.unchanged),
                "rejected": len(result.rejected),
            },
        )

    def reject_page(self, bundle_id: str, reason: str) -> None:
        """Log a page refused as a whole (bad signature, replay, malformed)."""
        self._reject(PageResult(bundle_id), "", "", reason)


def _check_values(payload: stix.RecordPayload) -> None:
    """StixError unless the kind takes the received values (its ``check``)."""
    values = {n: v for n, (v, _) in payload.portions.items()}
    try:
        payload.kind.check(values)
    except InputError as exc:
        raise stix.StixError(exc.message, field=exc.field, value=exc.value) from None


class _Writer:
    """Writes accepted record versions: new records in bulk, updates one by one."""

    def __init__(self, importer: Importer, result: PageResult, objects: Sequence[Any]) -> None:
        self.imp = importer
        self.result = result
        self.conn = importer.conn
        self.peer = importer.peer
        self.pending: dict[str, tuple[stix.RecordPayload, str]] = {}
        ids = [o["id"] for o in objects if isinstance(o, dict) and isinstance(o.get("id"), str)]
        self.seen = self._seen(ids)
        self.last_version = self._last_versions(ids)
        self.existing = self._existing([i.partition("--")[2] for i in ids])
        self.created: set[str] = set()

    def _seen(self, ids: list[str]) -> set[tuple[str, str]]:
        i = exchange_inbound.c
        rows = self.conn.execute(
            select(i.stix_id, i.modified).where(i.peer == self.peer.name, i.stix_id.in_(ids))
        )
        return {(r[0], r[1]) for r in rows}

    def _last_versions(self, ids: list[str]) -> dict[str, int]:
        i = exchange_inbound.c
        rows = self.conn.execute(
            select(i.stix_id, func.max(i.record_version))
            .where(i.peer == self.peer.name, i.stix_id.in_(ids))
            .group_by(i.stix_id)
        )
        return {r[0]: int(r[1] or 0) for r in rows}

    def _existing(self, record_ids: list[str]) -> dict[str, RecordRow]:
        """This peer's records among ``record_ids`` (STIX id suffixes), by that suffix: a
        peer's record is found by (origin, id), under its own id or :func:`local_id`."""
        store = RecordStore(self.conn, self.imp.node.ctx)
        wanted = {rid: rid for rid in record_ids}
        wanted.update({local_id(self.peer.name, rid): rid for rid in record_ids})
        out = {}
        for start in range(0, len(wanted), 500):
            chunk = list(wanted)[start : start + 500]
            for stored, kind in self.conn.execute(
                select(records.c.id, records.c.kind).where(
                    records.c.id.in_(chunk), records.c.origin == self.peer.name
                )
            ):
                row = store.get(kind, stored)
                if row is not None:
                    out[wanted[stored]] = row
        return out

    def record(self, p: stix.RecordPayload, obj: Mapping[str, Any], digest: str) -> None:
        sid = str(obj["id"])
        entry = {"id": sid, "version": p.modified, "sha256": digest}
        if (sid, p.modified) in self.seen or p.version <= self.last_version.get(sid, 0):
            self.result.unchanged.append(entry)
            return
        if p.record_id in self.pending:
            self.flush()
        row = self._row(p)
        if row is not None and row.kind != p.kind.name:
            raise Refused(f"{sid} names a {row.kind} this peer sent under another type")
        if row is not None and row.recalled:
            raise Refused(f"{sid} was recalled: later versions are refused")
        if p.revoked:
            if row is not None:
                self._recall(row, p, digest)
            self._inbound(p, sid, digest, row.version if row is not None else 0)
            (self.result.unchanged if row is None else self.result.accepted).append(entry)
            return
        if row is None:
            self.pending[p.record_id] = (p, digest)
        else:
            self._update(row, p, digest)
        self.result.accepted.append(entry)

    def _row(self, p: stix.RecordPayload) -> RecordRow | None:
        if p.record_id in self.created:
            self.created.discard(p.record_id)
            self.existing.update(self._existing([p.record_id]))
        return self.existing.get(p.record_id)

    def _portions(self, p: stix.RecordPayload) -> dict[str, Portion]:
        return {
            f: Portion(value, self.imp._label_id(ref)) for f, (value, ref) in p.portions.items()
        }

    def _note(self, p: stix.RecordPayload) -> str:
        return f"received from {self.peer.name} (originator version {p.version})"

    def _title(self, p: stix.RecordPayload) -> str:
        return p.kind.title({n: v for n, (v, _) in p.portions.items()})

    def _written(self, row: RecordRow, version: VersionRow) -> None:
        """The kind's after-write hooks (e.g. incident statistics) for a received version."""
        banner = self.imp._label_by_id(version.label_id)
        node = self.imp.node
        labelled.after_write(node, self.conn, node.kinds.get(row.kind), row, version, banner)

    def _update(self, row: RecordRow, p: stix.RecordPayload, digest: str) -> None:
        store = RecordStore(self.conn, self.imp.node.ctx)
        new = store.add_version(
            row,
            self._portions(p),
            self.imp._label_id(p.banner_marking),
            author_id=None,
            now=_parse_time(p.modified, "modified"),
            title=self._title(p),
            note=self._note(p),
        )
        self._written(new, store.version(new))
        self.existing[p.record_id] = new
        self._inbound(p, f"{p.stix_type}--{p.record_id}", digest, new.version)
        self.result.records.append(f"{p.kind.name}:{new.id}#v{new.version}")

    def _recall(self, row: RecordRow, p: stix.RecordPayload, digest: str) -> None:
        """A new version without content (each portion emptied, labels kept), recalled."""
        store = RecordStore(self.conn, self.imp.node.ctx)
        current = store.version(row)
        blank = {
            name: Portion({} if isinstance(portion.value, dict) else "", portion.label_id)
            for name, portion in current.portions.items()
        }
        new = store.add_version(
            row,
            blank,
            row.label_id,
            author_id=None,
            now=_parse_time(p.modified, "modified"),
            title="",
            note=f"recalled by the originator ({self.peer.name})",
            recalled=True,
        )
        self._written(new, store.version(new))
        self.existing[p.record_id] = new
        self.result.recalled.append(f"{p.kind.name}:{new.id}#v{new.version}")

    def _inbound(self, p: stix.RecordPayload, sid: str, digest: str, local: int) -> None:
        self.conn.execute(
            insert(exchange_inbound).values(**self._inbound_row(p, sid, digest, local))
        )
        self.seen.add((sid, p.modified))
        self.last_version[sid] = p.version

    def _inbound_row(
        self, p: stix.RecordPayload, sid: str, digest: str, local: int
    ) -> dict[str, Any]:
        return {
            "peer": self.peer.name,
            "stix_id": sid,
            "modified": p.modified,
            "record_id": p.record_id,
            "record_version": p.version,
            "local_version": local,
            "revoked": p.revoked,
            "sha256": digest,
            "bundle_id": self.result.bundle_id,
            "received_at": self.imp.now,
        }

    def flush(self) -> None:
        """Create the pending new records in bulk (through the record service, which runs
        each kind's after-write hooks)."""
        if not self.pending:
            return
        items = list(self.pending.values())
        self.pending.clear()
        taken = set(
            self.conn.execute(
                select(records.c.id).where(records.c.id.in_([p.record_id for p, _ in items]))
            ).scalars()
        )
        # another origin's record holds the id: this peer's record gets an id of its own
        peer = self.peer.name
        stored_as = {
            p.record_id: local_id(peer, p.record_id) if p.record_id in taken else p.record_id
            for p, _ in items
        }
        by_kind: dict[RecordKind, list[NewRecord]] = {}
        for p, _ in items:
            by_kind.setdefault(p.kind, []).append(
                NewRecord(
                    kind=p.kind.name,
                    portions=self._portions(p),
                    label_id=self.imp._label_id(p.banner_marking),
                    title=self._title(p),
                    created_at=_parse_time(p.created, "created"),
                    version_at=_parse_time(p.modified, "modified"),
                    record_id=stored_as[p.record_id],
                    origin=self.peer.name,
                    note=self._note(p),
                )
            )
        for kind, new in by_kind.items():
            labelled.create_many(self.imp.node, self.conn, kind, new)
        inbound = []
        for p, digest in items:
            sid = f"{p.stix_type}--{p.record_id}"
            inbound.append(self._inbound_row(p, sid, digest, 1))
            self.seen.add((sid, p.modified))
            self.last_version[sid] = p.version
            self.result.records.append(f"{p.kind.name}:{stored_as[p.record_id]}#v1")
        bulk_insert(self.conn, exchange_inbound, inbound)
        self.created.update(p.record_id for p, _ in items)
