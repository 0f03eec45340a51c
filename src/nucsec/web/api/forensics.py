"""REST API of the forensics tools (issues 6 and 7) and of shared analyses, under ``/api/v1``.

- ``POST /spectra/analyze`` (multipart upload) and ``POST /spectra/analyze-attached`` (a
  file attached to a readable record): the ``nucsec spectrum analyze --json`` shape. An
  upload is kept (content-addressed, unreachable) only when it reads, and the answer's
  ``upload`` ticket lets its uploader share the analysis.
- ``POST /age``, ``POST /age/concordance``, ``GET /age/chronometers``: the ``nucsec age``
  shapes, with the ingrowth curve.
- ``GET/POST /analyses``, ``GET /analyses/{id}``: labelled analyses, recomputed by the
  server from their inputs.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import Response

from nucsec.errors import InputError
from nucsec.node import Node
from nucsec.service import analyses
from nucsec.service import analysis_methods as methods
from nucsec.service.views import AnalysisView, RecordPage
from nucsec.web.api.common import (
    READ,
    WRITE,
    Multipart,
    errs,
    json_response,
    label_input,
    read_upload,
    upload_errors,
)
from nucsec.web.api.record_schemas import (
    AgeIn,
    AgeOut,
    AnalysisIn,
    AttachedSpectrumIn,
    ConcordanceIn,
    SpectrumOut,
)
from nucsec.web.api.schemas import Count
from nucsec.web.auth import Caller
from nucsec.web.deps import JsonBody, NodeDep, Read, Write

__all__ = ["router"]

router = APIRouter()
FileField = File(..., description="a detector file: N42, SPE, CNF, CHN, PCF, SPC, CSV, ...")
DetectorField = Form(None, max_length=8, description="HPGe, NaI, LaBr3, CsI or CZT")
BackgroundField = Form(True, description="subtract a background stored in the file")
PlotField = Form(False, description="include the data of the interactive plot")
_PLOT_QUERY = Query(False, description="include the data of the interactive plot")


# -- spectra ------------------------------------------------------------------------------
@router.post(
    "/spectra/analyze",
    response_model=None,
    responses={200: {"model": SpectrumOut}, **WRITE},
    summary="Analyse an uploaded spectrum file: peaks, nuclides with explanations, enrichment",
)
def analyze_spectrum(
    file: UploadFile = FileField,
    detector: str | None = DetectorField,
    use_file_background: bool = BackgroundField,
    plot: bool = PlotField,
    caller: Caller = Read,
    node: Node = NodeDep,
    _multipart: None = Multipart,
) -> Response:
    data = read_upload(file, node)
    params = {"detector": detector or None, "use_file_background": use_file_background}
    with upload_errors():
        run, ticket = analyses.stage_spectrum(  # kept to share only with the write scope
            node,
            caller.principal,
            data,
            file.filename or "spectrum",
            params,
            keep="write" in caller.scopes,
        )
    out: dict[str, Any] = {**run.result, "upload": ticket}
    if plot:
        out["plot"] = run.plot()
    return json_response(out)


@router.post(
    "/spectra/analyze-attached",
    response_model=None,
    responses={200: {"model": SpectrumOut}, **WRITE, **errs(404)},
    summary="Analyse a spectrum file attached to an incident, document or analysis",
)
def analyze_attached(
    body: AttachedSpectrumIn, caller: Caller = Read, node: Node = NodeDep, _json: None = JsonBody
) -> Response:
    from nucsec.service.attachments import read_attachment

    meta, data = read_attachment(node, caller.principal, body.kind, body.id, body.sha256)
    params = {"detector": body.detector, "use_file_background": body.use_file_background}
    run = methods.run_spectrum(data, meta.name, params, max_bytes=len(data) + 1)
    out: dict[str, Any] = dict(run.result)
    if body.plot:
        out["plot"] = run.plot()
    return json_response(out)


# -- ages ---------------------------------------------------------------------------------
@router.post(
    "/age",
    response_model=None,
    responses={200: {"model": AgeOut}, **WRITE},
    summary="Model age and model date from a daughter/parent ratio (GUM / Monte Carlo, k=1)",
)
def age(
    body: AgeIn, caller: Caller = Read, node: Node = NodeDep, _json: None = JsonBody
) -> Response:
    params = body.model_dump(exclude={"curve"})
    result, _, core = methods.run_age(params)
    if body.curve:
        result["curve"] = methods.age_curve(core)[0]
    return json_response(result)


@router.post(
    "/age/concordance",
    response_model=None,
    responses={200: {"model": dict[str, Any]}, **WRITE},
    summary="Do several chronometers of one sample give the same model date?",
)
def age_concordance(
    body: ConcordanceIn, caller: Caller = Read, node: Node = NodeDep, _json: None = JsonBody
) -> Response:
    return json_response(methods.run_concordance(body.sample, alpha=body.alpha, seed=body.seed))


@router.get(
    "/age/chronometers",
    response_model=None,
    responses={200: {"model": dict[str, Any]}, **READ},
    summary="The chronometers and half-life data sets",
)
def chronometers(caller: Caller = Read) -> Response:
    from nucsec.forensics.chronometry import CHRONOMETERS, half_life_set_names

    return json_response(
        {
            "chronometers": [c.to_dict() for c in CHRONOMETERS.values()],
            "half_life_sets": half_life_set_names(),
        }
    )


# -- analyses -----------------------------------------------------------------------------
@router.get(
    "/analyses",
    response_model=None,
    responses={200: {"model": RecordPage}, **READ},
    summary="Shared analyses the caller may read, newest first",
)
def list_analyses(
    q: str | None = Query(None, max_length=200),
    limit: int = Query(50, ge=1, le=500),
    after: str | None = Query(None, max_length=64),
    caller: Caller = Read,
    node: Node = NodeDep,
) -> Response:
    page = analyses.list_analyses(
        node, caller.principal, query=q or None, limit=limit, after=after or None
    )
    return json_response(page)


@router.get(
    "/analyses/count",
    response_model=None,
    responses={200: {"model": Count}, **READ},
    summary="How many analyses the caller may read",
)
def count_analyses(
    q: str | None = Query(None, max_length=200), caller: Caller = Read, node: Node = NodeDep
) -> Response:
    return json_response({"count": analyses.count_analyses(node, caller.principal, q or None)})


@router.post(
    "/analyses",
    status_code=201,
    response_model=None,
    responses={201: {"model": AnalysisView}, **WRITE, **errs(404)},
    summary="Share an analysis under a label (recomputed by the server from its inputs)",
)
def create_analysis(
    body: AnalysisIn, caller: Caller = Write, node: Node = NodeDep, _json: None = JsonBody
) -> Response:
    label = label_input(body.label, node, "label")
    if body.method == "spectrum":
        if body.source is None:
            raise InputError("a spectrum analysis needs a source", field="source")
        view = analyses.save_spectrum_analysis(
            node,
            caller.principal,
            source=body.source,
            label=label,
            params=body.params,
            title=body.title,
            note=body.note,
        )
    elif body.method == "age":
        view = analyses.save_age_analysis(
            node,
            caller.principal,
            params=body.params,
            label=label,
            parent=body.parent,
            title=body.title,
            note=body.note,
        )
    else:
        raise InputError("method must be spectrum or age", field="method", value=body.method)
    return json_response(view, status_code=201)


@router.get(
    "/analyses/{analysis_id}",
    response_model=None,
    responses={200: {"model": AnalysisView}, **errs(403, 404)},
    summary="One analysis (404 if absent or not visible)",
)
def get_analysis(analysis_id: str, caller: Caller = Read, node: Node = NodeDep) -> Response:
    return json_response(analyses.get_analysis(node, caller.principal, analysis_id))
