"""audit_refusals: counters of repeated refusals from one source

Refused requests that anyone can send without signing in (a throttled sign-in, a TAXII
request with a bad signature, a forbidden page) are logged once per source and kind of
refusal within a window; the rest are counted here and go into the log as counted events
(first, last, count). See nucsec.service.refusals.

Revision ID: 0008_audit_refusals
Revises: 0007_record_files
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_audit_refusals"
down_revision = "0007_record_files"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_refusals",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=80), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("event", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_audit_refusals")),
        comment="counters of repeated refusals, flushed to the log as counted events",
    )
    op.create_index(
        "ix_audit_refusals_window_start", "audit_refusals", ["window_start"], unique=False
    )
    op.create_index("ix_audit_refusals_source", "audit_refusals", ["source"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_audit_refusals_source", table_name="audit_refusals")
    op.drop_index("ix_audit_refusals_window_start", table_name="audit_refusals")
    op.drop_table("audit_refusals")
