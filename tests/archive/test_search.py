"""Archive search answers from stored rows: by nuclide, by peak, by similarity."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from nucsec.archive import search
from nucsec.archive.report import summarize
from nucsec.archive.schema import FEATURE_BINS, rows_to_table
from nucsec.errors import InputError, NotFoundError


def _vec(i: int) -> list[float]:
    v = np.zeros(FEATURE_BINS, dtype=np.float32)
    v[i] = 1.0
    return v.tolist()


def _row(n: int, nuclides, peaks, cls: str, **extra):  # type: ignore[no-untyped-def]
    return {
        "item_id": f"h{n}",
        "file_sha256": f"h{n}",
        "source": f"/arch/f{n}.n42",
        "record_index": 0,
        "detector_type": "HPGe",
        "instrument": "sim",
        "triage_class": cls,
        "triage_reasons": ["r"],
        "features": _vec(n),
        "nuclides": [
            {"name": a, "category": "x", "confidence": c, "in_excess_of_background": None}
            for a, c in nuclides
        ],
        "peaks": [
            {
                "energy_kev": e,
                "fwhm_kev": 1.0,
                "net_counts": 1.0,
                "unc": 1.0,
                "significance": s,
                "label": None,
            }
            for e, s in peaks
        ],
        **extra,
    }


@pytest.fixture
def results(tmp_path: Path) -> Path:
    rows = [
        _row(0, [("U-235", 0.9)], [(185.7, 40.0), (1001.0, 8.0)], "SNM", u235_pct=20.0),
        _row(1, [("U-235", 0.6), ("Cs-137", 1.0)], [(186.1, 6.0), (661.7, 90.0)], "SNM"),
        _row(2, [("Cs-137", 0.8)], [(661.6, 50.0), (185.0, 3.0)], "industrial"),
        _row(3, [], [], "error", error_code="bad_spectrum_file", error_message="bad"),
    ]
    rows[3]["features"] = None
    path = tmp_path / "results.parquet"
    pq.write_table(rows_to_table(rows), path)
    return path


def test_by_nuclide_best_first_with_threshold(results: Path) -> None:
    found = search.by_nuclide(results, "235U")
    assert [r["source"] for r in found["items"]] == ["/arch/f0.n42", "/arch/f1.n42"]
    assert found["count"] == 2
    assert [r["confidence"] for r in search.by_nuclide(results, "U-235", 0.7)["items"]] == [0.9]
    assert search.by_nuclide(results, "Pu-239") == {"count": 0, "items": []}
    limited = search.by_nuclide(results, "Cs-137", limit=1)
    assert limited["count"] == 2 and [r["source"] for r in limited["items"]] == ["/arch/f1.n42"]


def test_by_peak_within_tolerance_and_significance(results: Path) -> None:
    hits = search.by_peak(results, 185.7, tolerance_kev=1.0, min_significance=5)["items"]
    assert [(h["source"], h["peak_energy_kev"]) for h in hits] == [
        ("/arch/f0.n42", 185.7),
        ("/arch/f1.n42", 186.1),
    ]
    assert search.by_peak(results, 185.7, tolerance_kev=1.0)["count"] == 3
    assert search.by_peak(results, 185.7, tolerance_kev=0.2)["items"][0]["source"] == "/arch/f0.n42"
    with pytest.raises(InputError):
        search.by_peak(results, 185.7, tolerance_kev=0)


def test_like_ranks_by_cosine_and_skips_failed_rows(results: Path) -> None:
    query = np.array(_vec(1)) + 0.5 * np.array(_vec(2))
    hits = search.like(results, query, top=5)["items"]
    assert [h["source"] for h in hits][:2] == ["/arch/f1.n42", "/arch/f2.n42"]
    assert "/arch/f3.n42" not in [h["source"] for h in hits]
    assert hits[0]["similarity"] == pytest.approx(1 / np.sqrt(1.25), abs=1e-4)
    with pytest.raises(InputError):
        search.like(results, [1.0, 2.0])


def test_missing_results_are_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError):
        search.by_nuclide(tmp_path / "nothing", "U-235")


def test_report_lists_snm_and_anomalies_first_and_counts_classes(results: Path) -> None:
    report = summarize(results)
    assert report["classes"] == {"SNM": 2, "industrial": 1, "error": 1}
    assert [i["source"] for i in report["priority"]] == ["/arch/f0.n42", "/arch/f1.n42"]
    assert report["priority"][0]["u235_pct"] == 20.0
    assert report["per_instrument"] == {"sim": {"SNM": 2, "industrial": 1, "error": 1}}
    assert report["over_time"] == {"unknown": {"SNM": 2, "industrial": 1, "error": 1}}
    assert report["failed"] == [
        {
            "source": "/arch/f3.n42",
            "member": None,
            "error_code": "bad_spectrum_file",
            "error_message": "bad",
        }
    ]


def test_results_as_json_lines_and_a_parquet_copy(results: Path, tmp_path: Path) -> None:
    import json

    from nucsec.cli.archive import _write_outputs

    jsonl, copy = tmp_path / "out.jsonl", tmp_path / "copy.parquet"
    _write_outputs(results, jsonl, copy)
    lines = [json.loads(line) for line in jsonl.read_text().splitlines()]
    assert [r["item_id"] for r in lines] == ["h0", "h1", "h2", "h3"]
    assert "features" not in lines[0] and lines[0]["nuclides"][0]["name"] == "U-235"
    assert pq.read_table(copy).equals(pq.read_table(results))
