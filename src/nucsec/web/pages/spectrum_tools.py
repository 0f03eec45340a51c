"""Spectrum tools behind the spectrum page (``/spectra``) and a saved spectrum analysis
(``/analyses/{id}``): the fit of every peak for the click-a-peak panel, the peaks as CSV,
and the reference lines of any nuclide of the library for the overlay.

Every route reads what its page reads, through the same service calls (and so the same
decision and audit): a saved analysis by :func:`nucsec.service.analyses.get_analysis`
(hidden answers 404 like absent), an attached file by
:func:`nucsec.service.attachments.read_attachment`, an upload by its uploader's ticket.
The line library is public reference data, but its endpoint is guarded like the page
(signed-in users only).
"""

from __future__ import annotations

import csv
import io
from typing import Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse, Response

from nucsec.errors import InputError, NotFoundError
from nucsec.incidents.csvio import guard_cell
from nucsec.node import Node
from nucsec.service import analyses
from nucsec.service import analysis_methods as methods
from nucsec.service import attachments as att
from nucsec.service.files import blob_store
from nucsec.web.auth import Caller
from nucsec.web.deps import NodeDep, page_caller

__all__ = ["background_series", "efficiency_from_csv", "peak_details", "peaks_csv", "router"]

router = APIRouter()
CallerDep = Depends(page_caller)
#: the fitted model is drawn this many FWHM either side of a peak when its region is not
#: known (a saved analysis stores the model, not the regions)
REGION_FWHM = 3.0
CSV_COLUMNS = (
    "energy_kev",
    "energy_unc_kev",
    "fwhm_kev",
    "net_counts",
    "unc",
    "significance",
    "region_lo_kev",
    "region_hi_kev",
    "region_reduced_chi2",
    "label",
    "lines",
    "marking",
)


def _assigned_lines(result: dict[str, Any]) -> dict[float, list[dict[str, Any]]]:
    """The nuclide lines matched to each peak, by the peak's energy (as the result rounds it)."""
    out: dict[float, list[dict[str, Any]]] = {}
    for nuclide in result.get("nuclides") or []:
        for line in nuclide.get("matched_lines") or []:
            at = line.get("peak_energy_kev")
            if isinstance(at, int | float):
                out.setdefault(round(float(at), 3), []).append(
                    {
                        "nuclide": nuclide.get("name"),
                        "emitter": line.get("emitter"),
                        "energy_kev": line.get("energy_kev"),
                        "intensity_pct": line.get("intensity_pct"),
                    }
                )
    return out


def _regions(analysis: Any) -> list[tuple[float, float, float]]:
    """Every fitted region of an analysis as (low keV, high keV, reduced chi2)."""
    edges = analysis.calibration.edges_kev
    return [
        (float(edges[f.lo]), float(edges[min(f.hi, edges.size - 1)]), float(f.reduced_chi2))
        for f in analysis.peakset.fits
    ]


def peak_details(result: dict[str, Any], analysis: Any = None) -> list[dict[str, Any]]:
    """The fit of every peak of ``result``: centroid, FWHM, net area and uncertainty,
    significance, the region drawn (and its reduced chi2 when ``analysis``, the fresh
    computation, is given; a saved analysis does not store it: None) and the nuclide lines
    assigned to it."""
    lines = _assigned_lines(result)
    regions = _regions(analysis) if analysis is not None else []
    out = []
    for p in result.get("peaks") or []:
        energy, fwhm = float(p["energy_kev"]), float(p["fwhm_kev"])
        region = next((r for r in regions if r[0] <= energy <= r[1]), None)
        lo, hi = (
            (region[0], region[1])
            if region
            else (energy - REGION_FWHM * fwhm, energy + REGION_FWHM * fwhm)
        )
        out.append(
            {
                "energy_kev": energy,
                "energy_unc_kev": p.get("energy_unc_kev"),
                "fwhm_kev": fwhm,
                "net_counts": p.get("net_counts"),
                "unc": p.get("unc"),
                "significance": p.get("significance"),
                "label": p.get("label"),
                "region_lo_kev": round(lo, 3),
                "region_hi_kev": round(hi, 3),
                "region_reduced_chi2": round(region[2], 3) if region else None,
                "lines": lines.get(round(energy, 3), []),
            }
        )
    return out


