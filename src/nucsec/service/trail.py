"""The one path from the application to the audit log.

Services call :func:`emit` inside their transaction, so an event commits or rolls back
with the change it records. Events hold references and hashes, never protected content.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import Connection

from nucsec.node import Node

__all__ = ["digest", "emit"]


def digest(text: str) -> str:
    """``sha256:<hex>`` of a text: how events refer to content they must not contain."""
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def emit(
    node: Node,
    conn: Connection,
    *,
    actor: str,
    action: str,
    obj: str | None = None,
    outcome: str = "success",
    details: dict[str, Any] | None = None,
) -> None:
    """Append one event to the node's audit log in the caller's transaction.

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
    node.audit.append(conn, [event])
