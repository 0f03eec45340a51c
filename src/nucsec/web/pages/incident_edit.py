"""Incident pages that act on one existing incident: edit (a new version, status
changeable), version history, and "who can see this, and why".

The edit form is the create form pre-filled from the current version. It saves through
:func:`nucsec.service.incidents.update_incident`, the same call as the CLI and REST API,
so the reference monitor decides and audits the update. What the form does not show
(discovery date, links, support requests, uncertainties, holdings and isotopics of the
items, extra material items) is carried over from the current version unchanged; the
items are re-read from the form only when their text was changed.
"""

from __future__ import annotations

from gettext import NullTranslations
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from nucsec.errors import AccessDenied, ConflictError, InputError
from nucsec.incidents.convert import item_from_record
from nucsec.incidents.model import derive_material_class
from nucsec.incidents.vocabulary import STATUSES
from nucsec.markings import Label
from nucsec.node import Node
from nucsec.service import incidents as register
from nucsec.service.views import IncidentView
from nucsec.web.access import access_report
from nucsec.web.auth import Caller
from nucsec.web.deps import Form, NodeDep, csrf_form, first, page_caller
from nucsec.web.errors import http_status
from nucsec.web.i18n import translator
from nucsec.web.pages.common import base_version_of, labels_of
from nucsec.web.pages.incidents import NARRATIVE_SLOTS, _form_page, _record
from nucsec.web.pages.picker import form_from_label
from nucsec.web.views import render

__all__ = ["router"]

router = APIRouter()
CallerDep = Depends(page_caller)
FormDep = Depends(csrf_form)
MAX_SLOTS = 50  # narrative paragraphs an edit form may post
#: record keys the form sets; every other key is carried from the current version
FORM_KEYS = (
    "reference",
    "report_date",
    "incident_date",
    "country",
    "incident_type",
    "itdb_group",
    "detection_mode",
    "place",
    "status",
    "items",
    "narrative",
)


# -- pre-filling ----------------------------------------------------------------------------
def _source_spec(item: dict[str, Any]) -> str:
    spec = f"{item['nuclide']}:{item['activity_bq']:.10g}Bq"
    return f"{spec}@{item['reference_date']}" if item.get("reference_date") else spec


def _item_fields(items: list[dict[str, Any]]) -> dict[str, str]:
    """The form text of stored items: sources one per line, the first material item."""
    out = {"sources": "\n".join(_source_spec(i) for i in items if i["kind"] == "source")}
    material = [i for i in items if i["kind"] == "material"]
    if material:
        m = material[0]
        out["material"] = m["material"]
        out["mass_g"] = f"{m['mass_g']:.10g}"
        enrich = m.get("enrichment_pct")
        out["enrichment_pct"] = "" if enrich is None else f"{enrich:.10g}"
    return out


def _values(view: IncidentView) -> tuple[dict[str, Any], int]:
    """Form values picking the current version, and the number of narrative slots."""
    inc = view.incident
    facts = Label.from_dict(view.portions["facts"].label)
    values: dict[str, Any] = {
        k: inc.get(k) or "" for k in FORM_KEYS if k not in ("items", "narrative")
    }
    values.update(_item_fields(inc["items"]))
    values.update(form_from_label(facts, "facts"))
    for i, paragraph in enumerate(inc["narrative"]):
        label = Label.from_dict(paragraph["label"])
        values[f"n{i}_text"] = paragraph["text"]
        values.update(form_from_label(label, f"n{i}"))
        values[f"n{i}_same"] = "on" if label == facts else ""
    values["note"] = ""
    return values, min(MAX_SLOTS, max(NARRATIVE_SLOTS, len(inc["narrative"]) + 1))


def _edit_context(view: IncidentView, t: NullTranslations) -> dict[str, Any]:
    return {
        "heading": t.gettext("Edit incident %(reference)s") % {"reference": view.reference},
        "action": f"/incidents/{view.id}/edit",
        "submit": t.gettext("Save a new version"),
        "back": f"/incidents/{view.id}",
        "version": view.version,
        "statuses": STATUSES.terms,
    }


# -- saving ---------------------------------------------------------------------------------
def _lines(text: str) -> list[str]:
    return [ln.strip() for ln in text.splitlines() if ln.strip()]


def _items(form: Form, posted: list[dict[str, Any]], current: list[dict[str, Any]]) -> Any:
    """The items to save: the stored ones where the form's text of them is unchanged (so
    what the form cannot show is kept), the posted ones where it was edited."""
    before = _item_fields(current)
    sources_same = _lines(first(form, "sources")) == _lines(before["sources"])
    keys = ("material", "mass_g", "enrichment_pct")
    material_same = all(first(form, k).strip() == before.get(k, "") for k in keys)
    sources = [i for i in (current if sources_same else posted) if i["kind"] == "source"]
    old_material = [i for i in current if i["kind"] == "material"]
    new_material = [i for i in posted if i["kind"] == "material"]
    material = old_material if material_same else new_material + old_material[1:]
    return sources + material


