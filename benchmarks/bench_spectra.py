"""Gamma spectrometry: read and analyse the 8k- and 16k-channel HPGe files, beside
becquerel's PeakFinder on the same files, and batch throughput on one and on all cores.

Baselines are measured in the same run. becquerel's kernel is a dense N x N matrix, so it
is run once per file (tens of seconds on 16k channels), after the batch rows. Our times are
the median (p50) over repeats, with the process CPU time beside it: on a loaded machine
wall time grows with the other jobs, CPU time much less.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import statistics
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks._table import Table, fmt_s

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "spectra"
FILES = {"8k": "bq_hpge_alcatraz.spc", "16k": "curie_hpge_eu152_7cm.spe"}
PORTAL = "interspec_hpge_portal_ba133.n42"  # eight HPGe detectors, calibrations disagreeing
GOAL_ANALYSIS_S = 0.050
REPEATS = 21


def _p50(fn: Callable[[], Any], repeat: int = REPEATS) -> tuple[float, float]:
    """(median wall seconds, median process CPU seconds) of ``repeat`` calls."""
    fn()  # warm-up: imports, caches
    wall, cpu = [], []
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - w0)
        cpu.append(time.process_time() - c0)
    return statistics.median(wall), statistics.median(cpu)


def _becquerel_peaks(path: Path) -> tuple[float, float, int]:
    """(read seconds, PeakFinder seconds, peaks found) with becquerel's defaults for HPGe."""
    import becquerel as bq

    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        spec = bq.Spectrum.from_file(str(path), verbose=False)
        t1 = time.perf_counter()
        kernel = bq.GaussianPeakFilter(ref_x=1000, ref_fwhm=5, fwhm_at_0=1)
        finder = bq.PeakFinder(spec, kernel)
        finder.find_peaks(min_snr=5)
        t2 = time.perf_counter()
    return t1 - t0, t2 - t1, len(finder.centroids)


def _batch_rate(files: list[Path], workers: int) -> float:
    from nucsec.forensics.spectra.batch import analyze_many

    t0 = time.perf_counter()
    n = sum(1 for _ in analyze_many(files, workers=workers))
    return n / (time.perf_counter() - t0)


def _portal_row(table: Table) -> None:
    """Summing the eight portal detectors: gain-matched (the reader's sum) against the
    plain rebinning by stored calibrations, in time and in the width of the 356 keV peak."""
    from nucsec.forensics.spectra import analyze, read_spectrum
    from nucsec.forensics.spectra.model import rebin

    sf = read_spectrum(DATA / PORTAL)
    first = sf.spectra[0]

    def stored_sum() -> Any:
        counts = sum(rebin(s, first.calibration.edges_kev) for s in sf.spectra)
        return first.with_(counts=counts)

    def fwhm_356(spectrum: Any) -> float:
        peaks = analyze(spectrum).peaks
        return float(min(peaks, key=lambda p: abs(p.energy_kev - 356.01)).fwhm_kev)

    t_matched, _ = _p50(sf.foreground, repeat=7)
    t_stored, _ = _p50(stored_sum, repeat=7)
    table.add(
        "sum 8 portal HPGe detectors, gain-matched, p50",
        fmt_s(t_matched),
        "sum by stored calibrations",
        fmt_s(t_stored),
        "sharp summed peaks",
        f"356 keV FWHM {fwhm_356(sf.foreground()):.2f} vs {fwhm_356(stored_sum()):.2f} keV",
    )


def _isotopics_row(table: Table) -> None:
    """The isotopics on a forward-simulated 1 kg 20 % uranium sphere (8k HPGe, 1 h): the
    time the physical relative-efficiency fit (free fits and profile, as the analysis runs
    them) adds to an analysis that found uranium."""
    import numpy as np

    from nucsec.forensics.spectra import analyze, load_library
    from nucsec.forensics.spectra import isotopics as iso
    from nucsec.forensics.spectra.forward import Item, simulate_item

    spectrum = simulate_item(Item(1000.0, 20.0), rng=np.random.default_rng(1), distance_cm=15)
    a = analyze(spectrum)
    lib = load_library()

    def fit() -> Any:
        return iso.isotopics(
            list(a.peaks), list(a.nuclides), lib, a.detector_type, a.resolution,
            a.calibration, a.continuum, counts=a.counts, plutonium=False,
        )  # fmt: skip

    t_iso, c_iso = _p50(fit)
    t_all, _ = _p50(lambda: analyze(spectrum))
    enr = fit()[0]
    value = "no value" if enr is None or enr.u235_pct is None else f"{enr.u235_pct:.2f} wt%"
    table.add(
        "isotopics: U enrichment fit + profile (1 kg 20 % sphere, 8k HPGe), p50",
        fmt_s(t_iso),
        "whole analysis of the same spectrum (isotopics included)",
        fmt_s(t_all),
        "<= 50 ms added when U or Pu is found",
        f"CPU {fmt_s(c_iso)}; reads {value}",
    )


