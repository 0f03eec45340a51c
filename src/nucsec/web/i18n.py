"""The interface language: which one a request gets, its message catalogue, its dates.

Pages are written in English (the msgids); ``locale/ja/LC_MESSAGES/messages.po`` holds the
Japanese. The catalogue is compiled from the ``.po`` file in memory the first time a
language is used (Babel's ``pofile``/``mofile``, cached for the life of the process), so
there is no ``.mo`` file to build and forget: editing the ``.po`` file and restarting is
enough. Fuzzy entries are left out (they show in English until someone checks them).

The language of a request (:func:`request_language`):

1. a signed-in user's own choice (``users.language``), if set;
2. else ``ja`` for a user of nation JPN and ``en`` for everyone else;
3. a page without a user (sign-in, errors before sign-in) follows the ``nucsec_lang``
   cookie the language switch sets, else the browser's ``Accept-Language``, else ``en``.

Templates share one Jinja2 environment while requests of both languages run at once, so
the environment's ``gettext``/``ngettext`` read the catalogue of the request being
rendered from a context variable (:func:`use_language`), which each thread and task has
its own copy of. Imported macros (``{% from "_macros.html" import … %}``), which do not
see the page's context, are translated the same way.
"""

from __future__ import annotations

import gettext as _gettext
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING

from babel.dates import format_date, format_skeleton
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from fastapi import Request

if TYPE_CHECKING:
    from nucsec.web.auth import Caller

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "LANGUAGE_COOKIE",
    "LANGUAGE_NAMES",
    "N_",
    "as_moment",
    "catalogue",
    "current_language",
    "gettext",
    "language_of_user",
    "local_date",
    "local_datetime",
    "ngettext",
    "request_language",
    "translator",
    "use_language",
]

LOCALE_DIR = Path(__file__).parent / "locale"
DEFAULT_LANGUAGE = "en"
#: the interface languages; English is the msgids themselves
LANGUAGES = ("en", "ja")
#: each language's name in itself (the switch shows these, never translated)
LANGUAGE_NAMES = {"en": "English", "ja": "日本語"}
#: which language a nation's users get until they choose
NATION_LANGUAGE = {"JPN": "ja"}
#: the cookie the switch sets, read on pages without a signed-in user
LANGUAGE_COOKIE = "nucsec_lang"

_current: ContextVar[str] = ContextVar("nucsec_language", default=DEFAULT_LANGUAGE)


def N_(message: str) -> str:
    """Mark ``message`` for extraction (``make messages``) where it is defined; it is
    translated where it is shown, in the reader's language."""
    return message


@cache
def catalogue(language: str) -> _gettext.NullTranslations:
    """The compiled catalogue of ``language`` (English: the msgids, untranslated)."""
    if language not in LANGUAGES or language == DEFAULT_LANGUAGE:
        return _gettext.NullTranslations()
    with (LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po, locale=language)
    compiled = BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain="messages")


def language_of_user(nation: str, chosen: str | None) -> str:
    """A user's language: their choice, else their nation's (``ja`` for JPN), else English."""
    if chosen in LANGUAGES:
        return str(chosen)
    return NATION_LANGUAGE.get(nation, DEFAULT_LANGUAGE)


def _accepted(header: str) -> str | None:
    """The first of :data:`LANGUAGES` in an ``Accept-Language`` header, by its q-value."""
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and q > 0:
            ranked.append((-q, i, primary))
    return min(ranked)[2] if ranked else None


def request_language(request: Request, caller: Caller | None = None) -> str:
    """The interface language of this request (see the module docstring)."""
    if caller is None:
        caller = getattr(request.state, "caller", None)
    if caller is not None:
        return language_of_user(caller.user.nation, caller.user.language)
    cookie = request.cookies.get(LANGUAGE_COOKIE)
    if cookie in LANGUAGES:
        return str(cookie)
    return _accepted(request.headers.get("accept-language", "")) or DEFAULT_LANGUAGE


def translator(request: Request, caller: Caller | None = None) -> _gettext.NullTranslations:
    """The catalogue for the words a page handler builds in Python (``t.gettext("…")``)."""
    return catalogue(request_language(request, caller))


@contextmanager
def use_language(language: str) -> Iterator[None]:
    """Render in ``language`` inside the block (templates' ``_``, ``ngettext``, dates)."""
    token = _current.set(language)
    try:
        yield
    finally:
        _current.reset(token)


def current_language() -> str:
    return _current.get()


def gettext(message: str) -> str:
    """``message`` in the language being rendered."""
    return catalogue(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The plural form for ``n`` in the language being rendered."""
    return catalogue(_current.get()).ngettext(singular, plural, n)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def as_moment(value: object) -> object:
    """``value`` as pages show a time: an ISO string parsed, a naive datetime read as UTC;
    anything else (a date, an unparseable string) as it is."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    return _aware(value) if isinstance(value, datetime) else value


def local_datetime(value: object, language: str | None = None) -> str:
    """A date and time for people, in the reader's language and UTC
    (``May 1, 2024, 12:00 UTC`` / ``2024年5月1日 12:00 UTC``); '' for None."""
    if value is None or value == "":
        return ""
    value = as_moment(value)
    lang = language or _current.get()
    if isinstance(value, datetime):
        # the locale's own patterns for the date and a 24-hour time (CLDR skeletons)
        moment = value
        day = format_skeleton("yMMMd", moment, tzinfo=UTC, locale=lang)
        return f"{day} {format_skeleton('Hm', moment, tzinfo=UTC, locale=lang)} UTC"
    if isinstance(value, date):
        return format_date(value, "long", locale=lang)
    return str(value)


def local_date(value: object, language: str | None = None) -> str:
    """A date for people, in the reader's language (``May 1, 2024`` / ``2024年5月1日``)."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value[:10])
        except ValueError:
            return str(value)
    if isinstance(value, datetime):
        value = _aware(value).astimezone(UTC).date()
    if isinstance(value, date):
        return format_date(value, "long", locale=language or _current.get())
    return str(value)
