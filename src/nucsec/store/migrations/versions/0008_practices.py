"""practice catalogue search: index, applicability tags, full text (FTS5 or tsvector)

On SQLite the search tokens live in the FTS5 virtual table ``practice_fts`` (title,
summary, keywords, body; ``rowid`` is ``records.pk``); on PostgreSQL in ``practice_index.tsv``
under a GIN index. Practices written before this revision: none (new kind).

Revision ID: 0008_practices
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import TSVECTOR

revision = "0008_practices"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "practice_index",
        sa.Column("record_pk", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("topic", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("label_id", sa.Integer(), nullable=False),
        sa.Column("tsv", sa.Text().with_variant(TSVECTOR(), "postgresql"), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_pk"], ["records.pk"], name=op.f("fk_practice_index_record_pk_records")
        ),
        sa.ForeignKeyConstraint(
            ["label_id"], ["labels.id"], name=op.f("fk_practice_index_label_id_labels")
        ),
        sa.PrimaryKeyConstraint("record_pk", name=op.f("pk_practice_index")),
    )
    op.create_index("ix_practice_index_topic", "practice_index", ["topic"])
    op.create_index("ix_practice_index_status", "practice_index", ["status"])
    op.create_index("ix_practice_index_code", "practice_index", ["code"])
    op.create_index("ix_practice_index_tsv", "practice_index", ["tsv"], postgresql_using="gin")
    op.create_table(
        "practice_tags",
        sa.Column("record_pk", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_pk"], ["records.pk"], name=op.f("fk_practice_tags_record_pk_records")
        ),
        sa.PrimaryKeyConstraint("record_pk", "tag", name=op.f("pk_practice_tags")),
    )
    op.create_index("ix_practice_tags_tag", "practice_tags", ["tag", "record_pk"])
    if op.get_bind().dialect.name == "sqlite":
        op.execute("CREATE VIRTUAL TABLE practice_fts USING fts5(title, summary, keywords, body)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE practice_fts")
    op.drop_index("ix_practice_tags_tag", table_name="practice_tags")
    op.drop_table("practice_tags")
    op.drop_index("ix_practice_index_tsv", table_name="practice_index")
    op.drop_index("ix_practice_index_code", table_name="practice_index")
    op.drop_index("ix_practice_index_status", table_name="practice_index")
    op.drop_index("ix_practice_index_topic", table_name="practice_index")
    op.drop_table("practice_index")
