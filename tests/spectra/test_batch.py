"""Batch analysis: the same results on one process and on several, every file once."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import DATA
from nucsec.forensics.spectra.batch import _chunks, analyze_many, spectrum_files

NAMES = [
    "bq_hpge_alcatraz.spc",
    "rctools_rc_am241.n42",
    "suro_rc101_cs137_EG3X.xml",
    "interspec_hpge_portal_ba133.n42",
    "crp2a_labr_example.cnf",
]


def test_parallel_results_equal_serial_ones(tmp_path: Path) -> None:
    for name in NAMES:
        shutil.copy(DATA / name, tmp_path / name)
    (tmp_path / "broken.spe").write_bytes(b"\x00garbage" * 40)
    files = spectrum_files(tmp_path)
    serial = {r["file"]: r for r in analyze_many(files, workers=1)}
    parallel = {r["file"]: r for r in analyze_many(files, workers=2)}
    assert set(serial) == set(parallel) == {str(f) for f in files}
    assert serial == parallel
    assert parallel[str(tmp_path / "broken.spe")]["error"]["error"] == "bad_spectrum_file"


def test_chunks_cover_every_file_once() -> None:
    items = [f"f{i}" for i in range(37)]
    for workers in (1, 2, 3, 8):
        chunks = _chunks(items, workers)
        assert [x for c in chunks for x in c] == items
        assert max(len(c) for c in chunks) <= 8
        assert len(chunks) >= min(len(items), workers)
