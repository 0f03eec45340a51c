"""Importing third-party STIX 2.1: a MISP event made into STIX by MISP's own converter
(misp-stix), an OpenCTI-style bundle; the officer's label never wider than the bundle's
markings; idempotent; hostile bundles refused per object with typed reasons; one
transaction; and the round trip MISP -> misp-stix -> import -> export -> validator."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from sqlalchemy import func, select
from stix2validator import ValidationOptions, validate_instance

from nucsec.federation import stix_import
from nucsec.federation.ecosystem import export_ecosystem
from nucsec.federation.ingest import IngestError, Limits, record_uuid
from nucsec.federation.stix_import import import_stix
from nucsec.markings import parse_label
from nucsec.service.documents import get_document
from nucsec.service.incidents import get_incident
from nucsec.store.schema import records
from tests.federation.ecosystem_data import DHS, objects_of

EVENT_INFO = "Seizure of a Cs-137 source at a border crossing"
EVENT_TEXT = "Portal monitor alarm on a truck; the source was in a lead container."


def misp_bundle(tlp: str = "tlp:green", published: bool = True) -> str:
    """A MISP event (pymisp) converted to STIX 2.1 by misp-stix."""
    from misp_stix_converter import MISPtoSTIX21Parser
    from pymisp import MISPEvent, MISPObject

    event = MISPEvent()
    event.info = EVENT_INFO
    event.date = "2024-03-01"
    event.uuid = "5b4a3a2e-1111-4c2d-9e8f-0a1b2c3d4e5f"
    event.published = published
    event.add_tag(tlp)
    event.add_attribute("text", EVENT_TEXT, comment="narrative")
    event.add_attribute("ip-dst", "198.51.100.7")
    place = MISPObject("geolocation")
    place.add_attribute("countrycode", "JP")
    place.add_attribute("city", "Fukuoka")
    event.add_object(place)
    parser = MISPtoSTIX21Parser()
    parser.parse_misp_event(event.to_dict())
    return str(parser.bundle.serialize())


def _sid(kind: str) -> str:
    return f"{kind}--{uuid.uuid4()}"


def opencti_bundle(level: str = "TLP:AMBER+STRICT") -> dict[str, Any]:
    """What OpenCTI exports for an incident: its own TLP marking definitions (random ids,
    ``definition_type`` "TLP", x_opencti properties), an author, a location, a note."""
    marking = {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": _sid("marking-definition"),
        "created": "2024-01-01T00:00:00.000Z",
        "definition_type": "TLP",
        "definition": {"TLP": level},
        "name": level,
        "x_opencti_order": 3,
        "x_opencti_color": "#d84315",
    }
    author = {
        "type": "identity",
        "spec_version": "2.1",
        "id": _sid("identity"),
        "created": "2024-01-01T00:00:00.000Z",
        "modified": "2024-01-01T00:00:00.000Z",
        "name": "Partner CERT",
        "identity_class": "organization",
    }
    common = {
        "spec_version": "2.1",
        "created": "2024-03-02T08:00:00.000Z",
        "modified": "2024-03-02T08:00:00.000Z",
        "created_by_ref": author["id"],
        "object_marking_refs": [marking["id"]],
    }
    incident = {
        "type": "incident",
        "id": _sid("incident"),
        **common,
        "name": "Orphan source found at scrap yard",
        "description": "A Co-60 source was found in scrap metal.",
        "x_opencti_score": 50,
        "extensions": {
            "extension-definition--ea279b3e-5c71-4632-ac08-831c66a786ba": {
                "extension_type": "property-extension",
                "id": "x",
            }
        },
    }
    place = {
        "type": "location",
        "id": _sid("location"),
        **common,
        "name": "Busan",
        "country": "KR",
    }
    located = {
        "type": "relationship",
        "id": _sid("relationship"),
        **common,
        "relationship_type": "located-at",
        "source_ref": incident["id"],
        "target_ref": place["id"],
    }
    note = {
        "type": "note",
        "id": _sid("note"),
        **common,
        "content": "Customs confirmed the activity the next day.",
        "object_refs": [incident["id"]],
    }
    return {
        "type": "bundle",
        "id": _sid("bundle"),
        "objects": [marking, author, incident, place, located, note],
    }


@pytest.fixture
def node(node_factory: Any) -> Any:
    return node_factory("USA", demo=False)


def parse_label_json(label: dict[str, Any]) -> str:
    """The JSON of a stored label given as its dict (a view's ``label``)."""
    from nucsec.markings import Label

    return Label.from_dict(label).to_json()


def _count(node: Any) -> int:
    with node.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(records)).scalar_one())


