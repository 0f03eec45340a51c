"""What auditors see of the audit log: recent events, queries and ``verify`` (adapter over
:mod:`nucsec.audit`; reading the log is itself an audited act).

Events name records by id (``document:<uuid>``, listed ``ids``). An auditor's clearance
does not cover every record, and a record the caller may not see must not even be named,
so events about records the auditor may not read (as the reference monitor decides) are
reduced to who, when, action and outcome (:mod:`nucsec.service.auditor_view`), and every
record id left in what the web shows is replaced by a stable keyed pseudonym
(``ref:<16 hex>``, HMAC-SHA-256 under a key derived from the node key): events about the
same record still line up, but the id is not revealed. User ids stay (and are shown with
their user names); the log itself, and ``verify``, are untouched.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from nucsec.audit.queries import EventFilter
from nucsec.errors import NotFoundError
from nucsec.node import Node
from nucsec.service.auditor_view import for_auditor
from nucsec.service.refusals import flush_due
from nucsec.service.trail import emit
from nucsec.service.users import list_users

__all__ = [
    "EXPORT_LIMIT",
    "export",
    "last_verification",
    "pseudonymiser",
    "query",
    "recent_events",
    "search",
    "shown_to",
    "status",
    "verify",
    "verify_in_background",
]

#: events one export holds at most (newest first); narrow the filter for older ones
EXPORT_LIMIT = 10_000

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def pseudonymiser(node: Node, keep: set[str]) -> Callable[[Any], Any]:
    """A function replacing every UUID not in ``keep`` by its keyed pseudonym, anywhere
    in a JSON-like value."""
    key = node.subkey("nucsec audit-view pseudonym")

    def name(match: re.Match[str]) -> str:
        value = match.group(0)
        if value in keep:
            return value
        return "ref:" + hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:16]

    def walk(value: Any) -> Any:
        if isinstance(value, str):
            return _UUID.sub(name, value)
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        return value

    return walk


def shown_to(
    node: Node, conn: Any, auditor_id: str, events: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """``events`` as the auditor ``auditor_id`` may see them: reduced where the monitor
    says so (:mod:`nucsec.service.auditor_view`), then every remaining record id
    pseudonymised; user ids kept (with the user name in ``actor_name``)."""
    users = list_users(conn)
    names = {u.id: u.username for u in users}
    auditor = next((u.principal for u in users if u.id == auditor_id), None)
    if auditor is None:  # pragma: no cover - callers are signed-in auditors
        raise NotFoundError(f"no auditor {auditor_id!r}", field="actor")
    walk = pseudonymiser(node, set(names))
    out = []
    for event in for_auditor(node, conn, auditor, events):
        shown = walk(event)
        shown["actor_name"] = names.get(event["actor"], event["actor"])
        out.append(shown)
    return out


def recent_events(node: Node, actor: str, limit: int = 50) -> list[dict[str, Any]]:
    """The newest ``limit`` events, newest first (audited as ``audit.read``)."""
    from nucsec.audit.events import decode_event
    from nucsec.audit.queries import get_event, tree_size

    with node.engine.begin() as conn:
        flush_due(node, conn)  # counted refusals whose window passed go in first
        size = tree_size(conn)
        out = []
        for seq in range(size - 1, max(-1, size - 1 - limit), -1):
            body, _leaf = get_event(conn, seq)
            out.append({"seq": seq, **decode_event(body).to_dict()})
        emit(node, conn, actor=actor, action="audit.read", details={"view": "recent", "size": size})
        return shown_to(node, conn, actor, out)


def query(
    node: Node, actor: str, *, who: str | None, since: datetime | None, limit: int
) -> dict[str, Any]:
    """Events by ``who`` at or after ``since``, oldest first (audited)."""
    from nucsec.audit.queries import query_events

    with node.engine.begin() as conn:
        flush_due(node, conn)
        events, more = query_events(conn, actor=who, since=since, limit=limit)
        items = shown_to(node, conn, actor, [e.to_dict() for e in events])
        emit(
            node,
            conn,
            actor=actor,
            action="audit.read",
            details={"view": "query", "actor": who, "limit": limit, "returned": len(events)},
        )
    return {"items": items, "more": more}


def status(node: Node) -> dict[str, Any]:
    """Size of the log and its latest checkpoint (not audited: no event content)."""
    from nucsec.audit.queries import latest_checkpoint, tree_size

    with node.engine.connect() as conn:
        size = tree_size(conn)
        cp = latest_checkpoint(conn)
    return {
        "size": size,
        "checkpoint_size": cp.checkpoint.tree_size if cp else None,
        "checkpoint_time": cp.checkpoint.time.isoformat() if cp else None,
        "checkpoint_root": cp.checkpoint.root_hash.hex() if cp else None,
    }


def verify(node: Node, actor: str) -> dict[str, Any]:
    """Recompute the log and check every checkpoint (audited as ``audit.verify``)."""
    from nucsec.audit.verify import verify_log

    with node.engine.begin() as conn:
        report = verify_log(conn, origin=node.origin, public_keys=[node.key.public_key()])
        emit(
            node,
            conn,
            actor=actor,
            action="audit.verify",
            outcome="success" if report.ok else "failure",
            details={"events": report.events, "problems": len(report.problems)},
        )
    return report.to_dict()


def search(
    node: Node,
    actor: str,
    flt: EventFilter,
    *,
    record_ref: str | None = None,
    before: int | None = None,
    limit: int = 50,
    view: str = "search",
) -> dict[str, Any]:
    """A page of events matching ``flt`` as the auditor may see them, newest first, and
    the cursor of the next page (audited as ``audit.read``).

    ``record_ref`` (a ``ref:`` pseudonym as the page shows them) keeps the events that
    name that record *in what the auditor is shown*: an event reduced for the auditor
    never matches, so the filter reveals nothing the page would not.
    """
    from nucsec.audit.queries import search_events

    with node.engine.begin() as conn:
        flush_due(node, conn)
        items: list[dict[str, Any]] = []
        cursor, scanned, following = before, 0, None
        batch_size = 500 if record_ref else limit
        while scanned < _SCAN_LIMIT:
            batch, nxt = search_events(conn, flt, before=cursor, limit=batch_size)
            scanned += len(batch)
            for event in shown_to(node, conn, actor, [e.to_dict() for e in batch]):
                if not record_ref or _names(event, record_ref):
                    items.append(event)
                    if len(items) == limit:
                        break
            if len(items) == limit:
                following = items[-1]["seq"]  # the next page: older than the last shown
                break
            if nxt is None:
                following = None
                break
            cursor = following = nxt  # the scan limit stops here: continue from here
        emit(
            node,
            conn,
            actor=actor,
            action="audit.read",
            details={"view": view, **_filter_details(flt, record_ref), "returned": len(items)},
        )
    return {"items": items, "next": following, "scanned": scanned}


def export(
    node: Node, actor: str, flt: EventFilter, *, record_ref: str | None = None
) -> list[dict[str, Any]]:
    """Up to :data:`EXPORT_LIMIT` events matching the filter, newest first, as the auditor
    may see them (one ``audit.read`` event with ``"view": "export"``)."""
    page = search(node, actor, flt, record_ref=record_ref, limit=EXPORT_LIMIT, view="export")
    return list(page["items"])


def _names(event: dict[str, Any], ref: str) -> bool:
    return ref in json.dumps(event)


def _filter_details(flt: EventFilter, record_ref: str | None) -> dict[str, Any]:
    out = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in vars(flt).items()}
    return {"filter": {k: v for k, v in {**out, "record": record_ref}.items() if v}}


_SCAN_LIMIT = 50_000  # events one search reads at most (a record filter scans)
_VERIFYING: dict[str, threading.Thread] = {}  # node origin -> its running verification


def verify_in_background(node: Node, actor: str) -> bool:
    """Start :func:`verify` in a thread unless one runs for this node; whether it started.
    Its result is the ``audit.verify`` event it appends (:func:`last_verification`)."""
    running = _VERIFYING.get(node.origin)
    if running is not None and running.is_alive():
        return False
    thread = threading.Thread(target=verify, args=(node, actor), name="audit-verify", daemon=True)
    _VERIFYING[node.origin] = thread
    thread.start()
    return True


def verification_running(node: Node) -> bool:
    running = _VERIFYING.get(node.origin)
    return running is not None and running.is_alive()


def last_verification(node: Node) -> dict[str, Any] | None:
    """The newest ``audit.verify`` event: when, by whom, its outcome, events checked and
    problems found (the stored result of the last verification), or None."""
    from nucsec.audit.queries import EventFilter as Filter
    from nucsec.audit.queries import search_events

    with node.engine.connect() as conn:
        found, _ = search_events(conn, Filter(action="audit.verify"), limit=1)
        if not found:
            return None
        names = {u.id: u.username for u in list_users(conn)}
    event = found[0].to_dict()
    return {**event, "actor_name": names.get(event["actor"], event["actor"])}
