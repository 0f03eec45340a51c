"""Review: a CSV import is all-or-nothing (``import_incidents``: "without ``partial``
nothing is imported when any row is bad")."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from sqlalchemy import func, select

from nucsec.audit.tables import audit_events
from nucsec.incidents.errors import CsvImportError
from nucsec.markings import parse_banner
from nucsec.node import Node
from nucsec.service.incidents import export_incidents, import_incidents
from nucsec.service.users import principal_of
from nucsec.store.schema import record_versions


def _versions(node: Node) -> int:
    with node.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(record_versions)).scalar() or 0)


def _updates(node: Node) -> dict[str, int]:
    """Audited update decisions, by outcome."""
    e = audit_events.c
    with node.engine.connect() as conn:
        rows = conn.execute(
            select(e.outcome, func.count()).where(e.action == "record.update").group_by(e.outcome)
        ).all()
    return {str(r[0]): int(r[1]) for r in rows}


def test_finding_import_that_fails_on_a_row_writes_nothing(demo_node: Node) -> None:
    """NPA's chief imports a CSV made from its own export (narrative rows dropped): first a
    new incident, then the incidents it reads, among them US incidents it may read but not
    update (another nation's authority). The import must either succeed or fail with
    nothing written (the review found the new incident written, then the update of a US
    incident refused: a half-applied import; every row is now decided before any write)."""
    npa = principal_of(demo_node, "npa.chief")
    rows = list(csv.reader(io.StringIO(export_incidents(demo_node, npa))))
    header, body = rows[0], [r for r in rows[1:] if r[1] != "portion"]
    assert any(r[0] == "ITDB-2005-US-NJ" for r in body)  # a US incident NPA reads
    first = body[0][0]
    new = [["REVIEW-NEW-1", *r[1:]] for r in body if r[0] == first]
    out = io.StringIO()
    csv.writer(out).writerows([header, *new, *body])
    label = parse_banner("HI//REL TO JPN, USA", demo_node.ctx)
    before, audited = _versions(demo_node), _updates(demo_node)
    with pytest.raises(CsvImportError) as refused:
        import_incidents(demo_node, npa, out.getvalue(), label, today=dt.date(2026, 1, 1))
    assert _versions(demo_node) == before  # all or nothing
    # no "successful update" is logged for a row that was not written (the pre-check
    # recorded two before: its allowed decisions were committed)
    assert _updates(demo_node).get("success", 0) == audited.get("success", 0)
    us_rows = [e for e in refused.value.errors if e.reference == "ITDB-2005-US-NJ"]
    assert us_rows and us_rows[0].line > 1 and "cannot update" in us_rows[0].message
    partial = import_incidents(
        demo_node, npa, out.getvalue(), label, partial=True, today=dt.date(2026, 1, 1)
    )
    assert partial["created"]  # the new incident is written, the refused rows reported
    assert "ITDB-2005-US-NJ" in {e["reference"] for e in partial["errors"]}
