"""Forensics pages: the spectrum page (upload or pick an attached file; interactive plot,
nuclide table with explanations, enrichment; share as a labelled analysis), the age
calculator (budget k=1/k=2, model date, ingrowth SVG; save as analysis) and shared
analyses. (Attached files of every kind: :mod:`nucsec.web.pages.attachments`.)

The banner of a page is computed from what it shows: an attached file's analysis carries
at least the file's portion label; a fresh upload is not yet labelled (the analyst labels
it when sharing).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from nucsec.errors import AccessDenied, InputError, NucsecError
from nucsec.markings import Label
from nucsec.node import Node
from nucsec.service import analyses
from nucsec.service import analysis_methods as methods
from nucsec.service import attachments as att
from nucsec.service.analysis_schema import schema_problem
from nucsec.service.views import AnalysisView
from nucsec.web.access import may_see_release
from nucsec.web.auth import Caller
from nucsec.web.deps import Form, NodeDep, csrf_form, first, page_caller
from nucsec.web.i18n import N_
from nucsec.web.pages.common import UploadForm, labels_of, preview, read_upload_form
from nucsec.web.pages.picker import label_from_form, picker_options
from nucsec.web.pages.spectrum_tools import background_series, efficiency_from_csv, peak_details
from nucsec.web.pages.spectrum_tools import router as tools_router
from nucsec.web.views import label_of_summary, render

__all__ = ["router"]

router = APIRouter()
router.include_router(tools_router)
CallerDep = Depends(page_caller)
FormDep = Depends(csrf_form)
PAGE_SIZE = 25
SHARE = "share"


def _share_values() -> dict[str, Any]:
    return {f"{SHARE}_dissem": "relto"}


# -- spectra --------------------------------------------------------------------------------
def _spectrum_page(
    request: Request,
    caller: Caller,
    node: Node,
    *,
    run: methods.SpectrumRun | None = None,
    source: dict[str, str] | None = None,
    shown: list[Label] | None = None,
    error: str = "",
    status: int = 200,
) -> Response:
    context: dict[str, Any] = {
        "detectors": methods.DETECTORS,
        "error": error,
        "source": source,
        "options": picker_options(caller.principal, node.ctx),
        "values": _share_values(),
        "prefixes": [SHARE],
        "preview": preview({}, [SHARE], caller, node),
        "result": None,
    }
    if run is not None:
        context.update(
            result=run.result,
            params=run.params,
            plot_data=run.plot(),
            svg=run.svg(title=run.result["file"]),
            tools=_tools(run, source or {}),
        )
    return render(
        request, "spectrum.html", context, caller=caller, labels=shown or [], status=status
    )


def _tools(run: methods.SpectrumRun, source: dict[str, str]) -> dict[str, Any]:
    """What the plot's tools read: every peak's fit, the peaks CSV (recomputed from the
    same source by the server) and the channel count (for the cursor read-out)."""
    if source.get("upload"):
        query = {"upload": source["upload"], "name": source.get("name", "")}
    else:
        query = {k: source.get(k, "") for k in ("kind", "id", "sha256")}
    query["detector"] = run.params.get("detector") or ""
    query["background"] = "on" if run.params.get("use_file_background", True) else "off"
    return {
        "peaks": peak_details(run.result, run.analysis),
        "csv_url": f"/spectra/peaks.csv?{urlencode(query)}",
        "n_channels": run.result.get("n_channels"),
        "background": background_series(run.analysis, methods.PLOT_POINTS),
    }


@router.get("/spectra", response_class=HTMLResponse)
def spectrum(
    request: Request,
    kind: str = Query("", max_length=16),
    id: str = Query("", max_length=64),
    sha256: str = Query("", max_length=64),
    detector: str = Query("", max_length=8),
    caller: Caller = CallerDep,
    node: Node = NodeDep,
) -> Response:
    if not (kind and id and sha256):
        return _spectrum_page(request, caller, node)
    meta, data = att.read_attachment(node, caller.principal, kind, id, sha256)
    params = {"detector": detector or None}
    try:
        run = methods.run_spectrum(data, meta.name, params, max_bytes=len(data) + 1)
    except InputError as exc:
        shown = [Label.from_dict(meta.label)]
        return _spectrum_page(request, caller, node, error=exc.message, shown=shown, status=422)
    source = {"kind": kind, "id": id, "sha256": sha256, "name": meta.name}
    shown = [Label.from_dict(meta.label)]
    return _spectrum_page(request, caller, node, run=run, source=source, shown=shown)


@router.post("/spectra", response_class=HTMLResponse)
async def upload_spectrum(
    request: Request, caller: Caller = CallerDep, node: Node = NodeDep
) -> Response:
    from starlette.concurrency import run_in_threadpool

    form = await read_upload_form(request, caller, node)
    return await run_in_threadpool(_analyse_upload, request, caller, node, form)


def _analyse_upload(request: Request, caller: Caller, node: Node, form: UploadForm) -> Response:
    file = form.file("file")
    params = {
        "detector": first(form.fields, "detector") or None,
        "use_file_background": first(form.fields, "no_file_background") != "on",
    }
    eff_file = form.file("efficiency")
    try:
        if file is None or not (file[0] or file[2]):  # an empty named file: the reader says
            raise InputError("choose a spectrum file", field="file")
        # read before anything is staged: a bad efficiency file stores nothing
        eff = efficiency_from_csv(eff_file[2]) if eff_file and eff_file[0] else None
        run, ticket = analyses.stage_spectrum(
            node, caller.principal, file[2], file[0], params, efficiency=eff
        )
    except InputError as exc:
        from nucsec.store.blobs import BlobTooLargeError

        status = 413 if isinstance(exc, BlobTooLargeError) else 422
        return _spectrum_page(request, caller, node, error=exc.message, status=status)
    source = {"upload": ticket or "", "name": file[0]}  # a session keeps its uploads
    if eff is not None and eff_file is not None:
        source["efficiency"] = eff_file[0]
    return _spectrum_page(request, caller, node, run=run, source=source)


@router.post("/spectra/share", response_class=HTMLResponse)
def share_spectrum(
    request: Request, form: Form = FormDep, caller: Caller = CallerDep, node: Node = NodeDep
) -> Response:
    if first(form, "upload"):
        source = {"upload": first(form, "upload"), "name": first(form, "name")}
    else:
        source = {k: first(form, k) for k in ("kind", "id", "sha256")}
    params = {
        "detector": first(form, "detector") or None,
        "use_file_background": first(form, "use_file_background", "on") == "on",
    }

    def save(label: Label) -> AnalysisView:
        return analyses.save_spectrum_analysis(
            node,
            caller.principal,
            source=source,
            label=label,
            params=params,
            title=first(form, "title"),
            note=first(form, "note"),
        )

    return _share(request, caller, node, form, save)


def _share(
    request: Request,
    caller: Caller,
    node: Node,
    form: Form,
    save: Callable[[Label], AnalysisView],
) -> Response:
    """Save an analysis under the label chosen in ``form``: its page, or a page saying why
    it was not saved (403 refused by the policy, 422 bad input)."""
    try:
        view = save(label_from_form(form, SHARE, caller.principal, node.ctx))
    except (InputError, AccessDenied) as exc:
        status = 403 if isinstance(exc, AccessDenied) else 422
        return _retry_page(request, caller, node, exc.message, status)
    return RedirectResponse(f"/analyses/{view.id}", status_code=303)


def _retry_page(
    request: Request, caller: Caller, node: Node, message: str, status: int
) -> Response:
    from nucsec.web.views import error_page

    return error_page(request, status, message, hint=N_("go back to choose again"))


# -- age calculator -------------------------------------------------------------------------
_AGE_FORM = ("chronometer", "ratio", "ratio_unc", "ratio_kind", "measured_on", "age_on")
_AGE_MORE = ("half_lives", "monte_carlo", "seed", "initial_daughter", "initial_daughter_unc")


def _age_context(node: Node, query: dict[str, str]) -> dict[str, Any]:
    from nucsec.forensics.chronometry import CHRONOMETERS, half_life_set_names

    out: dict[str, Any] = {
        "chronometers": [c.name for c in CHRONOMETERS.values()],
        "half_life_sets": half_life_set_names(),
        "q": query,
        "result": None,
        "error": "",
        "error_field": None,
    }
    if not query.get("chronometer"):
        return out
    params: dict[str, Any] = {k: v for k, v in query.items() if v != ""}
    try:
        result, checked, core = methods.run_age(params)
    except InputError as exc:
        out.update(error=exc.message, error_field=exc.field)
        return out
    curve, svg = methods.age_curve(core)
    out.update(result=result, svg=svg, params_json=json.dumps(checked), curve=curve)
    return out


@router.get("/age", response_class=HTMLResponse)
def age(
    request: Request,
    chronometer: str = Query("", max_length=64),
    ratio: str = Query("", max_length=40),
    ratio_unc: str = Query("", max_length=40),
    ratio_kind: str = Query("atom", max_length=10),
    measured_on: str = Query("", max_length=10),
    age_on: str = Query("", max_length=10),
    half_lives: str = Query("nubase2020", max_length=128),
    monte_carlo: str = Query("0", max_length=8),
    seed: str = Query("", max_length=20),
    initial_daughter: str = Query("", max_length=40),
    initial_daughter_unc: str = Query("", max_length=40),
    caller: Caller = CallerDep,
    node: Node = NodeDep,
) -> Response:
    query = {k: v for k, v in locals().items() if k in _AGE_FORM + _AGE_MORE}
    context = _age_context(node, query)
    context.update(
        options=picker_options(caller.principal, node.ctx),
        values=_share_values(),
        prefixes=[SHARE],
        preview=preview({}, [SHARE], caller, node),
    )
    status = 422 if context["error"] else 200
    return render(request, "age.html", context, caller=caller, status=status)


@router.post("/age/save", response_class=HTMLResponse)
def save_age(
    request: Request, form: Form = FormDep, caller: Caller = CallerDep, node: Node = NodeDep
) -> Response:
    def save(label: Label) -> AnalysisView:
        try:
            params = json.loads(first(form, "params"))
        except json.JSONDecodeError:
            raise InputError("the calculation was not sent back", field="params") from None
        if not isinstance(params, dict):
            raise InputError("the calculation was not sent back", field="params")
        return analyses.save_age_analysis(
            node,
            caller.principal,
            params=params,
            label=label,
            title=first(form, "title"),
            note=first(form, "note"),
        )

    return _share(request, caller, node, form, save)


# -- analyses -------------------------------------------------------------------------------
@router.get("/analyses", response_class=HTMLResponse)
def analyses_page(
    request: Request,
    q: str = Query("", max_length=200),
    after: str = Query("", max_length=64),
    caller: Caller = CallerDep,
    node: Node = NodeDep,
) -> Response:
    page = analyses.list_analyses(
        node, caller.principal, query=q or None, limit=PAGE_SIZE, after=after or None
    )
    total = analyses.count_analyses(node, caller.principal, q or None)
    rows = [(item, label_of_summary(item, node)) for item in page.items]
    params = {"q": q} if q else {}
    nxt = page.next
    return render(
        request,
        "analyses.html",
        {
            "rows": rows,
            "total": total,
            "q": q,
            "next_url": f"/analyses?{urlencode({**params, 'after': nxt})}" if nxt else "",
            "first_url": f"/analyses?{urlencode(params)}" if after else "",
        },
        caller=caller,
        labels=[lb for _, lb in rows if lb is not None],
    )


def _param_text(value: Any) -> str:
    """A parameter as a reader reads it: numbers and words as they are, yes/no, lists
    joined, anything nested as compact JSON."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return "—"
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    return str(value)


