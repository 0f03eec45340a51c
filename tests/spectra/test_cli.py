"""``nucsec spectrum``: analyze (file and directory), info, convert, errors and exit codes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import DATA
from nucsec.cli import main


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_analyze_json_shape(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    svg = tmp_path / "plot.svg"
    code, out, _ = run(
        capsys,
        "spectrum",
        "analyze",
        str(DATA / "suro_rc101_cs137_EG3X.xml"),
        "--json",
        "--plot",
        str(svg),
    )
    assert code == 0
    result = json.loads(out)
    assert {"peaks", "nuclides", "enrichment", "calibration", "warnings"} <= set(result)
    assert [n["name"] for n in result["nuclides"]] == ["Cs-137"]
    assert {"energy_kev", "fwhm_kev", "net_counts", "unc"} <= set(result["peaks"][0])
    assert svg.read_text().startswith("<svg")


def test_analyze_human_output(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "spectrum", "analyze", str(DATA / "rctools_rc_am241.n42"))
    assert code == 0
    assert "Am-241" in out and "calibration:" in out


def test_analyze_shows_the_enrichment_in_full(capsys: pytest.CaptureFixture[str]) -> None:
    """The enrichment line carries what the JSON holds: value (here a k=2 range), class,
    method, quality flag, every fitted areal density with its uncertainty, chi-square."""
    path = str(DATA / "interspec_SIM_fulcrum40h_hpge_U235_0300.txt")  # 3 % U-235 (GADRAS)
    code, out, _ = run(capsys, "spectrum", "analyze", path, "--json")
    assert code == 0
    enr = json.loads(out)["enrichment"]
    code, out, _ = run(capsys, "spectrum", "analyze", path)
    assert code == 0
    line = next(x for x in out.splitlines() if x.startswith("enrichment: "))
    low, high = enr["interval_k2_pct"]
    assert low <= 3.0 <= high  # the truth within the k=2 range shown
    assert f"{low:.3f} to {high:.3f} wt% U-235 (k=2)" in line
    assert f"[{enr['class']}]" in line and enr["method"] in line
    assert f"quality {enr['quality']}" in line
    assert enr["areal_density_g_cm2"]
    for name, v in enr["areal_density_g_cm2"].items():
        assert f"{name} {v['value']:.3g} +- {v['unc']:.2g} g/cm2" in line
    assert f"chi2 {enr['chi2']:.1f}/{enr['dof']} dof" in line


def test_enrichment_text_of_a_value() -> None:
    from nucsec.forensics.spectra.enrichment import enrichment_text

    text = enrichment_text(
        {
            "u235_pct": 19.42, "u_u235_pct": 0.51, "method": "relative_efficiency_physical",
            "quality": "ok", "class": "LEU", "chi2": 3.2, "dof": 5,
            "areal_density_g_cm2": {"item": {"value": 12.3, "unc": 1.4}},
        }
    )  # fmt: skip
    assert text == (
        "19.420 +- 0.510 wt% U-235 (k=1) [LEU], relative_efficiency_physical; quality ok; "
        "areal densities item 12.3 +- 1.4 g/cm2; chi2 3.2/5 dof"
    )


def test_analyze_with_detector_and_background(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "spectrum",
        "analyze",
        str(DATA / "interspec_hpge_portal_ba133.n42"),
        "--background",
        str(DATA / "interspec_hpge_portal_background.n42"),
        "--detector",
        "HPGe",
        "--json",
    )
    assert code == 0
    result = json.loads(out)
    assert result["background"]["subtracted"] is True
    assert "Ba-133" in [n["name"] for n in result["nuclides"]]


def test_analyze_directory_uses_workers(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    for name in ("rctools_rc_am241.n42", "suro_rc101_cs137_EG3X.xml"):
        shutil.copy(DATA / name, tmp_path / name)
    (tmp_path / "broken.spe").write_bytes(b"not a spectrum at all" * 10)
    code, out, err = run(capsys, "spectrum", "analyze", str(tmp_path), "--json", "--workers", "2")
    assert code == 0
    results = json.loads(out)
    assert [Path(r["file"]).name for r in results] == sorted(
        ["rctools_rc_am241.n42", "suro_rc101_cs137_EG3X.xml", "broken.spe"]
    )
    by_name = {Path(r["file"]).name: r for r in results}
    assert by_name["broken.spe"]["error"]["error"] == "bad_spectrum_file"
    assert [n["name"] for n in by_name["rctools_rc_am241.n42"]["nuclides"]] == ["Am-241"]
    assert "analysing" in err


def test_info(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "spectrum", "info", str(DATA / "interspec_hpge_portal_ba133.n42"), "--json"
    )
    assert code == 0
    info = json.loads(out)
    assert info["n_records"] == 8
    assert info["records"][0]["n_channels"] == 16384


def test_convert(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "out.n42"
    code, _, _ = run(
        capsys,
        "spectrum",
        "convert",
        str(DATA / "bq_hpge_cave_background.spe"),
        "--to",
        "n42",
        "-o",
        str(target),
    )
    assert code == 0
    code, out, _ = run(capsys, "spectrum", "info", str(target), "--json")
    assert json.loads(out)["records"][0]["live_time_s"] == pytest.approx(437817.0)


def test_bad_file_gives_exit_code_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.n42"
    bad.write_bytes(b"\x00\x01garbage" * 50)
    code, _, err = run(capsys, "spectrum", "analyze", str(bad), "--json")
    assert code == 2
    assert json.loads(err)["error"] == "bad_spectrum_file"


def test_the_node_upload_limit_applies_to_spectrum_files(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NUCSEC_HOME", str(tmp_path))
    path = DATA / "rctools_rc_am241.n42"
    monkeypatch.setenv("NUCSEC_MAX_UPLOAD_BYTES", str(path.stat().st_size - 1))
    for command in ("analyze", "info"):
        code, out, err = run(capsys, "spectrum", command, str(path), "--json")
        assert code == 2, command
        assert "bad_spectrum_file" in err or "limit" in err
        assert str(path.stat().st_size - 1) in err
    monkeypatch.setenv("NUCSEC_MAX_UPLOAD_BYTES", str(path.stat().st_size))
    code, out, _ = run(capsys, "spectrum", "analyze", str(path), "--json")
    assert code == 0 and json.loads(out)["nuclides"][0]["name"] == "Am-241"


def test_directory_limit_and_worker_count(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NUCSEC_HOME", str(tmp_path / "node"))
    for name in ("rctools_rc_am241.n42", "suro_rc101_cs137_EG3X.xml"):
        shutil.copy(DATA / name, tmp_path / name)
    small = (DATA / "suro_rc101_cs137_EG3X.xml").stat().st_size
    big = (DATA / "rctools_rc_am241.n42").stat().st_size
    monkeypatch.setenv("NUCSEC_MAX_UPLOAD_BYTES", str(min(small, big) + 1))
    code, out, _ = run(capsys, "spectrum", "analyze", str(tmp_path), "--json", "--workers", "1")
    assert code == 0
    by_name = {Path(r["file"]).name: r for r in json.loads(out)}
    over = max(by_name, key=lambda n: (DATA / n).stat().st_size)
    assert by_name[over]["error"]["error"] == "bad_spectrum_file"
    assert "error" not in by_name[min(by_name, key=lambda n: (DATA / n).stat().st_size)]
    code, _, err = run(capsys, "spectrum", "analyze", str(tmp_path), "--workers", "0")
    assert code == 2 and "workers" in err


def test_analyze_with_an_efficiency_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """``--efficiency`` reads the CSV the spectrum page reads (one reader, in the service):
    activities appear; a file with no rows or not UTF-8 is a typed error (exit 2)."""
    spectrum = str(DATA / "suro_rc101_cs137_EG3X.xml")
    good = tmp_path / "eff.csv"
    good.write_text("# point, 10 cm\nenergy_kev,efficiency\n100,0.05\n300,0.02\n1000,0.008\n")
    code, out, _ = run(capsys, "spectrum", "analyze", spectrum, "--efficiency", str(good), "--json")
    assert code == 0
    cs137 = json.loads(out)["nuclides"][0]
    assert cs137["activity_bq"] > 0 and cs137["activity_unc_bq"] > 0
    empty = tmp_path / "empty.csv"
    empty.write_text("energy_kev,efficiency\nabc,def\n")
    code, _, err = run(capsys, "spectrum", "analyze", spectrum, "--efficiency", str(empty))
    assert code == 2 and "no 'energy_kev,efficiency' rows in" in err
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\xff\xfe\x00bad")
    code, _, err = run(capsys, "spectrum", "analyze", spectrum, "--efficiency", str(binary))
    assert code == 2 and "not UTF-8 text" in err
