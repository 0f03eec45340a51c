"""The unit of work: one row per record, equal to the serial pipeline's analysis."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from nucsec.archive.schema import FEATURE_BINS, RESULT_SCHEMA, feature_vector
from nucsec.archive.simulated import simulated_spectrum, write_n42
from nucsec.archive.sources import plan
from nucsec.archive.worker import Options, analyze_chunk, split_records
from nucsec.forensics.spectra import analyze, read_spectrum
from nucsec.forensics.spectra.batch import analyze_file
from tests.archive._support import N_ITEMS


def serial_view(result: dict[str, Any]) -> dict[str, Any]:
    """What the archive row must hold of ``nucsec spectrum analyze --json``."""
    enr = result["enrichment"] or {}
    return {
        "detector_type": result["detector"]["type"],
        "live_time_s": result["live_time_s"],
        "n_channels": result["n_channels"],
        "peaks": [(p["energy_kev"], p["significance"], p["label"]) for p in result["peaks"]],
        "nuclides": [(n["name"], n["confidence"]) for n in result["nuclides"]],
        "u235_pct": enr.get("u235_pct"),
        "warnings": result["warnings"],
    }


def row_view(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "detector_type": row["detector_type"],
        "live_time_s": row["live_time_s"],
        "n_channels": row["n_channels"],
        "peaks": [(p["energy_kev"], p["significance"], p["label"]) for p in row["peaks"]],
        "nuclides": [(n["name"], n["confidence"]) for n in row["nuclides"]],
        "u235_pct": row["u235_pct"],
        "warnings": row["warnings"],
    }


def test_rows_equal_the_serial_pipeline_file_by_file(archive: Path) -> None:
    items = [i for i, _ in plan([str(archive)], 1 << 26)]
    table = analyze_chunk(items, Options())
    assert table.schema.equals(RESULT_SCHEMA)
    rows = table.to_pylist()
    assert len(rows) == len(items) == N_ITEMS
    for row in rows:
        assert row["error_code"] is None and row["n_records"] == 1
        assert row_view(row) == serial_view(analyze_file(row["source"])), row["source"]
        assert len(row["features"]) == FEATURE_BINS
        assert row["triage_class"] and row["triage_reasons"]
    found = {n["name"] for r in rows for n in r["nuclides"]}
    assert {"Cs-137", "Am-241", "Ba-133"} <= found  # the real files' sources


def test_a_multi_record_file_gives_one_row_per_measurement(tmp_path: Path) -> None:
    records = [simulated_spectrum(3, i) for i in (0, 5, 10)]  # three 16k HPGe measurements
    path = tmp_path / "survey.n42"
    write_n42(path, records, background=simulated_spectrum(4, 20))
    sf = read_spectrum(path)
    groups = split_records(sf)
    assert [len(g) for g in groups] == [1, 1, 1]
    ((item, _),) = plan([str(path)], 1 << 26)
    rows = analyze_chunk([item], Options()).to_pylist()
    assert [r["record_index"] for r in rows] == [0, 1, 2]
    assert all(r["n_records"] == 3 and "multi_record" in r["flags"] for r in rows)
    assert all(r["background_subtracted"] for r in rows)
    for row, group in zip(rows, groups, strict=True):
        alone = analyze(group[0], background=sf.background()).to_dict()
        assert [(n["name"], n["confidence"]) for n in row["nuclides"]] == [
            (n["name"], n["confidence"]) for n in alone["nuclides"]
        ]


def test_the_detectors_of_a_portal_are_one_item() -> None:
    from tests.archive._support import DATA

    sf = read_spectrum(DATA / "interspec_hpge_portal_ba133.n42")
    assert [len(g) for g in split_records(sf)] == [8]


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "truncated_spectrum_file"),
        (b"this is a shopping list, not a spectrum\n" * 20, "bad_spectrum_file"),
    ],
    ids=["empty", "not-a-spectrum"],
)
def test_a_bad_file_is_one_error_row(tmp_path: Path, content: bytes, code: str) -> None:
    path = tmp_path / "bad.n42"
    path.write_bytes(content)
    ((item, _),) = plan([str(path)], 1 << 20)
    (row,) = analyze_chunk([item], Options()).to_pylist()
    assert row["error_code"] == code and row["error_message"]
    assert row["triage_class"] == "error" and row["nuclides"] == []


def test_features_ignore_live_time_and_binning() -> None:
    edges_8k = np.linspace(0, 3000, 8193)
    edges_2k = np.linspace(0, 3000, 2049)
    rng = np.random.default_rng(1)
    shape = np.exp(-np.linspace(0, 3000, 8192) / 500)
    counts = rng.poisson(shape * 50).astype(float)
    v8 = feature_vector(counts, edges_8k)
    v8_long = feature_vector(counts * 10, edges_8k)
    v2 = feature_vector(counts.reshape(-1, 4).sum(axis=1), edges_2k)
    assert float(v8 @ v8_long) == pytest.approx(1.0, abs=1e-6)
    assert float(v8 @ v2) == pytest.approx(1.0, abs=1e-3)
    other = feature_vector(np.roll(counts, 3000), edges_8k)
    assert float(v8 @ other) < 0.95
