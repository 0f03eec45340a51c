"""``nucsec document ...`` and ``nucsec explain``: documents as a given user."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from nucsec.cli._common import emit, json_option, renderings_line

if TYPE_CHECKING:
    from nucsec.markings import MarkingContext
    from nucsec.service.views import DocumentView, RecordPage

__all__ = ["document_group", "explain_cmd"]


def _show(doc: DocumentView) -> str:
    p = doc.portions
    return "\n".join(
        [
            doc.banner,
            renderings_line(doc.banners),
            f"id {doc.id} · version {doc.version} · updated {doc.updated_at}"
            + (f" · from {doc.origin}" if doc.origin else ""),
            f"{p['title'].portion} {doc.title}",
            f"{p['body'].portion} {doc.body}",
            doc.banner,
        ]
    )


def _page(page: RecordPage) -> str:
    lines = [f"{d.id}  {d.portion:32} {d.title}" for d in page.items]
    if page.next:
        lines.append(f"(more: --after {page.next})")
    return "\n".join(lines) or "(no documents)"


def _input(
    ctx: MarkingContext,
    title: str,
    body: str,
    label: str,
    title_label: str | None,
    body_label: str | None,
    note: str,
) -> Any:
    """The document input, its labels parsed with the node's marking context ``ctx``."""
    from nucsec.markings import parse_label
    from nucsec.service.documents import DocumentInput

    base = parse_label(label, ctx)
    return DocumentInput(
        title=title,
        body=body,
        title_label=parse_label(title_label, ctx) if title_label else base,
        body_label=parse_label(body_label, ctx) if body_label else base,
        note=note,
    )


@click.group("document")
def document_group() -> None:
    """Labelled documents."""


_label_options = [
    click.option("--label", required=True, help="banner or JSON label of the whole document"),
    click.option("--title-label", default=None, help="portion label of the title"),
    click.option("--body-label", default=None, help="portion label of the body"),
    click.option("--note", default="", help="change note"),
]


def _with_label_options(f: Any) -> Any:
    for option in reversed(_label_options):
        f = option(f)
    return f


@document_group.command("add")
@click.option("--as", "as_user", required=True, help="acting user")
@click.option("--title", required=True)
@click.option("--body", required=True)
@_with_label_options
@json_option
def add_cmd(
    as_user: str,
    title: str,
    body: str,
    label: str,
    title_label: str | None,
    body_label: str | None,
    note: str,
    as_json: bool,
) -> None:
    """Create a document; prints {"id": ...} with --json."""
    from nucsec.cli._node import acting, node
    from nucsec.service.documents import create_document

    with node() as n:
        doc = create_document(
            n,
            acting(n, as_user),
            _input(n.ctx, title, body, label, title_label, body_label, note),
        )
    emit(
        {"id": doc.id, "banner": doc.banner, "version": doc.version},
        as_json,
        lambda d: f"{d['id']}  {d['banner']}",
    )


@document_group.command("update")
@click.argument("doc_id")
@click.option("--as", "as_user", required=True, help="acting user")
@click.option("--title", required=True)
@click.option("--body", required=True)
@_with_label_options
@json_option
def update_cmd(
    doc_id: str,
    as_user: str,
    title: str,
    body: str,
    label: str,
    title_label: str | None,
    body_label: str | None,
    note: str,
    as_json: bool,
) -> None:
    """Append a new version of a document."""
    from nucsec.cli._node import acting, node
    from nucsec.service.documents import update_document

    with node() as n:
        doc = update_document(
            n,
            acting(n, as_user),
            doc_id,
            _input(n.ctx, title, body, label, title_label, body_label, note),
        )
    emit(doc, as_json, _show)


@document_group.command("get")
@click.argument("doc_id")
@click.option("--as", "as_user", required=True, help="acting user")
@json_option
def get_cmd(doc_id: str, as_user: str, as_json: bool) -> None:
    """Show a document; exit 4 "not found" when it is absent or the user may not see it."""
    from nucsec.cli._node import acting, node
    from nucsec.service.documents import get_document

    with node() as n:
        doc = get_document(n, acting(n, as_user), doc_id)
    emit(doc, as_json, _show)


@document_group.command("list")
@click.option("--as", "as_user", required=True, help="acting user")
@click.option("--query", "-q", default=None, help="search text")
@click.option("--origin", default=None, help="'local' or a peer name")
@click.option("--limit", default=50, show_default=True)
@click.option("--after", default=None, help="cursor: id of the last document of a page")
@json_option
def list_cmd(
    as_user: str,
    query: str | None,
    origin: str | None,
    limit: int,
    after: str | None,
    as_json: bool,
) -> None:
    """List the documents the user may read, newest first."""
    from nucsec.cli._node import acting, node
    from nucsec.service.documents import list_documents

    with node() as n:
        page = list_documents(
            n, acting(n, as_user), query=query, origin=origin, limit=limit, after=after
        )
    emit(page, as_json, _page)


@document_group.command("history")
@click.argument("doc_id")
@click.option("--as", "as_user", required=True, help="acting user")
@json_option
def history_cmd(doc_id: str, as_user: str, as_json: bool) -> None:
    """The versions of a document the user may read."""
    from nucsec.cli._node import acting, node
    from nucsec.service.documents import history

    with node() as n:
        versions = history(n, acting(n, as_user), doc_id)
    emit(
        versions,
        as_json,
        lambda vs: "\n".join(f"v{v.version}  {v.updated_at}  {v.banner}  {v.note}" for v in vs),
    )


@click.command("explain")
@click.option("--user", "username", required=True, help="the user to explain for")
@click.option("--document", "doc_id", required=True)
@click.option("--action", default="read", show_default=True, type=click.Choice(["read", "export"]))
@json_option
def explain_cmd(username: str, doc_id: str, action: str, as_json: bool) -> None:
    """Why may (or may not) USER read a document: the decision with its reasons."""
    from nucsec.cli._node import acting, node
    from nucsec.service.documents import explain_document

    with node() as n:
        result = explain_document(n, acting(n, username), doc_id, actor="operator", action=action)
    emit(
        result,
        as_json,
        lambda r: (
            f"{r.banner}\n{username}: "
            + ("ALLOWED" if r.allowed else "DENIED")
            + "\n  "
            + "\n  ".join(r.reasons)
        ),
    )
