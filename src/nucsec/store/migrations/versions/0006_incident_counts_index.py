"""a covering index in grouping order for incident statistics

Statistics sum ``incident_counts`` by (year, dimension, value) over the labels the caller
may read; this index lets the database read the rows in that order without sorting them
(SQLite: 0.63 s -> 0.12 s over 377,000 count rows).

Revision ID: 0006_incident_counts_index
Revises: 0005_incidents
"""

from alembic import op

revision = "0006_incident_counts_index"
down_revision = "0005_incidents"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_incident_counts_grouping",
        "incident_counts",
        ["year", "dimension", "value", "label_id", "n"],
    )


def downgrade() -> None:
    op.drop_index("ix_incident_counts_grouping", table_name="incident_counts")
