"""Analyse many spectrum files, in parallel over processes.

:func:`analyze_file` is the unit of work (read, pick foreground/background, analyse, return
the JSON dict or a typed error as a dict); :func:`analyze_many` maps it over files with a
``ProcessPoolExecutor`` and yields results in completion order, so the caller can show
progress.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from nucsec.errors import NucsecError
from nucsec.forensics.spectra.analysis import analyze
from nucsec.forensics.spectra.model import Spectrum
from nucsec.forensics.spectra.reader import read_spectrum

__all__ = ["analyze_file", "analyze_many", "spectrum_files"]

#: extensions tried when a directory is analysed (anything SpecUtils reads)
EXTENSIONS = frozenset({
    ".n42", ".xml", ".spe", ".cnf", ".chn", ".spc", ".pcf", ".tka", ".csv", ".txt", ".mca",
    ".iaea", ".dat", ".json", ".phd", ".lis", ".spm", ".gam",
})  # fmt: skip


def spectrum_files(directory: Path) -> list[Path]:
    """Files under ``directory`` (recursively) with a spectrum-like extension, sorted."""
    return sorted(p for p in directory.rglob("*") if p.is_file() and p.suffix.lower() in EXTENSIONS)


def analyze_file(
    path: str | Path,
    background: Spectrum | None = None,
    detector: str | None = None,
    use_file_background: bool = True,
) -> dict[str, Any]:
    """Read and analyse one file; errors come back as ``{"file", "error": {...}}``."""
    try:
        sf = read_spectrum(path)
        bg = (
            background
            if background is not None
            else (sf.background() if use_file_background else None)
        )
        result = analyze(sf.foreground(), background=bg, detector=detector).to_dict()
    except NucsecError as exc:
        return {"file": str(path), "error": exc.to_dict()}
    return {"file": str(path), **result}


def _work(args: tuple[str, str | None]) -> dict[str, Any]:
    path, detector = args
    return analyze_file(path, detector=detector)


def analyze_many(
    paths: Iterable[Path], *, detector: str | None = None, workers: int | None = None
) -> Iterator[dict[str, Any]]:
    """Analyse files on ``workers`` processes (default: all cores), in completion order."""
    items = [(str(p), detector) for p in paths]
    n = workers or os.cpu_count() or 1
    if n <= 1 or len(items) <= 1:
        for item in items:
            yield _work(item)
        return
    with ProcessPoolExecutor(max_workers=n) as pool:
        futures = [pool.submit(_work, item) for item in items]
        for fut in as_completed(futures):
            yield fut.result()