def _kernel_row(table: Table) -> None:
    """The 16k analysis with the compiled kernels (region fits, library scoring, line
    matching, SNIP clipping) against the same analysis with the NumPy code they replaced
    (kept as the reference), alternated in this process (a loaded machine slows both
    alike)."""
    import functools

    from nucsec.forensics.spectra import analyze, read_spectrum
    from nucsec.forensics.spectra import fitting as fitting_module
    from nucsec.forensics.spectra import identify as identify_module
    from nucsec.forensics.spectra import peaks as peaks_module
    from nucsec.forensics.spectra.levmar import minimise

    spectrum = read_spectrum(DATA / FILES["16k"]).foreground()
    times: dict[bool, list[float]] = {True: [], False: []}
    cpu: dict[bool, list[float]] = {True: [], False: []}
    # (module, name, function): each switched with its ``compiled`` keyword
    switched: list[tuple[Any, str, Callable[..., Any]]] = [
        (fitting_module, "minimise", minimise),
        (identify_module, "_score_all", identify_module._score_all),
        (identify_module, "_match", identify_module._match),
        (peaks_module, "_snip", peaks_module._snip),
    ]
    try:
        for _ in range(7):
            for compiled in (False, True):
                for module, name, fn in switched:
                    setattr(module, name, functools.partial(fn, compiled=compiled))
                analyze(spectrum)  # warm
                for _ in range(3):
                    w0, c0 = time.perf_counter(), time.thread_time()
                    analyze(spectrum)
                    times[compiled].append(time.perf_counter() - w0)
                    cpu[compiled].append(time.thread_time() - c0)
    finally:
        for module, name, fn in switched:
            setattr(module, name, fn)
    table.add(
        "analyse 16k HPGe, numba kernels (fits, scoring, matching, SNIP), alternated, p50",
        fmt_s(statistics.median(times[True])),
        "same, the NumPy code they replaced",
        fmt_s(statistics.median(times[False])),
        "faster than NumPy",
        f"CPU {fmt_s(statistics.median(cpu[True]))} vs {fmt_s(statistics.median(cpu[False]))}",
    )


def run() -> Table:
    from nucsec.forensics.spectra import analyze, read_spectrum

    table = Table("gamma spectrometry (nucsec.forensics.spectra)")
    # batch throughput (every test spectrum, four times over, on all cores vs one process)
    # first: becquerel's dense 16k x 16k kernels, run below, leave a large process (memory,
    # BLAS threads) behind that forked workers would inherit
    files = sorted(p for p in DATA.iterdir() if p.is_file() and p.suffix.lower() != ".md")
    with tempfile.TemporaryDirectory(prefix="nucsec-bench-") as tmp:
        copies = []
        for i in range(4):
            for p in files:
                target = Path(tmp) / f"{i}_{p.name}"
                shutil.copy(p, target)
                copies.append(target)
        cores = os.cpu_count() or 1
        serial = _batch_rate(copies, workers=1)
        parallel = _batch_rate(copies, workers=cores)
    table.add(
        f"batch: {len(copies)} mixed spectra, {cores} processes",
        f"{parallel:.1f} spectra/s",
        "same, 1 process",
        f"{serial:.1f} spectra/s",
        f"{cores} cores used",
        f"speed-up x{parallel / serial:.2f}",
    )
    _portal_row(table)
    _isotopics_row(table)
    _kernel_row(table)
    for label, name in FILES.items():
        path = DATA / name
        spectrum = read_spectrum(path).foreground()
        t_read, _ = _p50(lambda p=path: read_spectrum(p))  # type: ignore[misc]
        t_analyse, c_analyse = _p50(lambda s=spectrum: analyze(s))  # type: ignore[misc]
        n_peaks = len(analyze(spectrum).peaks)
        bq_read, bq_find, bq_peaks = _becquerel_peaks(path)
        table.add(
            f"read {label} HPGe ({name}), p50", fmt_s(t_read), "becquerel read", fmt_s(bq_read)
        )
        table.add(
            f"analyse {label} HPGe: search+fits+calibration+ID, p50",
            fmt_s(t_analyse),
            "becquerel PeakFinder (search only)",
            fmt_s(bq_find),
            f"<= {fmt_s(GOAL_ANALYSIS_S)} per 16k",
            f"CPU {fmt_s(c_analyse)}; {n_peaks} vs {bq_peaks} peaks",
        )
    return table
