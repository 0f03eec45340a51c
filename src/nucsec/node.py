"""A node: one government's nucsec installation in ``$NUCSEC_HOME``.

The node directory holds ``node.toml`` (identity and settings), ``keys/`` (the Ed25519
signing key, never in the database), ``nucsec.db`` (SQLite, unless
``NUCSEC_DATABASE_URL`` names another database) and ``files/`` (attachments).
:class:`Node` is what every operation is handed: settings, database, identity, key,
marking context, clock, its record kinds and the subscribers to its writes.
:func:`create_home` writes a new node's directory and :func:`read_identity` reads it;
:mod:`nucsec.assembly` builds the :class:`Node` (``init_node``, ``open_node``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.engine import Engine

from nucsec.audit import keys
from nucsec.errors import ConfigurationError, InputError
from nucsec.markings.context import MarkingContext, context_for
from nucsec.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from nucsec.audit.events import AuditEvent
    from nucsec.audit.group import GroupCommit
    from nucsec.audit.log import AuditLog
    from nucsec.markings import Label
    from nucsec.service.kinds import KindRegistry
    from nucsec.store.records import RecordRow

__all__ = [
    "Node",
    "Subscriber",
    "create_home",
    "marking_context",
    "read_identity",
    "utcnow",
]

#: ``subscriber(node, conn, kind, row, banner)``: told of every version written, in the
#: writing transaction (federation's outbox is one; see :mod:`nucsec.assembly`)
Subscriber = Callable[["Node", "Connection", str, "RecordRow", "Label"], object]


def utcnow() -> dt.datetime:
    """The wall clock, in UTC. Adapters pass it to pure cores; tests replace it."""
    return dt.datetime.now(dt.UTC)


@dataclass
class Node:
    """One node: what every operation is handed (see the module docstring)."""

    settings: Settings
    engine: Engine
    nation: str
    name: str
    origin: str
    key: Ed25519PrivateKey
    ctx: MarkingContext
    kinds: KindRegistry  # its record kinds (nucsec.service.registry)
    subscribers: tuple[Subscriber, ...] = ()  # told of every version written
    joint: bool = False  # hosts users of every agreement nation (single-node demo)
    clock: Callable[[], dt.datetime] = field(default=utcnow)

    @cached_property
    def audit(self) -> AuditLog:
        from nucsec.audit.log import AuditLog

        return AuditLog(
            origin=self.origin,
            key=self.key,
            checkpoint_every=self.settings.checkpoint_every,
            checkpoint_seconds=self.settings.checkpoint_seconds,
            clock=self.clock,
        )

    @cached_property
    def read_audit(self) -> GroupCommit:
        """Where reads append their events: one write transaction for those of concurrent
        threads (see :mod:`nucsec.audit.group`)."""
        from nucsec.audit.group import GroupCommit
        from nucsec.store.scope import connection

        def commit(events: list[AuditEvent]) -> None:
            # through the leader's request scope, if any (nucsec.store.scope)
            with connection(self.engine) as conn, conn.begin():
                self.audit.append(conn, events)

        return GroupCommit(commit)

    @property
    def demo(self) -> bool:
        return self.settings.demo

    def public_key_pem(self) -> bytes:
        return keys.public_key_pem(self.key.public_key())

    def subkey(self, purpose: str) -> bytes:
        """A secret for one purpose (HMAC key), derived from the node's private key:
        SHA-256 of ``purpose``, a NUL byte and the raw key."""
        return hashlib.sha256(purpose.encode() + b"\0" + self.key.private_bytes_raw()).digest()

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Node:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def marking_context(settings: Settings) -> MarkingContext:
    """The node's marking data: ``settings.markings_dir`` if set, else the shipped data."""
    return context_for(settings.markings_dir)


def read_identity(settings: Settings) -> dict[str, Any]:
    """The ``[node]`` table of ``node.toml`` (nation, name, origin, joint, ...)."""
    path = settings.node_file
    if not path.exists():
        raise ConfigurationError(
            f"no node at {settings.home}: run `nucsec init` (or set NUCSEC_HOME)"
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"{path}: {exc}") from exc
    node = data.get("node", {})
    for key in ("nation", "name", "origin"):
        if not isinstance(node.get(key), str):
            raise ConfigurationError(f"{path}: [node] needs `{key}`")
    return dict(node)


def create_home(
    settings: Settings, nation: str, *, demo: bool = False, joint: bool = False
) -> tuple[dict[str, Any], Ed25519PrivateKey, MarkingContext]:
    """Create a node's directory: ``files/``, the signing key, ``node.toml``.

    Returns the identity written, the key and the marking context; the database schema
    and the :class:`Node` are :func:`nucsec.assembly.init_node`'s.
    """
    ctx = marking_context(settings)
    nation = nation.strip().upper()
    if not ctx.is_nation(nation):
        known = ", ".join(sorted(ctx.nations))
        raise InputError(f"unknown nation {nation!r} (known: {known})", field="nation")
    if settings.node_file.exists():
        raise ConfigurationError(f"a node already exists at {settings.home}")
    settings.home.mkdir(parents=True, exist_ok=True)
    (settings.home / "files").mkdir(exist_ok=True)
    key = keys.generate_key(settings.home / "keys")
    name = nation.lower()
    kid = keys.key_id(name, key.public_key()).hex()
    origin = f"nucsec.{name}/{kid}"
    created = utcnow().isoformat(timespec="seconds")
    markings = ""
    if settings.markings_dir:  # kept, so that every later run reads the same marking data
        path = str(Path(settings.markings_dir).resolve())
        markings = f"markings_dir = {json.dumps(path, ensure_ascii=False)}\n"
    settings.node_file.write_text(
        "# nucsec node identity. Keys live in keys/, never in the database.\n"
        f'[node]\nnation = "{nation}"\nname = "{name}"\norigin = "{origin}"\n'
        f'created = "{created}"\njoint = {"true" if joint else "false"}\n\n'
        f"[settings]\ndemo = {'true' if demo else 'false'}\n{markings}",
        encoding="utf-8",
    )
    identity = {"nation": nation, "name": name, "origin": origin, "joint": joint}
    return identity, key, ctx
