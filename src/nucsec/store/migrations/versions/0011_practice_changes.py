"""practice_changes: a sequence number per practice index write, read by the search mirror

Each write of a practice's index rows (a version, a recall, a bulk load) gives the
practice the next ``seq`` (taken under a lock held to commit, so numbers commit in order);
a process's in-memory mirror of the index (``nucsec.service.practice_mirror``) re-reads
the practices whose ``seq`` is above the highest it has seen. Practices indexed before
this revision need no row: a mirror loads the whole index when it starts.

Revision ID: 0011_practice_changes
Revises: 0008_practices
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_practice_changes"
down_revision = "0008_practices"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "practice_changes",
        sa.Column("record_pk", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_pk"], ["records.pk"], name=op.f("fk_practice_changes_record_pk_records")
        ),
        sa.PrimaryKeyConstraint("record_pk", name=op.f("pk_practice_changes")),
    )
    op.create_index("ix_practice_changes_seq", "practice_changes", ["seq"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_practice_changes_seq", table_name="practice_changes")
    op.drop_table("practice_changes")
