"""Messages of typed service errors that pages show, marked for the message catalogue.

``make messages`` reads only ``src/nucsec/web``: a service error's message (or its
template, see :class:`nucsec.errors.NucsecError`) is listed here so that its translation
exists; the error page then shows it in the reader's language. The API's JSON keeps the
English message.
"""

from __future__ import annotations

from nucsec.web.i18n import N_

__all__ = ["SERVICE_MESSAGES"]

SERVICE_MESSAGES = (
    N_("%(kind)s %(id)s not found"),
    # the list filters (nucsec.store.record_filter)
    N_("unknown classification level"),
    N_("unknown nation"),
    N_("unknown agency"),
    N_("the first date is after the last"),
    N_("dates are written YYYY-MM-DD"),
    N_("write a date and time as YYYY-MM-DDTHH:MM:SS"),
    N_("sort must be new, old or title"),
    N_("invalid page cursor"),
)
