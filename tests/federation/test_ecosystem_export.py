"""The ecosystem export: standard STIX 2.1 objects beside ours, valid for the OASIS
validator, read by MISP's own converter (misp-stix) into events that carry the incidents,
their locations, agencies and markings; nothing NOFORN or hidden from the exporter."""

from __future__ import annotations

import json
from typing import Any

import pytest
from stix2validator import ValidationOptions, validate_instance

from nucsec.federation.ecosystem import export_incidents_ecosystem
from tests.federation.ecosystem_data import DHS, DOE, add, objects_of, principal


@pytest.fixture
def exported(node_factory: Any) -> dict[str, Any]:
    node = node_factory("USA", demo=False)
    ids = {
        "shared": add(
            node,
            DHS,
            "ECO-1",
            "SECRET//REL TO USA, JPN",
            ("CONFIDENTIAL//REL TO USA, JPN", "First paragraph."),
            ("SECRET//REL TO USA, JPN", "Second paragraph, 日本語も."),
        ),
        "public": add(node, DHS, "ECO-2", "UNCLASSIFIED", ("UNCLASSIFIED", "Public text.")),
        "noforn": add(node, DHS, "ECO-3", "SECRET//NOFORN", ("SECRET//NOFORN", "Stays home.")),
        "orcon": add(node, DOE, "ECO-4", "SECRET//ORCON/REL TO USA, JPN"),
    }
    return {
        "ids": ids,
        "text": export_incidents_ecosystem(node, DHS),
        "low": export_incidents_ecosystem(node, principal("DHS", "CONFIDENTIAL")),
        "node": node,
    }


def _by_type(objects: list[dict[str, Any]], stix_type: str) -> dict[str, dict[str, Any]]:
    return {o["id"]: o for o in objects if o["type"] == stix_type}


def test_the_bundle_passes_the_oasis_validator(exported: dict[str, Any]) -> None:
    results = validate_instance(json.loads(exported["text"]), ValidationOptions(version="2.1"))
    assert results.is_valid, [str(e) for e in results.errors]


def test_standard_objects_stand_beside_ours(exported: dict[str, Any]) -> None:
    objects = objects_of(exported["text"])
    ids = exported["ids"]
    incidents = _by_type(objects, "incident")
    assert set(incidents) == {f"incident--{ids['shared']}", f"incident--{ids['public']}"}
    assert set(_by_type(objects, "x-nucsec-incident")) == {
        f"x-nucsec-incident--{ids['shared']}",
        f"x-nucsec-incident--{ids['public']}",
    }
    markings = _by_type(objects, "marking-definition")
    shared = incidents[f"incident--{ids['shared']}"]
    assert shared["name"] == "ECO-1: site of ECO-1"
    assert "reference: ECO-1" in shared["description"]
    assert [markings[m]["name"] for m in shared["object_marking_refs"]] == [
        "SECRET//REL TO USA, JPN"
    ]  # classified: no TLP
    public = incidents[f"incident--{ids['public']}"]
    assert [markings[m]["name"] for m in public["object_marking_refs"]] == [
        "UNCLASSIFIED",
        "TLP:CLEAR",
    ]
    rel = {
        (r["relationship_type"], r["source_ref"]): r
        for r in _by_type(objects, "relationship").values()
    }
    located = _by_type(objects, "location")[rel[("located-at", shared["id"])]["target_ref"]]
    assert located["country"] == "US" and located["name"] == "site of ECO-1"
    notes = [n for n in _by_type(objects, "note").values() if shared["id"] in n["object_refs"]]
    assert sorted((n["content"], markings[n["object_marking_refs"][0]]["name"]) for n in notes) == [
        ("First paragraph.", "CONFIDENTIAL//REL TO USA, JPN"),
        ("Second paragraph, 日本語も.", "SECRET//REL TO USA, JPN"),
    ]
    report = _by_type(objects, "report")[f"report--{ids['shared']}"]
    assert {shared["id"], located["id"], *(n["id"] for n in notes)} <= set(report["object_refs"])
    assert report["granular_markings"][0]["selectors"] == ["name"]
    names = {o["name"] for o in _by_type(objects, "identity").values()}
    assert {"Government of USA", "USA.DHS"} <= names


def test_nothing_noforn_or_hidden_is_exported(exported: dict[str, Any]) -> None:
    for key in ("text", "low"):
        text = exported[key]
        for hidden in ("noforn", "orcon"):
            assert exported["ids"][hidden] not in text
        assert "Stays home" not in text and "ECO-3" not in text and "ECO-4" not in text
        assert "NOFORN" not in text
    low = objects_of(exported["low"])
    assert set(_by_type(low, "incident")) == {f"incident--{exported['ids']['public']}"}
    assert "SECRET" not in exported["low"]


def _misp_events(text: str) -> list[Any]:
    from misp_stix_converter import ExternalSTIX2toMISPParser
    from stix2 import parse

    parser = ExternalSTIX2toMISPParser()
    parser.load_stix_bundle(parse(text, allow_custom=True, interoperability=True))
    parser.parse_stix_bundle()
    if parser.single_event:  # one report: one event
        return [parser.misp_event]
    return list(parser.misp_events)


def test_misp_stix_reads_incidents_locations_and_markings(exported: dict[str, Any]) -> None:
    events = {e.info: e for e in _misp_events(exported["text"])}
    assert set(events) == {"ECO-1: site of ECO-1", "ECO-2: site of ECO-2"}
    shared = events["ECO-1: site of ECO-1"]
    tags = {t.name for t in shared.tags}
    assert "secret//rel to usa, jpn" in tags and not any(t.startswith("tlp:") for t in tags)
    public_tags = {t.name for t in events["ECO-2: site of ECO-2"].tags}
    assert {"unclassified", "tlp:clear"} <= public_tags
    (report,) = shared.event_reports
    assert "reference: ECO-1" in report.content and "itdb_group: I" in report.content
    assert "First paragraph." in report.content and "日本語も" in report.content
    organisations = sorted(
        a.value
        for o in shared.objects
        if o.name == "organization"
        for a in o.attributes
        if a.object_relation == "name"
    )
    assert organisations == ["Government of USA", "USA.DHS"]
    clusters = [c for g in shared.galaxies for c in g.clusters]
    assert [(c.value, c.meta.get("country")) for c in clusters] == [("site of ECO-1", "US")]
    everything = json.dumps([e.to_dict() for e in events.values()], default=str)
    assert "Stays home" not in everything and "ECO-3" not in everything
    assert "ECO-4" not in everything and "noforn" not in everything.lower()
