"""Incident pages: list (search, filters, paging), detail (IAEA assessment, narrative with
portion marks, attachments), create (label picker for the facts and each narrative
paragraph), CSV import (per-row error report, partial option), trends (SVG charts) and an
offline map by country.

Every page reads through :mod:`nucsec.service`; statistics, charts and the map come from
:func:`nucsec.service.incidents.incident_statistics`, so they count only what the viewer
may read, and their banner is computed from the labels of the incidents they count.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from nucsec.errors import AccessDenied, InputError
from nucsec.incidents import CsvImportError
from nucsec.incidents.countries import country_name, load_countries
from nucsec.incidents.stats import display_name
from nucsec.incidents.vocabulary import (
    DETECTION_MODES,
    INCIDENT_TYPES,
    ITDB_GROUPS,
    MATERIAL_CLASSES,
)
from nucsec.markings import Label, render_banner
from nucsec.node import Node
from nucsec.service import attachments as att
from nucsec.service import incidents as register
from nucsec.service.correlation import correlated_incidents
from nucsec.service.incident_search import IncidentFilter, counted_labels, search_incidents
from nucsec.service.views import ImportView, IncidentView
from nucsec.web.access import may_edit, may_see_access, may_see_release
from nucsec.web.auth import Caller
from nucsec.web.deps import Form, NodeDep, csrf_form, first, page_caller
from nucsec.web.errors import http_status
from nucsec.web.i18n import N_, request_language, translator
from nucsec.web.pages.charts import bar_chart_svg, stacked_years_svg
from nucsec.web.pages.common import labels_of, preview, read_upload_form
from nucsec.web.pages.list_filters import ListQuery, choices, list_query
from nucsec.web.pages.picker import label_from_form, picker_options
from nucsec.web.pages.worldmap import choropleth_svg, country_names_ja
from nucsec.web.views import label_of_summary, render

__all__ = ["router"]

router = APIRouter()
PAGE_SIZE = 25
NARRATIVE_SLOTS = 3
CallerDep = Depends(page_caller)
FormDep = Depends(csrf_form)
ListQueryDep = Depends(list_query)


def _year_query() -> Any:
    """A year query parameter. One instance per parameter: FastAPI writes a parameter's
    name into its ``Query`` as the alias, so a shared instance made every year parameter
    read ``?year=`` (the trends page's ``year_from``/``year_to`` were ignored)."""
    return Query(None, ge=1900, le=2200)


YearQuery, YearFromQuery, YearToQuery = _year_query(), _year_query(), _year_query()
MapYearFromQuery, MapYearToQuery = _year_query(), _year_query()
#: what correlated incidents share, as the page names it (msgids)
SHARED_DIMENSIONS = {"nuclide": N_("nuclide"), "material": N_("material"), "place": N_("place")}


def _vocab() -> dict[str, Any]:
    return {
        "groups": ITDB_GROUPS.terms,
        "types": INCIDENT_TYPES.terms,
        "modes": DETECTION_MODES.terms,
        "classes": MATERIAL_CLASSES.terms,
        "countries": sorted(load_countries().items(), key=lambda kv: kv[1]),
        "countries_ja": country_names_ja(),
    }


# -- list -----------------------------------------------------------------------------------
@router.get("/incidents", response_class=HTMLResponse)
def incidents(
    request: Request,
    q: str = Query("", max_length=200),
    year: int | None = YearQuery,
    group: str = Query("", max_length=8),
    country: str = Query("", max_length=64),
    type: str = Query("", max_length=64),
    after: str = Query("", max_length=64),
    limit: int = Query(PAGE_SIZE, ge=1, le=200),
    lq: ListQuery = ListQueryDep,
    caller: Caller = CallerDep,
    node: Node = NodeDep,
) -> Response:
    flt = IncidentFilter(q or None, year, group or None, country or None, type or None, lq.flt)
    page = search_incidents(
        node, caller.principal, flt, limit=limit, after=after or None, sort=lq.sort
    )
    rows = [(item, label_of_summary(item, node)) for item in page.items]
    params = {
        k: str(v)
        for k, v in (
            ("q", q),
            ("year", year),
            ("group", group),
            ("country", country),
            ("type", type),
        )
        if v
    }
    params |= lq.params()
    if limit != PAGE_SIZE:
        params["limit"] = str(limit)
    nxt = page.next
    return render(
        request,
        "incidents.html",
        {
            "rows": rows,
            "total": page.total,
            "f": {"q": q, "year": year or "", "group": group, "country": country, "type": type},
            "lq": lq,
            "fc": choices(node.ctx, request_language(request, caller)),
            "filtered": bool(params.keys() - {"limit"}),
            "next_url": f"/incidents?{urlencode({**params, 'after': nxt})}" if nxt else "",
            "first_url": f"/incidents?{urlencode(params)}" if after else "",
            **_vocab(),
        },
        caller=caller,
        labels=[lb for _, lb in rows if lb is not None],
    )


# -- create ---------------------------------------------------------------------------------
def _prefixes(slots: int = NARRATIVE_SLOTS) -> list[str]:
    return ["facts", *(f"n{i}" for i in range(slots))]


def _form_page(
    request: Request,
    caller: Caller,
    node: Node,
    values: dict[str, Any],
    *,
    error: str = "",
    error_field: str | None = None,
    status: int = 200,
    slots: int = NARRATIVE_SLOTS,
    edit: dict[str, Any] | None = None,
    shown: list[Label] | None = None,
) -> Response:
    """The incident form: empty for a new incident, or (``edit``) an existing one's."""
    form = {k: (v if isinstance(v, list) else [str(v)]) for k, v in values.items()}
    return render(
        request,
        "incident_form.html",
        {
            "options": picker_options(caller.principal, node.ctx),
            "values": values,
            "slots": range(slots),
            "prefixes": _prefixes(slots),
            "error": error,
            "error_field": error_field,
            "preview": preview(form, _prefixes(slots), caller, node),
            "edit": edit,
            **_vocab(),
        },
        caller=caller,
        labels=shown or [],
        status=status,
    )


@router.get("/incidents/new", response_class=HTMLResponse)
def new_incident(request: Request, caller: Caller = CallerDep, node: Node = NodeDep) -> Response:
    today = node.clock().date().isoformat()
    values = {"report_date": today, "detection_mode": "unknown", "facts_dissem": "relto"}
    return _form_page(request, caller, node, values)


def _sources(text: str) -> list[dict[str, Any]]:
    from nucsec.incidents.convert import item_to_record, source_from_spec

    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return [
        item_to_record(source_from_spec(ln, field=f"sources[{i}]")) for i, ln in enumerate(lines)
    ]


def _material(form: Form) -> list[dict[str, Any]]:
    material = first(form, "material")
    if not material:
        return []
    item: dict[str, Any] = {"kind": "material", "material": material}
    for key in ("mass_g", "enrichment_pct"):
        text = first(form, key).strip()
        if text:
            try:
                item[key] = float(text)
            except ValueError:
                raise InputError(f"{key} must be a number", field=key, value=text) from None
    return [item]


def _record(
    form: Form, caller: Caller, node: Node, slots: int = NARRATIVE_SLOTS
) -> tuple[dict[str, Any], Label]:
    facts = label_from_form(form, "facts", caller.principal, node.ctx)
    narrative = []
    for i in range(slots):
        text = first(form, f"n{i}_text").strip()
        if not text:
            continue
        same = first(form, f"n{i}_same") == "on" or not first(form, f"n{i}_level")
        label = facts if same else label_from_form(form, f"n{i}", caller.principal, node.ctx)
        narrative.append({"label": render_banner(label, node.ctx), "text": text})
    record: dict[str, Any] = {
        key: first(form, key).strip() or None
        for key in (
            "reference",
            "report_date",
            "incident_date",
            "country",
            "incident_type",
            "itdb_group",
            "detection_mode",
            "place",
        )
    }
    record["items"] = _sources(first(form, "sources")) + _material(form)
    record["narrative"] = narrative
    missing = [k for k in ("reference", "report_date", "country") if not record[k]]
    if missing:
        raise InputError(f"{missing[0].replace('_', ' ')} is required", field=missing[0])
    return {k: v for k, v in record.items() if v is not None}, facts


@router.post("/incidents/new", response_class=HTMLResponse)
def create_incident(
    request: Request, form: Form = FormDep, caller: Caller = CallerDep, node: Node = NodeDep
) -> Response:
    try:
        record, label = _record(form, caller, node)
        incident = register.parse_incident(record, today=node.clock().date())
        view = register.add_incident(node, caller.principal, incident, label, first(form, "note"))
    except (InputError, AccessDenied) as exc:
        return _form_page(
            request,
            caller,
            node,
            dict(form),
            error=exc.message,
            error_field=exc.field,
            status=http_status(exc),
        )
    return RedirectResponse(f"/incidents/{view.id}", status_code=303)


# -- import ---------------------------------------------------------------------------------
def _import_page(
    request: Request,
    caller: Caller,
    node: Node,
    values: dict[str, Any],
    *,
    result: ImportView | None = None,
    error: str = "",
    status: int = 200,
) -> Response:
    return render(
        request,
        "incident_import.html",
        {
            "options": picker_options(caller.principal, node.ctx),
            "values": values,
            "result": result,
            "error": error,
        },
        caller=caller,
        status=status,
    )


@router.get("/incidents/import", response_class=HTMLResponse)
def import_form(request: Request, caller: Caller = CallerDep, node: Node = NodeDep) -> Response:
    return _import_page(request, caller, node, {"facts_dissem": "relto"})


@router.post("/incidents/import", response_class=HTMLResponse)
async def import_csv(
    request: Request, caller: Caller = CallerDep, node: Node = NodeDep
) -> Response:
    from starlette.concurrency import run_in_threadpool

    form = await read_upload_form(request, caller, node)
    return await run_in_threadpool(_do_import, request, caller, node, form)


def _do_import(request: Request, caller: Caller, node: Node, upload: Any) -> Response:
    values: dict[str, Any] = dict(upload.fields)
    partial = first(upload.fields, "partial") == "on"
    try:
        file = upload.file("file")
        if file is None:
            raise InputError("choose a CSV file", field="file")
        try:
            text = file[2].decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InputError("the CSV file must be UTF-8 text", field="file") from None
        label = label_from_form(upload.fields, "facts", caller.principal, node.ctx)
        result = register.import_incidents(
            node, caller.principal, text, label, partial=partial, today=node.clock().date()
        )
    except CsvImportError as exc:
        failed = ImportView(created=(), updated=(), errors=tuple(e.to_dict() for e in exc.errors))
        rows = len({e.line for e in exc.errors})  # each problem is in the report below
        error = translator(request, caller).ngettext(
            "%(num)s bad row: nothing was imported.",
            "%(num)s bad rows: nothing was imported.",
            rows,
        ) % {"num": rows}
        return _import_page(request, caller, node, values, result=failed, error=error, status=422)
    except (InputError, AccessDenied) as exc:
        status = 403 if isinstance(exc, AccessDenied) else 422
        return _import_page(request, caller, node, values, error=exc.message, status=status)
    return _import_page(request, caller, node, values, result=result)


# -- statistics -----------------------------------------------------------------------------
def _bars(
    counts: dict[str, int], dim: str, top: int | None = None
) -> list[tuple[str, str, str, int]]:
    items = list(counts.items())
    if dim == "country":
        ja = country_names_ja()
        items = sorted(((k, v) for k, v in items if v), key=lambda kv: (-kv[1], kv[0]))[:top]
        return [(k, f"{country_name(k)} ({k})", ja.get(k, ""), v) for k, v in items]
    return [(k, display_name(dim, k), display_name(dim, k, "ja"), v) for k, v in items]


def _stats(node: Node, caller: Caller, year_from: int | None, year_to: int | None) -> Any:
    if year_from is not None and year_to is not None and year_from > year_to:
        raise InputError("the first year is after the last", field="year_from", value=year_from)
    stats = register.incident_statistics(
        node, caller.principal, year_from=year_from, year_to=year_to
    )
    shown = counted_labels(node, caller.principal, year_from=year_from, year_to=year_to)
    return stats, shown


@router.get("/incidents/trends", response_class=HTMLResponse)
def trends(
    request: Request,
    year_from: int | None = YearFromQuery,
    year_to: int | None = YearToQuery,
    caller: Caller = CallerDep,
    node: Node = NodeDep,
) -> Response:
    stats, shown = _stats(node, caller, year_from, year_to)
    _ = translator(request, caller).gettext
    groups = [(t.code, t.en, t.ja) for t in ITDB_GROUPS.terms]
    drill = _drill_down(year_from, year_to)
    charts = [
        (
            "by-year",
            stacked_years_svg(
                _("Incidents by year and ITDB group"),
                stats.by_year_and_group,
                groups,
                link=lambda year, group: _list_url({"year": year, "group": group}),
            ),
        ),
        (
            "by-type",
            bar_chart_svg(
                _("By incident type"),
                _bars(stats.counts["incident_type"], "incident_type"),
                link=drill and drill("type"),
            ),
        ),
        (
            "by-class",
            bar_chart_svg(
                _("By material class"),
                _bars(stats.counts["material_class"], "material_class"),
            ),
        ),
        (
            "by-mode",
            bar_chart_svg(
                _("By detection mode"),
                _bars(stats.counts["detection_mode"], "detection_mode"),
            ),
        ),
        (
            "by-country",
            bar_chart_svg(
                _("By country (top 15)"),
                _bars(stats.counts["country"], "country", 15),
                link=drill and drill("country"),
            ),
        ),
        (
            "by-group",
            bar_chart_svg(
                _("By ITDB group"),
                _bars(stats.counts["itdb_group"], "itdb_group"),
                link=drill and drill("group"),
            ),
        ),
    ]
    return render(
        request,
        "incident_trends.html",
        {
            "stats": stats,
            "charts": charts,
            "tables": _tables(stats, _),
            "year_from": year_from or "",
            "year_to": year_to or "",
        },
        caller=caller,
        labels=shown,
    )


def _list_url(params: dict[str, Any]) -> str:
    return f"/incidents?{urlencode(params)}"


def _drill_down(
    year_from: int | None, year_to: int | None
) -> Callable[[str], Callable[[str], str]] | None:
    """``drill(field)(value)``: the incident list filtered on ``field=value`` within the
    chart's years. The list filters on one year at most: a chart of a range of several
    years has no drill-down (a link would list incidents the chart did not count)."""
    if year_from is not None and year_from != year_to:
        return None
    if year_to is not None and year_from is None:
        return None
    year = {"year": year_from} if year_from is not None else {}

    def drill(field: str) -> Callable[[str], str]:
        return lambda value: _list_url({field: value, **year})

    return drill


def _tables(
    stats: Any, _: Callable[[str], str]
) -> list[tuple[str, list[tuple[str, str, str, int]]]]:
    return [
        (_("Incident type"), _bars(stats.counts["incident_type"], "incident_type")),
        (_("Material class"), _bars(stats.counts["material_class"], "material_class")),
        (_("Detection mode"), _bars(stats.counts["detection_mode"], "detection_mode")),
        (_("ITDB group"), _bars(stats.counts["itdb_group"], "itdb_group")),
        (_("Country"), _bars(stats.counts["country"], "country")),
    ]


@router.get("/incidents/map", response_class=HTMLResponse)
def incident_map(
    request: Request,
    year_from: int | None = MapYearFromQuery,
    year_to: int | None = MapYearToQuery,
    caller: Caller = CallerDep,
    node: Node = NodeDep,
) -> Response:
    stats, shown = _stats(node, caller, year_from, year_to)
    counts = {k: v for k, v in stats.counts["country"].items() if v}
    names = {
        k: f"{country_name(k)} / {ja}" if (ja := country_names_ja().get(k)) else country_name(k)
        for k in counts
    }
    title = translator(request, caller).gettext("Incidents by country")
    drill = _drill_down(year_from, year_to)
    svg = choropleth_svg(counts, title=title, names=names, link=drill and drill("country"))
    return render(
        request,
        "incident_map.html",
        {
            "svg": svg,
            "rows": _bars(stats.counts["country"], "country"),
            "total": stats.total,
            "year_from": year_from or "",
            "year_to": year_to or "",
        },
        caller=caller,
        labels=shown,
    )


# -- one incident ---------------------------------------------------------------------------
def _narrative_labels(view: IncidentView) -> list[Label]:
    return [Label.from_dict(p["label"]) for p in view.incident["narrative"]]


@router.get("/incidents/{incident_id}", response_class=HTMLResponse)
def incident(
    request: Request, incident_id: str, caller: Caller = CallerDep, node: Node = NodeDep
) -> Response:
    view = register.get_incident(node, caller.principal, incident_id)
    return _incident_page(request, caller, node, view)


def _incident_page(
    request: Request,
    caller: Caller,
    node: Node,
    view: IncidentView,
) -> Response:
    inc = view.incident
    facts = Label.from_dict(view.portions["facts"].label)
    record = Label.from_dict(view.label)
    names = {
        "incident_type": display_name("incident_type", inc["incident_type"]),
        "incident_type_ja": display_name("incident_type", inc["incident_type"], "ja"),
        "itdb_group": display_name("itdb_group", inc["itdb_group"]),
        "itdb_group_ja": display_name("itdb_group", inc["itdb_group"], "ja"),
        "material_class": display_name("material_class", inc["material_class"]),
        "detection_mode": display_name("detection_mode", inc["detection_mode"]),
        "country": country_name(inc["country"]),
        "country_ja": country_names_ja().get(inc["country"], ""),
    }
    related = correlated_incidents(node, caller.principal, view.id, inc)
    return render(
        request,
        "incident.html",
        {
            "view": view,
            "inc": inc,
            "names": names,
            "facts_label": facts,
            "record_label": record,
            "narrative_labels": _narrative_labels(view),
            "attachments": att.files_of(node, view),
            "can_edit": may_edit(caller, record),
            "can_explain": may_see_access(caller, record),
            "can_release": may_see_release(caller, record) and view.origin is None,
            "related": related,
            "dimensions": SHARED_DIMENSIONS,
        },
        caller=caller,
        labels=[*labels_of(view), *(c.label for c in related)],
    )
