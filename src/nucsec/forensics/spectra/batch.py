"""Analyse many spectrum files, in parallel over processes.

:func:`analyze_file` is the unit of work (read, pick foreground/background, analyse, return
the JSON dict or a typed error as a dict); :func:`analyze_many` maps it over files with a
``ProcessPoolExecutor`` and yields results in completion order, so the caller can show
progress.

Scaling: workers are warmed up once (SpecUtils imported, line library and compiled fit
kernel loaded; with the ``fork`` start method they inherit them from the parent, which
warms up before the pool starts), files travel to them as paths in small chunks (a few per
task: fewer round trips, still balanced), and what comes back is the JSON-ready dict, never
the spectrum arrays.
"""

from __future__ import annotations

import math
import multiprocessing
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from nucsec.errors import NucsecError
from nucsec.forensics.spectra.analysis import analyze
from nucsec.forensics.spectra.fitting import warm_up
from nucsec.forensics.spectra.model import Spectrum
from nucsec.forensics.spectra.nucdata import load_library
from nucsec.forensics.spectra.reader import DEFAULT_MAX_BYTES, read_spectrum

__all__ = ["analyze_file", "analyze_many", "spectrum_files"]

#: extensions tried when a directory is analysed (anything SpecUtils reads)
EXTENSIONS = frozenset({
    ".n42", ".xml", ".spe", ".cnf", ".chn", ".spc", ".pcf", ".tka", ".csv", ".txt", ".mca",
    ".iaea", ".dat", ".json", ".phd", ".lis", ".spm", ".gam",
})  # fmt: skip
MAX_CHUNK = 8  # files per task at most
TASKS_PER_WORKER = 4  # aim for at least this many tasks per worker (load balance)


def spectrum_files(directory: Path) -> list[Path]:
    """Files under ``directory`` (recursively) with a spectrum-like extension, sorted."""
    return sorted(p for p in directory.rglob("*") if p.is_file() and p.suffix.lower() in EXTENSIONS)


def analyze_file(
    path: str | Path,
    background: Spectrum | None = None,
    detector: str | None = None,
    use_file_background: bool = True,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> dict[str, Any]:
    """Read and analyse one file; errors come back as ``{"file", "error": {...}}``."""
    try:
        sf = read_spectrum(path, max_bytes=max_bytes)
        bg = (
            background
            if background is not None
            else (sf.background() if use_file_background else None)
        )
        result = analyze(sf.foreground(), background=bg, detector=detector).to_dict()
    except NucsecError as exc:
        return {"file": str(path), "error": exc.to_dict()}
    return {"file": str(path), **result}


def _warm_up() -> None:
    """Import the reader backend, load the line library and the compiled fit kernel (once
    per process)."""
    import SpecUtils  # noqa: F401  (the C++ extension: its import is the slow part)

    load_library()
    warm_up()


def _work(chunk: list[str], detector: str | None, max_bytes: int) -> list[dict[str, Any]]:
    return [analyze_file(path, detector=detector, max_bytes=max_bytes) for path in chunk]


def _chunks(items: list[str], workers: int) -> list[list[str]]:
    size = max(1, min(MAX_CHUNK, math.ceil(len(items) / (workers * TASKS_PER_WORKER))))
    return [items[i : i + size] for i in range(0, len(items), size)]


def analyze_many(
    paths: Iterable[Path],
    *,
    detector: str | None = None,
    workers: int | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Iterator[dict[str, Any]]:
    """Analyse files on ``workers`` processes (default: all cores), in completion order.

    ``max_bytes`` is the largest file accepted (see :func:`read_spectrum`).
    """
    items = [str(p) for p in paths]
    n = workers or os.cpu_count() or 1
    _warm_up()
    if n <= 1 or len(items) <= 1:
        for path in items:
            yield analyze_file(path, detector=detector, max_bytes=max_bytes)
        return
    n = min(n, len(items))
    ctx = multiprocessing.get_context()
    warm = None if ctx.get_start_method() == "fork" else _warm_up
    with ProcessPoolExecutor(max_workers=n, mp_context=ctx, initializer=warm) as pool:
        futures = [pool.submit(_work, c, detector, max_bytes) for c in _chunks(items, n)]
        for fut in as_completed(futures):
            yield from fut.result()
