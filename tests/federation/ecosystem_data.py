"""Shared set-up of the ecosystem (MISP/OpenCTI) tests: principals and incidents."""

from __future__ import annotations

import json
from typing import Any

from nucsec.incidents import incident_from_record
from nucsec.markings import parse_label
from nucsec.node import Node
from nucsec.policy import Principal


def principal(agency: str, clearance: str = "TOP SECRET", nation: str = "USA") -> Principal:
    """A US analyst of ``agency`` with every compartment."""
    return Principal.create(
        id=f"{nation.lower()}-{agency.lower()}-{clearance.lower().replace(' ', '-')}",
        nation=nation,
        agency=agency,
        clearance=clearance,
        compartments=("FORENSICS", "ITDB", "PHYSPROT"),
        roles=("analyst",),
    )


DHS = principal("DHS")
DOE = principal("DOE")


def add(node: Node, who: Principal, reference: str, label: str, *narrative: tuple[str, str]) -> str:
    """Record an incident (US, theft, group I) with narrative paragraphs; its id."""
    from nucsec.service.incidents import add_incident

    record: dict[str, Any] = {
        "reference": reference,
        "report_date": "2024-04-02",
        "incident_date": "2024-03-01",
        "country": "US",
        "incident_type": "theft",
        "itdb_group": "I",
        "place": f"site of {reference}",
        "items": [{"kind": "source", "nuclide": "Cs-137", "activity_bq": 1.9e11}],
        "narrative": [{"label": lb, "text": text} for lb, text in narrative],
    }
    view = add_incident(node, who, incident_from_record(record), parse_label(label, node.ctx))
    return view.id


def objects_of(text: str) -> list[dict[str, Any]]:
    """The objects of a bundle given as JSON text."""
    data = json.loads(text)
    assert data["type"] == "bundle"
    objects: list[dict[str, Any]] = data["objects"]
    return objects
