"""National classification schemes and agreements' equivalence tables, loaded from data.

A :class:`NationalScheme` lists one nation's levels in ascending order. An
:class:`EquivalenceTable` (one per agreement, versioned) maps each nation's levels onto
common ranks, so that a Japanese 極秘 and a US SECRET compare equal under that agreement.
Both come from TOML files (``nucsec/data/markings``); adding a nation is a data change.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nucsec.markings.errors import SchemeError

__all__ = [
    "EquivalenceTable",
    "Level",
    "NationalScheme",
    "canonical_name",
    "load_agreement",
    "load_scheme",
]

_ASCII_SPACE = " \t\r\n\f\v"


def canonical_name(text: str) -> str:
    """The one spelling of a marking name: ASCII white space around it removed and, when
    it is ASCII, in upper case (``" secret"`` -> ``"SECRET"``).

    Any other character is kept as it is, so a native name (``極秘``) matches exactly and
    a look-alike matches nothing: a Greek ``Ν``, a full-width ``Ｓ``, a zero-width or
    non-breaking space. (``str.upper`` alone would turn ``ſ`` into ``S`` and ``ı`` into
    ``I``; ``str.strip`` alone removes non-breaking spaces.)

    >>> canonical_name(" Secret\t"), canonical_name("ſecret"), canonical_name("極秘")
    ('SECRET', 'ſecret', '極秘')
    """
    stripped = text.strip(_ASCII_SPACE)
    return stripped.upper() if stripped.isascii() else stripped


@dataclass(frozen=True)
class Level:
    """One level of a national scheme."""

    nation: str
    name: str  # banner name, ASCII (e.g. "SECRET", "GOKUHI")
    abbrev: str  # portion-mark abbreviation (e.g. "S", "GK")
    order: int  # position in the national scheme, 0 = lowest
    native: str = ""  # name in the national script, accepted on input (e.g. "極秘")
    ja: str = ""  # Japanese rendering


@dataclass(frozen=True)
class NationalScheme:
    nation: str
    levels: tuple[Level, ...]

    def find(self, name: str) -> Level | None:
        """The level called ``name`` (banner name, native name or abbreviation, in the
        spelling of :func:`canonical_name`), or None."""
        key = canonical_name(name)
        for level in self.levels:
            if key in (level.name, level.abbrev.upper()) or key == level.native:
                return level
        return None


@dataclass(frozen=True)
class EquivalenceTable:
    """Common ranks of an agreement: ``ranks[i][nation]`` is that nation's level name."""

    agreement: str
    version: int
    title: str
    nations: tuple[str, ...]
    ranks: tuple[dict[str, str], ...]

    @property
    def legal_basis(self) -> str:
        """The identifier labels cite: ``AGREEMENT/vN``."""
        return f"{self.agreement}/v{self.version}"

    def rank_of(self, nation: str, level_name: str) -> int | None:
        """Common rank of a nation's level under this agreement, or None if it has none."""
        for rank, row in enumerate(self.ranks):
            if row.get(nation) == level_name:
                return rank
        return None

    def name_at(self, nation: str, rank: int) -> str | None:
        """The nation's level name at a common rank, or None."""
        if 0 <= rank < len(self.ranks):
            return self.ranks[rank].get(nation)
        return None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SchemeError(f"cannot read {path.name}: {exc}", field="scheme") from exc


def load_scheme(path: Path) -> NationalScheme:
    data = _read_toml(path)
    nation = data.get("nation")
    rows = data.get("level") or []
    if not isinstance(nation, str) or not rows:
        raise SchemeError(f"{path.name}: a scheme needs `nation` and at least one [[level]]")
    levels = tuple(
        Level(
            nation=nation,
            name=str(row["name"]).upper(),
            abbrev=str(row.get("abbrev", row["name"])),
            order=i,
            native=str(row.get("native", "")),
            ja=str(row.get("ja", row.get("native", row["name"]))),
        )
        for i, row in enumerate(rows)
    )
    names = [lv.name for lv in levels] + [lv.abbrev.upper() for lv in levels]
    if len(set(names)) != len(names) and len({lv.name for lv in levels}) != len(levels):
        raise SchemeError(f"{path.name}: level names must be unique")
    return NationalScheme(nation, levels)


def load_agreement(path: Path, schemes: dict[str, NationalScheme]) -> EquivalenceTable:
    data = _read_toml(path)
    try:
        nations = tuple(data["nations"])
        table = EquivalenceTable(
            agreement=str(data["agreement"]),
            version=int(data["version"]),
            title=str(data.get("title", "")),
            nations=nations,
            ranks=tuple(
                {n: str(row[n]).upper() for n in nations if n in row} for row in data["rank"]
            ),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise SchemeError(f"{path.name}: malformed agreement ({exc})") from exc
    for nation in nations:
        scheme = schemes.get(nation)
        if scheme is None:
            raise SchemeError(f"{path.name}: no scheme for nation {nation}")
        orders = []
        for row in table.ranks:
            if nation in row:
                level = scheme.find(row[nation])
                if level is None:
                    raise SchemeError(f"{path.name}: {nation} has no level {row[nation]!r}")
                orders.append(level.order)
        if orders != sorted(orders) or len(set(orders)) != len(orders):
            raise SchemeError(f"{path.name}: {nation} levels must ascend with the ranks")
    return table
