"""incident facts and maintained counts (what incident statistics count)

Revision ID: 0005_incidents
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_incidents"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "incident_facts",
        sa.Column("record_pk", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("event_date", sa.Date(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("itdb_group", sa.String(length=8), nullable=False),
        sa.Column("material_class", sa.String(length=32), nullable=False),
        sa.Column("incident_type", sa.String(length=64), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("detection_mode", sa.String(length=64), nullable=False),
        sa.Column("label_id", sa.Integer(), nullable=False),
        sa.Column("counted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_pk"], ["records.pk"], name=op.f("fk_incident_facts_record_pk_records")
        ),
        sa.ForeignKeyConstraint(
            ["label_id"], ["labels.id"], name=op.f("fk_incident_facts_label_id_labels")
        ),
        sa.PrimaryKeyConstraint("record_pk", name=op.f("pk_incident_facts")),
    )
    op.create_index("ix_incident_facts_reference", "incident_facts", ["reference"])
    op.create_index("ix_incident_facts_year", "incident_facts", ["year"])
    op.create_table(
        "incident_counts",
        sa.Column("label_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("dimension", sa.String(length=32), nullable=False),
        sa.Column("value", sa.String(length=64), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["label_id"], ["labels.id"], name=op.f("fk_incident_counts_label_id_labels")
        ),
        sa.PrimaryKeyConstraint(
            "label_id", "year", "dimension", "value", name=op.f("pk_incident_counts")
        ),
    )


def downgrade() -> None:
    op.drop_table("incident_counts")
    op.drop_index("ix_incident_facts_year", table_name="incident_facts")
    op.drop_index("ix_incident_facts_reference", table_name="incident_facts")
    op.drop_table("incident_facts")