def _label(node: Any, text: str) -> Any:
    return parse_label(text, node.ctx)


def test_a_misp_event_becomes_a_document_once(node: Any) -> None:
    text = misp_bundle()
    label = _label(node, "UNCLASSIFIED//REL TO USA, JPN")
    first = import_stix(node, DHS, text, label)
    assert first["refused"] == [], first["refused"]
    (made,) = first["created"]
    stored = get_document(node, DHS, made["id"])
    assert made["kind"] == "document"
    assert made["id"] == record_uuid(made["stix_id"], parse_label_json(stored.label))
    doc = get_document(node, DHS, made["id"])
    assert doc.title == EVENT_INFO
    assert EVENT_TEXT in doc.body and "198.51.100.7" in doc.body and "location: JP" in doc.body
    assert doc.banner == "UNCLASSIFIED//REL TO USA, JPN"
    before = _count(node)
    second = import_stix(node, DHS, text, label)
    assert second["created"] == [] and second["updated"] == []
    assert [u["id"] for u in second["unchanged"]] == [made["id"]]
    assert _count(node) == before
    assert get_document(node, DHS, made["id"]).version == 1


def test_the_label_is_never_wider_than_the_bundle_markings(node: Any) -> None:
    amber = misp_bundle("tlp:amber")
    wide = import_stix(node, DHS, amber, _label(node, "UNCLASSIFIED//REL TO USA, JPN"))
    assert wide["created"] == []
    assert [r["reason"] for r in wide["refused"]] == ["label_wider"]
    assert "stays in USA" in wide["refused"][0]["message"]
    green_public = import_stix(node, DHS, misp_bundle(), _label(node, "UNCLASSIFIED"))
    assert [r["reason"] for r in green_public["refused"]] == ["label_wider"]
    assert _count(node) == 0
    home = import_stix(node, DHS, amber, _label(node, "SECRET//NOFORN"))
    assert len(home["created"]) == 1 and home["refused"] == []


def test_an_opencti_incident_becomes_an_incident(node: Any) -> None:
    bundle = opencti_bundle()
    text = json.dumps(bundle)
    refused = import_stix(node, DHS, text, _label(node, "SECRET//NOFORN"))
    assert [r["reason"] for r in refused["refused"]] == ["label_wider"]  # no ORCON
    assert "ORCON" in refused["refused"][0]["message"]
    result = import_stix(node, DHS, text, _label(node, "SECRET//ORCON/NOFORN"))
    assert result["refused"] == [] and result["producer"] == "Partner CERT"
    (made,) = result["created"]
    assert made["kind"] == "incident"
    view = get_incident(node, DHS, made["id"])
    facts = view.incident
    assert facts["country"] == "KR" and facts["place"] == "Busan"
    assert facts["report_date"] == "2024-03-02"
    assert [p["text"] for p in facts["narrative"]] == [
        "A Co-60 source was found in scrap metal.",
        "Customs confirmed the activity the next day.",
    ]
    # a newer version of the same object adds a version; the same one changes nothing
    for obj in bundle["objects"]:
        if obj["type"] == "incident":
            obj["modified"] = "2024-03-05T08:00:00.000Z"
            obj["description"] = "A Co-60 source (3 GBq) was found in scrap metal."
    again = import_stix(node, DHS, json.dumps(bundle), _label(node, "SECRET//ORCON/NOFORN"))
    assert [u["id"] for u in again["updated"]] == [made["id"]], (
        again["unchanged"],
        again["refused"],
    )
    assert get_incident(node, DHS, made["id"]).version == 2


