"""`nucsec categorize` shapes, the demo incidents, and the doctests of the package."""

from __future__ import annotations

import doctest
import importlib
import json
import pkgutil

import pytest

import nucsec.incidents
from nucsec.cli import main
from nucsec.incidents.demo import DEMO_INCIDENTS, demo_incidents


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict, str]:
    code = main(["categorize", *args])
    out, err = capsys.readouterr()
    data = json.loads(out) if out.strip().startswith("{") else {}
    return code, data, err


def test_source_shape(capsys: pytest.CaptureFixture[str]) -> None:
    code, data, _ = _run(
        capsys, "source", "--item", "Co-60:555TBq", "--item", "Cs-137:0.19TBq",
        "--date", "2010-11-08", "--json",
    )  # fmt: skip
    assert code == 0
    assert {"items", "sum_a_over_d", "category", "reasons"} <= set(data)
    assert data["category"] == 1
    assert [round(i["a_over_d"], 6) for i in data["items"]] == [18500.0, 1.9]
    assert data["sum_a_over_d"] == pytest.approx(18501.9)


def test_six_gauges_on_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    args = [a for _ in range(6) for a in ("--item", "Cs-137:0.19TBq")]
    code, data, _ = _run(capsys, "source", *args, "--json")
    assert (code, data["category"]) == (0, 2)


@pytest.mark.parametrize("unit", ["TBq", "GBq", "MBq", "kBq", "Bq", "Ci", "mCi"])
def test_source_units(capsys: pytest.CaptureFixture[str], unit: str) -> None:
    code, data, _ = _run(capsys, "source", "--item", f"Co-60:1{unit}", "--json")
    assert code == 0 and data["category"] in {1, 2, 3, 4, 5}


def test_unknown_d_value_gives_null_with_reason(capsys: pytest.CaptureFixture[str]) -> None:
    code, data, _ = _run(capsys, "source", "--item", "I-131:5TBq", "--json")
    assert code == 0 and data["category"] is None
    assert data["reasons"][0].startswith("category unknown: no D-value")


def test_decay_with_reference_date(capsys: pytest.CaptureFixture[str]) -> None:
    code, data, _ = _run(
        capsys, "source", "--item", "Co-60:555TBq@2000-01-01", "--date", "2010-11-08", "--json"
    )
    assert code == 0 and data["items"][0]["activity_at_date_tbq"] == pytest.approx(133.2, abs=0.1)


@pytest.mark.parametrize(
    "args,field",
    [
        (["source", "--item", "Co-60:555"], "items[0].activity"),
        (["source", "--item", "Qq-60:5TBq"], "items[0].nuclide"),
        (["source", "--item", "Co-60"], "items[0]"),
        (["source", "--item", "Co-60:5TBq@2000-01-01"], "date"),
        (["source", "--item", "Co-60:5TBq", "--date", "yesterday"], "date"),
        (["material", "--material", "U", "--mass-g", "-1", "--enrichment-pct", "5"], "mass_g"),
        (["material", "--material", "U", "--mass-g", "1", "--enrichment-pct", "101"],
         "enrichment_pct"),
        (["material", "--material", "Xe", "--mass-g", "1"], "material"),
    ],
    ids=["no-unit", "unknown-nuclide", "no-activity", "decay-without-date", "bad-date",
         "negative-mass", "enrichment-above-100", "unknown-material"],
)  # fmt: skip
def test_bad_input_exit_2_with_field(
    capsys: pytest.CaptureFixture[str], args: list[str], field: str
) -> None:
    code, _, err = _run(capsys, *args, "--json")
    assert code == 2
    assert json.loads(err)["field"] == field


def test_material_shape(capsys: pytest.CaptureFixture[str]) -> None:
    code, data, _ = _run(
        capsys,
        "material",
        "--material",
        "U",
        "--mass-g",
        "1500",
        "--enrichment-pct",
        "93",
        "--json",
    )
    assert code == 0
    assert {"category", "fissile_mass_g", "reasons"} <= set(data)
    assert (data["category"], data["fissile_mass_g"]) == ("II", 1395.0)


@pytest.mark.parametrize(
    "args,category",
    [
        (["--material", "Pu", "--mass-g", "2000"], "I"),
        (["--material", "U-233", "--mass-g", "600"], "II"),
        (["--material", "U", "--mass-g", "100", "--enrichment-pct", "3"], None),
        (["--material", "U", "--mass-g", "100", "--enrichment-pct", "3", "--irradiated"], "II"),
        (["--material", "Pu", "--mass-g", "3000", "--pu238-pct", "90"], None),
    ],
    ids=["Pu-2kg-I", "U233-600g-II", "LEU-below-III", "irradiated-LEU-II", "Pu238-90pct"],
)
def test_material_variants(
    capsys: pytest.CaptureFixture[str], args: list[str], category: str | None
) -> None:
    code, data, _ = _run(capsys, "material", *args, "--json")
    assert code == 0 and data["category"] == category


def test_human_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["categorize", "source", "--item", "Co-60:555TBq"]) == 0
    assert "category: 1" in capsys.readouterr().out
    assert main(["categorize", "material", "--material", "Th", "--mass-g", "5"]) == 0
    assert "below Category III" in capsys.readouterr().out


def test_demo_incidents_are_valid_and_labelled() -> None:
    demo = demo_incidents()
    assert len(demo) == len(DEMO_INCIDENTS) == 9
    real = [d for d in DEMO_INCIDENTS if not d["fictional"]]
    assert len(real) == 4
    for d in real:
        assert d["label"] == "UNCLASSIFIED" and d["sources"]
        assert all(p["label"] == "UNCLASSIFIED" for p in d["record"]["narrative"])
    for d in DEMO_INCIDENTS:
        if d["fictional"]:
            assert d["record"]["reference"].startswith("DEMO-")
            assert "FICTIONAL" in d["record"]["narrative"][0]["text"]
            assert d["label"] != "UNCLASSIFIED"


def test_assess_every_demo_incident() -> None:
    from nucsec.incidents.assess import assess_incident

    by_ref = {i.reference: assess_incident(i) for _, i in demo_incidents()}
    assert by_ref["DEMO-JP-2024-001"]["sources"][0]["category"] == 1  # 555 TBq Co-60, 10 y old
    assert by_ref["DEMO-JP-2023-002"]["sources"][0]["category"] is None  # I-131: no D-value
    assert by_ref["DEMO-US-2024-003"]["materials"][0]["category"] == "II"
    assert by_ref["DEMO-US-2024-003"]["weapons_usable"] is True
    assert by_ref["ITDB-2006-GE-HEU"]["materials"][0]["category"] == "III"
    assert by_ref["ITDB-2005-US-NJ"]["materials"][0]["below_category_iii"] is None  # unknown
    assert by_ref["DEMO-US-2021-011"] == {
        "date": "2021-07-07", "sources": [], "materials": [], "weapons_usable": False
    }  # fmt: skip


def test_demo_labels_parse_with_the_markings_module() -> None:
    markings = pytest.importorskip("nucsec.markings")
    ctx = markings.default_context()
    for d in DEMO_INCIDENTS:
        markings.parse_banner(d["label"], ctx)
        for portion in d["record"].get("narrative", []):
            markings.parse_banner(portion["label"], ctx)


_MODULES = sorted(m.name for m in pkgutil.iter_modules(nucsec.incidents.__path__))


@pytest.mark.parametrize("name", _MODULES)
def test_doctests(name: str) -> None:
    module = importlib.import_module(f"nucsec.incidents.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_top_level_help_lists_categorize(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    assert "categorize" in capsys.readouterr().out
