"""Files attached to labelled records, for any attachable kind, read and written by name.

Attaching a file writes its bytes to the content-addressed blob store
(:mod:`nucsec.store.blobs`) and appends a new version of the record that lists it, so the
attachment is labelled, versioned and audited like the rest of the record. Where a
version lists its files is the kind's :class:`~nucsec.service.kinds.Attachable`:

- an **incident** lists its files in its facts (``Incident.attachments``: the register's
  own field, exported with the CSV as metadata), under the facts' label;
- a **document** or an **analysis** holds one portion per file, ``attachment.N``, each
  with its own label (the attacher picks it; the record's banner rolls it up).

A file is readable only through a record the caller may read that lists it **and** to which
it was attached on this node (``record_files``, written only by :func:`attach_file` and
:func:`~nucsec.service.files.register_file`): a record's file list is data its writer or a
peer supplies, so naming another record's hash gives nothing. Fetching by hash without
such a record answers :class:`~nucsec.errors.NotFoundError` exactly like an absent record
or file, so the store never tells whether a blob exists. A received record's files stay
with its originator. Attaching needs the ``update`` decision on the record (its
originator agency or a security officer).
"""

from __future__ import annotations

from dataclasses import replace

from nucsec.errors import ConflictError, InputError, NotFoundError, PolicyDenial
from nucsec.markings import Label
from nucsec.node import Node
from nucsec.policy import Principal, Resource, decide
from nucsec.service import labelled
from nucsec.service.files import FileUpload, attached_here, blob_store, register_file
from nucsec.service.guard import record_decision
from nucsec.service.kinds import Attachable, RecordKind
from nucsec.service.trail import emit, keyed
from nucsec.service.views import AttachmentView, RecordView
from nucsec.store.blobs import is_sha256

__all__ = ["attach_file", "attachable", "files_of", "list_attachments", "read_attachment"]


def attachable(node: Node, name: str) -> tuple[RecordKind, Attachable]:
    """The node's attachable kind called ``name`` (NotFoundError otherwise)."""
    kind = node.kinds.get(name) if name in node.kinds else None
    if kind is None or kind.attachable is None:
        raise NotFoundError(f"{name} not found", field="kind", value=name)
    return kind, kind.attachable


def files_of(node: Node, view: RecordView) -> tuple[AttachmentView, ...]:
    """The files a record view lists (each with the portion mark it is under)."""
    return attachable(node, view.kind)[1].files(view)


def list_attachments(
    node: Node, principal: Principal, kind: str, record_id: str
) -> tuple[AttachmentView, ...]:
    """The files attached to a record the principal may read (NotFoundError otherwise)."""
    k, files = attachable(node, kind)
    return files.files(labelled.read(node, principal, k, record_id))


def read_attachment(
    node: Node, principal: Principal, kind: str, record_id: str, sha256: str
) -> tuple[AttachmentView, bytes]:
    """An attached file's description and bytes, read through its record (audited).

    Absent record, hidden record, a file the record does not list, or a malformed hash:
    NotFoundError, whatever the blob store holds.
    """
    k, files = attachable(node, kind)
    view: RecordView = labelled.read(node, principal, k, record_id)
    found = [a for a in files.files(view) if a.sha256 == sha256] if is_sha256(sha256) else []
    if not found or not attached_here(node, k.name, record_id, sha256):
        raise NotFoundError("attachment not found", field="sha256")
    data = blob_store(node).get(sha256)
    with node.engine.begin() as conn:
        emit(
            node,
            conn,
            actor=principal.id,
            action="record.read",
            obj=f"{k.name}:{record_id}#v{view.version}",
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
) -> RecordView:
    """Store a file and append a version of the record that lists it; returns the view.

    ``label`` is the file's portion label (kinds whose files have their own label;
    default: the label of the record's main portion); an incident's files are under its
    facts' label. Nothing is stored when the record is absent, hidden or may not be
    updated.
    """
    k, files = attachable(node, kind)
    if label is not None and not files.own_label:
        raise InputError(
            f"a file attached to this {k.name} takes the record's label: give no label",
            field="label",
        )
    store = blob_store(node)
    store.check_size(len(upload.data))
    if not upload.data:
        raise InputError("the file is empty", field="file")
    view: RecordView = labelled.read(node, principal, k, record_id)
    _check_update(node, principal, k, view)
    info = store.put(upload.data)
    meta = upload.meta(info.sha256)
    if any(a.sha256 == info.sha256 for a in files.files(view)):
        raise ConflictError(f"{meta['name']} is already attached", field="file")
    try:
        draft = files.with_file(node, view, meta, label, f"attached {meta['name']}")
        draft = replace(draft, base_version=view.version)  # no file lost to a race
        updated: RecordView = labelled.update(node, principal, k, record_id, draft)
    except BaseException:
        store.discard(info)
        raise
    register_file(node, k.name, record_id, info.sha256)
    return updated


def _check_update(node: Node, principal: Principal, kind: RecordKind, view: RecordView) -> None:
    """Refuse (audited, with the monitor's reasons) before any file is stored when the
    principal may not add a version to the record."""
    label = Label.from_dict(view.label)
    ref = f"{kind.name}:{view.id}#v{view.version}"
    resource = Resource(label, kind=kind.name, ref=ref, new_label=label)
    decision = decide(principal, "update", resource, node.ctx)
    if not decision.allowed:
        with node.engine.begin() as conn:
            record_decision(node, conn, principal, "update", resource, decision)
        raise PolicyDenial("; ".join(decision.reasons), field="label")
