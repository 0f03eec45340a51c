"""Documents: the first labelled record kind (a title and a body, each with its label).

:data:`DOCUMENT` declares the kind (view, title, files as ``attachment.N`` portions, wire
format 1.0: title and body as top-level STIX properties, files stay home); the functions
are thin over :mod:`nucsec.service.labelled`, which holds the shared machinery (decision,
audit event and store access in one transaction per operation).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Connection

from nucsec.errors import InputError
from nucsec.markings import Label
from nucsec.node import Node
from nucsec.policy import Principal
from nucsec.portions import PortionRule
from nucsec.service import labelled
from nucsec.service.files import portion_file_draft, portion_files
from nucsec.service.kinds import Attachable, Draft, RecordKind, Values, Wire
from nucsec.service.views import DocumentVersion, DocumentView, ExplainView, RecordPage
from nucsec.store.record_filter import RecordFilter
from nucsec.store.records import RecordRow, VersionRow

__all__ = [
    "DOCUMENT",
    "DocumentInput",
    "count_documents",
    "create_document",
    "explain_document",
    "get_document",
    "history",
    "list_documents",
    "recall_document",
    "update_document",
]

MAX_TITLE = 500
MAX_BODY = 1_000_000


@dataclass(frozen=True)
class DocumentInput:
    title: str
    body: str
    title_label: Label
    body_label: Label
    note: str = ""

    def draft(self) -> Draft:
        """Check the input and turn it into a draft of portions."""
        if not self.title.strip():
            raise InputError("a document needs a title", field="title")
        if len(self.title) > MAX_TITLE:
            raise InputError(f"title longer than {MAX_TITLE} characters", field="title")
        if len(self.body) > MAX_BODY:
            raise InputError(f"body longer than {MAX_BODY} characters", field="body")
        return Draft(
            values={"title": self.title, "body": self.body},
            labels={"title": self.title_label, "body": self.body_label},
            note=self.note,
        )


def _view(node: Node, conn: Connection, row: RecordRow, version: VersionRow) -> DocumentView:
    return DocumentView(
        **labelled.base_fields(node, conn, row, version),
        title=version.portions["title"].value,
        body=version.portions["body"].value,
    )


def _title(values: Values) -> str:
    return str(values["title"])


DOCUMENT = RecordKind(
    name="document",
    collection="documents",
    view=_view,
    title=_title,
    attachable=Attachable(portion_files, portion_file_draft("body")),
    wire=Wire(
        stix_type="x-nucsec-document",
        extension_id="extension-definition--d0d38967-dd56-4cbb-9bf9-9358a2aa3137",
        portions=(
            PortionRule("title", "string", required=True),
            PortionRule("body", "string", required=True),
        ),
        layout="properties",
        description="A labelled document of the working group: a title and a body, each "
        "with its own portion marking (granular markings) under the object's banner.",
    ),
)


def create_document(node: Node, principal: Principal, doc: DocumentInput) -> DocumentView:
    """Create a document; AccessDenied (with reasons) if the principal may not."""
    view: DocumentView = labelled.create(node, principal, DOCUMENT, doc.draft())
    return view


def get_document(node: Node, principal: Principal, doc_id: str) -> DocumentView:
    """The current version of a document, or NotFoundError (hidden or absent alike)."""
    view: DocumentView = labelled.read(node, principal, DOCUMENT, doc_id)
    return view


def update_document(
    node: Node,
    principal: Principal,
    doc_id: str,
    doc: DocumentInput,
    *,
    base_version: int | None = None,
) -> DocumentView:
    """Append a new version; NotFoundError if unreadable, AccessDenied if not allowed;
    ConflictError if ``base_version`` (the version the edit started from) is no longer
    the current one (someone saved in between: their change is not overwritten)."""
    draft = replace(doc.draft(), base_version=base_version)
    view: DocumentView = labelled.update(node, principal, DOCUMENT, doc_id, draft)
    return view


def list_documents(
    node: Node,
    principal: Principal,
    *,
    query: str | None = None,
    origin: str | None = None,
    limit: int = 50,
    after: str | None = None,
    flt: RecordFilter | None = None,
    sort: str | None = None,
) -> RecordPage:
    """A page of the documents the principal may read, newest first (or by ``sort``),
    narrowed by ``flt``."""
    return labelled.page(
        node,
        principal,
        DOCUMENT,
        query=query,
        origin=origin,
        limit=limit,
        after=after,
        flt=flt,
        sort=sort,
    )


def count_documents(
    node: Node, principal: Principal, query: str | None = None, flt: RecordFilter | None = None
) -> int:
    return labelled.count(node, principal, DOCUMENT, query, flt)


def history(node: Node, principal: Principal, doc_id: str) -> list[DocumentVersion]:
    """The versions of a document the principal may read (each checked on its own label)."""
    return [
        DocumentVersion(**_fields_of(view), author_id=row.author_id, note=row.note)
        for view, row in labelled.versions(node, principal, DOCUMENT, doc_id)
    ]


def _fields_of(view: DocumentView) -> dict[str, Any]:
    return {name: getattr(view, name) for name in DocumentView.__dataclass_fields__}


def explain_document(
    node: Node, principal: Principal, doc_id: str, *, actor: str, action: str = "read"
) -> ExplainView:
    """The decision for ``principal`` on a document, with reasons."""
    return labelled.explain(node, principal, DOCUMENT, doc_id, actor=actor, action=action)


def recall_document(node: Node, principal: Principal, doc_id: str) -> DocumentView:
    """Recall a document (federation hook point): a new version flagged recalled, hidden
    from every user here; federation withdraws it from every partner that received it.
    Those who may update it (its originator agency, a security officer) may recall it."""
    current = get_document(node, principal, doc_id)
    draft = Draft(
        values={"title": current.title, "body": current.body},
        labels={name: Label.from_dict(p.label) for name, p in current.portions.items()},
        note="recalled",
        base_version=current.version,
    )
    view: DocumentView = labelled.update(node, principal, DOCUMENT, doc_id, draft, recalled=True)
    return view
