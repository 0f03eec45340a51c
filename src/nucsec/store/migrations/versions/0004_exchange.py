"""federation: peers, outboxes, inbound objects, cursors, receipts, cosignatures, nonces

Revision ID: 0004_exchange
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_exchange"
down_revision = "0001"
branch_labels = None
depends_on = None

_BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "exchange_peers",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("nation", sa.String(length=3), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("public_key", sa.Text(), nullable=True),
        sa.Column("key_thumbprint", sa.String(length=64), nullable=True),
        sa.Column("collection_id", sa.String(length=36), nullable=False),
        sa.Column("remote_collection", sa.Text(), nullable=True),
        sa.Column("basic_user", sa.String(length=128), nullable=True),
        sa.Column("password_file", sa.Text(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_exchange_peers")),
        sa.UniqueConstraint("collection_id", name=op.f("uq_exchange_peers_collection_id")),
        sa.UniqueConstraint("key_thumbprint", name=op.f("uq_exchange_peers_key_thumbprint")),
    )
    op.create_table(
        "exchange_outbox",
        sa.Column("seq", _BIGINT, autoincrement=True, nullable=False),
        sa.Column("peer", sa.String(length=32), nullable=False),
        sa.Column("stix_id", sa.String(length=128), nullable=False),
        sa.Column("stix_type", sa.String(length=64), nullable=False),
        sa.Column("record_id", sa.String(length=36), nullable=True),
        sa.Column("record_version", sa.Integer(), nullable=True),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.Column("modified", sa.String(length=32), nullable=False),
        sa.Column("date_added", sa.String(length=32), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["peer"], ["exchange_peers.name"], name=op.f("fk_exchange_outbox_peer_exchange_peers")
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_exchange_outbox")),
        sa.UniqueConstraint("peer", "stix_id", "modified", name=op.f("uq_exchange_outbox_peer")),
    )
    op.create_index(
        "ix_exchange_outbox_peer_added", "exchange_outbox", ["peer", "date_added"], unique=False
    )
    op.create_index(
        "ix_exchange_outbox_peer_record", "exchange_outbox", ["peer", "record_id"], unique=False
    )
    op.create_table(
        "exchange_definitions",
        sa.Column("peer", sa.String(length=32), nullable=False),
        sa.Column("stix_id", sa.String(length=128), nullable=False),
        sa.Column("stix_type", sa.String(length=64), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("label_json", sa.Text(), nullable=True),
        sa.Column("tlp", sa.String(length=16), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["peer"],
            ["exchange_peers.name"],
            name=op.f("fk_exchange_definitions_peer_exchange_peers"),
        ),
        sa.PrimaryKeyConstraint("peer", "stix_id", name=op.f("pk_exchange_definitions")),
    )
    op.create_table(
        "exchange_inbound",
        sa.Column("id", _BIGINT, autoincrement=True, nullable=False),
        sa.Column("peer", sa.String(length=32), nullable=False),
        sa.Column("stix_id", sa.String(length=128), nullable=False),
        sa.Column("modified", sa.String(length=32), nullable=False),
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("record_version", sa.Integer(), nullable=True),
        sa.Column("local_version", sa.Integer(), nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("bundle_id", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["peer"], ["exchange_peers.name"], name=op.f("fk_exchange_inbound_peer_exchange_peers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_inbound")),
        sa.UniqueConstraint("peer", "stix_id", "modified", name=op.f("uq_exchange_inbound_peer")),
    )
    op.create_index("ix_exchange_inbound_record", "exchange_inbound", ["record_id"], unique=False)
    op.create_table(
        "exchange_rejections",
        sa.Column("id", _BIGINT, autoincrement=True, nullable=False),
        sa.Column("peer", sa.String(length=32), nullable=False),
        sa.Column("stix_id", sa.String(length=128), nullable=True),
        sa.Column("modified", sa.String(length=32), nullable=True),
        sa.Column("bundle_id", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_rejections")),
    )
    op.create_index(
        "ix_exchange_rejections_peer", "exchange_rejections", ["peer", "id"], unique=False
    )
    op.create_table(
        "exchange_cursors",
        sa.Column("peer", sa.String(length=32), nullable=False),
        sa.Column("added_after", sa.String(length=32), nullable=True),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["peer"], ["exchange_peers.name"], name=op.f("fk_exchange_cursors_peer_exchange_peers")
        ),
        sa.PrimaryKeyConstraint("peer", name=op.f("pk_exchange_cursors")),
    )
    op.create_table(
        "exchange_receipts",
        sa.Column("id", _BIGINT, autoincrement=True, nullable=False),
        sa.Column("peer", sa.String(length=32), nullable=False),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("bundle_id", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("jws", sa.Text(), nullable=False),
        sa.Column("delivered", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_receipts")),
        sa.UniqueConstraint(
            "peer", "direction", "bundle_id", name=op.f("uq_exchange_receipts_peer")
        ),
    )
    op.create_table(
        "exchange_cosignatures",
        sa.Column("id", _BIGINT, autoincrement=True, nullable=False),
        sa.Column("peer", sa.String(length=32), nullable=False),
        sa.Column("direction", sa.String(length=9), nullable=False),
        sa.Column("tree_size", sa.BigInteger(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_cosignatures")),
        sa.UniqueConstraint(
            "peer", "direction", "tree_size", name=op.f("uq_exchange_cosignatures_peer")
        ),
    )
    op.create_table(
        "exchange_nonces",
        sa.Column("keyid", sa.String(length=64), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("keyid", "nonce", name=op.f("pk_exchange_nonces")),
    )
    op.create_index("ix_exchange_nonces_expires", "exchange_nonces", ["expires_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_exchange_nonces_expires", table_name="exchange_nonces")
    op.drop_table("exchange_nonces")
    op.drop_table("exchange_cosignatures")
    op.drop_table("exchange_receipts")
    op.drop_table("exchange_cursors")
    op.drop_index("ix_exchange_rejections_peer", table_name="exchange_rejections")
    op.drop_table("exchange_rejections")
    op.drop_index("ix_exchange_inbound_record", table_name="exchange_inbound")
    op.drop_table("exchange_inbound")
    op.drop_table("exchange_definitions")
    op.drop_index("ix_exchange_outbox_peer_record", table_name="exchange_outbox")
    op.drop_index("ix_exchange_outbox_peer_added", table_name="exchange_outbox")
    op.drop_table("exchange_outbox")
    op.drop_table("exchange_peers")
