"""Simulated spectrum archives (for tests, demonstrations and the benchmark).

:func:`write_n42` writes spectra as an N42-2012 file (one ``RadMeasurement`` per record,
optionally a background measurement), which the reader takes back through SpecUtils like
any instrument's file. :func:`make_archive` fills a folder with ``n`` simulated spectra of
mixed detectors, channel counts (1k-16k) and sources (natural background, medical,
industrial, enriched uranium), reproducibly from a seed: file ``i`` depends only on the
seed and ``i``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np

from nucsec.forensics.spectra.model import Spectrum

__all__ = ["MIXES", "make_archive", "simulated_spectrum", "write_n42"]

_NS = "http://physics.nist.gov/N42/2011/N42"
#: (detector, channels) of the simulated instruments
INSTRUMENTS = (("HPGe", 16384), ("HPGe", 8192), ("NaI", 1024), ("LaBr3", 2048), ("CZT", 4096))
#: source mixes (Bq at the simulator's standard distance)
MIXES: tuple[dict[str, float], ...] = (
    {},
    {"K-40": 3000.0},
    {"Cs-137": 800.0},
    {"Co-60": 500.0},
    {"Tc-99m": 2000.0},
    {"I-131": 1500.0},
    {"Am-241": 3000.0},
    {"Ba-133": 600.0},
    {"U-235": 2000.0, "U-238": 1000.0},
)
T0 = datetime(2024, 1, 1, tzinfo=UTC)


def _duration(seconds: float) -> str:
    return f"PT{seconds:.3f}S"


def _measurement(index: int, spectrum: Spectrum, cls: str) -> str:
    coefs = " ".join(f"{c:.9g}" for c in spectrum.calibration.coefficients)
    counts = " ".join(str(round(c)) for c in spectrum.counts)
    start = (spectrum.start_time or T0).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        f'<EnergyCalibration id="ec{index}"><CoefficientValues>{coefs}</CoefficientValues>'
        "</EnergyCalibration>\n"
        f'<RadMeasurement id="m{index}"><MeasurementClassCode>{cls}</MeasurementClassCode>'
        f"<StartDateTime>{start}</StartDateTime>"
        f"<RealTimeDuration>{_duration(spectrum.real_time_s)}</RealTimeDuration>"
        f'<Spectrum id="s{index}" radDetectorInformationReference="det" '
        f'energyCalibrationReference="ec{index}">'
        f"<LiveTimeDuration>{_duration(spectrum.live_time_s)}</LiveTimeDuration>"
        f'<ChannelData compressionCode="None">{counts}</ChannelData></Spectrum>'
        "</RadMeasurement>\n"
    )


def write_n42(path: Path, records: Sequence[Spectrum], background: Spectrum | None = None) -> None:
    """Write foreground records (and a background) as one N42-2012 file.

    The detector family is written into the instrument model (``sim-HPGe``), from which
    the reader recognises it; calibrations must be polynomial.
    """
    det = escape(records[0].detector_type)
    parts = [
        f'<?xml version="1.0" encoding="UTF-8"?>\n<RadInstrumentData xmlns="{_NS}">\n'
        '<RadInstrumentInformation id="ri"><RadInstrumentManufacturerName>nucsec'
        f"</RadInstrumentManufacturerName><RadInstrumentModelName>sim-{det}"
        "</RadInstrumentModelName><RadInstrumentClassCode>Other</RadInstrumentClassCode>"
        "</RadInstrumentInformation>\n"
        '<RadDetectorInformation id="det"><RadDetectorCategoryCode>Gamma'
        "</RadDetectorCategoryCode><RadDetectorKindCode>Other</RadDetectorKindCode>"
        "</RadDetectorInformation>\n"
    ]
    parts += [_measurement(i, s, "Foreground") for i, s in enumerate(records)]
    if background is not None:
        parts.append(_measurement(len(records), background, "Background"))
    parts.append("</RadInstrumentData>\n")
    path.write_text("".join(parts), encoding="utf-8")


def simulated_spectrum(seed: int, index: int) -> Spectrum:
    """Spectrum ``index`` of the simulated archive of ``seed`` (see :func:`make_archive`)."""
    from nucsec.forensics.spectra import simulate

    rng = np.random.default_rng([seed, index])
    detector, channels = INSTRUMENTS[index % len(INSTRUMENTS)]
    mix = MIXES[int(rng.integers(len(MIXES)))]
    s = simulate(
        mix, rng=rng, detector=detector, n_channels=channels, live_time_s=300.0, background_cps=20.0
    )
    return s.with_(start_time=T0 + timedelta(hours=7 * index))


def make_archive(folder: Path, n: int, seed: int = 1, start: int = 0) -> list[Path]:
    """Write spectra ``start .. start+n-1`` of the archive of ``seed`` into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(start, start + n):
        path = folder / f"spectrum_{i:06d}.n42"
        if not path.exists():
            write_n42(path, [simulated_spectrum(seed, i)])
        out.append(path)
    return out
