"""The home page's dashboard: open forensic work (cases with a due stage, overdue first)
and how many records of each kind the viewer may read.

Cases come from :func:`nucsec.service.cases.list_cases` (one listing through the monitor's
SQL twin, one audited ``record.list``); counts from :func:`nucsec.service.labelled.count`
(the monitor's SQL twin, one audited ``record.search`` per kind). The home page's banner
counts the labels of the cases it lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nucsec.node import Node
from nucsec.policy import Principal
from nucsec.service import cases, labelled
from nucsec.web.i18n import N_
from nucsec.web.views import label_of_summary

__all__ = ["KIND_NAMES", "OpenWork", "open_work", "readable_counts"]

#: cases examined (newest first) and shown on the home page
CASES_READ = 200
CASES_SHOWN = 5
#: the record kinds with a list page, as the menu names them (msgids)
KIND_NAMES = {
    "documents": N_("Documents"),
    "incidents": N_("Incidents"),
    "analyses": N_("Analyses"),
    "cases": N_("Cases"),
    "practices": N_("Practices"),
    "facilities": N_("Facilities"),
}


@dataclass(frozen=True)
class OpenWork:
    """Open cases with a due stage, soonest due first (at most :data:`CASES_SHOWN`)."""

    rows: list[tuple[Any, Any]]  # (CaseSummary, its label or None)
    open_count: int
    overdue_count: int


def open_work(node: Node, principal: Principal) -> OpenWork:
    """The viewer's open forensic work: readable cases whose current stage has a due time."""
    due = [c for c in cases.list_cases(node, principal, limit=CASES_READ) if c.due]
    due.sort(key=lambda c: (not c.overdue, c.due or ""))
    rows = [(c, label_of_summary(c, node)) for c in due[:CASES_SHOWN]]  # type: ignore[arg-type]
    return OpenWork(rows, len(due), sum(1 for c in due if c.overdue))


def readable_counts(node: Node, principal: Principal) -> list[tuple[str, int]]:
    """``(collection, how many the viewer may read)`` for each kind with a list page."""
    return [
        (k.collection, labelled.count(node, principal, k))
        for k in node.kinds
        if k.collection in KIND_NAMES
    ]
