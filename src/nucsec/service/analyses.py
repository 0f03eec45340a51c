"""Analyses: labelled, versioned records of a spectrum or age analysis an analyst shares.

An analysis holds the result JSON of a method (``spectrum``, ``age``, ``concordance``),
the method's checked parameters, the versions of the code that computed it and references
to its inputs: the attachment (SHA-256) and the record it is attached to, or the spectrum
file itself (attached to the analysis as ``attachment.0``) when it was uploaded on its own.
Portions: ``title``, ``result``, ``method`` (method, parameters, versions, source) and the
attachments, all under the label the analyst picks.

The server recomputes every result it stores from the inputs it can read: a client never
sends a result. A file uploaded for analysis is staged in the blob store and named by an
**upload ticket** (HMAC of user, SHA-256 and expiry under a key derived from the node key),
so only its uploader can later share it; a staged blob no record lists is unreachable.

An analysis of a file attached to a record is derived from that file: its label must carry
at least the file's restrictions, unless its originator agency (or a security officer)
releases it under a wider label — the monitor's ``update`` decision on the file's label.
The source record is shown only to readers who may read that record (the originator may
have marked the analysis lower; the source's id must not leak), and a default title never
names the source file. :data:`ANALYSIS` declares the kind; a peer receives the source
reference only if the source record is released to it too.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Connection

from nucsec.errors import InputError, NotFoundError, PolicyDenial
from nucsec.markings import Label, render_banner, rollup
from nucsec.node import Node
from nucsec.policy import Principal, Resource, decide
from nucsec.portions import PortionRule
from nucsec.service import analysis_methods as methods
from nucsec.service import labelled
from nucsec.service.analysis_schema import check_analysis
from nucsec.service.attachments import read_attachment
from nucsec.service.files import (
    FileUpload,
    blob_store,
    check_file_portions,
    files_of_portions,
    portion_file_draft,
    portion_files,
    register_file,
)
from nucsec.service.guard import check
from nucsec.service.kinds import Attachable, Draft, RecordKind, Released, Values, Wire
from nucsec.service.trail import emit, keyed
from nucsec.service.views import AnalysisView, RecordPage
from nucsec.store.labels import load_label
from nucsec.store.record_filter import RecordFilter
from nucsec.store.records import RecordRow, RecordStore, VersionRow

__all__ = [
    "ANALYSIS",
    "METHODS",
    "count_analyses",
    "get_analysis",
    "list_analyses",
    "save_age_analysis",
    "save_spectrum_analysis",
    "stage_spectrum",
    "ticket_blob",
    "upload_ticket",
]

METHODS = ("spectrum", "age", "concordance")
TICKET_SECONDS = 8 * 3600
MAX_TITLE = 300
PLOT_POINTS = 2048  # channels summed above this in the stored plot


@dataclass(frozen=True)
class _New:
    method: str
    title: str
    result: dict[str, Any]
    params: dict[str, Any]
    source: dict[str, Any] | None
    label: Label
    note: str = ""
    extra: dict[str, Any] | None = None  # further portions (the spectrum's plot data)


def _view(node: Node, conn: Connection, row: RecordRow, version: VersionRow) -> AnalysisView:
    fields = labelled.base_fields(node, conn, row, version)
    p = version.portions
    method = p["method"].value
    return AnalysisView(
        **fields,
        title=p["title"].value,
        method=method["method"],
        params=method["params"],
        versions=method["versions"],
        source=method.get("source"),
        result=p["result"].value,
        plot=p["plot"].value if "plot" in p else None,
        attachments=files_of_portions(fields["portions"]),
    )


def _title(values: Values) -> str:
    return str(values["title"])


def _check(values: Values) -> None:
    """What a received analysis must hold: a title, a known method with its parameters,
    versions and source, numbers where the views expect numbers, file metadata."""
    title, method = values["title"], values["method"]
    if not title.strip() or len(title) > MAX_TITLE:
        raise InputError(f"an analysis title has 1 to {MAX_TITLE} characters", field="title")
    if (
        set(method) - {"method", "params", "versions", "source"}
        or method.get("method") not in METHODS
        or not isinstance(method.get("params"), dict)
        or not isinstance(method.get("versions"), dict)
        or not isinstance(method.get("source"), dict | None)
    ):
        raise InputError("method must be {method, params, versions, source}", field="method")
    # every portion a page shows, against its schema (AnalysisSchemaError is an InputError)
    check_analysis(method["method"], values["result"], values.get("plot"))
    check_file_portions(values)


def _outgoing(values: dict[str, Any], released: Released) -> dict[str, Any]:
    """The values as they leave for one peer: the source record's reference only if that
    record is released to the same peer now (the rule :func:`_scrub` applies to readers)."""
    method = values.get("method")
    if not isinstance(method, dict):
        return values
    source = method.get("source")
    if not isinstance(source, dict) or "kind" not in source:
        return values  # no source record (a file uploaded with the analysis, or none)
    if released(str(source["kind"]), str(source.get("id", ""))):
        return values
    return {**values, "method": {**method, "source": None}}


# -- upload tickets ---------------------------------------------------------------------


def _ticket_key(node: Node) -> bytes:
    return node.subkey("nucsec upload ticket v1")


def _mac(node: Node, principal: Principal, sha256: str, expires: int) -> str:
    text = f"{principal.id}|{sha256}|{expires}".encode()
    return hmac.new(_ticket_key(node), text, hashlib.sha256).hexdigest()[:32]


def upload_ticket(node: Node, principal: Principal, sha256: str) -> str:
    """A ticket naming a staged upload, valid for its uploader for eight hours."""
    expires = int(node.clock().timestamp()) + TICKET_SECONDS
    return f"{sha256}.{expires}.{_mac(node, principal, sha256, expires)}"


def ticket_blob(node: Node, principal: Principal, ticket: str) -> str:
    """The SHA-256 a valid ticket of ``principal`` names (InputError otherwise)."""
    parts = ticket.split(".") if isinstance(ticket, str) else []
    bad = InputError(
        "the upload has expired or is not yours: upload the file again", field="upload"
    )
    if len(parts) != 3 or not parts[1].isdigit():
        raise bad
    sha, expires, mac = parts[0], int(parts[1]), parts[2]
    if not hmac.compare_digest(mac, _mac(node, principal, sha, expires)):
        raise bad
    if expires < node.clock().timestamp():
        raise bad
    return sha


def stage_spectrum(
    node: Node,
    principal: Principal,
    data: bytes,
    filename: str,
    params: dict[str, Any] | None = None,
    *,
    keep: bool = True,
    efficiency: Any = None,
) -> tuple[methods.SpectrumRun, str | None]:
    """Analyse an uploaded file; when it reads and ``keep`` (the caller may write), stage
    it (audited as ``file.stage``) and return the run and a ticket to share it.
    ``efficiency`` (optional) adds activities to the run's result (not to a shared analysis,
    which is recomputed from the file and its parameters).

    Nothing is stored when the file is too large or unreadable, or without ``keep``.
    """
    store = blob_store(node)
    store.check_size(len(data))
    run = methods.run_spectrum(
        data, filename, params, max_bytes=store.max_bytes, efficiency=efficiency
    )
    if not keep:
        return run, None
    info = store.put(data)
    with node.engine.begin() as conn:
        emit(
            node,
            conn,
            actor=principal.id,
            action="file.stage",
            obj=f"file:{keyed(node, info.sha256)}",
            details={"size_bytes": len(data), "stored": info.created},
        )
    return run, upload_ticket(node, principal, info.sha256)


# -- saving -----------------------------------------------------------------------------


def _create(
    node: Node, principal: Principal, new: _New, upload: FileUpload | None = None
) -> AnalysisView:
    title = new.title.strip()[:MAX_TITLE]
    if not title:
        raise InputError("an analysis needs a title", field="title")
    method = {
        "method": new.method,
        "params": new.params,
        "versions": methods.software_versions(),
        "source": new.source,
    }
    values: dict[str, Any] = {"title": title, "result": new.result, "method": method}
    labels = {"title": new.label, "result": new.label, "method": new.label}
    for name, value in (new.extra or {}).items():
        values[name], labels[name] = value, new.label
    if upload is not None:
        values["attachment.0"] = upload.meta(hashlib.sha256(upload.data).hexdigest())
        labels["attachment.0"] = new.label
    draft = Draft(values=values, labels=labels, note=new.note)
    view: AnalysisView = labelled.create(node, principal, ANALYSIS, draft)
    if upload is not None:
        register_file(node, ANALYSIS.name, view.id, values["attachment.0"]["sha256"])
    return view


def _spectrum_title(run: methods.SpectrumRun, name: str) -> str:
    names = ", ".join(n["name"] for n in run.result.get("nuclides", [])) or "no nuclide"
    return f"Gamma spectrum {name}: {names}"


def save_spectrum_analysis(
    node: Node,
    principal: Principal,
    *,
    source: dict[str, Any],
    label: Label,
    params: dict[str, Any] | None = None,
    title: str = "",
    note: str = "",
) -> AnalysisView:
    """Recompute a spectrum analysis and save it under ``label``.

    ``source`` is ``{"kind", "id", "sha256"}`` (a file attached to a record the principal
    may read) or ``{"upload": ticket}`` (a file the principal uploaded for analysis, which
    is then attached to the analysis itself).
    """
    if not isinstance(source, dict):
        raise InputError("source must be an object", field="source")
    store = blob_store(node)
    upload = None
    if "upload" in source:
        sha = ticket_blob(node, principal, str(source["upload"]))
        name = str(source.get("name") or "spectrum")
        try:
            data = store.get(sha)
        except NotFoundError:
            raise InputError("the upload is gone: upload the file again", field="upload") from None
        upload = FileUpload(data, name)
        ref: dict[str, Any] = {"attachment": upload.meta(sha)}
    else:
        kind, rid, sha = (str(source.get(k, "")) for k in ("kind", "id", "sha256"))
        if _attachable(node, kind) is None:
            raise InputError(
                f"source kind must be one of {_attachable_names(node)}", field="source.kind"
            )
        meta, data = read_attachment(node, principal, kind, rid, sha)
        _check_derived_label(node, principal, kind, rid, Label.from_dict(meta.label), label)
        name = meta.name
        ref = {"kind": kind, "id": rid, "attachment": {"name": meta.name, "sha256": meta.sha256}}
    run = methods.run_spectrum(data, name, params, max_bytes=store.max_bytes)
    if upload is None:  # the source's name is in ``ref``, shown to the source's readers only
        run.result["file"] = None
    new = _New(
        "spectrum",
        title or _spectrum_title(run, name if upload is not None else "analysis"),
        run.result,
        run.params,
        ref,
        label,
        note,
        {"plot": run.plot(PLOT_POINTS)},
    )
    return _create(node, principal, new, upload)


def _check_derived_label(
    node: Node, principal: Principal, kind: str, record_id: str, source: Label, label: Label
) -> None:
    """An analysis of a file is derived from it: its label must carry at least the file's
    restrictions (the roll-up of both is the analysis label), unless the principal may
    change the file's record to that label (its originator agency or a security officer):
    the monitor's ``update`` decision, audited. AccessDenied otherwise."""
    ctx = node.ctx
    if render_banner(rollup([label, source], ctx), ctx) == render_banner(label, ctx):
        return
    resource = Resource(source, kind=kind, ref=f"{kind}:{record_id}", new_label=label)
    with node.engine.begin() as conn:
        decision = check(node, conn, principal, "update", resource)
    if not decision.allowed:
        raise PolicyDenial(
            "an analysis of this file must be marked at least "
            f"{render_banner(rollup([label, source], ctx), ctx)} (or its originator releases "
            "it): " + "; ".join(decision.reasons),
            field="label",
        )


