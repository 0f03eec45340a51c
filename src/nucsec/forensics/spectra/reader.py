"""Read any gamma-spectrum file into plain :mod:`~nucsec.forensics.spectra.model` data.

The backend is Sandia's SpecUtils (PyPI ``sandiaspecutils``, LGPL-2.1, imported as
``SpecUtils``), which reads N42 (2006/2012), SPE (ORTEC/IAEA), CNF, CHN, SPC, PCF, TKA,
RadiaCode XML, CSV/TXT and more. It stays behind this module: the rest of nucsec sees
only :func:`read_spectrum`, :func:`convert_spectrum` and the dataclasses.

Every failure becomes a :class:`~nucsec.forensics.spectra.model.SpectrumFileError`
(a :class:`~nucsec.errors.FileFormatError`); a file that is not whole (empty, or cut off
before what its format declares) a ``TruncatedSpectrumError``, before parsing
(:mod:`~nucsec.forensics.spectra.wholeness`). Fuzzing (random bytes, truncations, bit
flips, splices of the test files) found no input that crashes or hangs the backend; the
results are then checked here (finite, non-negative counts, sane times).
"""

from __future__ import annotations

import io
import logging
import math
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from nucsec.forensics.spectra.model import EnergyCalibration, Spectrum, SpectrumFileError
from nucsec.forensics.spectra.spectrum_file import SpectrumFile
from nucsec.forensics.spectra.wholeness import check_whole

__all__ = ["DEFAULT_MAX_BYTES", "convert_spectrum", "read_spectrum"]

log = logging.getLogger(__name__)

#: largest file accepted by default (the biggest real spectrum files are a few MB)
DEFAULT_MAX_BYTES = 64 * 1024 * 1024

_CAL_KIND = {
    "Polynomial": "polynomial",
    "FullRangeFraction": "full_range_fraction",
    "LowerChannelEdge": "lower_channel_edge",
    "UnspecifiedUsingDefaultPolynomial": "default",
    "InvalidEquationType": "default",
}
_SOURCE = {
    "Foreground": "foreground",
    "Background": "background",
    "Calibration": "calibration",
    "IntrinsicActivity": "calibration",
}
# SpecUtils detector-type names (by prefix/content) -> our detector families
_DETECTOR_HINTS = (
    ("Detective", "HPGe"),
    ("Falcon", "HPGe"),
    ("Fulcrum", "HPGe"),
    ("LaBr", "LaBr3"),
    ("CeBr", "LaBr3"),
    ("RadiaCodeCsI", "CsI"),
    ("GAGG", "CsI"),
    ("NaI", "NaI"),
    ("Kromek", "CZT"),
    ("IdentiFinderNG", "NaI"),
    ("Exploranium", "NaI"),
    ("Sam9", "NaI"),
)
_TEXT_HINTS = (
    ("hpge", "HPGe"),
    ("germanium", "HPGe"),
    ("labr", "LaBr3"),
    ("cebr", "LaBr3"),
    ("csi", "CsI"),
    ("radiacode", "CsI"),
    ("nai", "NaI"),
    ("czt", "CZT"),
    ("cdznte", "CZT"),
)


def _load_bytes(
    source: str | Path | bytes, max_bytes: int, filename: str | None = None
) -> tuple[bytes, str, Path | None]:
    path: Path | None = None
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        name = ""
    else:
        path = Path(source)
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise SpectrumFileError(
                f"cannot open {path}: {exc.strerror}", field="path", value=str(path)
            ) from exc
        if size > max_bytes:
            raise SpectrumFileError(
                f"{path.name} is {size} bytes, more than the limit of {max_bytes}",
                field="size_bytes",
                value=size,
            )
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise SpectrumFileError(
                f"cannot read {path}: {exc.strerror}", field="path", value=str(path)
            ) from exc
        name = path.name
    if len(data) > max_bytes:
        raise SpectrumFileError(
            f"spectrum data is {len(data)} bytes, more than {max_bytes}",
            field="size_bytes",
            value=len(data),
        )
    check_whole(data, filename or name)
    if len(data) < 16:
        raise SpectrumFileError(
            "file is empty or too short to be a spectrum", field="size_bytes", value=len(data)
        )
    return data, name, path