def _slots(form: Form) -> int:
    slots = sum(1 for p in form.get("prefixes", []) if p.startswith("n") and p[1:].isdigit())
    return min(MAX_SLOTS, max(NARRATIVE_SLOTS, slots))


def _edited(form: Form, caller: Caller, node: Node, view: IncidentView) -> tuple[Any, Label]:
    """The new version (an Incident) and its facts label, from the form over the current."""
    record, facts = _record(form, caller, node, _slots(form))
    current = view.incident
    merged = {k: v for k, v in current.items() if k not in FORM_KEYS}
    merged.update(record)
    merged["status"] = first(form, "status").strip() or current["status"]
    merged["items"] = _items(form, record["items"], current["items"])
    if merged["items"] != current["items"]:
        old = derive_material_class([item_from_record(i) for i in current["items"]])
        if current["material_class"] == (old or "contaminated"):
            merged.pop("material_class", None)  # it was derived: derive it again
    if merged.get("incident_date") != current.get("incident_date"):
        merged["incident_date_precision"] = "day"  # a date picked in the form is a day
    return register.parse_incident(merged, today=node.clock().date()), facts


def _check_version(form: Form, view: IncidentView) -> None:
    """ConflictError if someone saved a version since the form was opened (the version read
    here is checked again inside the write's transaction: ``base_version``)."""
    base = base_version_of(form)
    if base is not None and base != view.version:
        raise ConflictError(
            f"someone saved version {view.version} after you opened version {base}: "
            "open the edit page again to see their changes",
            field="base_version",
            value=base,
        )


@router.get("/incidents/{incident_id}/edit", response_class=HTMLResponse)
def edit_incident(
    request: Request, incident_id: str, caller: Caller = CallerDep, node: Node = NodeDep
) -> Response:
    view = register.get_incident(node, caller.principal, incident_id)
    values, slots = _values(view)
    edit = _edit_context(view, translator(request, caller))
    return _form_page(request, caller, node, values, slots=slots, edit=edit, shown=labels_of(view))


@router.post("/incidents/{incident_id}/edit", response_class=HTMLResponse)
def save_incident(
    request: Request,
    incident_id: str,
    form: Form = FormDep,
    caller: Caller = CallerDep,
    node: Node = NodeDep,
) -> Response:
    view = register.get_incident(node, caller.principal, incident_id)  # 404 first
    try:
        _check_version(form, view)
        incident, facts = _edited(form, caller, node, view)
        note = first(form, "note")[:2000]
        register.update_incident(
            node, caller.principal, incident_id, incident, facts, note, base_version=view.version
        )
    except (InputError, AccessDenied, ConflictError) as exc:
        status = http_status(exc)  # 422, 403 or 409, from the one status table
        return _form_page(
            request,
            caller,
            node,
            dict(form),
            error=exc.message,
            error_field=exc.field,
            status=status,
            slots=_slots(form),
            edit=_edit_context(view, translator(request, caller)),
            shown=labels_of(view),
        )
    return RedirectResponse(f"/incidents/{incident_id}", status_code=303)


# -- history and who can see ----------------------------------------------------------------
@router.get("/incidents/{incident_id}/versions", response_class=HTMLResponse)
def incident_versions(
    request: Request, incident_id: str, caller: Caller = CallerDep, node: Node = NodeDep
) -> Response:
    rows = register.incident_history(node, caller.principal, incident_id)
    versions = [
        {
            "view": v,
            "author": row.author_id,
            "note": row.note,
            "facts": Label.from_dict(v.portions["facts"].label),
            "record": Label.from_dict(v.label),
            "narrative": [Label.from_dict(p["label"]) for p in v.incident["narrative"]],
        }
        for v, row in reversed(rows)
    ]
    return render(
        request,
        "incident_versions.html",
        {"versions": versions, "incident_id": incident_id, "reference": rows[-1][0].reference},
        caller=caller,
        labels=[lb for v, _ in rows for lb in labels_of(v)],
    )


@router.get("/incidents/{incident_id}/access", response_class=HTMLResponse)
def incident_access(
    request: Request, incident_id: str, caller: Caller = CallerDep, node: Node = NodeDep
) -> Response:
    report = access_report(node, caller, incident_id, register.INCIDENT)
    view = register.get_incident(node, caller.principal, incident_id)
    return render(
        request,
        "access.html",
        {
            "report": report,
            "back_url": f"/incidents/{view.id}",
            "back_title": view.reference,
            "record_label": Label.from_dict(view.label),
        },
        caller=caller,
        labels=labels_of(view),
    )