@router.get("/analyses/{analysis_id}", response_class=HTMLResponse)
def analysis(
    request: Request, analysis_id: str, caller: Caller = CallerDep, node: Node = NodeDep
) -> Response:
    view = analyses.get_analysis(node, caller.principal, analysis_id)
    # stored data is shown only as the schema says it can be (a partner's record, an
    # older release's): otherwise as raw JSON with the reason, never an error page
    invalid = schema_problem(view.method, view.result, view.plot)
    context: dict[str, Any] = {"view": view, "result": view.result, "svg": None}
    context["invalid"] = invalid
    # marked as documents are: the title's portion mark, the label in every scheme
    context["title_label"] = Label.from_dict(view.portions["title"].label)
    context["record_label"] = Label.from_dict(view.label)
    context["can_release"] = view.origin is None and may_see_release(
        caller, context["record_label"]
    )
    context["params"] = [(name, _param_text(value)) for name, value in view.params.items()]
    source = view.source or {}
    if source.get("kind") in node.kinds:  # the input record's page (its reader sees this)
        context["source_url"] = f"/{node.kinds.get(source['kind']).collection}/{source['id']}"
    if view.plot and not invalid:
        context["plot_data"] = view.plot
    if view.method == "spectrum" and not invalid:
        context["tools"] = {
            "peaks": peak_details(view.result),
            "csv_url": f"/analyses/{view.id}/peaks.csv",
            "n_channels": view.result.get("n_channels"),
        }
    if view.method == "age" and not invalid:
        context["svg"] = _saved_curve(view.params, view.result)
    return render(request, "analysis.html", context, caller=caller, labels=labels_of(view))


def _saved_curve(params: dict[str, Any], result: dict[str, Any]) -> str | None:
    """The ingrowth SVG of a saved age: the curve recomputed without Monte Carlo (cheap),
    the measured point and intervals as saved. None (no chart) when the saved parameters or
    numbers cannot be drawn (e.g. a record received from a partner with other software)."""
    from nucsec.forensics.chronometry import ingrowth_curve, ingrowth_svg

    try:
        _, _, core = methods.run_age({**params, "monte_carlo": 0})
    except NucsecError:
        return None
    curve = ingrowth_curve(result=core)
    for key in ("age_years", "u_age_years"):
        if key in result:
            if not _finite(result[key]):
                return None
            curve["measured"][key] = result[key]
    interval = result.get("interval_years_k2")
    if interval is not None:
        if not (isinstance(interval, list) and len(interval) == 2 and all(map(_finite, interval))):
            return None
        curve["measured"]["interval_years_k2"] = interval
    return str(ingrowth_svg(curve))


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