def _parse(data: bytes, filename: str, path: Path | None) -> Any:
    """Parse with SpecUtils' automatic format detection.

    SpecUtils' stream parser skips some formats that its file parser handles (RadiaCode
    XML), so bytes that the stream parser refuses are retried through a temporary file.
    """
    import SpecUtils

    spec = SpecUtils.SpecFile()
    try:
        if path is not None:
            spec.loadFile(str(path), SpecUtils.ParserType.Auto, filename)
        else:
            spec.loadFileFromStream(io.BytesIO(data), filename or "spectrum", "")
        return spec
    except (RuntimeError, ValueError, TypeError) as exc:
        first_error: Exception = exc
    if path is None:
        suffix = Path(filename).suffix[:8] if filename else ""
        with tempfile.TemporaryDirectory(prefix="nucsec-spectrum-") as tmp:
            tmp_path = Path(tmp) / f"spectrum{suffix}"
            tmp_path.write_bytes(data)
            spec = SpecUtils.SpecFile()
            try:
                spec.loadFile(str(tmp_path), SpecUtils.ParserType.Auto, filename)
                return spec
            except (RuntimeError, ValueError, TypeError):
                pass
    raise SpectrumFileError(
        f"not a readable spectrum file{(' (' + filename + ')') if filename else ''}: an "
        "unknown format, or a corrupt or cut-off file",
        field="file",
        value=filename or None,
    ) from first_error


def _detector_type(spec: Any, meas: Any, hint_text: str) -> str:
    kind = spec.detectorType().name
    for key, family in _DETECTOR_HINTS:
        if key.lower() in kind.lower():
            return family
    text = " ".join(
        [
            hint_text,
            spec.instrumentModel(),
            spec.instrumentType(),
            meas.detectorName(),
            meas.title(),
        ]
    ).lower()
    for key, family in _TEXT_HINTS:
        if key in text:
            return family
    return "unknown"


def _calibration(meas: Any, n: int) -> EnergyCalibration:
    kind = _CAL_KIND.get(meas.energyCalibrationModel().name, "default")
    coefs = [float(c) for c in meas.calibrationCoeffs()]
    try:
        edges = np.asarray(meas.channelEnergies(), dtype=np.float64)
    except (RuntimeError, TypeError, ValueError):
        edges = np.empty(0)
    if edges.size == n:  # only lower edges given: extend by the last channel width
        step = edges[-1] - edges[-2] if n > 1 else 1.0
        edges = np.append(edges, edges[-1] + step)
    if edges.size != n + 1 or not np.all(np.isfinite(edges)) or np.any(np.diff(edges) <= 0):
        kind = "default"
        edges = np.arange(n + 1, dtype=np.float64)
        coefs = [0.0, 1.0]
    if kind == "lower_channel_edge":
        coefs = [float(e) for e in edges[:3]]
    return EnergyCalibration(kind, tuple(coefs), edges)


def _time(value: Any) -> datetime | None:
    if not isinstance(value, datetime) or value.year <= 1970:
        return None
    return value


def _finite_or_none(value: float) -> float | None:
    return float(value) if math.isfinite(value) and value != -999.9 else None


