"""Files attached to labelled records: stored as blobs, described in the record's versions.

Attaching a file writes its bytes to the content-addressed blob store
(:mod:`nucsec.store.blobs`) and appends a new version of the record that names it, so the
attachment is labelled, versioned and audited like the rest of the record:

- an **incident** lists its files in its facts (``Incident.attachments``: the register's
  own field, exported with the CSV as metadata), under the facts' label;
- a **document** or an **analysis** holds one portion per file, ``attachment.N``, each
  with its own label (the attacher picks it; the record's banner rolls it up).

A file is readable only through a record the caller may read that lists it **and** to which
it was attached on this node (``record_files``, written only by :func:`attach_file` and
:func:`register_file`): a record's file list is data its writer or a peer supplies, so
naming another record's hash gives nothing. Fetching by hash without such a record answers
:class:`~nucsec.errors.NotFoundError` exactly like an absent record or file, so the store
never tells whether a blob exists. A received record's files stay with its originator.
Attaching needs the ``update`` decision on the record (its originator agency or a security
officer).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, select

from nucsec.errors import ConflictError, InputError, NotFoundError, PolicyDenial
from nucsec.markings import Label
from nucsec.node import Node
from nucsec.policy import Principal, Resource, decide
from nucsec.service import labelled
from nucsec.service.guard import record_decision
from nucsec.service.labelled import Draft, Kind
from nucsec.service.trail import emit, keyed
from nucsec.store.blobs import BlobStore, is_sha256
from nucsec.store.records import RecordRow, VersionRow
from nucsec.store.schema import record_files, records

__all__ = [
    "ATTACHABLE",
    "FileUpload",
    "attach_file",
    "blob_store",
    "clean_filename",
    "list_attachments",
    "read_attachment",
    "register_file",
]

#: record kinds that take attachments
ATTACHABLE = ("incident", "document", "analysis")
PORTION_PREFIX = "attachment."
MAX_DESCRIPTION = 2000
_MEDIA_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}$")


@dataclass(frozen=True)
class FileUpload:
    """An uploaded file: its bytes and what the uploader said about it."""

    data: bytes
    name: str
    media_type: str = "application/octet-stream"
    description: str = ""

    def meta(self, sha256: str) -> dict[str, Any]:
        """The attachment's description as stored in the record."""
        return {
            "name": clean_filename(self.name),
            "sha256": sha256,
            "size_bytes": len(self.data),
            "media_type": clean_media_type(self.media_type),
            "description": self.description[:MAX_DESCRIPTION],
        }


def clean_filename(name: str) -> str:
    """A file name without directories or control characters, at most 255 characters."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(c for c in base if unicodedata.category(c)[0] != "C").strip(" .")
    return base[:255] or "file"


def clean_media_type(text: str) -> str:
    media = (text or "").split(";")[0].strip().lower()
    return media if _MEDIA_TYPE.match(media) else "application/octet-stream"


def blob_store(node: Node) -> BlobStore:
    """The node's blob store: ``$NUCSEC_HOME/files``, limited to ``max_upload_bytes``."""
    return BlobStore(node.settings.home / "files", max_bytes=node.settings.max_upload_bytes)


def _kind(name: str) -> Kind:
    if name not in ATTACHABLE:
        raise NotFoundError(f"{name} not found", field="kind", value=name)
    if name == "incident":
        from nucsec.service.incidents import INCIDENT

        return INCIDENT
    return Kind(name)


def _generic_view(node: Node, conn: Connection, row: RecordRow, v: VersionRow) -> dict[str, Any]:
    """The record as every kind shows it (portions, banner) plus its title."""
    view = labelled.base_view(node, conn, row, v)
    view["title"] = row.title
    return view


def _view_of(kind: Kind) -> labelled.View:
    if kind.name == "incident":
        from nucsec.service import incidents

        return incidents._view  # the register's own view of a version
    return _generic_view


def attachments_of(view: dict[str, Any]) -> list[dict[str, Any]]:
    """The files a record view lists (each with the portion mark it is under)."""
    if view.get("kind") == "incident":
        facts = view["portions"]["facts"]
        return [
            {**a, "portion": facts["portion"], "label": facts["label"]}
            for a in view["incident"].get("attachments", [])
        ]
    out = []
    for name, portion in sorted(view["portions"].items(), key=_portion_order):
        if name.startswith(PORTION_PREFIX) and isinstance(portion["value"], dict):
            out.append(
                {**portion["value"], "portion": portion["portion"], "label": portion["label"]}
            )
    return out


def _portion_order(item: tuple[str, Any]) -> tuple[int, str]:
    name = item[0]
    tail = name.removeprefix(PORTION_PREFIX)
    return (int(tail) if tail.isdigit() else -1, name)


def list_attachments(
    node: Node, principal: Principal, kind: str, record_id: str
) -> list[dict[str, Any]]:
    """The files attached to a record the principal may read (NotFoundError otherwise)."""
    k = _kind(kind)
    return attachments_of(labelled.read(node, principal, k, record_id, _view_of(k)))


