"""The one path from the application to the audit log.

Services call :func:`emit` with the connection of their transaction, so an event commits
or rolls back with the change it records. Reads use :func:`reading`: the data is read in
a read-only transaction (:func:`nucsec.store.scope.read_transaction`: on SQLite it does
not hold the write lock, so reads run side by side; on PostgreSQL it needs no ``BEGIN``),
its events are buffered in a :class:`Recorder` and appended in a short write transaction
(shared with the reads of other threads: :mod:`nucsec.audit.group`) that commits before
anything is returned to the caller. Events hold references and hashes, never protected
content.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection

from nucsec.node import Node
from nucsec.store.scope import read_transaction, release_scope

__all__ = ["Recorder", "Sink", "digest", "emit", "reading"]


class Recorder:
    """Events waiting for their write transaction (see :func:`reading`)."""

    def __init__(self) -> None:
        self.events: list[Any] = []


#: where an event goes: a connection (appended now) or a recorder (appended when the read ends)
Sink = Connection | Recorder


@contextmanager
def reading(node: Node) -> Iterator[tuple[Connection, Recorder]]:
    """A read-only transaction and a recorder for its events; the events are appended
    (and committed) when the block ends normally, before the caller returns any data."""
    recorder = Recorder()
    with read_transaction(node.engine) as conn:  # the request's connection, if it has one
        yield conn, recorder
    release_scope()  # not held idle while this thread waits for the group commit
    node.read_audit.append(recorder.events)  # group commit: see nucsec.audit.group


def digest(text: str) -> str:
    """``sha256:<hex>`` of a text: how events refer to content they must not contain and
    that is not guessable (a whole export). For short, guessable values use :func:`keyed`."""
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def keyed(node: Node, text: str) -> str:
    """``hmac:<hex>`` of a short, guessable value (a label, a search, a user name, a file's
    hash) under a key derived from the node's private key: the node can match it, a reader
    of the log cannot recover the value by trying candidates."""
    key = node.subkey("nucsec audit pseudonym v1")
    return "hmac:" + hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def emit(
    node: Node,
    conn: Sink,
    *,
    actor: str,
    action: str,
    obj: str | None = None,
    outcome: str = "success",
    details: dict[str, Any] | None = None,
) -> None:
    """Append one event to the node's audit log in the caller's transaction (or to a
    recorder, appended when its read ends).

    ``action`` is one of :data:`nucsec.audit.events.ACTIONS`; ``outcome`` is ``success``,
    ``failure`` or ``denied``.
    """
    from nucsec.audit.events import AuditEvent

    event = AuditEvent(
        time=node.clock(),
        actor=actor,
        action=action,
        object_ref=obj,
        outcome=outcome,
        details=details or {},
    )
    if isinstance(conn, Recorder):
        conn.events.append(event)
    else:
        node.audit.append(conn, [event])
