"""CLI of the practice catalogue and facility self-assessment: the shapes of issue 15
(``practice add ... --json``, ``practice search QUERY --json`` -> items and total,
``facility list|score --json``), typed errors with exit 2 naming the field."""

from __future__ import annotations

import json

REL = "SECRET//REL TO USA, JPN"


def _add(demo, *extra):
    return demo(
        "practice",
        "add",
        "--as",
        "doe.analyst",
        "--summary",
        "Insiders never alone.",
        "--body",
        "Two people.",
        "--label",
        REL,
        "--json",
        *extra,
    )


def test_practice_add_search_show_endorse_export(demo, tmp_path):
    made = _add(
        demo,
        "--title",
        "Two-person rule",
        "--topic",
        "insider_threat",
        "--applicability",
        "cat:I",
        "--cite",
        "NSS-13:TH-I-03",
    )
    assert made.code == 0, made.err
    pid = made.json["id"]
    hidden = _add(demo, "--title", "Insider screening", "--topic", "insider_threat")
    assert hidden.code == 0
    jp = demo(
        "practice",
        "add",
        "--as",
        "npa.analyst",
        "--title",
        "核物質防護の二人規則",
        "--summary",
        "施設内で一人にしない。",
        "--topic",
        "physical_protection",
        "--label",
        "極秘//REL TO USA, JPN",
        "--json",
    )
    assert jp.code == 0, jp.err
    found = demo("practice", "search", "insider", "--as", "npa.analyst", "--json").json
    assert found["total"] == 2 and {i["id"] for i in found["items"]} >= {pid}
    ja = demo("practice", "search", "核物質", "--as", "doe.analyst", "--json").json
    assert [i["id"] for i in ja["items"]] == [jp.json["id"]] and ja["total"] == 1
    shown = demo("practice", "show", pid, "--as", "npa.analyst", "--json").json
    assert shown["citations"][0]["doc"] == "NSS-13" and shown["status"] == "draft"
    assert demo("practice", "propose", pid, "--as", "doe.chief", "--json").code == 0
    endorsed = demo(
        "practice",
        "endorse",
        pid,
        "--as",
        "doe.chief",
        "--meeting",
        "NSWG 2",
        "--date",
        "2012-03-20",
        "--officer",
        "JPN.MEXT:M. Sato",
        "--json",
    )
    assert endorsed.code == 0, endorsed.err
    assert endorsed.json["status"] == "endorsed" and endorsed.json["version"] == 3
    out = tmp_path / "practices.csv"
    assert (
        demo("practice", "export", "--as", "npa.analyst", "--format", "csv", "--out", str(out)).code
        == 0
    )
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 4 and lines[0].startswith("banner,id,code")
    listed = demo("practice", "list", "--as", "npa.analyst", "--json").json
    assert len(listed["items"]) == 3


def test_practice_errors_name_the_field(demo):
    bad = _add(demo, "--title", "T", "--topic", "gardening")
    assert bad.code == 2 and json.loads(bad.err)["field"] == "topic"
    bad = _add(demo, "--title", "T", "--topic", "insider_threat", "--applicability", "cat:IV")
    assert bad.code == 2 and json.loads(bad.err)["field"] == "applicability[0]"
    assert demo("practice", "list", "--as", "doe.analyst", "--json").json["items"] == []
    missing = demo(
        "practice", "show", "00000000-0000-4000-8000-000000000000", "--as", "doe.analyst", "--json"
    )
    assert missing.code == 4


def test_framework_show_and_import(demo, tmp_path):
    shown = demo("framework", "show", "nucsec-facility", "--json").json
    assert shown["nodes"]["question"] > 0 and "1" in shown["weight_sets"]
    good = tmp_path / "mini.toml"
    good.write_text(
        '[framework]\nid = "mini"\nversion = "1"\ntitle = "Mini"\n'
        '[[scales]]\nid = "yn"\ntitle = "Yes or no"\n'
        'options = [{code = "yes", label = "Yes", score = 100, compliant = true},'
        ' {code = "no", label = "No", score = 0, compliant = false}]\n'
        '[[nodes]]\ncode = "A"\nkind = "category"\ntitle = "A"\n'
        '[[nodes]]\ncode = "B"\nkind = "category"\ntitle = "B"\n'
        '[[nodes]]\ncode = "A.q"\nkind = "question"\ntitle = "q"\nparent = "A"\nscale = "yn"\n'
        '[[nodes]]\ncode = "B.q"\nkind = "question"\ntitle = "q"\nparent = "B"\nscale = "yn"\n'
        "[weight_sets.1]\nweights = {A = 60, B = 40}\n",
        encoding="utf-8",
    )
    assert demo("framework", "import", str(good), "--json").json["id"] == "mini"
    bad = tmp_path / "bad.toml"
    bad.write_text(good.read_text().replace("B = 40", "B = 30"), encoding="utf-8")
    refused = demo("framework", "import", str(bad), "--json")
    assert refused.code == 2 and "weight_sets" in json.loads(refused.err)["field"]


