"""The wire format: records and labels as STIX 2.1, validated by the OASIS validator and
the ``stix2`` library, and label round trips exact for every field."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import pytest
import stix2
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from stix2validator import ValidationOptions, validate_instance

from nucsec.federation import stix
from nucsec.markings import Label, LabelError, parse_banner
from nucsec.service.registry import RECORD_KINDS
from tests.strategies import CTX, labels

IDENTITY = stix.node_identity("USA", "nucsec.usa/00000000")
DOC = RECORD_KINDS.get("document")
DOC_EXTENSION = "extension-definition--d0d38967-dd56-4cbb-9bf9-9358a2aa3137"


@st.composite
def stored_labels(draw: st.DrawFn) -> Label:
    """Labels as a node stores them: originator and legal basis explicit, maybe a review
    date; valid in the shipped marking data."""
    label = draw(labels(with_meta=True))
    if draw(st.booleans()):
        label = label.with_(review_date=draw(st.dates(dt.date(2010, 1, 1), dt.date(2060, 12, 31))))
    try:
        return label.validate(CTX, stored=True)
    except LabelError:
        assume(False)
        raise  # pragma: no cover - assume() raises


@given(stored_labels())
def test_every_label_field_round_trips_exactly(label: Label) -> None:
    marking = stix.label_marking(label, CTX, IDENTITY["id"])
    wire = json.loads(json.dumps(marking))  # what travels
    back = stix.label_from_marking(wire, CTX)
    assert back == label
    assert back.to_dict() == label.to_dict()  # every field, including review date and originator


def _document(title_label: Label, body_label: Label, version: int = 1) -> list[dict[str, Any]]:
    from nucsec.markings import rollup

    banner = rollup([title_label, body_label], CTX)
    markings = {
        lb: stix.label_marking(lb, CTX, IDENTITY["id"]) for lb in {title_label, body_label, banner}
    }
    tlp = stix.tlp_level(banner, CTX)
    obj = stix.record_object(
        DOC,
        record_id=str(uuid.uuid4()),
        created="2024-05-01T12:00:00.000000Z",
        modified=f"2024-05-01T12:00:0{version}.000000Z",
        version=version,
        portions={
            "title": ("Gamma survey", markings[title_label]["id"]),
            "body": ("Cs-137 and Co-60 lines; 日本語も", markings[body_label]["id"]),
        },
        banner_marking=markings[banner]["id"],
        tlp_marking=stix.tlp_markings()[tlp]["id"] if tlp else None,
        created_by=IDENTITY["id"],
        orcon_approved_for=["JPN"] if banner.orcon else [],
    )
    extra = [stix.tlp_markings()[tlp]] if tlp else []
    return [*stix.definitions(RECORD_KINDS), IDENTITY, *markings.values(), *extra, obj]


def _valid(objects: list[dict[str, Any]]) -> None:
    bundle = stix.bundle(f"bundle--{uuid.uuid4()}", objects)
    results = validate_instance(bundle, ValidationOptions(version="2.1"))
    errors = [str(e) for e in results.errors]
    assert results.is_valid, errors


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stored_labels(), st.data())
def test_bundles_we_emit_pass_the_stix2_validator(label: Label, data: st.DataObject) -> None:
    body = label if not data.draw(st.booleans()) else label.with_(compartments=set())
    try:
        objects = _document(label, body.validate(CTX, stored=True))
    except LabelError:
        assume(False)
        return
    _valid(objects)


@pytest.mark.parametrize(
    "banner",
    [
        "UNCLASSIFIED",
        "CUI//REL TO USA, JPN",
        "SECRET//ORCON/REL TO USA, JPN",
        "TOP SECRET//FORENSICS//NOFORN",
    ],
)
def test_demo_markings_pass_the_validator_and_the_stix2_library(banner: str) -> None:
    label = parse_banner(banner, CTX).with_(originator="USA.DOE", legal_basis=CTX.default_basis)
    objects = _document(label, label)
    _valid(objects)
    stix.register_stix2(RECORD_KINDS)
    for obj in objects:
        parsed = stix2.parse(obj, allow_custom=False)
        assert _times(json.loads(parsed.serialize())) == _times(obj), obj["type"]


def _times(value: Any) -> Any:
    """Timestamps as instants (stix2 writes .000Z where we write .000000Z)."""
    if isinstance(value, dict):
        return {k: _times(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_times(v) for v in value]
    if isinstance(value, str) and len(value) >= 20 and value[4] == "-" and value.endswith("Z"):
        try:
            return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    return value


def test_tlp_only_for_unclassified_material() -> None:
    def level(banner: str) -> str | None:
        return stix.tlp_level(parse_banner(banner, CTX), CTX)

    assert level("UNCLASSIFIED") == "clear"
    assert level("UNCLASSIFIED//REL TO USA, JPN") == "amber"
    assert level("SHITEI NASHI") == "clear"
    assert level("CUI//REL TO USA, JPN") is None
    assert level("SECRET//REL TO USA, JPN") is None


def test_tlp2_markings_are_the_published_ones() -> None:
    published = {
        "clear": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
        "green": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
        "amber": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
        "amber+strict": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
        "red": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
    }
    markings = stix.tlp_markings()
    assert {level: m["id"] for level, m in markings.items()} == published
    for level, m in markings.items():
        assert m["name"] == f"TLP:{level.upper()}"
        assert m["extensions"] == {
            stix.TLP2_EXTENSION: {"extension_type": "property-extension", "tlp_2_0": level}
        }


def test_derived_ids_are_deterministic_uuid4_shaped() -> None:
    a = stix.derived_id("marking-definition", "x")
    assert (
        a
        == stix.derived_id("marking-definition", "x")
        != stix.derived_id("marking-definition", "y")
    )
    assert uuid.UUID(a.partition("--")[2]).version == 4


SECRET = parse_banner("SECRET//REL TO USA, JPN", CTX).with_(
    originator="USA.DOE", legal_basis=CTX.default_basis
)


def _marking(**changes: Any) -> dict[str, Any]:
    marking = stix.label_marking(SECRET, CTX, IDENTITY["id"])
    ext = dict(marking["extensions"][stix.EXT_LABEL])
    ext.update(changes.pop("ext", {}))
    return {**marking, "extensions": {stix.EXT_LABEL: ext}, **changes}


@pytest.mark.parametrize(
    ("marking", "field"),
    [
        pytest.param(_marking(ext={"level": "SUPER SECRET"}), "level", id="unknown-level"),
        pytest.param(_marking(ext={"authority": "GBR"}), "authority", id="unknown-nation"),
        pytest.param(_marking(ext={"handling": "eyes only"}), "handling", id="unknown-field"),
        pytest.param(
            _marking(ext={"compartments": ["NUCLEAR"]}), "compartments", id="unknown-compartment"
        ),
        pytest.param(_marking(name="CONFIDENTIAL//REL TO USA, JPN"), "name", id="banner-mismatch"),
        pytest.param(
            _marking(id="marking-definition--6f1c2a9e-3b7d-4c1e-9a2b-0c4d5e6f7a8b"),
            "id",
            id="id-mismatch",
        ),
        pytest.param(
            {
                **_marking(),
                "extensions": {"extension-definition--0c2d9c1e-1f4b-4a0e-8d3e-6b2a7f9c1d2e": {}},
            },
            "extensions",
            id="unknown-extension",
        ),
    ],
)
def test_markings_this_node_cannot_interpret_are_refused(
    marking: dict[str, Any], field: str
) -> None:
    with pytest.raises((LabelError, stix.StixError)) as info:
        stix.label_from_marking(marking, CTX)
    assert info.value.field == field


def _record(**changes: Any) -> dict[str, Any]:
    objects = _document(SECRET, SECRET)
    obj = dict(objects[-1])
    obj.update(changes)
    return {k: v for k, v in obj.items() if v is not None}


@pytest.mark.parametrize(
    ("obj", "field"),
    [
        pytest.param(_record(type="x-nucsec-unknown-kind"), "type", id="unknown-type"),
        pytest.param(_record(x_secret_note="hi"), "x_secret_note", id="unknown-property"),
        pytest.param(
            _record(
                extensions={
                    DOC_EXTENSION: {"extension_type": "new-sdo"},
                    "extension-definition--0c2d9c1e-1f4b-4a0e-8d3e-6b2a7f9c1d2e": {
                        "extension_type": "property-extension"
                    },
                }
            ),
            "extensions",
            id="unknown-extension",
        ),
        pytest.param(_record(extensions=None), "extensions", id="no-extension"),
        pytest.param(
            _record(granular_markings=None), "granular_markings", id="no-portion-markings"
        ),
        pytest.param(_record(record_version=0), "record_version", id="bad-version"),
        pytest.param(_record(id="x-nucsec-document--not-a-uuid"), "id", id="bad-id"),
        pytest.param(_record(title=None), "title", id="missing-portion"),
        pytest.param(_record(spec_version="2.0"), "spec_version", id="old-spec"),
    ],
)
def test_records_of_unknown_shape_are_refused(obj: dict[str, Any], field: str) -> None:
    with pytest.raises(stix.StixError) as info:
        stix.parse_record(obj, RECORD_KINDS)
    assert info.value.field == field


def test_a_record_parses_to_its_portions_and_markings() -> None:
    obj = _record()
    payload = stix.parse_record(obj, RECORD_KINDS)
    assert payload.portions["title"][0] == "Gamma survey"
    assert payload.banner_marking == obj["object_marking_refs"][0]
    assert payload.version == 1 and not payload.revoked
