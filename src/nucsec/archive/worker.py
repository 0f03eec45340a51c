"""The unit of work of an archive job: a chunk of items in, one Arrow table out.

Runs on a Dask worker (or in the client for the serial baseline): each item is read (its
hash checked), split into its records, and every record analysed with the existing
pipeline (:func:`nucsec.forensics.spectra.analyze`, the same call as
``nucsec spectrum analyze``), summarised into one row of
:data:`~nucsec.archive.schema.RESULT_SCHEMA` and triaged. A bad item gives one row with
its error; only a crash of the worker process itself escapes (the runner isolates it).

Records: the foreground records of a file are split into items where a detector name
repeats (a multi-record N42 file of a portal or a survey: each measurement one item;
the detectors of one measurement are summed, as the single-file analysis sums them). A
background stored in the file is subtracted from each (the single-file default).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from nucsec.archive.schema import feature_vector, rows_to_table
from nucsec.archive.sources import Item, read_item
from nucsec.archive.triage import DEFAULT_RULES, TriageRules, triage
from nucsec.errors import NucsecError

__all__ = ["Options", "analyze_chunk", "analyze_item", "split_records"]

#: warning text -> flag (short, searchable codes for what the analysis warned about)
_FLAGS = (
    ("has no energy calibration", "calibration_inferred"),
    ("gain-matched", "gain_matched"),
    ("no nuclide explains", "unexplained_peaks"),
    ("keeps its stored calibration", "calibration_stored"),
)


@dataclass(frozen=True)
class Options:
    """How every item of a job is analysed (part of the job's identity)."""

    detector: str | None = None
    use_file_background: bool = True
    max_bytes: int = 64 * 1024 * 1024
    rules: TriageRules = DEFAULT_RULES

    def to_dict(self) -> dict[str, Any]:
        return {
            "detector": self.detector,
            "use_file_background": self.use_file_background,
            "max_bytes": self.max_bytes,
            "rules": {
                "min_confidence": self.rules.min_confidence,
                "unexplained_sigma": self.rules.unexplained_sigma,
                "unexplained_min_kev": self.rules.unexplained_min_kev,
            },
        }


def split_records(spectrum_file: Any) -> list[list[Any]]:
    """The items of a file: groups of foreground records (see the module docstring)."""
    sf = spectrum_file
    chosen = sf.records("foreground") or [
        s for s in sf.spectra if s.source_type not in ("background", "calibration")
    ]
    if not chosen:
        chosen = list(sf.spectra)
    groups: list[list[Any]] = []
    names: set[str] = set()
    for s in chosen:
        if not groups or s.detector_name in names:
            groups.append([])
            names = set()
        groups[-1].append(s)
        names.add(s.detector_name)
    return groups


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _flags(warnings: Sequence[str], n_records: int) -> list[str]:
    out = [flag for text, flag in _FLAGS if any(text in w for w in warnings)]
    if n_records > 1:
        out.append("multi_record")
    return out


def _base(item: Item, record_index: int, n_records: int) -> dict[str, Any]:
    return {
        "file_sha256": item.sha256,
        "item_id": item.item_id,
        "source": item.source,
        "member": item.member,
        "record_index": record_index,
        "n_records": n_records,
    }


def error_row(item: Item, error: dict[str, Any], record_index: int = 0) -> dict[str, Any]:
    """The row of a failed item (or record)."""
    return {
        **_base(item, record_index, 1),
        "triage_class": "error",
        "triage_reasons": [str(error.get("message", ""))],
        "error_code": str(error.get("error", "error")),
        "error_message": str(error.get("message", "")),
        "flags": [],
        "warnings": [],
        "nuclides": [],
        "peaks": [],
    }


def _row(item: Item, index: int, n: int, analysis: Any, rules: TriageRules) -> dict[str, Any]:
    result = analysis.to_dict()
    s = analysis.spectrum
    peaks = [
        {k: p[k] for k in ("energy_kev", "fwhm_kev", "net_counts", "unc", "significance", "label")}
        for p in result["peaks"]
    ]
    nuclides = [
        {
            "name": x["name"],
            "category": x["category"],
            "confidence": x["confidence"],
            "in_excess_of_background": x["in_excess_of_background"],
        }
        for x in result["nuclides"]
    ]
    enr = result["enrichment"] or {}
    cls, reasons = triage(nuclides, peaks, rules)
    return {
        **_base(item, index, n),
        "detector_type": result["detector"]["type"],
        "detector_name": s.detector_name,
        "instrument": s.instrument,
        "start_time": _utc(s.start_time),
        "live_time_s": s.live_time_s,
        "real_time_s": s.real_time_s,
        "n_channels": s.n_channels,
        "total_counts": s.total_counts,
        "background_subtracted": result["background"] is not None,
        "background_scale": (result["background"] or {}).get("scale"),
        "calibration_source": result["calibration"]["source"],
        "calibration_n_lines": result["calibration"]["n_lines"],
        "calibration_rms_kev": result["calibration"]["rms_kev"],
        "n_peaks": len(peaks),
        "peaks": peaks,
        "nuclides": nuclides,
        "u235_pct": enr.get("u235_pct"),
        "u235_unc_pct": enr.get("u_u235_pct"),
        "enrichment_method": enr.get("method"),
        "flags": _flags(result["warnings"], n),
        "warnings": list(result["warnings"]),
        "triage_class": cls,
        "triage_reasons": reasons,
        "features": feature_vector(analysis.counts, analysis.calibration.edges_kev).tolist(),
    }


def analyze_item(item: Item, options: Options) -> list[dict[str, Any]]:
    """The rows of one item: one per record, or one error row."""
    from nucsec.forensics.spectra import analyze, read_spectrum
    from nucsec.forensics.spectra.spectrum_file import sum_spectra

    if item.error is not None:
        return [error_row(item, item.error)]
    t0 = time.perf_counter()
    try:
        data = read_item(item, options.max_bytes)
        sf = read_spectrum(data, filename=item.name, max_bytes=options.max_bytes)
        background = sf.background() if options.use_file_background else None
        groups = split_records(sf)
    except NucsecError as exc:
        return [{**error_row(item, exc.to_dict()), "analysis_s": time.perf_counter() - t0}]
    rows = []
    for index, group in enumerate(groups):
        t1 = time.perf_counter()
        try:
            analysis = analyze(sum_spectra(group), background=background, detector=options.detector)
            row = _row(item, index, len(groups), analysis, options.rules)
        except NucsecError as exc:
            row = {**error_row(item, exc.to_dict(), index), "n_records": len(groups)}
        # the read and split are charged to the first record
        row["analysis_s"] = time.perf_counter() - (t0 if index == 0 else t1)
        rows.append(row)
    return rows


def _warm_up() -> None:
    """Import the reader backend and load the line library (once per process)."""
    import SpecUtils  # noqa: F401  (the C++ extension: its import is the slow part)

    from nucsec.forensics.spectra import load_library

    load_library()


def analyze_chunk(items: Sequence[Item], options: Options) -> pa.Table:
    """The Dask task: analyse a chunk of items, return their rows as one Arrow table."""
    _warm_up()
    rows = [row for item in items for row in analyze_item(item, options)]
    return rows_to_table(rows)
