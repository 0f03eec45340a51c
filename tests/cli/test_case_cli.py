"""``nucsec case``: the whole path from opening a case to its issued report and STIX
export, on a demo node, through the command line (exit codes from the status table)."""

from __future__ import annotations

import json
from pathlib import Path

from stix2validator import ValidationOptions, validate_instance

C_REL = "CONFIDENTIAL//REL TO USA, JPN"
AGE = {
    "chronometer": "Th-230/U-234",
    "ratio": 1.41148e-4,
    "ratio_unc": 7.06e-7,
    "measured_on": "2024-05-01",
    "age_on": "2024-05-01",
}


def _age_analysis() -> str:
    """An age analysis by doe.analyst (analyses are made through the API or the UI)."""
    from nucsec.assembly import open_node
    from nucsec.markings import parse_banner
    from nucsec.service.analyses import save_age_analysis
    from nucsec.service.users import principal_of

    with open_node() as n:
        label = parse_banner("SECRET//REL TO USA, JPN", n.ctx)
        doe = principal_of(n, "doe.analyst")
        return save_age_analysis(n, doe, params=AGE, label=label).id


def test_case_from_open_to_report_and_export(demo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    nucsec = demo
    opened = nucsec(
        "case",
        "open",
        "--as",
        "doe.chief",
        "--title",
        "Seized vial",
        "--label",
        "CUI//REL TO USA, JPN",
        "--json",
    )
    assert opened.code == 0, opened.err
    case_id = opened.json["id"]
    added = nucsec(
        "case",
        "add-sample",
        case_id,
        "--as",
        "doe.chief",
        "--sample",
        "S-1",
        "--description",
        "UO2 powder",
        "--mass-g",
        "12.5",
        "--container",
        "vial",
        "--where",
        "border",
        "--holder",
        "customs",
        "--label",
        C_REL,
        "--json",
    )
    assert added.code == 0, added.err
    moved = nucsec(
        "case", "custody", case_id, "S-1", "--as", "doe.analyst", "--where", "lab", "--json"
    )
    assert moved.code == 0, moved.err
    assert [c["where"] for c in moved.json["samples"][0]["custody"]] == ["border", "lab"]
    bad = nucsec(
        "case",
        "add-sample",
        case_id,
        "--as",
        "doe.chief",
        "--sample",
        "S-2",
        "--description",
        "x",
        "--mass-g",
        "-1",
        "--where",
        "b",
        "--label",
        C_REL,
        "--json",
    )
    assert bad.code == 2 and json.loads(bad.err)["field"] == "sample.mass_g"
    analysis = _age_analysis()
    linked = nucsec(
        "case",
        "attach",
        case_id,
        analysis,
        "--as",
        "doe.chief",
        "--label",
        "CUI//REL TO USA, JPN",
        "--candidate",
        "Plant A:2008:2012",
    )
    assert linked.code == 0, linked.err
    unlinked = nucsec(
        "case",
        "assess",
        case_id,
        "--as",
        "doe.chief",
        "--finding",
        "x",
        "--evidence",
        "other",
        "--confidence",
        "strong",
        "--label",
        C_REL,
    )
    assert unlinked.code == 2
    assessed = nucsec(
        "case",
        "assess",
        case_id,
        "--as",
        "doe.chief",
        "--finding",
        "Consistent with Plant A.",
        "--evidence",
        analysis,
        "--confidence",
        "moderate",
        "--label",
        "SECRET//REL TO USA, JPN",
        "--json",
    )
    assert assessed.code == 0, assessed.err
    assert (
        nucsec(
            "case",
            "report",
            case_id,
            "--as",
            "doe.chief",
            "--format",
            "html",
            "-o",
            str(tmp_path / "none.html"),
        ).code
        == 4
    )  # nothing issued yet
    issued = nucsec(
        "case", "issue-report", case_id, "--as", "doe.chief", "--stage", "preliminary", "--json"
    )
    assert issued.code == 0, issued.err
    assert issued.json["stage"] == "interim"
    assert "report" not in issued.json["portions"]["report.0"]["value"]  # body left out
    listed = nucsec("case", "list", "--as", "doe.chief", "--json")
    row = next(c for c in listed.json if c["id"] == case_id)
    assert row["stage"] == "interim" and row["overdue"] is False and row["due"]
    out = tmp_path / "case.html"
    wrote = nucsec(
        "case", "report", case_id, "--as", "doe.chief", "--format", "html", "-o", str(out)
    )
    assert wrote.code == 0, wrote.err
    html = out.read_text(encoding="utf-8")
    assert "Seized vial" in html and "moderate support (LR 10 to 100)" in html
    assert "Plant A" in html  # the model date plot against the candidate
    # a reader who may not read the case: not found, nothing written
    hidden = tmp_path / "hidden.html"
    assert (
        nucsec(
            "case", "report", case_id, "--as", "dhs.analyst", "--format", "html", "-o", str(hidden)
        ).code
        == 4
    )  # CONFIDENTIAL clearance, SECRET case
    assert not hidden.exists()
    stix_file = tmp_path / "case.json"
    exported = nucsec("case", "export", case_id, "--as", "doe.chief", "-o", str(stix_file))
    assert exported.code == 0, exported.err
    bundle = json.loads(stix_file.read_text(encoding="utf-8"))
    types = {o["type"] for o in bundle["objects"]}
    assert {"report", "grouping", "note", "marking-definition"} <= types
    results = validate_instance(bundle, ValidationOptions(version="2.1"))
    assert results.is_valid, [str(e) for e in results.errors]
    shown = nucsec("case", "show", case_id, "--as", "doe.chief")
    assert shown.code == 0 and "preliminary" in shown.out and "S-1" in shown.out
