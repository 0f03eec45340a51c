"""Errors of the web layer and their HTTP statuses.

Most errors take their status from :data:`nucsec.errors.STATUS_TABLE`; the few that only
HTTP has (429, 413, 415, 400) are listed in :data:`WEB_STATUS` and looked up first.
"""

from __future__ import annotations

from nucsec.errors import AccessDenied, AuthenticationError, InputError, NucsecError, status_for

__all__ = [
    "WEB_STATUS",
    "CsrfError",
    "LoginRequired",
    "MalformedBodyError",
    "PayloadTooLargeError",
    "ThrottledError",
    "UnsupportedMediaTypeError",
    "http_status",
]


class ThrottledError(AuthenticationError):
    """Too many failed sign-ins for this user or from this address: wait and retry."""

    code = "throttled"

    def __init__(self, message: str, *, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class CsrfError(AccessDenied):
    """A form or cookie-authenticated request without the right anti-forgery token."""

    code = "csrf"


class LoginRequired(AuthenticationError):
    """A page needs a signed-in user (pages redirect to the sign-in form)."""

    code = "unauthenticated"


class PayloadTooLargeError(InputError):
    """The request body exceeds ``max_upload_bytes``."""

    code = "too_large"


class UnsupportedMediaTypeError(InputError):
    """The request body is not in the content type the endpoint accepts."""

    code = "unsupported_media_type"


class MalformedBodyError(InputError):
    """The request body is not well-formed (e.g. not JSON)."""

    code = "malformed"


WEB_STATUS: dict[type[NucsecError], int] = {
    ThrottledError: 429,
    PayloadTooLargeError: 413,
    UnsupportedMediaTypeError: 415,
    MalformedBodyError: 400,
}


def http_status(exc: NucsecError) -> int:
    """The HTTP status of an error: the web table first, then the project's table."""
    for cls in type(exc).__mro__:
        if cls in WEB_STATUS:
            return WEB_STATUS[cls]
    return status_for(exc)[1]
