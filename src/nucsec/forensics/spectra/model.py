"""Plain data for gamma spectra: energy calibration, one spectrum record.

These are value objects: readers build them, the analysis reads them, nothing mutates
them (a file's records and their sum: :mod:`~nucsec.forensics.spectra.spectrum_file`).
Channel positions are *fractional channel coordinates*: ``x = 0`` is the lower edge
of channel 0 and the centre of channel ``i`` is ``i + 0.5``.

>>> import numpy as np
>>> cal = EnergyCalibration.polynomial([1.0, 0.5], 4)
>>> cal.edges_kev.tolist()
[1.0, 1.5, 2.0, 2.5, 3.0]
>>> float(cal.energy_kev(1.5))
1.75
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cached_property
from typing import Any, Self

import numpy as np
import numpy.typing as npt

from nucsec.errors import FileFormatError, InputError

__all__ = [
    "DETECTOR_TYPES",
    "EnergyCalibration",
    "Spectrum",
    "SpectrumError",
    "SpectrumFileError",
    "TruncatedSpectrumError",
    "rebin",
]

#: detector families with their own resolution model; "unknown" lets the analysis guess
DETECTOR_TYPES = ("HPGe", "NaI", "LaBr3", "CsI", "CZT", "unknown")

FloatArray = npt.NDArray[np.float64]


class SpectrumError(InputError):
    """Bad spectrum input for the analysis (wrong detector type, mismatched background...)."""

    code = "bad_spectrum"


class SpectrumFileError(FileFormatError):
    """A spectrum file that cannot be read: unknown format, truncated, corrupt, too large."""

    code = "bad_spectrum_file"


class TruncatedSpectrumError(SpectrumFileError):
    """A spectrum file that is not whole (empty, or cut off before what it declares)."""

    code = "truncated_spectrum_file"


@dataclass(frozen=True)
class EnergyCalibration:
    """Channel -> energy mapping.

    Attributes
    ----------
    kind : str
        ``polynomial``, ``full_range_fraction``, ``lower_channel_edge`` or ``default``
        (the file had none; a placeholder the analysis will try to replace).
    coefficients : tuple of float
        As stored in the file (keV); for ``lower_channel_edge`` the edges themselves.
    edges_kev : ndarray
        Energy of the ``n + 1`` channel edges, increasing.
    """

    kind: str
    coefficients: tuple[float, ...]
    edges_kev: FloatArray = field(repr=False)

    @classmethod
    def polynomial(cls, coefficients: Any, n_channels: int, kind: str = "polynomial") -> Self:
        """Polynomial in the lower-edge channel number: ``E(x) = sum c_i x**i``."""
        coefs = tuple(float(c) for c in coefficients)
        x = np.arange(n_channels + 1, dtype=np.float64)
        edges = np.polynomial.polynomial.polyval(x, np.asarray(coefs, dtype=np.float64))
        return cls(kind, coefs, np.asarray(edges, dtype=np.float64))

    @classmethod
    def from_edges(cls, edges_kev: Any, kind: str = "lower_channel_edge") -> Self:
        edges = np.asarray(edges_kev, dtype=np.float64)
        return cls(kind, tuple(float(e) for e in edges[:4]), edges)

    @property
    def n_channels(self) -> int:
        return int(self.edges_kev.size - 1)

    @property
    def is_valid(self) -> bool:
        """Finite and strictly increasing: usable for an analysis."""
        e = self.edges_kev
        return bool(e.size >= 2 and np.all(np.isfinite(e)) and np.all(np.diff(e) > 0))

    @cached_property
    def centers_kev(self) -> FloatArray:
        e = self.edges_kev
        out: FloatArray = 0.5 * (e[:-1] + e[1:])
        return out

    @cached_property
    def _grid(self) -> FloatArray:
        return np.arange(self.edges_kev.size, dtype=np.float64)

    @cached_property
    def _widths(self) -> FloatArray:
        out: FloatArray = np.diff(self.edges_kev)
        return out

    def energy_kev(self, x: Any) -> Any:
        """Energy at fractional channel coordinate(s) ``x`` (linear between edges)."""
        grid = self._grid
        slope_lo = self.edges_kev[1] - self.edges_kev[0]
        slope_hi = self.edges_kev[-1] - self.edges_kev[-2]
        xa = np.asarray(x, dtype=np.float64)
        out = np.interp(xa, grid, self.edges_kev)
        out = np.where(xa < 0, self.edges_kev[0] + xa * slope_lo, out)
        return np.where(xa > grid[-1], self.edges_kev[-1] + (xa - grid[-1]) * slope_hi, out)

    def channel(self, energy_kev: Any) -> Any:
        """Fractional channel coordinate(s) of ``energy_kev`` (inverse of :meth:`energy_kev`)."""
        return np.interp(np.asarray(energy_kev, dtype=np.float64), self.edges_kev, self._grid)

    def gain_kev_per_channel(self, x: Any) -> Any:
        """Local width of a channel in keV at coordinate ``x``."""
        idx = np.clip(np.asarray(x, dtype=np.int64), 0, self.n_channels - 1)
        return self._widths[idx]

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "coefficients": [float(c) for c in self.coefficients]}


@dataclass(frozen=True)
class Spectrum:
    """One gamma spectrum record: counts per channel and how they were taken.

    ``counts`` are floats (rebinned or background-subtracted spectra are not integers).
    """

    counts: FloatArray = field(repr=False)
    live_time_s: float
    real_time_s: float
    calibration: EnergyCalibration
    detector_type: str = "unknown"
    detector_name: str = ""
    instrument: str = ""
    start_time: datetime | None = None
    latitude: float | None = None
    longitude: float | None = None
    source_type: str = "unknown"  # foreground, background, calibration, unknown
    title: str = ""
    notes: tuple[str, ...] = ()  # how the record was made (summing, gain matching)

    def __post_init__(self) -> None:
        counts = np.asarray(self.counts, dtype=np.float64)
        if counts.ndim != 1 or counts.size < 8:
            raise SpectrumError("a spectrum needs at least 8 channels", field="counts")
        if not np.all(np.isfinite(counts)):
            raise SpectrumError("spectrum counts must be finite", field="counts")
        if counts.size != self.calibration.n_channels:
            raise SpectrumError(
                f"calibration has {self.calibration.n_channels} channels, counts {counts.size}",
                field="calibration",
            )
        object.__setattr__(self, "counts", counts)

    @property
    def n_channels(self) -> int:
        return int(self.counts.size)

    @property
    def total_counts(self) -> float:
        return float(self.counts.sum())

    def with_(self, **changes: Any) -> Spectrum:
        """A copy with some fields changed."""
        return replace(self, **changes)

    def summary(self) -> dict[str, Any]:
        """JSON-ready description without the channel data."""
        e = self.calibration.edges_kev
        return {
            "detector_type": self.detector_type,
            "detector_name": self.detector_name,
            "instrument": self.instrument,
            "source_type": self.source_type,
            "title": self.title,
            "n_channels": self.n_channels,
            "total_counts": self.total_counts,
            "live_time_s": self.live_time_s,
            "real_time_s": self.real_time_s,
            "start_time": self.start_time.isoformat() if self.start_time else None,
            "latitude": self.latitude,
            "longitude": self.longitude,
            "energy_range_kev": [float(e[0]), float(e[-1])],
            "calibration": self.calibration.to_dict(),
        }


def rebin(spectrum: Spectrum, edges_kev: FloatArray) -> FloatArray:
    """Counts of ``spectrum`` redistributed onto new channel edges (linear within channels)."""
    cum = np.concatenate([[0.0], np.cumsum(spectrum.counts)])
    at_new = np.interp(edges_kev, spectrum.calibration.edges_kev, cum)
    return np.diff(at_new)