def save_age_analysis(
    node: Node,
    principal: Principal,
    *,
    params: dict[str, Any],
    label: Label,
    parent: dict[str, Any] | None = None,
    title: str = "",
    note: str = "",
) -> AnalysisView:
    """Recompute a model age and save it under ``label`` (``parent``: an optional
    ``{"kind", "id"}`` record the sample belongs to, which the principal must read)."""
    result, checked, _ = methods.run_age(params)
    source = _parent(node, principal, parent)
    heading = title or (
        f"Model age {result['chronometer']}: {_fmt(result['age_years'])} ± "
        f"{_fmt(result['u_age_years'])} y (k=1)"
    )
    new = _New("age", heading, result, checked, source, label, note)
    return _create(node, principal, new)


def _fmt(value: Any) -> str:
    return "inf" if value is None else f"{value:.4g}"


def _attachable(node: Node, name: Any) -> RecordKind | None:
    """The node's attachable kind called ``name`` (the kinds an analysis may come from)."""
    kind = node.kinds.get(name) if isinstance(name, str) and name in node.kinds else None
    return kind if kind is not None and kind.attachable is not None else None


def _attachable_names(node: Node) -> str:
    return ", ".join(k.name for k in node.kinds.attachable)


def _parent(node: Node, principal: Principal, parent: Any) -> dict[str, Any] | None:
    if not parent:
        return None
    kind = _attachable(node, parent.get("kind")) if isinstance(parent, dict) else None
    if kind is None:
        raise InputError(
            f"parent must be {{kind, id}} of {_attachable_names(node)}", field="parent"
        )
    rid = str(parent.get("id", ""))
    labelled.read(node, principal, kind, rid)  # NotFoundError if hidden
    return {"kind": kind.name, "id": rid}


