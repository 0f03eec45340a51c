"""Refusals anyone can cause, in the audit log without flooding it.

Some refused requests need no sign-in: a sign-in while throttled, a TAXII request without
a valid signature, a forbidden page asked for by anyone. Logged one event each, a single
client filled the log (2,005 events in 26 s) and pushed the auditors' view of the newest
events off the page with about fifty requests. So a refusal goes through
:func:`record_refusal`:

- per **source** (the keyed client address, or the signed-in principal) and **kind** of
  refusal (actor, action, object, outcome, reason), the first refusal of a window of
  :data:`WINDOW` is an ordinary event with its details;
- the following ones in that window are only **counted** (a row of ``audit_refusals``:
  count, first and last time), in the refused request's own short transaction, without
  an append to the log;
- when the window has passed, the count goes into the log as one **counted event**: the
  kind's action, actor, object and outcome, with ``{"reason", "source", "count", "first",
  "last"}``. This happens at the next refusal of the same source and kind, at any
  refusal once it is due (:func:`flush_due`), and before an auditor reads the log.

Every refusal is therefore in the log, as an event of its own or inside a count: the
sum is complete, and the events are Merkle leaves like any other (tamper-evident once
appended). A count not yet appended sits in ``audit_refusals`` for at most the window
plus the time to the next refusal or auditor read. A source may have at most
:data:`MAX_KINDS_PER_SOURCE` kinds in a window; further reasons (a client varying what it
sends to make each refusal look new) are counted together as ``other refusals``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from nucsec.audit.events import format_time
from nucsec.audit.tables import audit_refusals
from nucsec.node import Node
from nucsec.service.trail import emit, keyed
from nucsec.store.db import lock_keys

__all__ = [
    "MAX_KINDS_PER_SOURCE",
    "WINDOW",
    "Refusal",
    "address_source",
    "flush_due",
    "record_refusal",
]

#: how long after its logged event a kind of refusal from one source is only counted
WINDOW = timedelta(seconds=60)
#: kinds of refusal one source may have in a window before the rest are counted together
MAX_KINDS_PER_SOURCE = 8
OTHER = "other refusals"


@dataclass(frozen=True)
class Refusal:
    """A refused request: who sent it (``source``), the event it makes, why."""

    source: str
    actor: str
    action: str
    outcome: str
    reason: str
    obj: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)

    def kind(self) -> dict[str, Any]:
        """What makes two refusals the same: everything but the varying details (numbers
        in the reason, e.g. a clock skew in seconds, are one kind)."""
        reason = re.sub(r"\d+", "#", self.reason)[:120]
        return {
            "source": self.source,
            "actor": self.actor,
            "action": self.action,
            "obj": self.obj,
            "outcome": self.outcome,
            "reason": reason,
        }


def address_source(node: Node, address: str) -> str:
    """The source of a refusal from a client address, as events name it (keyed: the node
    can match an address, a reader of the log cannot recover it)."""
    return keyed(node, "address:" + address)[:80]


def _key(kind: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(kind, sort_keys=True).encode()).hexdigest()


def _utc(t: datetime | None) -> datetime | None:
    if t is None:
        return None
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def record_refusal(node: Node, conn: Connection, refusal: Refusal) -> bool:
    """Log ``refusal`` in the caller's transaction, or count it (see the module
    docstring). Returns True when its own event was appended, False when it was counted."""
    now = node.clock()
    kind = refusal.kind()
    key = _key(kind)
    lock_keys(conn, (key, hashlib.sha256(refusal.source.encode()).hexdigest()))
    flush_due(node, conn)
    r = audit_refusals.c
    row = conn.execute(select(r.key).where(r.key == key)).first()
    if row is None and _kinds_of(conn, refusal.source) >= MAX_KINDS_PER_SOURCE:
        kind = {**kind, "obj": None, "reason": OTHER}
        key = _key(kind)
        row = conn.execute(select(r.key).where(r.key == key)).first()
    if row is not None:
        conn.execute(
            update(audit_refusals)
            .where(r.key == key)
            .values(
                count=r.count + 1,
                first_at=func.coalesce(r.first_at, now),
                last_at=now,
            )
        )
        return False
    details = {**refusal.details, "reason": refusal.reason[:500], "source": refusal.source}
    emit(
        node,
        conn,
        actor=refusal.actor,
        action=refusal.action,
        obj=refusal.obj,
        outcome=refusal.outcome,
        details=details,
    )
    conn.execute(
        insert(audit_refusals).values(
            key=key,
            source=refusal.source,
            window_start=now,
            count=0,
            event=json.dumps(kind, sort_keys=True),
        )
    )
    return True


def _kinds_of(conn: Connection, source: str) -> int:
    r = audit_refusals.c
    return int(conn.execute(select(func.count()).where(r.source == source)).scalar() or 0)


def flush_due(node: Node, conn: Connection) -> int:
    """Append the counted events of every window that has passed, oldest first, and forget
    those windows. Returns how many counted events were appended."""
    r = audit_refusals.c
    due = conn.execute(
        select(r.key, r.count, r.first_at, r.last_at, r.event)
        .where(r.window_start <= node.clock() - WINDOW)
        .order_by(r.window_start, r.key)
    ).all()
    appended = 0
    for key, count, first_at, last_at, event in due:
        if count:
            kind = json.loads(event)
            first, last = _utc(first_at), _utc(last_at)
            emit(
                node,
                conn,
                actor=kind["actor"],
                action=kind["action"],
                obj=kind["obj"],
                outcome=kind["outcome"],
                details={
                    "reason": kind["reason"],
                    "source": kind["source"],
                    "count": int(count),
                    "first": format_time(first) if first else None,
                    "last": format_time(last) if last else None,
                },
            )
            appended += 1
        conn.execute(delete(audit_refusals).where(r.key == key))
    return appended