def _hostile() -> dict[str, Any]:
    bundle = opencti_bundle("TLP:CLEAR")
    marking = bundle["objects"][0]["id"]
    base = {
        "spec_version": "2.1",
        "created": "2024-03-02T08:00:00.000Z",
        "modified": "2024-03-02T08:00:00.000Z",
        "object_marking_refs": [marking],
    }
    bundle["objects"] += [
        {"type": "x-unknown-thing", "id": _sid("x-unknown-thing"), **base, "name": "?"},
        {
            "type": "report",
            "id": _sid("report"),
            **base,
            "name": "Broken",
            "published": "2024-03-02T08:00:00.000Z",
            "object_refs": [_sid("indicator")],
        },
        {
            "type": "note",
            "id": _sid("note"),
            **base,
            "content": "hello <script>alert(1)</script>",
            "object_refs": [_sid("indicator")],
        },
        {
            "type": "note",
            "id": _sid("note"),
            **base,
            "object_marking_refs": [_sid("marking-definition")],
            "content": "marked by nothing we know",
            "object_refs": [marking],
        },
        {
            "type": "marking-definition",
            "spec_version": "2.1",
            "id": (strange := _sid("marking-definition")),
            "created": "2024-01-01T00:00:00.000Z",
            "definition_type": "x-secret-society",
            "definition": {"level": "eyes only"},
        },
        {
            "type": "note",
            "id": _sid("note"),
            **base,
            "object_marking_refs": [strange],
            "content": "marked by a marking we cannot read",
            "object_refs": [marking],
        },
        "not an object",
    ]
    return bundle


def test_a_hostile_bundle_is_refused_object_by_object(node: Any) -> None:
    result = import_stix(node, DHS, json.dumps(_hostile()), _label(node, "UNCLASSIFIED//NOFORN"))
    reasons = sorted(r["reason"] for r in result["refused"])
    assert reasons == [
        "active_content",
        "broken_reference",
        "broken_reference",
        "malformed",
        "marking_unknown",
        "marking_unknown",
        "unsupported_type",
    ], result["refused"]
    assert [c["kind"] for c in result["created"]] == ["incident"]  # the good part


def test_a_bundle_beyond_the_limits_is_refused_whole(node: Any) -> None:
    label = _label(node, "UNCLASSIFIED//NOFORN")
    deep: Any = "x"
    for _ in range(100):
        deep = {"a": deep}
    bundle = opencti_bundle("TLP:CLEAR")
    bundle["objects"][2]["x_nested"] = deep
    with pytest.raises(IngestError, match="deeper"):
        import_stix(node, DHS, json.dumps(bundle), label)
    with pytest.raises(IngestError, match="larger"):
        import_stix(node, DHS, json.dumps(opencti_bundle()), label, limits=Limits(max_bytes=100))
    with pytest.raises(IngestError, match="not JSON"):
        import_stix(node, DHS, b'{"type": "bundle"', label)
    with pytest.raises(IngestError, match="not a STIX bundle"):
        import_stix(node, DHS, b"[]", label)
    assert _count(node) == 0


def test_nothing_is_half_written(node: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = opencti_bundle("TLP:CLEAR")
    other = opencti_bundle("TLP:CLEAR")
    bundle["objects"] += other["objects"]
    calls: list[int] = []

    def failing(*args: Any) -> None:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk full")

    monkeypatch.setattr(stix_import, "after_write", failing)
    with pytest.raises(RuntimeError):
        import_stix(node, DHS, json.dumps(bundle), _label(node, "UNCLASSIFIED//NOFORN"))
    assert len(calls) == 2 and _count(node) == 0


def test_misp_round_trip_through_our_export(node: Any) -> None:
    result = import_stix(node, DHS, misp_bundle(), _label(node, "UNCLASSIFIED//REL TO USA, JPN"))
    (made,) = result["created"]
    text = export_ecosystem(node, DHS, ("document",))
    data = json.loads(text)
    checked = validate_instance(data, ValidationOptions(version="2.1"))
    assert checked.is_valid, [str(e) for e in checked.errors]
    reports = {o["id"]: o for o in objects_of(text) if o["type"] == "report"}
    report = reports[f"report--{made['id']}"]
    assert report["name"] == EVENT_INFO
    for fact in (EVENT_TEXT, "198.51.100.7", "location: JP"):
        assert fact in report["description"]
    markings = {o["id"]: o for o in objects_of(text) if o["type"] == "marking-definition"}
    names = [markings[m]["name"] for m in report["object_marking_refs"]]
    assert names == ["UNCLASSIFIED//REL TO USA, JPN", "TLP:AMBER"]  # never wider than GREEN
    # and MISP reads it back as an event with the same title and text
    from tests.federation.test_ecosystem_export import _misp_events

    events = _misp_events(text)
    assert len(events) == 1, [(e.info, e.uuid) for e in events]
    (event,) = events
    assert event.info == EVENT_INFO and "tlp:amber" in {t.name for t in event.tags}
    assert EVENT_TEXT in event.event_reports[0].content
