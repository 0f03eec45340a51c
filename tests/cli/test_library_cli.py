"""CLI of the forensics library: add, import, export, list, show, match (``--as``, ``--json``)."""

from __future__ import annotations

import json

import pytest

from nucsec.forensics.library import demo_library, library_to_json
from tests.library.samples import UCLO_SAMPLE as SAMPLE


@pytest.fixture
def demo(demo):  # type: ignore[no-untyped-def]
    """The demo node with the demo library loaded (as ``make demo`` loads it)."""
    from nucsec.assembly import open_node
    from nucsec.demo import seed_library

    with open_node() as node:
        seed_library(node, {node.nation})
    return demo


def test_list_show_match_on_the_demo_library(demo, tmp_path):
    listed = demo("library", "list", "--as", "doe.analyst", "--json")
    assert listed.code == 0, listed.err
    ids = {i["entry"] for i in listed.json}
    assert {"UCLO-1", "UCHI-1"} <= ids
    shown = demo("library", "show", "UCLO-1", "--as", "doe.analyst", "--json")
    assert shown.code == 0, shown.err
    assert shown.json["id"] == "UCLO-1"
    assert all("spread" in s and "name" in s for s in shown.json["signatures"])
    missing = demo("library", "show", "NO-SUCH", "--as", "doe.analyst", "--json")
    assert missing.code == 4
    path = tmp_path / "sample.json"
    path.write_text(json.dumps(SAMPLE))
    matched = demo(
        "library", "match", str(path), "--as", "doe.analyst", "--library", "crm", "--json"
    )
    assert matched.code == 0, matched.err
    out = matched.json
    assert out["conclusion"] == "consistent"
    c = out["candidates"][0]
    assert c["entry"] == "UCLO-1" and c["verdict"] == "consistent"
    assert {"name", "verdict", "z", "reason"} <= set(c["signatures"][0])
    assert [x["entry"] for x in out["excluded"]] == ["UCHI-1"]
    assert "next_measurement" in out
    human = demo("library", "match", str(path), "--as", "doe.analyst", "--library", "crm")
    assert "conclusion: consistent" in human.out


def test_import_export_and_errors(demo, tmp_path):
    entries = [e.to_dict() | {"id": f"CLI-{i}"} for i, e in enumerate(demo_library())]
    good = tmp_path / "lib.json"
    good.write_text(json.dumps({"entries": entries}))
    bad_entries = json.loads(good.read_text())
    bad_entries["entries"][1]["material_type"] = "cheese"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(bad_entries))
    label = "SECRET//FORENSICS//REL TO USA, JPN"
    args = ("--as", "doe.analyst", "--label", label, "--library", "cli")
    refused = demo("library", "import", str(bad), *args, "--json")
    assert refused.code == 2
    problems = json.loads(refused.err)["problems"]
    assert problems[0]["entry"] == "CLI-1" and problems[0]["field"] == "material_type"
    listed = demo("library", "list", "--as", "doe.analyst", "--library", "cli", "--json")
    assert listed.json == []  # nothing half-imported
    done = demo("library", "import", str(good), *args, "--json")
    assert done.code == 0, done.err
    assert done.json["entries"] == ["CLI-0", "CLI-1"]
    exported = demo("library", "export", "--as", "doe.analyst", "--library", "cli")
    assert json.loads(exported.out) == json.loads(
        library_to_json(
            [e.__class__(**{**e.__dict__, "id": f"CLI-{i}"}) for i, e in enumerate(demo_library())]
        )
    )
    csv_out = demo(
        "library", "export", "--as", "doe.analyst", "--library", "cli", "--format", "csv"
    )
    assert csv_out.code == 0 and "CLI-0" in csv_out.out
    # the same ids again: a conflict (exit 6), nothing written
    again = demo("library", "import", str(good), *args, "--json")
    assert again.code == 6
    one = tmp_path / "one.json"
    one.write_text(json.dumps(entries[0] | {"id": "CLI-9"}))
    added = demo("library", "add", str(one), *args, "--json")
    assert added.code == 0, added.err
    assert added.json["entry"]["id"] == "CLI-9"
    # a user who may not read the label does not see it
    hidden = demo("library", "show", "CLI-9", "--as", "dhs.analyst", "--json")
    assert hidden.code == 4