# -- reading ----------------------------------------------------------------------------


def _may_read(node: Node, principal: Principal, kind: str, record_id: str) -> bool:
    """Whether the principal may read the source record: the monitor's decision, not
    audited as a read (the reader asked for the analysis, not for its source)."""
    with node.engine.connect() as conn:
        row = RecordStore(conn, node.ctx).get(kind, record_id)
        if row is None:
            return False
        label = load_label(conn, row.label_id)
    resource = Resource(label, kind=kind, ref=f"{kind}:{record_id}", recalled=row.recalled)
    return decide(principal, "read", resource, node.ctx).allowed


def _scrub(node: Node, principal: Principal, view: AnalysisView) -> AnalysisView:
    """Hide the source record's reference from readers who may not read that record."""
    source = view.source
    if not source or "kind" not in source:
        return view
    if _may_read(node, principal, str(source["kind"]), str(source["id"])):
        return view
    method = view.portions["method"]
    portions = {**view.portions, "method": replace(method, value={**method.value, "source": None})}
    return replace(view, source=None, portions=portions)


ANALYSIS = RecordKind(
    name="analysis",
    collection="analyses",
    view=_view,
    title=_title,
    check=_check,
    attachable=Attachable(portion_files, portion_file_draft("result")),
    redact=_scrub,
    wire=Wire(
        stix_type="x-nucsec-analysis",
        extension_id="extension-definition--97fb931b-a4af-4c21-a50b-ad837d3ca5de",
        portions=(
            PortionRule("title", "string", required=True),
            PortionRule("result", "object", required=True),
            PortionRule("method", "object", required=True),
            PortionRule("plot", "object"),
            PortionRule("attachment.N", "object"),
        ),
        layout="list",
        description="A shared forensic analysis (gamma spectrum, model age): its title, "
        "result, method (method, parameters, software versions, source reference), plot data "
        "and attached file metadata, each a portion with its own marking under the object's "
        "banner. File bytes are not carried.",
    ),
    outgoing=_outgoing,
)


def get_analysis(node: Node, principal: Principal, analysis_id: str) -> AnalysisView:
    """An analysis the principal may read (NotFoundError otherwise)."""
    view: AnalysisView = labelled.read(node, principal, ANALYSIS, analysis_id)
    return view


def list_analyses(
    node: Node,
    principal: Principal,
    *,
    query: str | None = None,
    limit: int = 50,
    after: str | None = None,
    flt: RecordFilter | None = None,
    sort: str | None = None,
) -> RecordPage:
    """A page of the analyses the principal may read, newest first (or by ``sort``),
    narrowed by ``flt``."""
    return labelled.page(
        node, principal, ANALYSIS, query=query, limit=limit, after=after, flt=flt, sort=sort
    )


def count_analyses(
    node: Node, principal: Principal, query: str | None = None, flt: RecordFilter | None = None
) -> int:
    return labelled.count(node, principal, ANALYSIS, query, flt)
