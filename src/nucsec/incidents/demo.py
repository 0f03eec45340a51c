"""Demo incidents: real public cases (UNCLASSIFIED) and a few fictional restricted ones.

The real cases are those the shared IAEA notes name, with only the facts stated there
(``itdb_facts.csv`` ITDB-YR-2005b, ITDB-YR-2006c; ``nswg_facts.csv`` NSWG-16); what the
notes do not say stays unknown. Their ITDB group is assigned for the demo from the public
description, not taken from the ITDB. Fictional incidents have references starting with
``DEMO-``, say so in their narrative, and carry restricted labels to exercise the policy.

Functions return plain data (label + record); the store keeps them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from nucsec.incidents.convert import incident_from_record
from nucsec.incidents.model import Incident
from nucsec.incidents.vocabulary import (
    DETECTION_MODES,
    INCIDENT_TYPES,
    ITDB_GROUPS,
    MATERIAL_CLASSES,
)

__all__ = ["DEMO_INCIDENTS", "demo_incidents", "synthetic_columns"]

_U = "UNCLASSIFIED"
_PUBLIC = (
    "Public case from IAEA ITDB releases (see sources). Group assigned for the demo; report "
    "date is that of the public release, incident date to the precision the source gives."
)
_FICTION = "FICTIONAL DEMO INCIDENT: invented for training and testing; not a real event."
_ITDB_2005 = "http://www.iaea.org/newscenter/news/trafficking-nuclear-and-radioactive-material-2005"
_ITDB_2006 = "https://armscontrol.org/act/2007-10/reported-incidents-trafficking-up-2006"


def _incident(label: str, sources: list[str], **record: Any) -> dict[str, Any]:
    return {
        "label": label,
        "fictional": record["reference"].startswith("DEMO-"),
        "sources": sources,
        "record": {"status": "closed", "detection_mode": "unknown", **record},
    }


#: label (of the whole record), fictional flag, sources and the incident record
DEMO_INCIDENTS: tuple[dict[str, Any], ...] = (
    _incident(
        _U,
        [_ITDB_2005, "nswg_facts.csv NSWG-16"],
        reference="ITDB-2005-JP-FUKUI",
        incident_date="2005-01-01",
        incident_date_precision="year",
        report_date="2006-12-31",
        country="JP",
        place="nuclear power plant, Fukui Prefecture",
        incident_type="loss",
        itdb_group="III",
        narrative=[
            {
                "label": _U,
                "text": "Neutron flux detector containing 0.0017 g of HEU lost "
                "at a nuclear power plant in Fukui, Japan (ITDB 2005). " + _PUBLIC,
            }
        ],
        items=[
            {
                "kind": "material",
                "material": "U",
                "mass_g": 0.0017,
                "physical_form": "neutron flux detector",
                "description": "HEU; enrichment not stated",
            }
        ],
    ),
    _incident(
        _U,
        [_ITDB_2005],
        reference="ITDB-2005-US-NJ",
        incident_date="2005-01-01",
        incident_date_precision="year",
        report_date="2006-12-31",
        country="US",
        place="New Jersey",
        incident_type="unauthorized_disposal",
        itdb_group="III",
        narrative=[
            {
                "label": _U,
                "text": "3.3 g of HEU disposed of without authorisation in "
                "New Jersey (ITDB 2005). " + _PUBLIC,
            }
        ],
        items=[
            {
                "kind": "material",
                "material": "U",
                "mass_g": 3.3,
                "description": "HEU; enrichment not stated",
            }
        ],
    ),
    _incident(
        _U,
        [_ITDB_2006],
        reference="ITDB-2006-GE-HEU",
        incident_date="2006-02-01",
        incident_date_precision="month",
        report_date="2007-10-01",
        country="GE",
        incident_type="unauthorized_possession",
        itdb_group="I",
        narrative=[
            {
                "label": _U,
                "text": "About 80 g of HEU enriched to 89 % seized in Georgia "
                "in February 2006 (ITDB 2006 data). " + _PUBLIC,
            }
        ],
        items=[{"kind": "material", "material": "U", "mass_g": 80.0, "enrichment_pct": 89.0}],
    ),
    _incident(
        _U,
        [_ITDB_2006],
        reference="ITDB-2006-DE-SCRAP",
        incident_date="2006-01-01",
        incident_date_precision="year",
        report_date="2007-10-01",
        country="DE",
        place="scrap metal",
        incident_type="discovery",
        itdb_group="III",
        material_class="nuclear",
        narrative=[
            {
                "label": _U,
                "text": "Trace amounts of HEU found on scrap metal in Germany "
                "(ITDB 2006 data); quantity not stated. " + _PUBLIC,
            }
        ],
    ),
    _incident(
        "HI//REL TO JPN, USA",
        [],
        reference="DEMO-JP-2024-001",
        incident_date="2024-05-14",
        discovery_date="2024-05-14",
        report_date="2024-05-16",
        country="JP",
        place="container terminal (fictional)",
        incident_type="border_detection",
        itdb_group="II",
        detection_mode="portal_monitor",
        status="open",
        narrative=[
            {
                "label": "HI//REL TO JPN, USA",
                "text": _FICTION + " A portal monitor "
                "alarmed on a container holding a disused teletherapy head.",
            }
        ],
        items=[
            {
                "kind": "source",
                "nuclide": "Co-60",
                "activity": "555 TBq",
                "activity_unc_bq": 2e13,
                "reference_date": "2014-05-01",
                "form": "teletherapy head",
                "sealed": True,
            }
        ],
        links=[{"reference": "DEMO-JP-2023-002", "relation": "same_actors"}],
    ),
    _incident(
        "HI//REL TO JPN, USA",
        [],
        reference="DEMO-JP-2023-002",
        incident_date="2023-09-02",
        report_date="2023-09-05",
        country="JP",
        place="air cargo (fictional)",
        incident_type="unauthorized_shipment",
        itdb_group="II",
        detection_mode="customs_inspection",
        narrative=[
            {
                "label": "HI//REL TO JPN, USA",
                "text": _FICTION + " Undeclared I-131 "
                "vials in air cargo; no D-value is on file, so the category stays unknown.",
            }
        ],
        items=[
            {
                "kind": "source",
                "nuclide": "I-131",
                "activity": "40 GBq",
                "form": "liquid",
                "sealed": False,
            }
        ],
    ),
    _incident(
        "CONFIDENTIAL//REL TO USA, JPN",
        [],
        reference="DEMO-US-2023-007",
        incident_date="2023-03-20",
        discovery_date="2023-03-21",
        report_date="2023-03-22",
        country="US",
        place="highway rest area (fictional)",
        incident_type="theft",
        itdb_group="II",
        detection_mode="police_intelligence",
        narrative=[
            {
                "label": "CONFIDENTIAL//REL TO USA, JPN",
                "text": _FICTION + " Six fixed "
                "gauges stolen together from a truck: each is Category 3, together Category 2.",
            }
        ],
        items=[
            {
                "kind": "source",
                "nuclide": "Cs-137",
                "activity": "0.19 TBq",
                "form": "fixed gauge",
                "sealed": True,
                "holding": "truck",
            }
            for _ in range(6)
        ],
    ),
    _incident(
        "SECRET//NOFORN",
        [],
        reference="DEMO-US-2024-003",
        incident_date="2024-02-11",
        report_date="2024-02-12",
        country="US",
        place="hotel (fictional)",
        incident_type="attempted_sale",
        itdb_group="I",
        detection_mode="police_intelligence",
        status="open",
        narrative=[
            {
                "label": "SECRET//NOFORN",
                "text": _FICTION + " Sting operation: 1.5 kg of "
                "uranium metal at 93 % U-235 offered for sale.",
            },
            {"label": _U, "text": "An arrest was made (fictional)."},
        ],
        items=[
            {
                "kind": "material",
                "material": "U",
                "mass_g": 1500.0,
                "mass_unc_g": 1.0,
                "enrichment_pct": 93.0,
                "enrichment_unc_pct": 0.5,
                "chemical_form": "metal",
            }
        ],
    ),
    _incident(
        "CONFIDENTIAL//REL TO USA, JPN",
        [],
        reference="DEMO-US-2021-011",
        incident_date="2021-07-07",
        report_date="2021-07-09",
        country="US",
        incident_type="scam",
        itdb_group="I",
        detection_mode="police_intelligence",
        narrative=[
            {
                "label": "CONFIDENTIAL//REL TO USA, JPN",
                "text": _FICTION + " Benign "
                "powder offered as 'nuclear material'; no radioactivity found.",
            }
        ],
    ),
)


def demo_incidents() -> list[tuple[str, Incident]]:
    """(record label, validated incident) for every demo incident."""
    return [(d["label"], incident_from_record(d["record"])) for d in DEMO_INCIDENTS]


def synthetic_columns(
    n: int, rng: np.random.Generator, *, coded: bool = False
) -> dict[str, npt.NDArray[Any]]:
    """``n`` random statistics rows as columns (benchmarks, load tests; not real data).

    With ``coded``, vocabulary columns hold integer indexes into the vocabulary's codes.
    """
    countries = np.array(["JP", "US", "GE", "DE", "KZ", "UA", "MD", "FR", "GB", "KR"])
    out: dict[str, npt.NDArray[Any]] = {
        "year": rng.integers(1993, 2025, n),
        "country": countries[rng.integers(0, len(countries), n)],
    }
    for name, vocabulary in (
        ("itdb_group", ITDB_GROUPS),
        ("material_class", MATERIAL_CLASSES),
        ("incident_type", INCIDENT_TYPES),
        ("detection_mode", DETECTION_MODES),
    ):
        index = rng.integers(0, len(vocabulary.codes), n)
        out[name] = index if coded else np.array(vocabulary.codes)[index]
    return out