def read_attachment(
    node: Node, principal: Principal, kind: str, record_id: str, sha256: str
) -> tuple[dict[str, Any], bytes]:
    """An attached file's description and bytes, read through its record (audited).

    Absent record, hidden record, a file the record does not list, or a malformed hash:
    NotFoundError, whatever the blob store holds.
    """
    k = _kind(kind)
    view = labelled.read(node, principal, k, record_id, _view_of(k))
    found = [a for a in attachments_of(view) if a["sha256"] == sha256] if is_sha256(sha256) else []
    if not found or not _attached_here(node, k.name, record_id, sha256):
        raise NotFoundError("attachment not found", field="sha256")
    data = blob_store(node).get(sha256)
    with node.engine.begin() as conn:
        emit(
            node,
            conn,
            actor=principal.id,
            action="record.read",
            obj=f"{k.name}:{record_id}#v{view['version']}",
            details={"kind": k.name, "view": "attachment", "file": keyed(node, sha256)},
        )
    return found[0], data


def attach_file(
    node: Node,
    principal: Principal,
    kind: str,
    record_id: str,
    upload: FileUpload,
    *,
    label: Label | None = None,
) -> dict[str, Any]:
    """Store a file and append a version of the record that lists it; returns the view.

    ``label`` is the file's portion label (documents and analyses; default: the label of
    the record's main portion); an incident's files are under its facts' label. Nothing
    is stored when the record is absent, hidden or may not be updated.
    """
    k = _kind(kind)
    store = blob_store(node)
    store.check_size(len(upload.data))
    if not upload.data:
        raise InputError("the file is empty", field="file")
    view = labelled.read(node, principal, k, record_id, _view_of(k))
    _check_update(node, principal, k, view)
    info = store.put(upload.data)
    meta = upload.meta(info.sha256)
    if any(a["sha256"] == info.sha256 for a in attachments_of(view)):
        raise ConflictError(f"{meta['name']} is already attached", field="file")
    note = f"attached {meta['name']}"
    try:
        if k.name == "incident":
            updated = _attach_to_incident(node, principal, record_id, view, meta, note)
        else:
            draft = _draft_with(view, meta, label, note)
            updated = labelled.update(node, principal, k, record_id, draft, _view_of(k))
    except BaseException:
        store.discard(info)
        raise
    register_file(node, k.name, record_id, info.sha256)
    return updated


def register_file(node: Node, kind: str, record_id: str, sha256: str) -> None:
    """Record that a stored blob was attached to a (local) record on this node."""
    with node.engine.begin() as conn:
        pk = conn.execute(
            select(records.c.pk).where(
                records.c.kind == kind, records.c.id == record_id, records.c.origin.is_(None)
            )
        ).scalar()
        if pk is None:
            raise NotFoundError("record not found", field="id")
        known = conn.execute(
            select(record_files.c.sha256).where(
                record_files.c.record_pk == pk, record_files.c.sha256 == sha256
            )
        ).first()
        if known is None:
            conn.execute(
                insert(record_files).values(record_pk=pk, sha256=sha256, attached_at=node.clock())
            )


def _attached_here(node: Node, kind: str, record_id: str, sha256: str) -> bool:
    with node.engine.connect() as conn:
        found = conn.execute(
            select(record_files.c.sha256)
            .select_from(record_files.join(records, records.c.pk == record_files.c.record_pk))
            .where(
                records.c.kind == kind,
                records.c.id == record_id,
                record_files.c.sha256 == sha256,
            )
        ).first()
    return found is not None


def _check_update(node: Node, principal: Principal, kind: Kind, view: dict[str, Any]) -> None:
    """Refuse (audited, with the monitor's reasons) before any file is stored when the
    principal may not add a version to the record."""
    label = Label.from_dict(view["label"])
    ref = f"{kind.name}:{view['id']}#v{view['version']}"
    resource = Resource(label, kind=kind.name, ref=ref, new_label=label)
    decision = decide(principal, "update", resource, node.ctx)
    if not decision.allowed:
        with node.engine.begin() as conn:
            record_decision(node, conn, principal, "update", resource, decision)
        raise PolicyDenial("; ".join(decision.reasons), field="label")


def _draft_with(
    view: dict[str, Any], meta: dict[str, Any], label: Label | None, note: str
) -> Draft:
    """The record's current portions plus ``attachment.N`` for the new file."""
    portions = view["portions"]
    values = {name: p["value"] for name, p in portions.items()}
    labels = {name: Label.from_dict(p["label"]) for name, p in portions.items()}
    used = [int(n.removeprefix(PORTION_PREFIX)) for n in portions if n.startswith(PORTION_PREFIX)]
    name = f"{PORTION_PREFIX}{max(used, default=-1) + 1}"
    main = next((n for n in ("body", "result", "facts") if n in labels), None)
    file_label = label or (labels[main] if main else Label.from_dict(view["label"]))
    values[name] = meta
    labels[name] = file_label
    return Draft(values=values, labels=labels, title=view["title"], note=note)


def _attach_to_incident(
    node: Node,
    principal: Principal,
    record_id: str,
    view: dict[str, Any],
    meta: dict[str, Any],
    note: str,
) -> dict[str, Any]:
    from nucsec.incidents import incident_from_record
    from nucsec.service.incidents import update_incident

    record = dict(view["incident"])
    record["attachments"] = [*record.get("attachments", []), meta]
    record["narrative"] = [  # JSON labels keep their originator (banners do not)
        {"label": Label.from_dict(p["label"]).to_json(), "text": p["text"]}
        for p in record["narrative"]
    ]
    incident = incident_from_record(record)
    facts_label = Label.from_dict(view["portions"]["facts"]["label"])
    return update_incident(node, principal, record_id, incident, facts_label, note)
