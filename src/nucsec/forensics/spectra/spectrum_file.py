"""One spectrum file: its records, and the item and background spectra summed from them.

A file holds one or more records (the detectors of a portal, foreground and background).
:meth:`SpectrumFile.foreground` and :meth:`SpectrumFile.background` sum the records of a
kind; records whose calibrations differ are first gain-matched on their common peaks
(:mod:`~nucsec.forensics.spectra.gainmatch`), then rebinned onto the first record's
channels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from nucsec.forensics.spectra.gainmatch import gain_match
from nucsec.forensics.spectra.model import FloatArray, Spectrum, rebin

__all__ = ["SpectrumFile", "sum_spectra"]


@dataclass(frozen=True)
class SpectrumFile:
    """Everything read from one file: its records and file-level information."""

    spectra: tuple[Spectrum, ...]
    filename: str = ""
    instrument: str = ""
    manufacturer: str = ""
    warnings: tuple[str, ...] = ()

    def records(self, source_type: str) -> list[Spectrum]:
        return [s for s in self.spectra if s.source_type == source_type]

    def foreground(self) -> Spectrum:
        """The item spectrum: foreground records (or all non-background ones), summed."""
        chosen = self.records("foreground") or [
            s for s in self.spectra if s.source_type not in ("background", "calibration")
        ]
        if not chosen:
            chosen = list(self.spectra)
        return sum_spectra(chosen)

    def background(self) -> Spectrum | None:
        """The background stored in the file, summed over detectors, or ``None``."""
        chosen = self.records("background")
        return sum_spectra(chosen) if chosen else None

    def summary(self) -> dict[str, Any]:
        return {
            "filename": self.filename,
            "instrument": self.instrument,
            "manufacturer": self.manufacturer,
            "n_records": len(self.spectra),
            "records": [s.summary() for s in self.spectra],
            "warnings": list(self.warnings),
        }


def sum_spectra(spectra: list[Spectrum]) -> Spectrum:
    """Sum records (e.g. the detectors of a portal) on the channels of the first one.

    Records whose calibrations differ are first gain-matched on their common peaks (see
    :mod:`~nucsec.forensics.spectra.gainmatch`), then moved onto the first record's
    channel edges by counts-conserving rebinning; ``notes`` says so.
    """
    first = spectra[0]
    if len(spectra) == 1:
        return first
    edges = first.calibration.edges_kev
    differ = [
        not (
            s.calibration.edges_kev.size == edges.size
            and np.allclose(s.calibration.edges_kev, edges)
        )
        for s in spectra
    ]
    valid = all(s.calibration.is_valid for s in spectra)
    notes: list[str] = []
    if any(differ) and valid:
        total, notes = _gain_matched_sum(spectra)
    else:
        total = first.counts.copy()
        for other, moved in zip(spectra[1:], differ[1:], strict=True):
            if not moved:
                total += other.counts
            elif other.calibration.is_valid and first.calibration.is_valid:
                total += rebin(other, edges)
            elif other.n_channels == first.n_channels:
                total += other.counts
    live = sum(s.live_time_s for s in spectra) / len(spectra)
    real = sum(s.real_time_s for s in spectra) / len(spectra)
    return first.with_(
        counts=total,
        live_time_s=live,
        real_time_s=real,
        detector_name=f"sum of {len(spectra)} records",
        notes=first.notes + tuple(notes),
    )


def _gain_matched_sum(spectra: list[Spectrum]) -> tuple[FloatArray, list[str]]:
    edges = spectra[0].calibration.edges_kev
    matches = gain_match(spectra, edges)
    total = np.zeros(edges.size - 1)
    for s, m in zip(spectra, matches, strict=True):
        total += rebin(s.with_(calibration=m.correct(s.calibration)), edges)
    shifts = [m.max_shift_kev() for m in matches if m.segments]
    unmatched = [
        s.detector_name or str(i)
        for i, (s, m) in enumerate(zip(spectra, matches, strict=True))
        if not m.segments
    ]
    notes = [
        f"{len(spectra)} records with different energy calibrations were gain-matched on "
        f"their common peaks (corrections up to {max(shifts, default=0.0):.2f} keV) and "
        "rebinned by energy onto the first record's channels before summing"
    ]
    if unmatched:
        notes.append(
            f"records {', '.join(unmatched)} share too few peaks with the others to be "
            "gain-matched: summed with their stored calibrations"
        )
    return total, notes