def _record(spec: Any, meas: Any, hint: str) -> Spectrum | None:
    counts = np.asarray(meas.gammaCounts(), dtype=np.float64)
    if counts.size < 8:
        return None  # neutron-only or empty record
    if not np.all(np.isfinite(counts)) or np.any(counts < 0):
        raise SpectrumFileError("spectrum has negative or non-finite counts", field="counts")
    live, real = float(meas.liveTime()), float(meas.realTime())
    if not (math.isfinite(live) and math.isfinite(real)) or live < 0 or real < 0:
        raise SpectrumFileError("spectrum has an invalid live or real time", field="live_time_s")
    lat = lon = None
    if meas.hasGpsInfo():
        lat, lon = _finite_or_none(meas.latitude()), _finite_or_none(meas.longitude())
    return Spectrum(
        counts=counts,
        live_time_s=live,
        real_time_s=real,
        calibration=_calibration(meas, counts.size),
        detector_type=_detector_type(spec, meas, hint),
        detector_name=meas.detectorName().strip(),
        instrument=" ".join(p for p in (spec.manufacturer(), spec.instrumentModel()) if p),
        start_time=_time(meas.startTime()),
        latitude=lat,
        longitude=lon,
        source_type=_SOURCE.get(meas.sourceType().name, "unknown"),
        title=meas.title().strip(),
    )


def read_spectrum(
    source: str | Path | bytes,
    filename: str | None = None,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> SpectrumFile:
    """Read a spectrum file (path or bytes) of any supported format.

    Parameters
    ----------
    source : str, Path or bytes
        A file path, or the file content.
    filename : str, optional
        Name used as a format hint (the extension) and in messages, for bytes input.
    max_bytes : int
        Larger inputs are refused before parsing.

    Returns
    -------
    SpectrumFile
        All gamma records in the file, in file order.

    Raises
    ------
    SpectrumFileError
        Unreadable, truncated, random or oversized input, or a file without gamma data.
    """
    data, name, path = _load_bytes(source, max_bytes, filename)
    name = filename or name
    spec = _parse(data, name, path)
    hint = ""  # file names are not evidence of the detector type
    spectra: list[Spectrum] = []
    for meas in spec.measurements():
        try:
            rec = _record(spec, meas, hint)
        except (RuntimeError, TypeError, ValueError) as exc:
            if isinstance(exc, SpectrumFileError):
                raise
            raise SpectrumFileError(
                f"corrupt spectrum record in {name or 'input'}", field="file", value=name or None
            ) from exc
        if rec is not None:
            spectra.append(rec)
    if not spectra:
        raise SpectrumFileError("file holds no gamma spectrum", field="file", value=name or None)
    try:
        warnings = tuple(str(w) for w in spec.parseWarnings())
    except (RuntimeError, TypeError):
        warnings = ()
    return SpectrumFile(
        spectra=tuple(spectra),
        filename=name,
        instrument=spec.instrumentModel().strip(),
        manufacturer=spec.manufacturer().strip(),
        warnings=warnings,
    )


_FORMATS = {
    "n42": "N42_2012",
    "n42-2006": "N42_2006",
    "csv": "Csv",
    "spe": "SpeIaea",
    "chn": "Chn",
    "pcf": "Pcf",
    "cnf": "Cnf",
    "txt": "Txt",
    "tka": "Tka",
}


def convert_spectrum(
    source: str | Path | bytes,
    to: str = "n42",
    filename: str | None = None,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> bytes:
    """Convert a spectrum file to another format (default N42-2012 XML); return its bytes.

    Formats that hold one spectrum (SPE, CHN, CSV...) get the sum of all records.
    """
    import SpecUtils

    target = _FORMATS.get(to.lower())
    if target is None:
        raise SpectrumFileError(
            f"unknown output format {to!r}; known: {', '.join(_FORMATS)}", field="to", value=to
        )
    data, name, path = _load_bytes(source, max_bytes, filename)
    spec = _parse(data, filename or name, path)
    out = io.BytesIO()
    try:
        spec.writeToStream(
            out,
            list(spec.sampleNumbers()),
            list(spec.detectorNames()),
            getattr(SpecUtils.SaveSpectrumAsType, target),
        )
    except (RuntimeError, ValueError, TypeError) as exc:
        raise SpectrumFileError(
            f"cannot write this spectrum as {to}", field="to", value=to
        ) from exc
    return out.getvalue()
