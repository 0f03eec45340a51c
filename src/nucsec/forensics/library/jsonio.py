"""JSON import and export of a library: ``{"entries": [entry "show" objects]}``.

Import parses every entry, collects every problem (path, entry id, field, message) and
raises one :class:`~nucsec.forensics.library.errors.LibraryImportError`, or returns all
entries: nothing is half-imported. Export writes what import reads (round trip).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from nucsec.forensics.library.errors import LibraryImportError, Problem
from nucsec.forensics.library.model import Entry
from nucsec.forensics.library.parse import entries_from_list

__all__ = ["library_to_json", "read_library_json"]


def read_library_json(text: str | bytes) -> list[Entry]:
    """Entries of a JSON library document (a list or ``{"entries": [...]}``)."""
    try:
        data: Any = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise LibraryImportError([Problem("file", "", None, f"not JSON: {exc}")]) from exc
    return entries_from_list(data)


def library_to_json(entries: Sequence[Entry], *, indent: int | None = 2) -> str:
    """The JSON document of ``entries`` (``{"entries": [...]}``)."""
    doc = {"entries": [e.to_dict() for e in entries]}
    return json.dumps(doc, ensure_ascii=False, indent=indent, allow_nan=False)
