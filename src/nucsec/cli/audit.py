"""``nucsec audit ...``: verify the log, prove events and consistency, read it as an auditor.

Exit codes: 0 intact / verified; 5 (integrity) when the log or a proof does not verify,
after printing the report; 2 bad input; 3 not an auditor; 4 no such event.
"""

from __future__ import annotations

import base64
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from nucsec.cli._common import emit, json_option, to_json
from nucsec.errors import AccessDenied, InputError, IntegrityError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from nucsec.node import Node

__all__ = ["audit_group"]


def _open_node() -> Node:
    from nucsec.assembly import open_node

    return open_node()


def _keys(node: Node, extra: tuple[Path, ...]) -> list[Ed25519PublicKey]:
    """The node's current public key plus retired ones given with ``--key``."""
    from nucsec.audit.keys import load_public_key

    return [node.key.public_key(), *(load_public_key(p) for p in extra)]


def _b64(h: bytes) -> str:
    return base64.b64encode(h).decode()


@click.group("audit")
def audit_group() -> None:
    """The verifiable audit log: verify, prove, check proofs, read."""


# -- verify ----------------------------------------------------------------------------------


def _verify_text(r: dict[str, Any]) -> str:
    lines = [
        f"events: {r['events']}  checkpoints: {r['checkpoints']}  "
        f"latest checkpoint size: {r['latest_checkpoint_size']}",
        f"root: {r['root_hash']}",
    ]
    if r["ok"]:
        lines.append("intact: every event, tree node and checkpoint verifies")
    else:
        lines.append(f"NOT INTACT - first event that does not match: {r['first_bad_event']}")
        lines += [f"  [{p['kind']}] {p['message']}" for p in r["problems"]]
        if r["more_problems"]:
            lines.append(f"  ... and {r['more_problems']} more")
    return "\n".join(lines)


@audit_group.command("verify")
@click.option(
    "--key",
    "keys",
    multiple=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="also trust this (retired) node public key; repeatable",
)
@json_option
def verify_cmd(keys: tuple[Path, ...], as_json: bool) -> None:
    """Recompute the tree from the table and check every checkpoint; exit 5 if not intact."""
    from nucsec.audit.verify import verify_log

    node = _open_node()
    try:
        with node.engine.connect() as conn:
            if conn.dialect.name == "postgresql":  # one snapshot for the whole pass
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                report = verify_log(conn, origin=node.origin, public_keys=_keys(node, keys))
    finally:
        node.close()
    data = report.to_dict()
    emit(data, as_json, _verify_text)
    if not report.ok:
        first = report.problems[0]
        raise IntegrityError(
            f"the audit log does not verify: {first.message}",
            field="event",
            value=report.first_bad_event,
        )


# -- prove -----------------------------------------------------------------------------------


@audit_group.command("prove")
@click.option("--event", "seq", type=int, required=True, help="sequence number (from 0)")
@json_option
def prove_cmd(seq: int, as_json: bool) -> None:
    """Print an inclusion proof of event N against the latest checkpoint.

    If the event is newer than the latest checkpoint, a checkpoint is written first.
    The output is the proof document for `nucsec audit check-proof`.
    """
    from nucsec.audit import queries as audit_log
    from nucsec.audit.proofs import inclusion_document

    if seq < 0:
        raise InputError("event numbers start at 0", field="event", value=seq)
    node = _open_node()
    try:
        with node.engine.begin() as conn:
            body, _ = audit_log.get_event(conn, seq)
            latest = audit_log.latest_checkpoint(conn)
            if latest is None or latest.checkpoint.tree_size <= seq:
                latest = node.audit.checkpoint(conn)
            path = audit_log.prove_inclusion(conn, seq, latest.checkpoint.tree_size)
    finally:
        node.close()
    emit(inclusion_document(seq, body, path, latest.note), as_json, to_json)


# -- check-proof -----------------------------------------------------------------------------


def _local_public_key() -> Path:
    from nucsec.audit.keys import PUBLIC_KEY_FILE
    from nucsec.settings import load

    return load().home / "keys" / PUBLIC_KEY_FILE


@audit_group.command("check-proof")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, allow_dash=True))
@click.option(
    "--key",
    "key_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="the node's public key (PEM or base64); default: this node's",
)
@click.option("--origin", default=None, help="require this checkpoint origin")
@json_option
def check_proof_cmd(file: Path, key_path: Path | None, origin: str | None, as_json: bool) -> None:
    """Verify an inclusion proof offline with only the node's public key."""
    from nucsec.audit.keys import load_public_key
    from nucsec.audit.proofs import check_inclusion

    try:
        text = sys.stdin.read() if str(file) == "-" else file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {file}: {exc}", field="file") from exc
    key = load_public_key(key_path or _local_public_key())
    result = check_inclusion(text, [key], origin).to_dict()

    def human(r: dict[str, Any]) -> str:
        ev = r["event_data"]
        return (
            f"verified: event {r['event']} is in the log {r['origin']} of {r['tree_size']} "
            f"events (checkpoint signed {r['checkpoint_time']})\n"
            f"  {ev['time']} {ev['actor']} {ev['action']} {ev['object']} -> {ev['outcome']}"
        )

    emit(result, as_json, human)


# -- consistency -----------------------------------------------------------------------------


