"""users.language: the interface language a user chose (NULL: their nation's default)

Revision ID: 0010_user_language
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_user_language"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("language", sa.String(8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("language")
