"""Country codes: ISO 3166-1 alpha-2, from the public-domain table of the IANA tz database.

>>> country_code("jp"), country_code("Georgia"), country_name("US")
('JP', 'GE', 'United States')
"""

from __future__ import annotations

import functools
from importlib import resources

from nucsec.incidents.errors import IncidentError

__all__ = ["country_code", "country_name", "load_countries"]


@functools.lru_cache(maxsize=1)
def load_countries() -> dict[str, str]:
    """ISO 3166-1 alpha-2 code -> usual English name (``iso3166.tab``, loaded once)."""
    text = resources.files("nucsec.data.iaea").joinpath("iso3166.tab").read_text("utf-8")
    out: dict[str, str] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            code, name = line.split("\t", 1)
            out[code] = name
    return out


def country_code(text: object, *, field: str = "country") -> str:
    """The alpha-2 code for a code or English name (case-insensitive).

    Raises
    ------
    IncidentError
        If neither a known code nor a known name.
    """
    countries = load_countries()
    key = text.strip() if isinstance(text, str) else ""
    if key.upper() in countries:
        return key.upper()
    by_name = {name.lower(): code for code, name in countries.items()}
    found = by_name.get(key.lower())
    if found is None:
        raise IncidentError(
            f"unknown country {text!r}: use an ISO 3166-1 alpha-2 code such as JP or US",
            field=field,
            value=text if isinstance(text, str) else repr(text),
        )
    return found


def country_name(code: str) -> str:
    """English name of an alpha-2 code (the code itself if unknown)."""
    return load_countries().get(code, code)
