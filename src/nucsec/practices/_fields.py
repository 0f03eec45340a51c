"""Readers of plain records' parts shared by the framework, catalogue and record readers.

Each raises the caller's error class with the field path (``where``): an object with only
known keys, a list, a date.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from nucsec.errors import InputError

__all__ = ["as_date", "as_list", "as_table"]


def as_table(raw: object, keys: set[str], where: str, error: type[InputError]) -> Mapping[str, Any]:
    """``raw`` if it is a mapping whose keys are all in ``keys``."""
    if not isinstance(raw, Mapping):
        raise error(f"{where or 'the record'} must be a table", field=where or None)
    extra = sorted(set(raw) - keys)
    if extra:
        name = f"{where}.{extra[0]}" if where else extra[0]
        raise error(f"unknown key {extra[0]!r} in {where or 'the record'}", field=name)
    return raw


def as_list(raw: object, where: str, error: type[InputError]) -> list[Any]:
    """``raw`` as a list (``None``: empty)."""
    if raw is None:
        return []
    if not isinstance(raw, list | tuple):
        raise error(f"{where} must be a list", field=where)
    return list(raw)


def as_date(raw: object, where: str, error: type[InputError]) -> date:
    """A date, or its ISO text."""
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        raise error(f"{where} must be a date (YYYY-MM-DD)", field=where, value=repr(raw)) from None
