"""Files of labelled records: uploads, the blob store, and where a record lists its files.

What every attachable kind shares (:class:`~nucsec.service.kinds.Attachable`): an upload
and the metadata a record stores about it (:class:`FileUpload`), the node's blob store,
``record_files`` (which files were attached to which record on this node, written only
here) and the usual way a version lists its files, one ``attachment.N`` portion per file
under its own label (:func:`portion_files`, :func:`portion_file_draft`). A kind that lists
files elsewhere (an incident, in its facts) declares its own functions.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select

from nucsec.errors import InputError, NotFoundError
from nucsec.incidents.model import Attachment
from nucsec.markings import Label
from nucsec.node import Node
from nucsec.portions import numbered
from nucsec.service.kinds import Draft
from nucsec.service.views import AttachmentView, PortionView, RecordView
from nucsec.store.blobs import BlobStore
from nucsec.store.schema import record_files, records

__all__ = [
    "MAX_DESCRIPTION",
    "PORTION_PREFIX",
    "FileUpload",
    "attached_here",
    "blob_store",
    "check_file_portions",
    "clean_filename",
    "clean_media_type",
    "files_of_portions",
    "portion_file_draft",
    "portion_files",
    "register_file",
]

PORTION_PREFIX = "attachment."
MAX_DESCRIPTION = 2000
_MEDIA_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}$")
_META_KEYS = ("name", "sha256", "size_bytes", "media_type", "description")


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
    """A file name without directories or control characters, at most 255 characters.

    >>> clean_filename("../../etc/pass\\x00wd"), clean_filename("")
    ('passwd', 'file')
    """
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(c for c in base if unicodedata.category(c)[0] != "C").strip(" .")
    return base[:255] or "file"


def clean_media_type(text: str) -> str:
    """The media type without parameters, or ``application/octet-stream`` if malformed.

    >>> clean_media_type("Text/Plain; charset=utf-8"), clean_media_type("<script>")
    ('text/plain', 'application/octet-stream')
    """
    media = (text or "").split(";")[0].strip().lower()
    return media if _MEDIA_TYPE.match(media) else "application/octet-stream"


def blob_store(node: Node) -> BlobStore:
    """The node's blob store: ``$NUCSEC_HOME/files``, limited to ``max_upload_bytes``."""
    return BlobStore(node.settings.home / "files", max_bytes=node.settings.max_upload_bytes)


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


def attached_here(node: Node, kind: str, record_id: str, sha256: str) -> bool:
    """Whether the file was attached to that record on this node."""
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


def _file_number(name: str) -> tuple[int, str]:
    found = numbered(name)
    return (found[1] if found else -1, name)


def portion_files(view: RecordView) -> tuple[AttachmentView, ...]:
    """The files a view lists as ``attachment.N`` portions, each with its portion mark."""
    return files_of_portions(view.portions)


def files_of_portions(portions: Mapping[str, PortionView]) -> tuple[AttachmentView, ...]:
    """The files among portion views (``attachment.N``, in number order)."""
    out = []
    for name in sorted(portions, key=_file_number):
        portion = portions[name]
        if name.startswith(PORTION_PREFIX) and isinstance(portion.value, dict):
            out.append(
                AttachmentView(**portion.value, portion=portion.portion, label=portion.label)
            )
    return tuple(out)


def portion_file_draft(
    main: str,
) -> Callable[[Node, RecordView, dict[str, Any], Label | None, str], Draft]:
    """``with_file`` of a kind that lists files as ``attachment.N`` portions: the next
    version's draft holds the current portions plus the file, under ``label`` (default:
    the label of the kind's ``main`` portion)."""

    def with_file(
        node: Node, view: RecordView, meta: dict[str, Any], label: Label | None, note: str
    ) -> Draft:
        portions = view.portions
        values = {name: p.value for name, p in portions.items()}
        labels = {name: Label.from_dict(p.label) for name, p in portions.items()}
        used = [numbered(n) for n in portions if n.startswith(PORTION_PREFIX)]
        name = f"{PORTION_PREFIX}{max((u[1] for u in used if u), default=-1) + 1}"
        values[name] = meta
        labels[name] = label or labels.get(main) or Label.from_dict(view.label)
        return Draft(values=values, labels=labels, note=note)

    return with_file


def check_file_portions(values: Mapping[str, Any]) -> None:
    """InputError unless every ``attachment.N`` value is file metadata (a received
    version's files are shown like local ones)."""
    for name, value in values.items():
        if not name.startswith(PORTION_PREFIX):
            continue
        try:
            Attachment(**value)
        except (InputError, TypeError) as exc:
            raise InputError(f"{name} is not file metadata: {exc}", field=name) from None
