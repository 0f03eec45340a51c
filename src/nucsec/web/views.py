"""Rendering pages: the Jinja2 environment, the page banner, the error page.

Every page is rendered through :func:`render`, which takes the labels of what the page
shows and puts the banner computed from them at the top and bottom (see
:mod:`nucsec.web.banners`). A page that shows nothing labelled carries the lowest level.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from nucsec.markings import Label, LabelError, parse_banner
from nucsec.node import Node
from nucsec.service.views import RecordSummary
from nucsec.web.auth import Caller
from nucsec.web.banners import BannerView, banner_view, page_label, portion_view

__all__ = ["error_page", "iso", "label_of_summary", "make_templates", "render"]

TEMPLATES = Path(__file__).parent / "templates"


def iso(value: object) -> str:
    """ISO 8601 in UTC to the second (``2024-05-01T12:00:00Z``); '' for None."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return str(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)


def make_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATES))
    templates.env.add_extension("jinja2.ext.i18n")
    # ``{{ _("…") }}`` and ``{% trans %}`` mark the words a reader sees; until the message
    # catalogues arrive they render as written (null translations).
    templates.env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
    templates.env.filters["iso"] = iso
    templates.env.globals["ROLE_NAMES"] = {
        "viewer": "viewer",
        "analyst": "analyst",
        "officer": "officer",
        "security_officer": "security officer",
        "auditor": "auditor",
    }
    return templates


def label_of_summary(item: RecordSummary, node: Node) -> Label | None:
    """The label of a list item (parsed from its banner; None if it cannot be read)."""
    try:
        return parse_banner(item.banner, node.ctx)
    except LabelError:
        return None


def _viewer_nation(request: Request, caller: Caller | None) -> str:
    node: Node = request.app.state.node
    return caller.user.nation if caller else node.nation


def render(
    request: Request,
    name: str,
    context: Mapping[str, Any],
    *,
    caller: Caller | None,
    labels: Iterable[Label] = (),
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """Render template ``name``; the page banner is computed from ``labels``."""
    node: Node = request.app.state.node
    nation = _viewer_nation(request, caller)
    banner = banner_view(page_label(labels, node.ctx, nation), node.ctx, nation)

    def mark(label: Label) -> BannerView:
        return portion_view(label, node.ctx, nation)

    def full(label: Label) -> BannerView:
        return banner_view(label, node.ctx, nation)

    templates: Jinja2Templates = request.app.state.templates
    response = templates.TemplateResponse(
        request,
        name,
        {
            "caller": caller,
            "banner": banner,
            "node": node,
            "csrf": caller.csrf_token if caller else None,
            "viewer_nation": nation,
            "mark": mark,
            "full_banner": full,
            **context,
        },
        status_code=status,
        headers=dict(headers) if headers else None,
    )
    return response


def error_page(
    request: Request, status: int, message: str, *, headers: Mapping[str, str] | None = None
) -> HTMLResponse:
    """The error page (no labelled content: the lowest banner)."""
    caller: Caller | None = getattr(request.state, "caller", None)
    titles = {
        400: "Bad request",
        401: "Please sign in",
        403: "Not allowed",
        404: "Not found",
        405: "Not allowed",
        413: "Too large",
        415: "Wrong content type",
        422: "Invalid input",
        429: "Too many attempts",
    }
    return render(
        request,
        "error.html",
        {"status": status, "title": titles.get(status, "Error"), "message": message},
        caller=caller,
        status=status,
        headers=headers,
    )
