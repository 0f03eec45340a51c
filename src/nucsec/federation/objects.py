"""STIX objects of stored record versions (adapter): the record's SDO, the marking
definitions of its labels and the TLP 2.0 marking, built one way for a partner's outbox
(:mod:`nucsec.federation.outbox`) and for a file export (:func:`export_bundle`).

Only the portions the record kind carries travel (its wire data,
:meth:`~nucsec.service.kinds.Wire.carries`: a document's attached files stay home); a file
attached to an incident or an analysis travels as its metadata portion, never its bytes.
The kind's ``outgoing`` gives the values as they leave for one peer. The STIX ``modified``
of version *n* is its creation time, made strictly increasing (:func:`version_times`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, select

from nucsec.federation import stix
from nucsec.federation.tables import exchange_definitions
from nucsec.markings.label import Label
from nucsec.node import Node
from nucsec.service.kinds import RecordKind, Released
from nucsec.store.labels import load_label
from nucsec.store.records import RecordRow, RecordStore, VersionRow
from nucsec.store.schema import record_versions

__all__ = ["ObjectBuilder", "export_bundle", "times_of", "version_times"]

_ONE_US = dt.timedelta(microseconds=1)
_CHUNK = 500


def version_times(created: Sequence[dt.datetime]) -> list[str]:
    """STIX ``modified`` of each version: its creation time, strictly increasing."""
    out: list[str] = []
    last: dt.datetime | None = None
    for when in created:
        if when.tzinfo is not None:
            when = when.astimezone(dt.UTC).replace(tzinfo=None)
        if last is not None and when <= last:
            when = last + _ONE_US
        out.append(stix.timestamp(when))
        last = when
    return out


def times_of(conn: Connection, record_pks: Iterable[int]) -> dict[int, list[str]]:
    """:func:`version_times` of each record, by pk (one query per 500 records)."""
    pks = list(record_pks)
    created: dict[int, list[dt.datetime]] = {}
    for start in range(0, len(pks), _CHUNK):
        query = (
            select(record_versions.c.record_pk, record_versions.c.created_at)
            .where(record_versions.c.record_pk.in_(pks[start : start + _CHUNK]))
            .order_by(record_versions.c.record_pk, record_versions.c.version)
        )
        for pk, when in conn.execute(query):
            created.setdefault(pk, []).append(when)
    return {pk: version_times(whens) for pk, whens in created.items()}


class ObjectBuilder:
    """Builds the STIX objects of record versions on one connection (labels and their
    marking definitions cached)."""

    def __init__(self, node: Node, conn: Connection) -> None:
        self.node = node
        self.conn = conn
        self.identity = stix.node_identity(node.nation, node.origin)
        self._labels: dict[int, Label] = {}
        self._markings: dict[int, dict[str, Any]] = {}
        self._creators: dict[str, dict[str, Any]] = {}

    def creator(self, row: RecordRow) -> dict[str, Any]:
        """The identity that created a record: this node's, or for a record received from a
        peer, the node identity that peer sent (kept in ``exchange_definitions``)."""
        if row.origin is None:
            return self.identity
        found = self._creators.get(row.origin)
        if found is None:
            d = exchange_definitions.c
            bodies = self.conn.execute(
                select(d.body).where(
                    d.peer == row.origin,
                    d.stix_type == "identity",
                    d.stix_id != stix.PROJECT_IDENTITY,
                )
            ).scalars()
            identities = [json.loads(b) for b in bodies]
            found = identities[0] if len(identities) == 1 else self.identity
            self._creators[row.origin] = found
        return found

    def label(self, label_id: int) -> Label:
        found = self._labels.get(label_id)
        if found is None:
            found = self._labels[label_id] = load_label(self.conn, label_id)
        return found

    def marking(self, label_id: int) -> dict[str, Any]:
        found = self._markings.get(label_id)
        if found is None:
            label = self.label(label_id)
            found = stix.label_marking(label, self.node.ctx, self.identity["id"])
            self._markings[label_id] = found
        return found

    def record(
        self,
        kind: RecordKind,
        row: RecordRow,
        version: VersionRow,
        times: Sequence[str],
        *,
        orcon_approved_for: Iterable[str] = (),
        released: Released | None = None,
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """The definitions a version's object references (its markings, the TLP marking)
        and the object. ``released`` (a peer's release test) lets the kind withhold
        references to records that peer does not receive (``kind.outgoing``)."""
        if kind.wire is None:
            raise stix.StixError(f"{kind.name} records do not leave the node", field="type")
        values = {n: p.value for n, p in version.portions.items() if kind.wire.carries(n)}
        if released is not None:
            values = kind.outgoing(values, released)
        label_ids = {version.label_id, *(version.portions[n].label_id for n in values)}
        markings = {lid: self.marking(lid) for lid in sorted(label_ids)}
        definitions = list(markings.values())
        tlp = stix.tlp_level(self.label(version.label_id), self.node.ctx)
        if tlp is not None:
            definitions.append(stix.tlp_markings()[tlp])
        obj = stix.record_object(
            kind,
            record_id=row.id,
            created=times[0],
            modified=times[version.version - 1],
            version=version.version,
            portions={
                n: (value, markings[version.portions[n].label_id]["id"])
                for n, value in values.items()
            },
            banner_marking=markings[version.label_id]["id"],
            tlp_marking=stix.tlp_markings()[tlp]["id"] if tlp else None,
            created_by=self.creator(row)["id"],
            orcon_approved_for=orcon_approved_for,
        )
        return definitions, obj


def export_bundle(
    node: Node, conn: Connection, kind: RecordKind, rows: Sequence[RecordRow]
) -> dict[str, Any]:
    """A STIX 2.1 bundle of the current versions of ``rows`` (already decided by the
    caller): the project and node identities, the extension definitions, every marking
    definition the objects reference, then the objects. Its id is derived from its
    content (the same records give the same bundle)."""
    builder = ObjectBuilder(node, conn)
    versions = RecordStore(conn, node.ctx).head_versions(rows)
    times = times_of(conn, [r.pk for r in rows])
    definitions = {d["id"]: d for d in [*stix.definitions(node.kinds), builder.identity]}
    records = []
    for row in rows:
        more, obj = builder.record(kind, row, versions[row.pk], times[row.pk])
        for d in [builder.creator(row), *more]:
            definitions.setdefault(d["id"], d)
        records.append(obj)
    objects = [*definitions.values(), *records]
    text = json.dumps(objects, sort_keys=True, ensure_ascii=False)
    digest = hashlib.sha256(text.encode()).hexdigest()
    return stix.bundle(stix.derived_id("bundle", digest), objects)
