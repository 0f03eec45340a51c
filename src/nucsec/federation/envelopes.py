"""Reading a peer's outbox as TAXII 2.1 resources: envelopes of objects (signed, one page
of the collection each), the manifest, the versions of an object.

Each objects response is a STIX bundle signed with a detached JWS that echoes the
requester's nonce; every record object in it passed two checks at this moment: the
reference monitor releases the record's **current** state to the peer (a version queued
before the label was tightened, e.g. re-marked NOFORN before the peer pulled, does not
leave: :func:`current_release`), and the boundary check
(:mod:`nucsec.federation.boundary`) passes the object itself against the record's current
state and ORCON approvals. A revocation (no content) always leaves. Withheld objects are
left out (and audited, with the reasons); the page's ``X-TAXII-Date-Added-Last`` still
moves past them so the partner's cursor advances.

Filters: ``added_after``, ``limit``, ``next`` (an opaque position), ``match[id]``,
``match[type]``, ``match[version]`` (``last`` by default, ``first``, ``all`` or
timestamps) and ``match[spec_version]`` (only ``2.1`` exists here).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, select

from nucsec.errors import InputError
from nucsec.federation import boundary
from nucsec.federation.jws import sign_detached
from nucsec.federation.peers import Peer, peer_principal
from nucsec.federation.tables import exchange_outbox
from nucsec.node import Node
from nucsec.policy import Resource, decide
from nucsec.service.trail import emit
from nucsec.store.labels import load_label
from nucsec.store.records import RECORD_COLUMNS, record_row
from nucsec.store.schema import orcon_approvals, records

__all__ = [
    "MAX_PAGE",
    "Current",
    "Filters",
    "Page",
    "current_release",
    "manifest_page",
    "object_page",
    "versions_page",
]

MAX_PAGE = 1000
STIX_MEDIA = "application/stix+json;version=2.1"
_TS_LEN = len("2024-01-01T00:00:00.000000Z")


@dataclass(frozen=True)
class Filters:
    added_after: str | None = None
    limit: int = MAX_PAGE
    next: int | None = None
    ids: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    version: tuple[str, ...] = ("last",)
    spec_version: tuple[str, ...] = ()

    @classmethod
    def parse(cls, query: Mapping[str, str], *, default_version: str = "last") -> Filters:
        def listed(name: str) -> tuple[str, ...]:
            raw = query.get(name)
            return tuple(v.strip() for v in raw.split(",") if v.strip()) if raw else ()

        limit = MAX_PAGE
        if "limit" in query:
            try:
                limit = int(query["limit"])
            except ValueError:
                raise InputError("limit must be an integer", field="limit") from None
            if limit < 1:
                raise InputError("limit must be positive", field="limit", value=limit)
        nxt = None
        if query.get("next"):
            try:
                nxt = int(query["next"])
            except ValueError:
                raise InputError(
                    "next is not a position of this collection", field="next"
                ) from None
        added_after = query.get("added_after")
        if added_after is not None:
            added_after = _normalise_ts(added_after)
        return cls(
            added_after=added_after,
            limit=min(limit, MAX_PAGE),
            next=nxt,
            ids=listed("match[id]"),
            types=listed("match[type]"),
            version=listed("match[version]") or (default_version,),
            spec_version=listed("match[spec_version]"),
        )


def _normalise_ts(text: str) -> str:
    """A TAXII timestamp as stored (microseconds); InputError if malformed."""
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"not a timestamp: {text!r}", field="added_after") from None
    if when.tzinfo is not None:
        when = when.astimezone(dt.UTC).replace(tzinfo=None)
    return when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class Page:
    """A response body (bytes) with its TAXII headers."""

    body: bytes
    headers: dict[str, str]


def _rows(conn: Connection, peer: Peer, f: Filters, stix_id: str | None = None) -> list[Any]:
    o = exchange_outbox.c
    where = [o.peer == peer.name]
    if stix_id is not None:
        where.append(o.stix_id == stix_id)
    if f.added_after:
        where.append(o.date_added > f.added_after)
    if f.next is not None:
        where.append(o.seq > f.next)
    if f.ids:
        where.append(o.stix_id.in_(f.ids))
    if f.types:
        where.append(o.stix_type.in_(f.types))
    if f.spec_version and "2.1" not in f.spec_version:
        return []
    versions = set(f.version)
    if "all" not in versions:
        chosen = []
        if "last" in versions or "first" in versions:
            agg = func.max(o.seq) if "last" in versions else func.min(o.seq)
            sub = select(agg).where(o.peer == peer.name).group_by(o.stix_id)
            chosen.append(o.seq.in_(sub))
        stamps = [_normalise_ts(v) for v in versions - {"last", "first"}]
        if stamps:
            chosen.append(o.modified.in_(stamps))
        where.append(chosen[0] if len(chosen) == 1 else (chosen[0] | chosen[1]))
    query = (
        select(o.seq, o.stix_id, o.stix_type, o.record_id, o.record_version, o.revoked, o.modified)
        .add_columns(o.date_added, o.body)
        .where(*where)
        .order_by(o.date_added, o.seq)  # the same order (one writer per outbox), indexed
        .limit(f.limit + 1)
    )
    return list(conn.execute(query))


def _markings(conn: Connection, peer: Peer) -> dict[str, dict[str, Any]]:
    o = exchange_outbox.c
    rows = conn.execute(
        select(o.stix_id, o.body).where(
            o.peer == peer.name, o.stix_type == "marking-definition", o.record_id.is_(None)
        )
    )
    return {r[0]: json.loads(r[1]) for r in rows}


@dataclass(frozen=True)
class Current:
    """A local record's state now, as sending needs it: recalled, the ORCON approvals on
    record, and why the monitor does not release its current state to the peer (empty:
    it does)."""

    recalled: bool
    approvals: frozenset[str]
    withheld: tuple[str, ...]


def current_release(
    node: Node, conn: Connection, peer: Peer, record_ids: Sequence[str]
) -> dict[str, Current]:
    """The reference monitor's ``release`` decision on each record's *current* label and
    state for ``peer`` (not audited: the send that uses it is). A record absent here, or
    received from a partner, is withheld."""
    ids = sorted(set(record_ids))
    if not ids:
        return {}
    rows = [
        record_row(r) for r in conn.execute(select(*RECORD_COLUMNS).where(records.c.id.in_(ids)))
    ]
    approvals: dict[int, set[str]] = {}
    for pk, nation in conn.execute(
        select(orcon_approvals.c.record_pk, orcon_approvals.c.nation).where(
            orcon_approvals.c.record_pk.in_([r.pk for r in rows])
        )
    ):
        approvals.setdefault(pk, set()).add(nation)
    principal = peer_principal(node, peer.nation, peer.name)
    out = {}
    for row in rows:
        granted = frozenset(approvals.get(row.pk, ()))
        resource = Resource(
            load_label(conn, row.label_id),
            kind=row.kind,
            recalled=row.recalled,
            custodian=node.nation,
            orcon_approvals=granted,
        )
        decision = decide(principal, "release", resource, node.ctx)
        why: tuple[str, ...] = ()
        if row.origin is not None:
            why = ("received from a partner: never released onward",)
        elif not decision.allowed:
            why = tuple(
                f"the record's current state (version {row.version}) is not released to "
                f"{peer.nation}: {reason}"
                for reason in decision.reasons
            )
        out[row.id] = Current(row.recalled, granted, why)
    return out


def _screen(
    node: Node, conn: Connection, peer: Peer, rows: Sequence[Any]
) -> tuple[list[Any], list[tuple[str, tuple[str, ...]]]]:
    """Boundary check of each record object about to leave; returns (sent, withheld)."""
    state = current_release(node, conn, peer, [r.record_id for r in rows if r.record_id])
    markings = _markings(conn, peer) if any(r.record_id for r in rows) else {}
    absent = Current(True, frozenset(), ("the record no longer exists here",))
    sent, withheld = [], []
    for r in rows:
        if r.record_id is None:
            sent.append(r)
            continue
        now = state.get(r.record_id, absent)
        ref = f"{r.stix_type}:{r.record_id}#v{r.record_version}"
        if now.withheld and not r.revoked:
            withheld.append((ref, now.withheld))
            continue
        verdict = boundary.check_object(
            json.loads(r.body),
            markings,
            sender=node.nation,
            recipient=peer.nation,
            ctx=node.ctx,
            orcon_approvals=now.approvals,
            recalled=now.recalled and not r.revoked,
        )
        if verdict.allowed:
            sent.append(r)
        else:
            withheld.append((ref, verdict.reasons))
    return sent, withheld


def _sign(node: Node, bodies: Sequence[str], claims: dict[str, Any]) -> tuple[str, str, str]:
    bundle_id = f"bundle--{uuid.uuid4()}"
    joined = ",".join(bodies)
    payload = f'{{"id":"{bundle_id}","objects":[{joined}],"type":"bundle"}}'.encode()
    return bundle_id, joined, sign_detached(payload, node.key, claims)


def object_page(
    node: Node,
    conn: Connection,
    peer: Peer,
    f: Filters,
    claims: dict[str, Any],
    stix_id: str | None = None,
) -> Page | None:
    """The signed envelope of a page of the peer's outbox (audited as ``release.send``);
    None when an object asked for by id is not in the collection."""
    rows = _rows(conn, peer, f, stix_id)
    if stix_id is not None and not rows:
        return None
    more = len(rows) > f.limit
    rows = rows[: f.limit]
    sent, withheld = _screen(node, conn, peer, rows)
    bundle_id, joined, jws = _sign(node, [r.body for r in sent], claims)
    parts = [f'{{"more":{"true" if more else "false"}']
    if more:
        parts.append(f',"next":"{rows[-1].seq}"')
    parts.append(f',"objects":[{joined}],"x_nucsec_bundle":"{bundle_id}","x_nucsec_jws":"{jws}"}}')
    headers = {}
    if rows:
        headers["X-TAXII-Date-Added-First"] = rows[0].date_added
        headers["X-TAXII-Date-Added-Last"] = rows[-1].date_added
    _audit_send(node, conn, peer, bundle_id, sent, withheld)
    return Page("".join(parts).encode(), headers)


def _audit_send(
    node: Node,
    conn: Connection,
    peer: Peer,
    bundle_id: str,
    sent: Sequence[Any],
    withheld: Sequence[tuple[str, tuple[str, ...]]],
) -> None:
    refs = [f"{r.stix_type}:{r.record_id}#v{r.record_version}" for r in sent if r.record_id]
    if refs or not withheld:
        emit(
            node,
            conn,
            actor=f"peer:{peer.name}",
            action="release.send",
            obj=f"peer:{peer.name}",
            details={
                "peer": peer.name,
                "bundle": bundle_id,
                "objects": refs,
                "definitions": len(sent) - len(refs),
            },
        )
    for ref, reasons in withheld:
        emit(
            node,
            conn,
            actor=f"peer:{peer.name}",
            action="release.send",
            obj=ref,
            outcome="denied",
            details={"peer": peer.name, "bundle": bundle_id, "reasons": list(reasons)},
        )


def manifest_page(conn: Connection, peer: Peer, f: Filters) -> Page:
    rows = _rows(conn, peer, f)
    more = len(rows) > f.limit
    rows = rows[: f.limit]
    data: dict[str, Any] = {
        "more": more,
        "objects": [
            {
                "id": r.stix_id,
                "date_added": r.date_added,
                "version": r.modified,
                "media_type": STIX_MEDIA,
            }
            for r in rows
        ],
    }
    if more:
        data["next"] = str(rows[-1].seq)
    headers = {}
    if rows:
        headers = {
            "X-TAXII-Date-Added-First": rows[0].date_added,
            "X-TAXII-Date-Added-Last": rows[-1].date_added,
        }
    return Page(json.dumps(data).encode(), headers)


def versions_page(conn: Connection, peer: Peer, stix_id: str, f: Filters) -> Page | None:
    rows = _rows(conn, peer, f, stix_id)
    if not rows:
        return None
    more = len(rows) > f.limit
    rows = rows[: f.limit]
    data: dict[str, Any] = {"more": more, "versions": [r.modified for r in rows]}
    if more:
        data["next"] = str(rows[-1].seq)
    return Page(
        json.dumps(data).encode(),
        {
            "X-TAXII-Date-Added-First": rows[0].date_added,
            "X-TAXII-Date-Added-Last": rows[-1].date_added,
        },
    )