def efficiency_from_csv(data: bytes) -> Any:
    """The efficiency curve of an uploaded CSV (:func:`nucsec.service.analysis_methods.
    efficiency_from_csv`, the CLI's reader); InputError (``field="efficiency"``) when it is
    not UTF-8 text."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("the efficiency file is not UTF-8 text", field="efficiency") from None
    return methods.efficiency_from_csv(text)


def background_series(analysis: Any, max_points: int) -> list[float | None] | None:
    """The background the analysis subtracted, as counts scaled to the foreground's live
    time (gross minus net, channel by channel), summed in the plot's bins (``max_points``
    as :func:`nucsec.forensics.spectra.plot.plot_data`); None when none was subtracted."""
    import numpy as np

    if analysis.background is None:
        return None
    gross = np.asarray(analysis.spectrum.counts, dtype=float)
    scaled = gross - np.asarray(analysis.counts, dtype=float)
    factor = max(1, -(-scaled.size // max_points))
    binned = scaled[: scaled.size // factor * factor].reshape(-1, factor).sum(axis=1)
    return [round(float(v), 2) if np.isfinite(v) else None for v in binned]


def peaks_csv(details: list[dict[str, Any]], marking: str = "") -> str:
    """The peaks as CSV (one row a peak, header first), each row carrying ``marking``, the
    portion mark of what the peaks come from (a saved analysis's result, an attached
    file; empty for the caller's own upload, not marked yet), so the file stays marked
    once downloaded; text cells a spreadsheet would run as a formula are guarded
    (:func:`nucsec.incidents.csvio.guard_cell`)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for d in details:
        names = "; ".join(f"{x['nuclide']} {x['energy_kev']}" for x in d["lines"])
        cells = [d.get(c) for c in CSV_COLUMNS[:-2]] + [names, marking]
        writer.writerow([guard_cell("" if v is None else str(v)) for v in cells])
    return buffer.getvalue()


def _csv_response(text: str, name: str) -> Response:
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/analyses/{analysis_id}/peaks.csv")
def analysis_peaks_csv(
    analysis_id: str, caller: Caller = CallerDep, node: Node = NodeDep
) -> Response:
    view = analyses.get_analysis(node, caller.principal, analysis_id)  # hidden: 404 as absent
    if view.method != "spectrum":
        raise NotFoundError("this analysis has no peaks")
    mark = view.portions["result"].portion if "result" in view.portions else view.banner
    return _csv_response(peaks_csv(peak_details(view.result), mark), f"peaks-{view.id}.csv")


@router.get("/spectra/peaks.csv")
def spectrum_peaks_csv(
    kind: str = Query("", max_length=16),
    id: str = Query("", max_length=64),
    sha256: str = Query("", max_length=64),
    upload: str = Query("", max_length=200),
    name: str = Query("spectrum", max_length=255),
    detector: str = Query("", max_length=8),
    background: str = Query("on", max_length=3),
    caller: Caller = CallerDep,
    node: Node = NodeDep,
) -> Response:
    """The peaks of the spectrum page's result, recomputed from its source (an attached
    file its reader may read, or the caller's own upload)."""
    mark = ""  # the caller's own upload: not marked until shared
    if upload:
        sha = analyses.ticket_blob(node, caller.principal, upload)
        try:
            data = blob_store(node).get(sha)
        except NotFoundError:
            raise InputError("the upload is gone: upload the file again", field="upload") from None
    elif kind and id and sha256:
        meta, data = att.read_attachment(node, caller.principal, kind, id, sha256)
        name, mark = meta.name, meta.portion
    else:
        raise InputError("name a file: kind, id and sha256, or an upload", field="upload")
    params = {"detector": detector or None, "use_file_background": background != "off"}
    run = methods.run_spectrum(data, name, params, max_bytes=len(data) + 1)
    details = peak_details(run.result, run.analysis)
    return _csv_response(peaks_csv(details, mark), "peaks.csv")


@router.get("/spectra/lines")
def reference_lines(
    nuclide: str = Query("", max_length=64), caller: Caller = CallerDep
) -> JSONResponse:
    """``{"nuclides": [names]}`` without ``nuclide`` (the field's suggestions), else that
    source's lines: ``{"nuclide", "lines": [{energy_kev, intensity_pct, emitter, kind}]}``
    (404 for a name the library does not know)."""
    from nucsec.forensics.spectra.nucdata import load_library
    from nucsec.nuclides import NuclideError, canonical

    library = load_library()
    if not nuclide:
        return JSONResponse({"nuclides": sorted(library)})
    try:
        source = library.get(canonical(nuclide.strip()))
    except NuclideError:
        source = None
    if source is None:
        raise NotFoundError(f"no nuclide {nuclide!r} in the line library")
    lines = [
        {
            "energy_kev": line.energy_kev,
            "intensity_pct": round(100 * line.intensity, 4),
            "emitter": line.emitter,
            "kind": line.kind,
        }
        for line in source.lines
    ]
    return JSONResponse({"nuclide": source.name, "lines": lines})
