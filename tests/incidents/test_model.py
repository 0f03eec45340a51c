"""Incident validation: every bad input is a typed error naming its field."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from nucsec.errors import InputError
from nucsec.incidents.convert import incident_from_record
from nucsec.incidents.errors import IncidentError, UnitError
from nucsec.incidents.items import MaterialItem, SourceItem
from nucsec.incidents.model import Incident, Link, Portion, check_not_future
from nucsec.nuclides import NuclideError

TODAY = date(2025, 1, 1)


def _record(**over: Any) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "reference": "JP-2024-001",
        "incident_date": "2024-05-01",
        "report_date": "2024-05-03",
        "country": "JP",
        "incident_type": "theft",
        "itdb_group": "III",
    }
    rec.update(over)
    return rec


def test_a_valid_record() -> None:
    incident = incident_from_record(_record(), today=TODAY)
    assert incident.material_class == "contaminated"
    assert incident.event_date == date(2024, 5, 1)
    assert incident.status == "open" and incident.detection_mode == "unknown"


@pytest.mark.parametrize(
    "over,error,field",
    [
        ({"items": [{"kind": "material", "material": "U", "mass_g": -3, "enrichment_pct": 4}]},
         IncidentError, "items[0].mass_g"),
        ({"items": [{"kind": "material", "material": "U", "mass_g": 3, "enrichment_pct": 104}]},
         IncidentError, "items[0].enrichment_pct"),
        ({"items": [{"kind": "source", "nuclide": "Co-60", "activity": "555"}]},
         UnitError, "items[0].activity"),
        ({"items": [{"kind": "source", "nuclide": "Zz-60", "activity": "5 TBq"}]},
         NuclideError, "items[0].nuclide"),
        ({"items": [{"kind": "source", "nuclide": "Cs-200", "activity": "5 TBq"}]},
         NuclideError, "items[0].nuclide"),
        ({"items": [{"kind": "source", "nuclide": "Co-60"}]}, IncidentError, "items[0].activity"),
        ({"itdb_group": "IV"}, IncidentError, "itdb_group"),
        ({"incident_type": "picnic"}, IncidentError, "incident_type"),
        ({"detection_mode": "psychic"}, IncidentError, "detection_mode"),
        ({"status": "lost"}, IncidentError, "status"),
        ({"country": "Atlantis"}, IncidentError, "country"),
        ({"reference": "bad ref!"}, IncidentError, "reference"),
        ({"report_date": "2024-04-30"}, IncidentError, "report_date"),
        ({"incident_date": "2024-13-01"}, IncidentError, "incident_date"),
        ({"incident_date_precision": "week"}, IncidentError, "incident_date_precision"),
        ({"discovery_date": "2024-04-01"}, IncidentError, "discovery_date"),
        ({"material_class": "radioactive", "items": [
            {"kind": "material", "material": "Pu", "mass_g": 1}]}, IncidentError, "material_class"),
        ({"links": [{"reference": "JP-2024-001"}]}, IncidentError, "links[0].reference"),
        ({"links": [{"reference": "X-1", "relation": "cousin"}]},
         IncidentError, "links[0].relation"),
        ({"narrative": [{"label": "", "text": "x"}]}, IncidentError, "narrative[0].label"),
        ({"narrative": [{"text": "x"}]}, IncidentError, "narrative[0].label"),
        ({"attachments": [{"name": "a.n42", "sha256": "xyz", "size_bytes": 1}]},
         IncidentError, "attachments[0].sha256"),
        ({"country": None}, IncidentError, "country"),
        ({"colour": "red"}, IncidentError, "colour"),
        ({"items": [{"kind": "gizmo"}]}, IncidentError, "items[0].kind"),
    ],
    ids=["negative-mass", "enrichment-above-100", "activity-without-unit", "unknown-element",
         "unknown-nuclide", "no-activity", "group-IV", "bad-type", "bad-detection",
         "bad-status", "bad-country", "bad-reference", "report-before-incident", "bad-date",
         "bad-precision", "discovery-before-incident", "class-contradicts-items", "self-link",
         "bad-relation", "empty-label", "missing-label", "bad-hash", "missing-country",
         "unknown-field", "unknown-item-kind"],
)  # fmt: skip
def test_bad_input_names_the_field(over: dict[str, Any], error: type, field: str) -> None:
    with pytest.raises(error) as err:
        incident_from_record(_record(**over), today=TODAY)
    assert isinstance(err.value, InputError)
    assert err.value.field == field


@pytest.mark.parametrize(
    "over,field",
    [
        ({"incident_date": "2025-01-02", "report_date": "2025-01-03"}, "report_date"),
        ({"items": [{"kind": "source", "nuclide": "Cs-137", "activity": "1 GBq",
                     "reference_date": "2026-01-01"}]}, "items[0].reference_date"),
    ],
    ids=["future-incident", "future-source-reference-date"],
)  # fmt: skip
def test_future_dates_are_refused(over: dict[str, Any], field: str) -> None:
    incident = incident_from_record(_record(**over))  # fine without a "today"
    with pytest.raises(IncidentError) as err:
        check_not_future(incident, TODAY)
    assert err.value.field == field
    check_not_future(incident, date(2030, 1, 1))  # and fine later


def test_names_are_accepted_and_stored_as_codes() -> None:
    incident = incident_from_record(
        _record(incident_type="Unauthorised possession", itdb_group="Group I", country="Japan")
    )
    assert (incident.incident_type, incident.itdb_group, incident.country) == (
        "unauthorized_possession", "I", "JP"
    )  # fmt: skip


def test_material_class_follows_the_items() -> None:
    source = SourceItem("Cs-137", 1e9)
    material = MaterialItem("U", 1, enrichment_pct=3)
    base: dict[str, Any] = {
        "reference": "X-1",
        "report_date": TODAY,
        "country": "US",
        "incident_type": "loss",
    }
    assert Incident(**base, itdb_group="III", items=(source,)).material_class == "radioactive"
    both = Incident(**base, itdb_group="III", items=(source, material))
    assert both.material_class == "nuclear"
    assert both.source_items == (source,) and both.material_items == (material,)


def test_parts_must_have_the_right_type() -> None:
    with pytest.raises(IncidentError) as err:
        Incident("X-1", TODAY, "US", "loss", "III", narrative=(Link("Y-1"),))  # type: ignore[arg-type]
    assert err.value.field == "narrative[0]"
    assert Incident("X-1", TODAY, "US", "loss", "III", narrative=(Portion("U", "t"),)).narrative


def test_stable_nuclide_is_not_a_source() -> None:
    with pytest.raises(NuclideError, match="stable"):
        SourceItem("Fe-56", 1.0)
