"""Revision 0009 recomputes every record's search text as new writes compute it (same words):
an incident written before it becomes findable by the nuclide of an item it lists."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select, update

from nucsec.node import Node
from nucsec.store.schema import records
from tests.service.test_listing import _incident

REVISION = (
    Path(__file__).resolve().parents[2]
    / "src/nucsec/store/migrations/versions/0009_search_text_depth.py"
)


def _run_revision(node: Node) -> None:
    spec = importlib.util.spec_from_file_location("search_text_depth", REVISION)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with node.engine.begin() as conn, Operations.context(MigrationContext.configure(conn)):
        module.upgrade()


def test_old_search_text_is_recomputed_as_new_writes_compute_it(demo_node: Node) -> None:
    made = _incident(demo_node, "dhs.chief", "SRC-MIG-1", "Ir-192", "SECRET//REL TO USA, JPN")
    with demo_node.engine.begin() as conn:
        written = dict(conn.execute(select(records.c.id, records.c.search_text)).all())
        assert "ir-192" in written[made]
        conn.execute(update(records).values(search_text="stale"))  # the shallow old text
    _run_revision(demo_node)
    with demo_node.engine.connect() as conn:
        migrated = dict(conn.execute(select(records.c.id, records.c.search_text)).all())
    # the same words (the stored JSON has its keys sorted, so their order may differ)
    assert {k: sorted(v.split()) for k, v in migrated.items()} == {
        k: sorted(v.split()) for k, v in written.items()
    }