def test_facility_add_list_assess_score(demo, tmp_path):
    record = tmp_path / "reactor.json"
    record.write_text(
        json.dumps(
            {
                "name": "Research reactor",
                "operator": "University",
                "type": "research_reactor",
                "holdings": [
                    {
                        "area": "vault",
                        "items": [
                            {
                                "kind": "material",
                                "material": "U",
                                "mass_g": 6000,
                                "enrichment_pct": 93,
                            }
                        ],
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    made = demo(
        "facility", "add", "--as", "doe.analyst", "--file", str(record), "--label", REL, "--json"
    )
    assert made.code == 0, made.err
    fid = made.json["id"]
    assert made.json["profile"]["material_categories"] == ["I"]
    listed = demo("facility", "list", "--as", "npa.analyst", "--json").json
    assert [i["id"] for i in listed["items"]] == [fid]
    assert demo("facility", "score", fid, "--as", "doe.analyst", "--json").code == 4
    first = demo("facility", "assess", fid, "--as", "doe.analyst", "--label", REL, "--json")
    assert first.code == 0, first.err
    scores = demo("facility", "score", fid, "--as", "npa.analyst", "--json").json
    assert scores["overall"]["maturity"] == 0 and scores["assessment"] == first.json["id"]
    assert all(n["maturity"] is None or 0 <= n["maturity"] <= 100 for n in scores["nodes"])
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({"answers": [{"question": "nope", "value": "4"}]}))
    bad = demo(
        "facility",
        "assess",
        fid,
        "--as",
        "doe.analyst",
        "--file",
        str(answers),
        "--label",
        REL,
        "--json",
    )
    assert bad.code == 2 and "answers" in json.loads(bad.err)["field"]


def test_practice_adopt_and_adoption_rates(demo, tmp_path):
    pid = _add(demo, "--title", "Two-person rule", "--topic", "insider_threat").json["id"]
    assert demo("practice", "propose", pid, "--as", "doe.chief", "--json").code == 0
    endorse = ("--meeting", "NSWG 2", "--date", "2012-03-20", "--officer", "JPN.MEXT:M. Sato")
    assert demo("practice", "endorse", pid, "--as", "doe.chief", *endorse).code == 0
    record = tmp_path / "lab.json"
    record.write_text(
        json.dumps({"name": "Lab", "operator": "Uni", "type": "laboratory", "holdings": []}),
        encoding="utf-8",
    )
    add_fac = ("facility", "add", "--as", "doe.analyst", "--file", str(record), "--json")
    fids = [demo(*add_fac, "--label", REL).json["id"] for _ in range(2)]

    def adopt(*extra):
        return demo(
            "practice",
            "adopt",
            pid,
            "--as",
            "doe.analyst",
            "--evidence",
            "Procedure P-7 in force.",
            "--label",
            REL,
            "--json",
            *extra,
        )

    made = adopt("--date", "2013-05-01", "--facility", fids[0])
    assert made.code == 0, made.err
    assert made.json["adopter"] == f"facility:{fids[0]}" and made.json["status"] == "adopted"
    assert adopt("--date", "2014-01-10", "--facility", fids[1]).code == 0
    bad = adopt("--date", "2013-13-01")
    assert bad.code == 2 and json.loads(bad.err)["field"] == "date"
    # 2 readable facilities: by the end of 2012 none, 2013 one (50 %), 2014 both (100 %)
    out = demo("practice", "adoption", "--as", "npa.analyst", "--json")
    assert out.code == 0, out.err
    rates = dict(zip(out.json["years"], out.json["practices"][0]["rates"], strict=True))
    assert (rates[2012], rates[2013], rates[2014]) == (0.0, 50.0, 100.0)
    text = demo("practice", "adoption", "--as", "npa.analyst")
    assert "2013: 50%" in text.out


def test_facility_survey_add_and_results(demo, tmp_path):
    record = tmp_path / "lab.json"
    record.write_text(
        json.dumps({"name": "Lab", "operator": "Uni", "type": "laboratory", "holdings": []}),
        encoding="utf-8",
    )
    add_fac = ("facility", "add", "--as", "doe.analyst", "--file", str(record), "--json")
    fid = demo(*add_fac, "--label", REL).json["id"]
    points = ["agree", "agree", "disagree", None, "strongly_agree"]
    survey = tmp_path / "survey.json"
    survey.write_text(
        json.dumps(
            {
                "held_on": "2024-05-01",
                "staff_groups": ["operations"],
                "responses": [
                    {"staff_group": "operations", "answers": {"CS-01": p}} for p in points
                ],
            }
        ),
        encoding="utf-8",
    )
    add = ("facility", "survey", "add", fid, "--as", "doe.analyst", "--file", str(survey))
    made = demo(*add, "--label", REL, "--json")
    assert made.code == 0, made.err
    assert made.json["respondents"] == 5 and made.json["held_on"] == "2024-05-01"
    out = demo("facility", "survey", "results", fid, "--as", "npa.analyst", "--json")
    assert out.code == 0, out.err
    cell = next(c for c in out.json["cells"] if c["key"] == "CS-01")
    # 3 of the 4 who answered agree, 1 disagrees, 1 N/A
    assert cell["agree_pct"] == 75.0 and cell["disagree_pct"] == 25.0
    assert cell["not_applicable"] == 1
    text = demo("facility", "survey", "results", fid, "--as", "npa.analyst")
    assert "2024-05-01  operations" in text.out and "agree 75%" in text.out
    survey.write_text(json.dumps({"staff_groups": ["x"], "responses": []}), encoding="utf-8")
    bad = demo(*add, "--label", REL, "--json")
    assert bad.code == 2 and json.loads(bad.err)["field"] == "responses"
