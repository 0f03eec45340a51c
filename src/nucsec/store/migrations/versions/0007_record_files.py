"""record_files: which blobs were attached to which record on this node

A record's metadata (an incident's ``attachments``, ``attachment.N`` portions) is data its
writer or a peer supplies; the bytes of a blob are served through a record only when this
table says the file was attached to that record here. No backfill: files listed before this
migration must be attached again to be downloadable.

Revision ID: 0007_record_files
Revises: 0006_incident_counts_index
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_record_files"
down_revision = "0006_incident_counts_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "record_files",
        sa.Column("record_pk", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("attached_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_pk"], ["records.pk"], name=op.f("fk_record_files_record_pk_records")
        ),
        sa.PrimaryKeyConstraint("record_pk", "sha256", name=op.f("pk_record_files")),
    )


def downgrade() -> None:
    op.drop_table("record_files")
