"""Everything the register shows about an incident's danger, in one call.

Sources are grouped by ``holding`` (items held together) and categorised on the incident's
event date; each nuclear material item gets its INFCIRC/225 category; the incident is
weapons-usable if any item is.

>>> from nucsec.incidents.demo import demo_incidents
>>> label, incident = demo_incidents()[6]
>>> a = assess_incident(incident)
>>> [s["category"] for s in a["sources"]], a["weapons_usable"]
([2], False)
"""

from __future__ import annotations

from typing import Any

from nucsec.incidents.categorize import categorize_sources
from nucsec.incidents.items import SourceItem
from nucsec.incidents.material import categorize_material
from nucsec.incidents.model import Incident
from nucsec.incidents.reference import ReferenceData, load_reference

__all__ = ["assess_incident"]


def assess_incident(incident: Incident, ref: ReferenceData | None = None) -> dict[str, Any]:
    """Source categories per holding, material categories per item, weapons-usable flag."""
    ref = ref or load_reference()
    holdings: dict[str, list[SourceItem]] = {}
    for item in incident.source_items:
        holdings.setdefault(item.holding, []).append(item)
    on = incident.event_date
    sources = [
        {"holding": h, **categorize_sources(items, on_date=on, ref=ref).to_dict()}
        for h, items in holdings.items()
    ]
    materials = [categorize_material(m, ref).to_dict() for m in incident.material_items]
    return {
        "date": on.isoformat(),
        "sources": sources,
        "materials": materials,
        "weapons_usable": any(m["weapons_usable"] for m in materials),
    }
