"""records.search_text: the strings of structured portions at any depth

Until now a structured portion contributed only its top-level strings to the search text,
so an incident was not found by the nuclide of an item it lists (``items[].nuclide``).
The search text of every record is recomputed from its head version, the way
``nucsec.store.records`` now computes it for new writes.

Revision ID: 0009_search_text_depth
Revises: 0001
"""

import json
from collections.abc import Iterable, Iterator
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0009_search_text_depth"
down_revision = "0001"
branch_labels = None
depends_on = None


def _strings(values: Iterable[Any]) -> Iterator[str]:
    # frozen copy of nucsec.store.records._strings: a migration does not follow later code
    for value in values:
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            yield from _strings(value.values())
        elif isinstance(value, list):
            yield from _strings(value)


def upgrade() -> None:
    conn = op.get_bind()
    heads = conn.execute(
        sa.text(
            "SELECT r.pk, v.content FROM records r JOIN record_versions v "
            "ON v.record_pk = r.pk AND v.version = r.head_version"
        )
    ).all()
    for pk, content in heads:
        portions = json.loads(content)
        text = " ".join(_strings(p["value"] for p in portions.values())).lower()
        conn.execute(
            sa.text("UPDATE records SET search_text = :t WHERE pk = :pk"), {"t": text, "pk": pk}
        )


def downgrade() -> None:
    """Nothing to undo: the deeper text is a superset of the old one."""
