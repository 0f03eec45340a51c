"""The demo library: certified values of public reference materials, with provenance.

Entries are built from ``nucsec/data/library/uoc_crm_u_isotopics.csv`` (a copy of the
working group's shared ``uoc_crm_u_isotopics.csv``: NRC Canada uranium ore concentrate CRMs,
certified n(234U)/n(238U) and n(235U)/n(238U), expanded uncertainties k=2). The expanded
uncertainties are halved to standard uncertainties (k=1); the within-source spread is 0 (a
CRM is one homogenised material; its certificate's uncertainty includes homogeneity). The
234U/238U values are marked ``unverified``: the shared file notes that the exponent was read
from a page rendering that dropped it ("verify"); matches against them say so.
"""

from __future__ import annotations

import csv
import io
from importlib import resources

from nucsec.forensics.library.model import Entry, Measurement

__all__ = ["CRM_SOURCE_FILE", "demo_library"]

CRM_SOURCE_FILE = "uoc_crm_u_isotopics.csv"
_RATIOS = (("n(234U)/n(238U)", "n234U_n238U"), ("n(235U)/n(238U)", "n235U_n238U"))


def demo_library() -> list[Entry]:
    """One entry per certified reference material of the shared data (k=1 uncertainties)."""
    text = resources.files("nucsec.data.library").joinpath(CRM_SOURCE_FILE)
    entries = []
    for row in csv.DictReader(io.StringIO(text.read_text(encoding="utf-8"))):
        notes = row["notes"]
        sigs = []
        for name, column in _RATIOS:
            flagged = "verify" in notes and name.startswith("n(234U)")
            sigs.append(
                Measurement(
                    name,
                    float(row[column]),
                    u=float(row[f"u_{column}_k2"]) / 2,
                    unit="mol/mol",
                    method="certified value (multi-laboratory MC-ICP-MS/TIMS)",
                    laboratory="NRC Canada certification (13 laboratories)",
                    status="unverified" if flagged else "certified",
                )
            )
        entries.append(
            Entry(
                id=row["material"],
                material_type="uoc",
                signatures=tuple(sigs),
                description=f"{row['material']}: {notes}",
                holder_agency="public reference material",
                production_site="NRC Canada (certifying body)",
                provenance=f"{row['source']} (via shared/data/forensics/{CRM_SOURCE_FILE})",
            )
        )
    return entries
