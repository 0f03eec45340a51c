"""``nucsec case attach-match``: a ``library match --json`` answer kept with a case through
the command line; a malformed answer exits 2 naming the field and writes nothing."""

from __future__ import annotations

import json
from pathlib import Path

SAMPLE = {
    "id": "Q-1",
    "material_type": "uoc",
    "signatures": [
        {"name": "n(235U)/n(238U)", "value": 0.00725, "u": 3e-6, "unit": "mol/mol"},
    ],
}


def test_attach_match_from_the_cli(demo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    nucsec = demo
    opened = nucsec(
        "case", "open", "--as", "doe.chief", "--title", "Drum", "--label", "CUI//REL TO USA, JPN",
        "--json",
    )  # fmt: skip
    assert opened.code == 0, opened.err
    case_id = opened.json["id"]
    sample = tmp_path / "sample.json"
    sample.write_text(json.dumps(SAMPLE), encoding="utf-8")
    matched = nucsec("library", "match", str(sample), "--as", "doe.chief", "--json")
    assert matched.code == 0, matched.err
    answer = tmp_path / "match.json"
    answer.write_text(json.dumps(matched.json), encoding="utf-8")
    args = ["case", "attach-match", case_id, str(sample), str(answer), "--as", "doe.chief"]
    kept = nucsec(*args, "--label", "CUI//REL TO USA, JPN", "--json")
    assert kept.code == 0, kept.err
    assert "match.0" in kept.json["portions"]
    assert kept.json["portions"]["match.0"]["value"]["match"] == matched.json
    answer.write_text(json.dumps({"conclusion": "x"}), encoding="utf-8")
    bad = nucsec(*args, "--label", "CUI//REL TO USA, JPN", "--json")
    assert bad.code == 2 and json.loads(bad.err)["field"] == "match.1.match"
    shown = nucsec("case", "show", case_id, "--as", "doe.chief", "--json")
    assert "match.1" not in shown.json["portions"]
