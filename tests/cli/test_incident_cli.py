"""CLI of the incident register: add, show, list, import, export, stats."""

from __future__ import annotations

import json


def test_add_show_list_stats(demo):
    added = demo(
        "incident",
        "add",
        "--as",
        "dhs.chief",
        "--label",
        "UNCLASSIFIED",
        "--reference",
        "CLI-1",
        "--report-date",
        "2010-11-09",
        "--incident-date",
        "2010-11-08",
        "--country",
        "US",
        "--type",
        "theft",
        "--group",
        "I",
        "--source",
        "Co-60:555TBq",
        "--narrative",
        "stolen teletherapy head",
        "--json",
    )
    assert added.code == 0, added.err
    assert added.json["assessment"]["sources"][0]["category"] == 1
    incident_id = added.json["id"]
    shown = demo("incident", "show", incident_id, "--as", "npa.analyst", "--json")
    assert shown.code == 0 and shown.json["reference"] == "CLI-1"
    assert incident_id in {
        i["id"] for i in demo("incident", "list", "--as", "npa.analyst", "--json").json["items"]
    }
    stats = demo("incident", "stats", "--as", "npa.analyst", "--json").json
    assert stats["total"] >= 1 and stats["by_year"]["2010"] >= 1
    neither = demo("release", "recall", "--as", "dhs.chief", "--json")
    assert neither.code == 2
    recalled = demo("release", "recall", "--incident", incident_id, "--as", "dhs.chief", "--json")
    assert recalled.code == 0, recalled.err
    assert demo("incident", "show", incident_id, "--as", "npa.analyst").code == 4
    after = demo("incident", "stats", "--as", "npa.analyst", "--json").json
    assert after["total"] == stats["total"] - 1


def test_bad_input_names_the_field(demo):
    bad = demo(
        "incident",
        "add",
        "--as",
        "dhs.chief",
        "--label",
        "UNCLASSIFIED",
        "--reference",
        "CLI-2",
        "--report-date",
        "2010-11-09",
        "--country",
        "US",
        "--type",
        "theft",
        "--group",
        "IV",
        "--json",
    )
    assert bad.code == 2
    assert '"field": "itdb_group"' in bad.err
    future = demo(
        "incident",
        "add",
        "--as",
        "dhs.chief",
        "--label",
        "UNCLASSIFIED",
        "--reference",
        "CLI-3",
        "--report-date",
        "2999-01-01",
        "--country",
        "US",
        "--type",
        "theft",
        "--group",
        "I",
        "--json",
    )
    assert future.code == 2 and "report_date" in future.err


def test_import_and_export(demo, tmp_path):
    csv_path = tmp_path / "in.csv"
    csv_path.write_text(
        "reference,record,report_date,country,incident_type,itdb_group\n"
        "IMP-1,incident,2011-01-05,JP,theft,II\n"
        "IMP-2,incident,2011-01-05,JP,theft,V\n",
        encoding="utf-8",
    )
    refused = demo(
        "incident",
        "import",
        str(csv_path),
        "--as",
        "dhs.chief",
        "--label",
        "UNCLASSIFIED",
        "--json",
    )
    assert refused.code == 2
    partial = demo(
        "incident",
        "import",
        str(csv_path),
        "--as",
        "dhs.chief",
        "--label",
        "UNCLASSIFIED",
        "--partial",
        "--json",
    )
    assert partial.code == 0 and len(partial.json["created"]) == 1
    assert partial.json["errors"][0]["line"] == 3
    exported = demo("incident", "export", "--as", "dhs.chief")
    assert "IMP-1" in exported.out and "IMP-2" not in exported.out
    bundle_path = tmp_path / "incidents.json"
    stix = demo(
        "incident", "export", "--as", "dhs.chief", "--format", "stix", "-o", str(bundle_path)
    )
    assert stix.code == 0
    bundle = json.loads(bundle_path.read_text(encoding="utf-8"))
    assert bundle["type"] == "bundle"
    facts = [
        p["value"]
        for o in bundle["objects"]
        if o["type"] == "x-nucsec-incident"
        for p in o["portions"]
        if p["name"] == "facts"
    ]
    assert "IMP-1" in {f["reference"] for f in facts}


def test_an_import_with_a_refused_row_writes_and_queues_nothing(demo, tmp_path):
    """All or nothing on the CLI path: exit 2, the refused row reported, nothing written
    or queued for the partner (twice)."""
    from nucsec import settings
    from nucsec.assembly import open_node
    from tests.incidents.import_cases import (
        FACTS_LABEL,
        IMPORTER,
        add_partner,
        refused_row_csv,
        written,
    )

    csv_path = tmp_path / "refused.csv"
    csv_path.write_text(refused_row_csv(), encoding="utf-8")
    node = open_node(settings.load())
    try:
        add_partner(node)
        before = written(node)
        for _ in range(2):
            out = demo("incident", "import", str(csv_path), "--as", IMPORTER,
                       "--label", FACTS_LABEL, "--json")  # fmt: skip
            assert out.code == 2, out.err
            assert "AON-2" in out.err and "clearance" in out.err
            assert written(node) == before
    finally:
        node.close()
