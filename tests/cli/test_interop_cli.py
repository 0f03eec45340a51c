"""CLI of the STIX interop: ``nucsec import stix`` and ``nucsec export stix``."""

from __future__ import annotations

import json

from tests.federation.test_ecosystem_import import EVENT_INFO, EVENT_TEXT, misp_bundle


def test_import_a_misp_bundle_then_export_it(demo, tmp_path):
    path = tmp_path / "event.json"
    path.write_text(misp_bundle(), encoding="utf-8")
    args = ("import", "stix", str(path), "--as", "dhs.chief", "--json")
    label = ("--label", "UNCLASSIFIED//REL TO USA, JPN")
    first = demo(*args, *label)
    assert first.code == 0, first.err
    (made,) = first.json["created"]
    assert made["kind"] == "document" and first.json["refused"] == []
    again = demo(*args, *label)
    assert again.json["created"] == [] and len(again.json["unchanged"]) == 1
    public = demo(*args, "--label", "UNCLASSIFIED")
    assert public.code == 0 and public.json["refused"][0]["reason"] == "label_wider"
    out = tmp_path / "out.json"
    exported = demo("export", "stix", "--as", "dhs.chief", "--kind", "document", "-o", str(out))
    assert exported.code == 0, exported.err
    reports = [o for o in json.loads(out.read_text())["objects"] if o["type"] == "report"]
    mine = [r for r in reports if r["id"] == f"report--{made['id']}"]
    assert mine and mine[0]["name"] == EVENT_INFO and EVENT_TEXT in mine[0]["description"]
    shown = demo("document", "get", made["id"], "--as", "npa.analyst", "--json")
    assert shown.code == 0 and shown.json["title"] == EVENT_INFO


def test_a_file_that_is_not_a_bundle_is_refused(demo, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text("[1, 2]", encoding="utf-8")
    bad = demo("import", "stix", str(path), "--as", "dhs.chief", "--label", "UNCLASSIFIED")
    assert bad.code == 2 and "not a STIX bundle" in bad.err
