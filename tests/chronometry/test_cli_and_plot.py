"""The ``nucsec age`` command and the ingrowth curve/SVG."""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nucsec.cli import main
from nucsec.errors import NucsecError
from nucsec.forensics.chronometry import CHRONOMETERS, ingrowth_curve, ingrowth_svg, model_age

ISSUE_ARGS = ["age", "--chronometer", "Th-230/U-234", "--ratio", "1.41148e-4",
              "--ratio-unc", "7.06e-7"]  # fmt: skip


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_issue_command_json_shape(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(
        [*ISSUE_ARGS, "--measured-on", "2024-05-01", "--monte-carlo", "1000", "--json"], capsys
    )
    assert code == 0
    d = json.loads(out)
    assert d["age_years"] == pytest.approx(50.0, abs=0.01)
    assert d["u_age_years"] == pytest.approx(0.278, abs=0.002)
    assert d["model_date"] == "1974-05-02"
    assert d["half_life_set"] == "nubase2020"
    assert sum(r["contribution_years"] ** 2 for r in d["budget"]) == pytest.approx(
        d["gum"]["u_age_years"] ** 2
    )
    assert d["monte_carlo"]["n_samples"] == 1000


def test_options(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    svg = tmp_path / "curve.svg"
    code, out, _ = _run(
        [
            "age",
            "--chronometer",
            "241Am/241Pu",
            "--ratio",
            "0.3",
            "--ratio-unc",
            "0.001",
            "--ratio-kind",
            "atom",
            "--half-lives",
            "icrp107",
            "--rel-unc",
            "spike=0.002",
            "--measured-on",
            "2020-01-01",
            "--age-on",
            "2025-01-01",
            "--svg",
            str(svg),
            "--json",
        ],
        capsys,
    )
    assert code == 0
    d = json.loads(out)
    assert d["half_life_set"] == "icrp107"
    assert any(r["input"] == "relative:spike" for r in d["budget"])
    assert d["age_at_reference_years"] > d["age_years"]
    assert ET.fromstring(svg.read_text()).tag.endswith("svg")


def test_human_output(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run([*ISSUE_ARGS, "--measured-on", "2024-05-01"], capsys)
    assert code == 0
    assert "model date 1974-05-02" in out and "k=1" in out and "half_life:U-234" in out


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (
            ["age", "--chronometer", "U-234/Th-230", "--ratio", "1e-4", "--ratio-unc", "1e-6"],
            "did you mean",
        ),
        (["age", "--chronometer", "Th-230/U-234", "--ratio", "1e-4"], "ratio-unc"),
        (
            ["age", "--chronometer", "Th-230/U-234", "--ratio", "0.6", "--ratio-unc", "1e-3"],
            "equilibrium",
        ),
        (
            ["age", "--chronometer", "Th-230/U-234", "--ratio", "-1e-4", "--ratio-unc", "1e-6"],
            "negative",
        ),
        ([*ISSUE_ARGS, "--measured-on", "yesterday"], "YYYY-MM-DD"),
        ([*ISSUE_ARGS, "--rel-unc", "spike"], "NAME=U"),
        ([*ISSUE_ARGS, "--half-lives", "nubase1995"], "unknown half-life set"),
    ],
    ids=[
        "reversed",
        "missing-unc",
        "beyond-equilibrium",
        "negative",
        "bad-date",
        "bad-rel-unc",
        "unknown-set",
    ],
)
def test_bad_input_exit_code_2(
    args: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(args, capsys)
    assert code == 2
    assert needle in err


def test_concordance_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sample = {
        "sample": "pellet",
        "measured_on": "2024-05-01",
        "chronometers": [
            {"chronometer": "Th-230/U-234", "ratio": 1.41148e-4, "ratio_unc": 7.06e-7},
            {"chronometer": "Pa-231/U-235", "ratio": 4.92e-8, "ratio_unc": 2e-10},
        ],
    }
    path = tmp_path / "sample.json"
    path.write_text(json.dumps(sample))
    code, out, _ = _run(["age", "concordance", str(path), "--json"], capsys)
    assert code == 0
    d = json.loads(out)
    assert d["sample"] == "pellet"
    assert set(d) >= {"concordant", "chi2", "p_value", "pairs", "weighted_mean_model_date"}
    assert len(d["results"]) == 2


def test_concordance_bad_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "broken.json"
    path.write_text("{not json")
    code, _, err = _run(["age", "concordance", str(path)], capsys)
    assert code == 2 and "not valid JSON" in err


def test_chronometers_listing(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(["age", "chronometers", "--json"], capsys)
    assert code == 0
    assert len(json.loads(out)["chronometers"]) == 10


def test_ingrowth_curve_and_svg() -> None:
    res = model_age("Th-230/U-234", 1.41148e-4, 7.06e-7)
    curve = ingrowth_curve(result=res, n_points=50)
    assert len(curve["t_years"]) == len(curve["ratio"]) == 50
    assert curve["t_years"][-1] > res.age_years
    assert curve["measured"]["ratio"] == res.ratio
    json.dumps(curve)
    root = ET.fromstring(ingrowth_svg(curve))
    ns = "{http://www.w3.org/2000/svg}"
    assert root.find(f"{ns}polyline") is not None
    assert root.find(f"{ns}circle") is not None  # the measured point


def test_curve_without_result_reaches_towards_equilibrium() -> None:
    curve = ingrowth_curve("Ra-226/Th-230", n_points=20)
    assert curve["ratio"][-1] > 0.5 * curve["equilibrium_ratio"]
    assert "measured" not in curve


@settings(max_examples=150, deadline=None)
@given(
    name=st.sampled_from(sorted(CHRONOMETERS)),
    ratio=st.floats(allow_nan=True, allow_infinity=True),
    rel_u=st.floats(min_value=0.0, max_value=2.0),
    kind=st.sampled_from(["atom", "activity"]),
    half_lives=st.sampled_from(["nubase2020", "icrp107"]),
    n_mc=st.sampled_from([0, 200]),
)
def test_fuzzed_inputs_give_valid_json_or_typed_errors(
    name: str, ratio: float, rel_u: float, kind: str, half_lives: str, n_mc: int
) -> None:
    """Any input ends in strict JSON (no NaN/inf) or one of our typed errors."""
    try:
        res = model_age(
            name,
            ratio,
            abs(ratio) * rel_u if math.isfinite(ratio) else 1.0,
            kind=kind,
            half_lives=half_lives,
            measured_on=date(2024, 5, 1),
            monte_carlo=n_mc,
            rng=np.random.default_rng(0),
        )
    except NucsecError:
        return
    text = json.dumps(res.to_dict(), allow_nan=False)
    assert "age_years" in json.loads(text)
