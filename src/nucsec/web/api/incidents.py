"""REST API of the incident register (issue 8), under ``/api/v1``.

Incidents: list (text, year, group, country, type; cursor paging), one incident with its
IAEA assessment, create, CSV import (multipart upload; all-or-nothing or partial, every bad
row reported), CSV export (the export twin of the policy: ORCON only to its originator),
statistics (counts over readable incidents only), categorisation of sources and nuclear
material. (Attached files, of every kind: :mod:`nucsec.web.api.attachments`.)

STIX export (``?format=stix``) is a bundle built by the federation mapping
(``nucsec.federation.export``) over the same exportable set.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import Response

from nucsec.errors import InputError
from nucsec.federation.ecosystem import export_incidents_ecosystem
from nucsec.federation.export import export_incidents_stix
from nucsec.node import Node
from nucsec.service import incidents as register
from nucsec.service.incident_search import IncidentFilter, search_incidents
from nucsec.service.views import ImportView, IncidentPage, IncidentView
from nucsec.web.api.common import (
    READ,
    WRITE,
    Multipart,
    errs,
    json_response,
    label_input,
    read_upload,
)
from nucsec.web.api.record_schemas import (
    IncidentIn,
    MaterialIn,
    SourceIn,
    StatsOut,
)
from nucsec.web.auth import Caller
from nucsec.web.deps import JsonBody, NodeDep, Read, Write

__all__ = ["router"]

router = APIRouter()
FileField = File(..., description="the file")
LabelField = Form(..., max_length=2000, description="banner, portion mark or JSON label")
PartialField = Form(False, description="import the good incidents, report the bad rows")
_YEAR = Query(None, ge=1900, le=2200)


# -- incidents ------------------------------------------------------------------------------
@router.get(
    "/incidents",
    response_model=None,
    responses={200: {"model": IncidentPage}, **READ},
    summary="Incidents the caller may read, newest first, with filters",
)
def list_incidents(
    q: str | None = Query(None, max_length=200, description="search text"),
    year: int | None = _YEAR,
    group: str | None = Query(None, max_length=8, description="ITDB group I, II or III"),
    country: str | None = Query(None, max_length=64, description="ISO 3166 alpha-2 or name"),
    type: str | None = Query(None, max_length=64, description="incident type code"),
    limit: int = Query(50, ge=1, le=500),
    after: str | None = Query(None, max_length=64, description="cursor from `next`"),
    caller: Caller = Read,
    node: Node = NodeDep,
) -> Response:
    flt = IncidentFilter(q or None, year, group or None, country or None, type or None)
    page = search_incidents(node, caller.principal, flt, limit=limit, after=after or None)
    return json_response(page)


@router.get(
    "/incidents/stats",
    response_model=None,
    responses={200: {"model": StatsOut}, **READ},
    summary="Counts by year, group, material class, type, country, detection mode "
    "(readable incidents only)",
)
def incident_stats(
    year_from: int | None = _YEAR,
    year_to: int | None = _YEAR,
    caller: Caller = Read,
    node: Node = NodeDep,
) -> Response:
    stats = register.incident_statistics(
        node, caller.principal, year_from=year_from, year_to=year_to
    )
    return json_response(stats.to_dict())


@router.get(
    "/incidents/export",
    response_model=None,
    responses={
        200: {
            "content": {"text/csv": {}, "application/stix+json": {}},
            "description": "CSV (default) or a STIX 2.1 bundle of the exportable incidents",
        },
        **READ,
    },
    summary="The incidents the caller may export (ORCON: originator only; audited)",
)
def export_incidents(
    caller: Caller = Read,
    node: Node = NodeDep,
    fmt: Literal["csv", "stix", "stix-ecosystem"] = Query(
        "csv",
        alias="format",
        description="csv, stix (a STIX 2.1 bundle) or stix-ecosystem (the same with standard "
        "STIX objects for MISP and OpenCTI, nothing NOFORN)",
    ),
) -> Response:
    day = node.clock().date().isoformat()
    if fmt in ("stix", "stix-ecosystem"):
        export = export_incidents_stix if fmt == "stix" else export_incidents_ecosystem
        text = export(node, caller.principal)
        media, name = "application/stix+json;version=2.1", f"incidents-{day}.stix.json"
    else:
        text = register.export_incidents(node, caller.principal)
        media, name = "text/csv; charset=utf-8", f"incidents-{day}.csv"
    return Response(
        text.encode("utf-8"),
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.post(
    "/incidents",
    status_code=201,
    response_model=None,
    responses={201: {"model": IncidentView}, **WRITE},
    summary="Record an incident (facts under `label`, each narrative paragraph its own)",
)
def create_incident(
    body: IncidentIn, caller: Caller = Write, node: Node = NodeDep, _json: None = JsonBody
) -> Response:
    today = node.clock().date()
    incident = register.parse_incident(body.incident, today=today)
    label = label_input(body.label, node, "label")
    view = register.add_incident(node, caller.principal, incident, label, body.note)
    return json_response(view, status_code=201)


@router.post(
    "/incidents/import",
    response_model=None,
    responses={200: {"model": ImportView}, **WRITE},
    summary="Import incidents from a CSV file; every bad row reported (422 lists them)",
)
def import_incidents(
    file: UploadFile = FileField,
    label: str = LabelField,
    partial: bool = PartialField,
    caller: Caller = Write,
    node: Node = NodeDep,
    _multipart: None = Multipart,
) -> Response:
    data = read_upload(file, node)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("the CSV file must be UTF-8 text", field="file") from None
    result = register.import_incidents(
        node,
        caller.principal,
        text,
        label_input(label, node, "label"),
        partial=partial,
        today=node.clock().date(),
    )
    return json_response(result)


@router.get(
    "/incidents/{incident_id}",
    response_model=None,
    responses={200: {"model": IncidentView}, **errs(403, 404)},
    summary="One incident with its IAEA categories (404 if absent or not visible)",
)
def get_incident(incident_id: str, caller: Caller = Read, node: Node = NodeDep) -> Response:
    return json_response(register.get_incident(node, caller.principal, incident_id))


# -- categorisation -------------------------------------------------------------------------
@router.post(
    "/categorize/source",
    response_model=None,
    responses={200: {"model": dict[str, object]}, **WRITE},
    summary="IAEA source category 1-5 from the sum of A/D of items held together",
)
def categorize_source(
    body: SourceIn, caller: Caller = Read, node: Node = NodeDep, _json: None = JsonBody
) -> Response:
    from nucsec.incidents.categorize import categorize_sources
    from nucsec.incidents.convert import parse_date, source_from_spec

    sources = [source_from_spec(s, field=f"items[{i}]") for i, s in enumerate(body.items)]
    on: dt.date | None = parse_date(body.date, "date")
    return json_response(categorize_sources(sources, on_date=on).to_dict())


@router.post(
    "/categorize/material",
    response_model=None,
    responses={200: {"model": dict[str, object]}, **WRITE},
    summary="INFCIRC/225/Rev.5 category of nuclear material and the weapons-usable flag",
)
def categorize_material(
    body: MaterialIn, caller: Caller = Read, node: Node = NodeDep, _json: None = JsonBody
) -> Response:
    from nucsec.incidents.items import MaterialItem
    from nucsec.incidents.material import categorize_material as categorize

    item = MaterialItem(
        body.material,
        body.mass_g,
        mass_unc_g=body.mass_unc_g,
        enrichment_pct=body.enrichment_pct,
        enrichment_unc_pct=body.enrichment_unc_pct,
        pu_isotopics_pct=(("Pu-238", body.pu238_pct),) if body.pu238_pct is not None else (),
        irradiated=body.irradiated,
    )
    return json_response(categorize(item).to_dict())
