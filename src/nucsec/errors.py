"""The error hierarchy of nucsec and the one table that maps errors to exit codes and HTTP.

Every error nucsec raises on purpose derives from :class:`NucsecError`. Each domain has
its own subclasses that also inherit the matching builtin (``LabelError`` is a
``ValueError``), so callers may catch either. Errors carry structured fields (``field``,
``value``) that tests and API responses use; the message is a sentence for a person.

Example
-------
>>> try:
...     raise InputError("mass must not be negative", field="mass_g", value=-1)
... except ValueError as exc:
...     (exc.field, exc.value, str(exc))
('mass_g', -1, 'mass must not be negative')
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

#: the message template of a labelled record that does not exist or that the caller may not
#: read (both answer the same): filled with ``kind`` and ``id``
NOT_FOUND = "%(kind)s %(id)s not found"


class NucsecError(Exception):
    """Root of every error nucsec raises on purpose.

    An error may carry its message as a ``template`` (a msgid with ``%(name)s``
    placeholders, marked for the message catalogue) and its ``params``: the message is then
    the template filled in, and a page translates the template before filling it in
    (:meth:`translated`), so a Japanese reader gets the message in Japanese while the API's
    JSON body (:meth:`to_dict`) is unchanged.

    >>> err = NotFoundError(template=NOT_FOUND, params={"kind": "document", "id": "x"})
    >>> err.message, err.translated(lambda t: t.replace("not found", "は見つかりません"))
    ('document x not found', 'document x は見つかりません')
    """

    #: short machine-readable kind, used in JSON error bodies
    code = "error"

    def __init__(
        self,
        message: str = "",
        *,
        field: str | None = None,
        value: Any = None,
        template: str | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> None:
        self.template = template
        self.params = dict(params or {})
        if template is not None:
            message = template % self.params
        super().__init__(message)
        self.message = message
        self.field = field
        self.value = value

    def translated(self, gettext: Callable[[str], str]) -> str:
        """The message in the language of ``gettext``: its template translated and then
        filled in (a message without a template is looked up as a whole)."""
        if self.template is None:
            return gettext(self.message)
        return gettext(self.template) % self.params

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description: ``{"error": code, "message": ..., "field": ...}``."""
        out: dict[str, Any] = {"error": self.code, "message": self.message}
        if self.field is not None:
            out["field"] = self.field
        if self.value is not None:
            out["value"] = (
                self.value if isinstance(self.value, int | float | str) else repr(self.value)
            )
        return out


class InputError(NucsecError, ValueError):
    """Bad input from a user or a file: the caller must change what it sent."""

    code = "invalid_input"


class FileFormatError(InputError):
    """A file that cannot be read as the format it claims (truncated, corrupt, unknown)."""

    code = "bad_file"


class NotFoundError(NucsecError, LookupError):
    """The record does not exist, or the caller may not know that it exists."""

    code = "not_found"


class AccessDenied(NucsecError, PermissionError):
    """The caller may know the object exists but may not perform the action.

    Never raised for reads of labelled records: those answer :class:`NotFoundError`,
    so a caller cannot learn that a hidden record exists.
    """

    code = "forbidden"


class PolicyDenial(AccessDenied):
    """The reference monitor refused, and its decision is already in the audit log (where
    it was made, with its reasons); the interfaces record every other refusal."""


class AuthenticationError(NucsecError, PermissionError):
    """Missing or wrong credentials."""

    code = "unauthenticated"


class ConflictError(NucsecError, RuntimeError):
    """The request conflicts with the current state (duplicate, stale version)."""

    code = "conflict"


class IntegrityError(NucsecError, RuntimeError):
    """Stored or received data failed an integrity check (hash, signature, proof)."""

    code = "integrity"


class ConfigurationError(NucsecError, RuntimeError):
    """The node is not set up correctly (missing key, placeholder secret, bad setting)."""

    code = "configuration"


class PeerError(NucsecError, ConnectionError):
    """A federation peer could not be reached or answered wrongly."""

    code = "peer"


# One table: error class -> (process exit code, HTTP status). Looked up along the MRO,
# so a subclass inherits its parent's row unless it has its own.
STATUS_TABLE: dict[type[NucsecError], tuple[int, int]] = {
    NucsecError: (1, 500),
    InputError: (2, 422),
    FileFormatError: (2, 422),
    AccessDenied: (3, 403),
    AuthenticationError: (3, 401),
    NotFoundError: (4, 404),
    IntegrityError: (5, 409),
    ConflictError: (6, 409),
    ConfigurationError: (7, 500),
    PeerError: (8, 502),
}


def status_for(exc: NucsecError) -> tuple[int, int]:
    """Return ``(exit_code, http_status)`` for an error, from :data:`STATUS_TABLE`."""
    for cls in type(exc).__mro__:
        if cls in STATUS_TABLE:
            return STATUS_TABLE[cls]
    return STATUS_TABLE[NucsecError]
