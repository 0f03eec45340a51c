"""Federation tables (on :data:`nucsec.store.db.Base.metadata`).

``exchange_peers``
    partner nodes: nation, URL, pinned Ed25519 public key (PEM) and its RFC 7638
    thumbprint (the ``keyid`` of its signed requests), the id of the outbox collection
    this node serves it, and ``kind`` (``nucsec``: a signed national node; ``taxii``: a
    plain TAXII source from which only TLP:CLEAR material is accepted).
``exchange_outbox``
    one row per STIX object version released to one peer, in release order (``seq``):
    the canonical JSON that is served, its SHA-256, the STIX ``modified`` version and
    the TAXII ``date_added`` (strictly increasing per peer), and the acknowledgement
    time once the peer's signed receipt names it.
``exchange_definitions``
    identities, extension definitions and marking definitions received from a peer
    (markings keep the full label they carry).
``exchange_inbound``
    every object version accepted from a peer (the idempotency key of sync).
``exchange_rejections``
    every object or page refused, with the reason (also in the audit log).
``exchange_cursors``
    where the pull from each peer resumes (TAXII ``added_after``).
``exchange_receipts``
    signed receipts: issued by this node (``out``; ``delivered`` once the peer took it)
    and received from peers (``in``).
``exchange_cosignatures``
    audit checkpoints witnessed: a peer's checkpoint this node cosigned (``witnessed``),
    and this node's checkpoints cosigned by a peer (``ours``).
``exchange_nonces``
    nonces of signed requests seen within the clock-skew window (replay protection).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from nucsec.store.db import Base

__all__ = [
    "EXCHANGE_TABLES",
    "exchange_cosignatures",
    "exchange_cursors",
    "exchange_definitions",
    "exchange_inbound",
    "exchange_nonces",
    "exchange_outbox",
    "exchange_peers",
    "exchange_receipts",
    "exchange_rejections",
]

metadata = Base.metadata
_BIGINT_PK = BigInteger().with_variant(Integer, "sqlite")

exchange_peers = Table(
    "exchange_peers",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("nation", String(3), nullable=False),
    Column("url", Text, nullable=False),
    Column("kind", String(16), nullable=False, default="nucsec"),
    Column("public_key", Text),  # PEM; NULL for a plain TAXII source
    Column("key_thumbprint", String(64), unique=True),
    Column("collection_id", String(36), nullable=False, unique=True),
    Column("remote_collection", Text),  # URL of the peer's collection we read (learned)
    Column("basic_user", String(128)),  # plain TAXII source only
    Column("password_file", Text),  # plain TAXII source only: path, never the secret
    Column("active", Boolean, nullable=False, default=True),
    Column("added_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

exchange_outbox = Table(
    "exchange_outbox",
    metadata,
    Column("seq", _BIGINT_PK, primary_key=True, autoincrement=True),
    Column("peer", String(32), ForeignKey("exchange_peers.name"), nullable=False),
    Column("stix_id", String(128), nullable=False),
    Column("stix_type", String(64), nullable=False),
    Column("record_id", String(36)),  # NULL for definitions (markings, identities...)
    Column("record_version", Integer),
    Column("revoked", Boolean, nullable=False, default=False),
    Column("modified", String(32), nullable=False),  # STIX version (timestamp text)
    Column("date_added", String(32), nullable=False),  # TAXII date_added, increasing
    Column("body", Text, nullable=False),  # RFC 8785 canonical JSON of the object
    Column("sha256", String(64), nullable=False),
    Column("queued_at", DateTime(timezone=True), nullable=False),
    Column("acked_at", DateTime(timezone=True)),
    UniqueConstraint("peer", "stix_id", "modified"),
    Index("ix_exchange_outbox_peer_added", "peer", "date_added"),
    Index("ix_exchange_outbox_peer_record", "peer", "record_id"),
)

exchange_definitions = Table(
    "exchange_definitions",
    metadata,
    Column("peer", String(32), ForeignKey("exchange_peers.name"), primary_key=True),
    Column("stix_id", String(128), primary_key=True),
    Column("stix_type", String(64), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("body", Text, nullable=False),
    Column("label_json", Text),  # marking-definition carrying a nucsec label
    Column("tlp", String(16)),  # TLP 2.0 marking: clear, green, amber, amber+strict, red
    Column("received_at", DateTime(timezone=True), nullable=False),
)

exchange_inbound = Table(
    "exchange_inbound",
    metadata,
    Column("id", _BIGINT_PK, primary_key=True, autoincrement=True),
    Column("peer", String(32), ForeignKey("exchange_peers.name"), nullable=False),
    Column("stix_id", String(128), nullable=False),
    Column("modified", String(32), nullable=False),
    Column("record_id", String(36), nullable=False),
    Column("record_version", Integer),  # the sender's version number
    Column("local_version", Integer, nullable=False),  # the version written here
    Column("revoked", Boolean, nullable=False, default=False),
    Column("sha256", String(64), nullable=False),
    Column("bundle_id", String(64), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("peer", "stix_id", "modified"),
    Index("ix_exchange_inbound_record", "record_id"),
)

exchange_rejections = Table(
    "exchange_rejections",
    metadata,
    Column("id", _BIGINT_PK, primary_key=True, autoincrement=True),
    Column("peer", String(32), nullable=False),
    Column("stix_id", String(128)),  # NULL: the whole page was refused
    Column("modified", String(32)),
    Column("bundle_id", String(64)),
    Column("reason", Text, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Index("ix_exchange_rejections_peer", "peer", "id"),
)

exchange_cursors = Table(
    "exchange_cursors",
    metadata,
    Column("peer", String(32), ForeignKey("exchange_peers.name"), primary_key=True),
    Column("added_after", String(32)),
    Column("pages", Integer, nullable=False, default=0),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

exchange_receipts = Table(
    "exchange_receipts",
    metadata,
    Column("id", _BIGINT_PK, primary_key=True, autoincrement=True),
    Column("peer", String(32), nullable=False),
    Column("direction", String(3), nullable=False),  # "out": we issued it; "in": received
    Column("bundle_id", String(64), nullable=False),
    Column("body", Text, nullable=False),  # canonical JSON of the receipt
    Column("jws", Text, nullable=False),  # detached JWS over the body
    Column("delivered", Boolean, nullable=False, default=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("peer", "direction", "bundle_id"),
)

exchange_cosignatures = Table(
    "exchange_cosignatures",
    metadata,
    Column("id", _BIGINT_PK, primary_key=True, autoincrement=True),
    Column("peer", String(32), nullable=False),
    Column("direction", String(9), nullable=False),  # "witnessed" or "ours"
    Column("tree_size", BigInteger, nullable=False),
    Column("note", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("peer", "direction", "tree_size"),
)

exchange_nonces = Table(
    "exchange_nonces",
    metadata,
    Column("keyid", String(64), primary_key=True),
    Column("nonce", String(64), primary_key=True),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Index("ix_exchange_nonces_expires", "expires_at"),
)

EXCHANGE_TABLES = (
    exchange_peers,
    exchange_outbox,
    exchange_definitions,
    exchange_inbound,
    exchange_rejections,
    exchange_cursors,
    exchange_receipts,
    exchange_cosignatures,
    exchange_nonces,
)
