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

from nucsec.errors import NucsecError
from nucsec.markings import Label, LabelError, parse_banner
from nucsec.node import Node
from nucsec.service.views import RecordSummary
from nucsec.web import i18n
from nucsec.web.auth import Caller
from nucsec.web.banners import BannerView, banner_view, page_label, portion_view
from nucsec.web.i18n import N_

__all__ = ["error_page", "iso", "label_of_summary", "make_templates", "render"]

TEMPLATES = Path(__file__).parent / "templates"


def iso(value: object) -> str:
    """ISO 8601 in UTC to the second (``2024-05-01T12:00:00Z``); '' for None."""
    if value is None or value == "":
        return ""
    value = i18n.as_moment(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)


def make_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATES))
    templates.env.add_extension("jinja2.ext.i18n")
    # ``{{ _("…") }}``, ``ngettext`` and ``{% trans %}`` mark the words a reader sees; they
    # look up the catalogue of the request being rendered (set by :func:`render`), so one
    # shared environment serves both languages at once (see :mod:`nucsec.web.i18n`).
    templates.env.install_gettext_callables(  # type: ignore[attr-defined]
        i18n.gettext, i18n.ngettext, newstyle=True
    )
    templates.env.filters["iso"] = iso
    templates.env.filters["when"] = i18n.local_datetime
    # a message made elsewhere, translated if the catalogue has it (no %-formatting)
    templates.env.filters["tr"] = i18n.gettext
    templates.env.filters["day"] = i18n.local_date
    templates.env.globals["ROLE_NAMES"] = ROLE_NAMES
    templates.env.globals["LANGUAGE_NAMES"] = i18n.LANGUAGE_NAMES
    return templates


#: role names as people read them (msgids: templates show ``_(ROLE_NAMES[r])``)
ROLE_NAMES = {
    "viewer": N_("viewer"),
    "analyst": N_("analyst"),
    "officer": N_("officer"),
    "security_officer": N_("security officer"),
    "auditor": N_("auditor"),
}


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
    language = i18n.request_language(request, caller)
    with i18n.use_language(language):
        return templates.TemplateResponse(
            request,
            name,
            {
                "lang": language,
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


#: the error page's title by HTTP status (msgids)
ERROR_TITLES = {
    400: N_("Bad request"),
    401: N_("Please sign in"),
    403: N_("Not allowed"),
    404: N_("Not found"),
    405: N_("Not allowed"),
    409: N_("Conflict"),
    413: N_("Too large"),
    415: N_("Wrong content type"),
    422: N_("Invalid input"),
    429: N_("Too many attempts"),
    500: N_("Error"),
    503: N_("Unavailable"),
}


#: messages of errors met often on pages, translated on the error page and in forms (any
#: other message of a service is shown as raised, in English)
COMMON_MESSAGES = (
    N_("not found"),
    N_("please sign in"),
    N_("wrong user name or password"),
    N_("missing or wrong anti-forgery token: reload the page and try again"),
    N_("request body is not valid JSON"),
    N_("choose a level"),
)


def error_page(
    request: Request,
    status: int,
    message: str,
    *,
    headers: Mapping[str, str] | None = None,
    hint: str = "",
    error: NucsecError | None = None,
) -> HTMLResponse:
    """The error page (no labelled content: the lowest banner), in the reader's language:
    the title by status; ``message`` if the catalogue has it (see :data:`COMMON_MESSAGES`)
    or, for a typed ``error`` with a template, its template translated then filled in
    (:meth:`~nucsec.errors.NucsecError.translated`); and ``hint``, a msgid saying what to
    do next."""
    caller: Caller | None = getattr(request.state, "caller", None)
    t = i18n.translator(request, caller)
    title = t.gettext(ERROR_TITLES.get(status, ERROR_TITLES[500]))
    if error is not None:
        message = error.translated(t.gettext)
    elif message:
        message = t.gettext(message)
    if hint:
        message = f"{message} ({t.gettext(hint)})"
    return render(
        request,
        "error.html",
        {"status": status, "title": title, "message": message},
        caller=caller,
        status=status,
        headers=headers,
    )
