"""Federation peers: partner nodes with pinned keys (and plain TAXII sources).

A ``nucsec`` peer is a national node: its Ed25519 public key is pinned at ``peer add``;
its signed requests are recognised by the key's RFC 7638 thumbprint, and it reads one
collection here (its outbox). A ``taxii`` peer is a plain TAXII 2.1 server (e.g. the OASIS
reference server): this node only reads from it, with HTTP basic authentication, and
accepts from it only unclassified TLP:CLEAR material (nothing there is signed).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Connection, insert, select, update

from nucsec.audit.keys import parse_public_key, public_key_pem
from nucsec.errors import ConflictError, InputError, NotFoundError
from nucsec.federation.jws import thumbprint
from nucsec.federation.tables import exchange_peers
from nucsec.node import Node
from nucsec.policy import Principal
from nucsec.service.trail import emit

__all__ = [
    "PEER_KINDS",
    "Peer",
    "add_peer",
    "get_peer",
    "list_peers",
    "peer_by_thumbprint",
    "peer_principal",
    "remove_peer",
]

PEER_KINDS = ("nucsec", "taxii")
_NAME = re.compile(r"[a-z][a-z0-9_-]{0,31}")


@dataclass(frozen=True)
class Peer:
    name: str
    nation: str
    url: str
    kind: str
    public_key_pem: str | None
    key_thumbprint: str | None
    collection_id: str
    remote_collection: str | None
    basic_user: str | None
    password_file: str | None
    active: bool

    @property
    def public_key(self) -> Ed25519PublicKey | None:
        if self.public_key_pem is None:
            return None
        return parse_public_key(self.public_key_pem.encode())

    @property
    def actor(self) -> str:
        """The pseudonymous id of the peer in audit events."""
        return f"peer:{self.name}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "nation": self.nation,
            "url": self.url,
            "kind": self.kind,
            "key_thumbprint": self.key_thumbprint,
            "collection": self.collection_id,
            "active": self.active,
        }


_COLUMNS = (
    exchange_peers.c.name,
    exchange_peers.c.nation,
    exchange_peers.c.url,
    exchange_peers.c.kind,
    exchange_peers.c.public_key,
    exchange_peers.c.key_thumbprint,
    exchange_peers.c.collection_id,
    exchange_peers.c.remote_collection,
    exchange_peers.c.basic_user,
    exchange_peers.c.password_file,
    exchange_peers.c.active,
)


def _peer(row: Any) -> Peer:
    return Peer(*row)


def peer_principal(node: Node, nation: str, name: str) -> Principal:
    """A partner nation as the reference monitor sees it when releasing to it."""
    scheme = node.ctx.schemes[nation]
    return Principal.create(
        id=f"peer:{name}",
        nation=nation,
        agency=None,
        clearance=scheme.levels[-1].name,
        compartments=node.ctx.compartments,
        roles=["peer"],
        kind="peer",
    )


def _check_url(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
        raise InputError(f"peer URL must be http(s)://host[:port][/path]: {url!r}", field="url")
    return url.strip().rstrip("/")


def _check_nation(node: Node, nation: str) -> str:
    nation = nation.strip().upper()
    if not node.ctx.is_nation(nation):
        raise InputError(f"unknown nation {nation!r}", field="nation", value=nation)
    if nation == node.nation:
        raise InputError(f"a peer of a {node.nation} node is another nation", field="nation")
    if not any(
        nation in t.nations and node.nation in t.nations for t in node.ctx.agreements.values()
    ):
        raise InputError(
            f"no agreement between {node.nation} and {nation} in the marking data",
            field="nation",
            value=nation,
        )
    return nation


def add_peer(
    node: Node,
    conn: Connection,
    *,
    name: str,
    nation: str,
    url: str,
    public_key: bytes | None,
    kind: str = "nucsec",
    basic_user: str | None = None,
    password_file: Path | None = None,
    actor: str = "operator",
) -> Peer:
    """Register a partner (audited). ``public_key`` is required for a nucsec peer."""
    if not _NAME.fullmatch(name):
        raise InputError("peer name: lower-case letters, digits, '-', '_'", field="name")
    if kind not in PEER_KINDS:
        raise InputError(f"peer kind must be one of {', '.join(PEER_KINDS)}", field="kind")
    nation = _check_nation(node, nation)
    url = _check_url(url)
    key_pem = thumb = None
    if kind == "nucsec":
        if public_key is None:
            raise InputError("a nucsec peer needs --public-key", field="public_key")
        key = parse_public_key(public_key)
        if thumbprint(key) == thumbprint(node.key.public_key()):
            raise InputError("that is this node's own public key", field="public_key")
        key_pem, thumb = public_key_pem(key).decode(), thumbprint(key)
    elif password_file is not None and not password_file.is_file():
        raise InputError(f"no password file at {password_file}", field="password_file")
    previous = get_peer(conn, name, active_only=False)
    if previous is not None and previous.active:
        raise ConflictError(f"peer {name!r} exists (remove it first)", field="name", value=name)
    if previous is not None and previous.nation != nation:
        raise ConflictError(f"peer {name!r} was a {previous.nation} peer", field="nation")
    if (
        thumb
        and conn.execute(
            select(exchange_peers.c.name).where(exchange_peers.c.key_thumbprint == thumb)
        ).first()
    ):
        raise ConflictError("another peer already pins this key", field="public_key")
    now = node.clock()
    values = {
        "nation": nation,
        "url": url,
        "kind": kind,
        "public_key": key_pem,
        "key_thumbprint": thumb,
        "remote_collection": None,
        "basic_user": basic_user,
        "password_file": str(password_file.resolve()) if password_file else None,
        "active": True,
        "updated_at": now,
    }
    if previous is None:
        conn.execute(
            insert(exchange_peers).values(
                name=name, collection_id=str(uuid.uuid4()), added_at=now, **values
            )
        )
    else:  # re-activated: same outbox collection, new key and address
        conn.execute(update(exchange_peers).where(exchange_peers.c.name == name).values(**values))
    emit(
        node,
        conn,
        actor=actor,
        action="peer.change",
        obj=f"peer:{name}",
        details={"change": "add", "nation": nation, "kind": kind, "key": thumb},
    )
    peer = get_peer(conn, name)
    if peer is None:  # pragma: no cover - just inserted
        raise NotFoundError(f"peer {name} vanished")
    return peer


def remove_peer(node: Node, conn: Connection, name: str, *, actor: str = "operator") -> Peer:
    """Deactivate a peer: its collection becomes unreadable; history is kept (audited)."""
    peer = get_peer(conn, name)
    if peer is None:
        raise NotFoundError(f"no active peer {name!r}", field="name", value=name)
    conn.execute(
        update(exchange_peers)
        .where(exchange_peers.c.name == name)
        .values(active=False, key_thumbprint=None, updated_at=node.clock())
    )
    emit(
        node,
        conn,
        actor=actor,
        action="peer.change",
        obj=f"peer:{name}",
        details={"change": "remove", "nation": peer.nation, "key": peer.key_thumbprint},
    )
    return peer


def get_peer(conn: Connection, name: str, *, active_only: bool = True) -> Peer | None:
    query = select(*_COLUMNS).where(exchange_peers.c.name == name)
    if active_only:
        query = query.where(exchange_peers.c.active.is_(True))
    row = conn.execute(query).first()
    return _peer(row) if row else None


def list_peers(conn: Connection, *, active_only: bool = True) -> list[Peer]:
    query = select(*_COLUMNS).order_by(exchange_peers.c.name)
    if active_only:
        query = query.where(exchange_peers.c.active.is_(True))
    return [_peer(r) for r in conn.execute(query)]


def peer_by_thumbprint(conn: Connection, thumb: str) -> Peer | None:
    row = conn.execute(
        select(*_COLUMNS).where(
            exchange_peers.c.key_thumbprint == thumb,
            exchange_peers.c.active.is_(True),
            exchange_peers.c.kind == "nucsec",
        )
    ).first()
    return _peer(row) if row else None


def set_remote_collection(conn: Connection, name: str, url: str) -> None:
    conn.execute(
        update(exchange_peers).where(exchange_peers.c.name == name).values(remote_collection=url)
    )
