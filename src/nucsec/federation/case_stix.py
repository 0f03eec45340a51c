"""A forensic case as a STIX 2.1 bundle of standard objects, for tools outside nucsec.

Federation carries a case between nodes as its own ``x-nucsec-case`` object; this export
is for everything else that reads STIX: the case as a ``report`` (its title, stage and
due time), a ``grouping`` of what the investigation holds, the linked ``incident``\\ s,
an ``observed-data`` per measured file (the analysed spectrum, by SHA-256 only) and a
``note`` per sample (its chain of custody), per assessment (finding, confidence on the
verbal scale with its likelihood-ratio range, evidence) and per issued report (stage,
time, content hash). Each object is marked with the label of the part it shows (the
label extension's marking definitions, as on the wire).

Only what the exporter may export goes in: the case itself (the monitor's ``export``
decision, audited; refused answers "not found"), and each linked incident and analysis
read and decided the same way (left out otherwise). The export is audited as
``record.export`` with the bundle's hash.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from typing import Any

from nucsec.errors import NotFoundError
from nucsec.federation import stix
from nucsec.forensics.verbal_scale import level
from nucsec.markings import Label, rollup
from nucsec.node import Node
from nucsec.policy import Principal, Resource
from nucsec.service.analyses import get_analysis
from nucsec.service.cases import CaseView, get_case
from nucsec.service.guard import check
from nucsec.service.incidents import get_incident
from nucsec.service.trail import emit

__all__ = ["case_bundle", "export_case_stix"]


class _Bundle:
    """Objects and the marking definitions they reference, built for one case."""

    def __init__(self, node: Node, view: CaseView) -> None:
        self.node = node
        self.view = view
        self.identity = stix.node_identity(node.nation, node.origin)
        self.definitions: dict[str, dict[str, Any]] = {
            d["id"]: d for d in [*stix.definitions(node.kinds), self.identity]
        }
        self.objects: list[dict[str, Any]] = []

    def mark(self, label: Label) -> list[str]:
        marking = stix.label_marking(label, self.node.ctx, self.identity["id"])
        self.definitions.setdefault(marking["id"], marking)
        return [marking["id"]]

    def sdo(self, stix_type: str, key: str, label: Label, **props: Any) -> dict[str, Any]:
        when = stix.timestamp(dt.datetime.fromisoformat(self.view.updated_at))
        obj = {
            "type": stix_type,
            "spec_version": "2.1",
            "id": stix.derived_id(stix_type, f"nucsec-case\n{self.view.id}\n{key}"),
            "created_by_ref": self.identity["id"],
            "created": stix.timestamp(dt.datetime.fromisoformat(self.view.created_at)),
            "modified": when,
            "object_marking_refs": self.mark(label),
            **props,
        }
        self.objects.append(obj)
        return obj


def _portion_label(view: CaseView, name: str) -> Label:
    return Label.from_dict(view.portions[name].label)


def _may_export(node: Node, principal: Principal, kind: str, rid: str, label: Label) -> bool:
    resource = Resource(label, kind=kind, ref=f"{kind}:{rid}")
    with node.engine.begin() as conn:
        return check(node, conn, principal, "export", resource).allowed


def _incidents(node: Node, principal: Principal, b: _Bundle) -> list[str]:
    ids = []
    for iid in b.view.incidents:
        try:
            inc = get_incident(node, principal, iid)
        except NotFoundError:
            continue
        label = Label.from_dict(inc.label)
        if _may_export(node, principal, "incident", iid, label):
            ids.append(b.sdo("incident", f"incident\n{iid}", label, name=inc.title)["id"])
    return ids


def _observations(node: Node, principal: Principal, b: _Bundle) -> dict[str, str]:
    """observed-data (with its file SCO) of each exportable analysed file, by analysis id."""
    out = {}
    for link in b.view.analyses:
        try:
            a = get_analysis(node, principal, link["id"])
        except NotFoundError:
            continue
        label = Label.from_dict(a.label)
        shas = [f.sha256 for f in a.attachments] or [
            str((a.source or {}).get("attachment", {}).get("sha256", ""))
        ]
        shas = [s for s in shas if len(s) == 64]
        if not shas or not _may_export(node, principal, "analysis", a.id, label):
            continue
        files = []
        for sha in shas:
            sco = {
                "type": "file",
                "spec_version": "2.1",
                "id": _file_id(sha),
                "hashes": {"SHA-256": sha},
                "object_marking_refs": b.mark(label),
            }
            b.objects.append(sco)
            files.append(sco["id"])
        seen = stix.timestamp(dt.datetime.fromisoformat(a.created_at))
        obs = b.sdo(
            "observed-data",
            f"observed\n{a.id}",
            label,
            first_observed=seen,
            last_observed=seen,
            number_observed=1,
            object_refs=files,
        )
        out[a.id] = obs["id"]
    return out


#: the namespace of STIX 2.1 deterministic SCO ids (section 2.9)
_SCO_NAMESPACE = uuid.UUID("00abedb4-aa42-466c-9c01-fed23315a9b7")


def _file_id(sha256: str) -> str:
    """The UUIDv5 id STIX 2.1 gives a file SCO from its contributing property (hashes)."""
    key = json.dumps({"hashes": {"SHA-256": sha256}}, sort_keys=True, separators=(",", ":"))
    return f"file--{uuid.uuid5(_SCO_NAMESPACE, key)}"


def _notes(b: _Bundle, grouping: str, observed: dict[str, str]) -> list[str]:
    v, ids = b.view, []
    for s in v.samples:
        custody = "; ".join(
            f"{c['at']} {c['holder']} at {c['where']} (signed {c['received_by']})"
            for c in s["custody"]
        )
        content = (
            f"{s['description']}, {s['mass_g']:g} g, {s['container'] or 'no container'}. "
            f"Chain of custody: {custody}"
        )
        note = b.sdo(
            "note",
            f"sample\n{s['name']}",
            _portion_label(v, s["name"]),
            abstract=f"Sample {s['id']}",
            content=content,
            object_refs=[grouping],
        )
        ids.append(note["id"])
    for a in v.assessments:
        conf = level(a["confidence"])
        refs = [observed[e] for e in a["evidence"] if e in observed] or [grouping]
        note = b.sdo(
            "note",
            f"assessment\n{a['name']}",
            _portion_label(v, a["name"]),
            abstract=f"Assessment: {conf.describe()}",
            content=f"{a['finding']} (evidence: analyses {', '.join(a['evidence'])})",
            authors=[a["author"]],
            confidence=_confidence(conf.key),
            object_refs=refs,
        )
        ids.append(note["id"])
    for r in v.reports:
        note = b.sdo(
            "note",
            f"report\n{r['name']}",
            _portion_label(v, r["name"]),
            abstract=f"{r['stage']} report issued",
            content=f"Issued {r['issued_at']} by {r['issued_by']}; SHA-256 {r['sha256']}.",
            object_refs=[grouping],
        )
        ids.append(note["id"])
    return ids


def _confidence(key: str) -> int:
    """The STIX confidence (0-100) of a verbal step: its position on the scale, evenly
    spaced (a reading aid; the verbal step and its LR range are the statement)."""
    from nucsec.forensics.verbal_scale import SCALE

    keys = [s.key for s in SCALE]
    return round(100 * keys.index(key) / (len(keys) - 1))


def case_bundle(node: Node, principal: Principal, view: CaseView) -> dict[str, Any]:
    """The bundle of a case the principal has read (see the module docstring)."""
    b = _Bundle(node, view)
    title_label = _portion_label(view, "title")
    facts_label = _portion_label(view, "facts")
    incidents = _incidents(node, principal, b)
    observed = _observations(node, principal, b)
    grouping_id = stix.derived_id("grouping", f"nucsec-case\n{view.id}\ngrouping")
    notes = _notes(b, grouping_id, observed)
    b.sdo(
        "grouping",
        "grouping",
        title_label,
        name=view.title,
        context="suspicious-activity",
        object_refs=[*incidents, *observed.values(), *notes],
    )
    published = view.reports[-1]["issued_at"] if view.reports else view.opened_at
    b.sdo(
        "report",
        "report",
        rollup([title_label, facts_label], node.ctx),
        name=view.title,
        description=f"Forensic case {view.id}: stage {view.stage}, due {view.due or '-'}"
        + (" (overdue)" if view.overdue else ""),
        published=stix.timestamp(dt.datetime.fromisoformat(published)),
        report_types=["threat-report"],
        object_refs=[grouping_id, *incidents, *observed.values(), *notes],
    )
    objects = [*b.definitions.values(), *b.objects]
    text = json.dumps(objects, sort_keys=True, ensure_ascii=False)
    bundle_id = stix.derived_id("bundle", hashlib.sha256(text.encode()).hexdigest())
    return stix.bundle(bundle_id, objects)


def export_case_stix(node: Node, principal: Principal, case_id: str) -> str:
    """A case as STIX 2.1 JSON text for a principal who may export it (NotFoundError
    otherwise, hidden or absent alike); audited as ``record.export``."""
    view = get_case(node, principal, case_id)
    if not _may_export(node, principal, "case", view.id, Label.from_dict(view.label)):
        raise NotFoundError(f"case {case_id} not found", field="id", value=case_id)
    text = json.dumps(case_bundle(node, principal, view), ensure_ascii=False, indent=1)
    with node.engine.begin() as conn:
        emit(
            node,
            conn,
            actor=principal.id,
            action="record.export",
            obj=f"case:{view.id}#v{view.version}",
            details={
                "kind": "case",
                "format": "stix",
                "sha256": hashlib.sha256(text.encode()).hexdigest(),
            },
        )
    return text