@audit_group.command("consistency")
@click.option("--from", "first", type=int, required=True, help="earlier tree size")
@click.option("--to", "second", type=int, required=True, help="later tree size")
@json_option
def consistency_cmd(first: int, second: int, as_json: bool) -> None:
    """Print and check a consistency proof between two tree sizes.

    Roots come from signed checkpoints of those sizes when they exist (``signed``),
    otherwise from the stored tree.
    """
    from nucsec.audit import queries as audit_log
    from nucsec.audit.checkpoint import open_checkpoint
    from nucsec.audit.merkle import verify_consistency

    if not 0 < first <= second:
        raise InputError("sizes must satisfy 0 < --from <= --to", field="from", value=first)
    node = _open_node()
    try:
        with node.engine.begin() as conn:
            size = audit_log.tree_size(conn)
            if second > size:
                raise InputError(f"the log has {size} events", field="to", value=second)
            roots, signed = {}, {}
            for n in (first, second):
                stored = audit_log.checkpoint_at(conn, n)
                signed[n] = stored is not None
                roots[n] = (
                    open_checkpoint(stored.note, [node.key.public_key()], node.origin).root_hash
                    if stored is not None
                    else audit_log.root(conn, n)
                )
            proof = audit_log.prove_consistency(conn, first, second)
    finally:
        node.close()
    ok = verify_consistency(first, second, roots[first], roots[second], proof)
    data = {
        "from": first,
        "to": second,
        "from_root": _b64(roots[first]),
        "to_root": _b64(roots[second]),
        "from_signed": signed[first],
        "to_signed": signed[second],
        "consistency_path": [_b64(h) for h in proof],
        "verified": ok,
    }

    def human(d: dict[str, Any]) -> str:
        lines = [
            f"from {d['from']}: {d['from_root']}{' (signed)' if d['from_signed'] else ''}",
            f"to   {d['to']}: {d['to_root']}{' (signed)' if d['to_signed'] else ''}",
            "proof:",
            *(f"  {h}" for h in d["consistency_path"]),
            "consistent" if d["verified"] else "NOT CONSISTENT",
        ]
        return "\n".join(lines)

    emit(data, as_json, human)
    if not ok:
        raise IntegrityError(
            f"the tree of {second} events is not consistent with the tree of {first}",
            field="from",
            value=first,
        )


# -- log -------------------------------------------------------------------------------------


def _parse_since(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InputError(f"--since {text!r} is not an ISO date or time", field="since") from exc
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _require_auditor(node: Node, username: str) -> str:
    """THE role check of ``audit log``: the acting user must hold the ``auditor`` role.

    Returns the principal id (the pseudonymous actor recorded in the log). A refusal is
    itself recorded (``audit.read`` / ``denied``) before :class:`AccessDenied` is raised.
    """
    from nucsec.audit.events import AuditEvent
    from nucsec.service.users import principal_of

    principal = principal_of(node, username)
    if "auditor" in principal.roles:
        return principal.id
    with node.engine.begin() as conn:
        node.audit.append(
            conn,
            [
                AuditEvent(
                    node.clock(),
                    principal.id,
                    "audit.read",
                    "audit:log",
                    "denied",
                    {"reason": "not_auditor"},
                )
            ],
        )
    raise AccessDenied(f"{username} is not an auditor", field="user", value=username)


def _log_text(d: dict[str, Any]) -> str:
    lines = [
        f"{e['seq']:>8} {e['time']} {e['actor']:<36} {e['action']:<18} "
        f"{e['object'] or '-'} {e['outcome']}"
        for e in d["events"]
    ]
    lines.append(
        f"({len(d['events'])} events{'; more match: narrow with --since' if d['more'] else ''})"
    )
    return "\n".join(lines)


@audit_group.command("log")
@click.option("--user", "user", default=None, help="only events of this principal id")
@click.option("--since", default=None, help="only events at or after this ISO date/time (UTC)")
@click.option("--limit", type=click.IntRange(1, 10_000), default=1000, show_default=True)
@click.option("--as", "as_user", required=True, help="the auditor reading the log")
@json_option
def log_cmd(user: str | None, since: str | None, limit: int, as_user: str, as_json: bool) -> None:
    """List audit events (an audited read, for auditors only)."""
    from nucsec.audit import queries as audit_log
    from nucsec.audit.events import AuditEvent
    from nucsec.service.refusals import flush_due
    from nucsec.web.audit_view import shown_to

    since_dt = _parse_since(since)
    node = _open_node()
    try:
        actor = _require_auditor(node, as_user)
        with node.engine.begin() as conn:
            flush_due(node, conn)  # counted refusals whose window passed go in first
            found, more = audit_log.query_events(conn, actor=user, since=since_dt, limit=limit)
            shown = shown_to(node, conn, actor, [e.to_dict() for e in found])
            query = {
                "user": user,
                "since": None if since_dt is None else since_dt.isoformat(),
                "limit": limit,
            }
            node.audit.append(
                conn,
                [
                    AuditEvent(
                        node.clock(),
                        actor,
                        "audit.read",
                        "audit:log",
                        "success",
                        {"query": query, "ids": [e.seq for e in found], "more": more},
                    )
                ],
            )
    finally:
        node.close()
    emit({"events": shown, "more": more}, as_json, _log_text)
