"""The marking context: every scheme, agreement, nation, agency and compartment a node knows.

Labels are parsed and validated against a context, and the reference monitor compares
levels through it. :func:`default_context` loads the data shipped in
``nucsec/data/markings``; a node may point at its own directory instead.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

from nucsec.markings.errors import LabelError, SchemeError
from nucsec.markings.scheme import (
    EquivalenceTable,
    Level,
    NationalScheme,
    canonical_name,
    load_agreement,
    load_scheme,
)

__all__ = ["Agency", "MarkingContext", "Nation", "context_for", "default_context", "load_context"]


@dataclass(frozen=True)
class Agency:
    nation: str
    code: str
    name_en: str
    name_ja: str

    @property
    def qualified(self) -> str:
        return f"{self.nation}.{self.code}"


@dataclass(frozen=True)
class Nation:
    code: str
    name_en: str
    name_ja: str
    agencies: tuple[Agency, ...]
    lang: str = "en"  # the language its scheme is shown in (nations.toml ``lang``)


@dataclass(frozen=True, eq=False)
class MarkingContext:
    """What a node knows about markings. Immutable; build a new one to change it."""

    nations: dict[str, Nation]
    schemes: dict[str, NationalScheme]
    agreements: dict[str, EquivalenceTable]  # by legal basis "AGREEMENT/vN"
    compartments: dict[str, str]
    default_basis: str
    _level_index: dict[str, list[Level]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        index: dict[str, list[Level]] = {}
        for scheme in self.schemes.values():
            for level in scheme.levels:
                keys = {level.name, level.abbrev.upper()}
                if level.native:
                    keys.add(level.native)
                for key in keys:
                    index.setdefault(key, []).append(level)
        self._level_index.update(index)

    # -- lookups -------------------------------------------------------------------
    def agreement(self, legal_basis: str | None = None) -> EquivalenceTable:
        basis = legal_basis or self.default_basis
        table = self.agreements.get(basis)
        if table is None:
            raise LabelError(f"unknown legal basis {basis!r}", field="legal_basis", value=basis)
        return table

    def levels_named(self, name: str) -> list[Level]:
        """Every scheme's level with this banner name, native name or abbreviation (in the
        spelling of :func:`~nucsec.markings.scheme.canonical_name`: a look-alike of a name
        names nothing)."""
        return self._level_index.get(canonical_name(name)) or []

    def resolve_level(self, name: str, nation: str | None = None) -> Level:
        """The level called ``name``, preferring ``nation``'s scheme; LabelError if unknown."""
        found = self.levels_named(name)
        if nation is not None:
            own = [lv for lv in found if lv.nation == nation]
            if own:
                return own[0]
        if len(found) == 1 or (found and nation is not None):
            return found[0]
        if not found:
            raise LabelError(f"unknown classification level {name!r}", field="level", value=name)
        nations = ", ".join(sorted({lv.nation for lv in found}))
        raise LabelError(
            f"level {name!r} exists in several schemes ({nations}): name the authority",
            field="level",
            value=name,
        )

    def rank(self, level: Level, legal_basis: str | None = None) -> int:
        """Common rank of a level under an agreement; LabelError if it has no equivalent."""
        table = self.agreement(legal_basis)
        rank = table.rank_of(level.nation, level.name)
        if rank is None:
            raise LabelError(
                f"{level.nation} level {level.name} has no equivalent in {table.legal_basis}",
                field="level",
                value=level.name,
            )
        return rank

    def equivalent(self, level: Level, nation: str, legal_basis: str | None = None) -> Level:
        """The level of ``nation``'s scheme equivalent to ``level`` under an agreement."""
        if level.nation == nation:
            return level
        table = self.agreement(legal_basis)
        name = table.name_at(nation, self.rank(level, legal_basis))
        scheme = self.schemes.get(nation)
        found = scheme.find(name) if (scheme and name) else None
        if found is None:
            raise LabelError(
                f"{table.legal_basis} gives {nation} no equivalent of {level.nation} {level.name}",
                field="level",
                value=level.name,
            )
        return found

    def is_nation(self, code: str) -> bool:
        return code in self.nations

    def lang_of(self, nation: str) -> str:
        """The language ``nation``'s scheme is shown in (``en`` unless its data says)."""
        known = self.nations.get(nation)
        return known.lang if known is not None else "en"

    def is_agency(self, qualified: str) -> bool:
        nation, _, agency = qualified.partition(".")
        known = self.nations.get(nation)
        return known is not None and any(a.code == agency for a in known.agencies)


def _agencies(nation: str, rows: list[dict[str, str]]) -> tuple[Agency, ...]:
    return tuple(
        Agency(nation, str(r["code"]), str(r.get("name_en", r["code"])), str(r.get("name_ja", "")))
        for r in rows
    )


def load_context(directory: Path, default_basis: str | None = None) -> MarkingContext:
    """Load nations, schemes and agreements from a marking-data directory."""
    try:
        nations_data = tomllib.loads((directory / "nations.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SchemeError(f"cannot read nations.toml: {exc}") from exc
    nations = {
        str(n["code"]): Nation(
            str(n["code"]),
            str(n.get("name_en", n["code"])),
            str(n.get("name_ja", "")),
            _agencies(str(n["code"]), list(n.get("agencies", []))),
            str(n.get("lang", "en")),
        )
        for n in nations_data.get("nation", [])
    }
    schemes = {}
    for path in sorted((directory / "schemes").glob("*.toml")):
        scheme = load_scheme(path)
        schemes[scheme.nation] = scheme
    missing = sorted(set(nations) - set(schemes))
    if missing:
        raise SchemeError(f"no classification scheme for {', '.join(missing)}")
    agreements = {}
    for path in sorted((directory / "agreements").glob("*.toml")):
        table = load_agreement(path, schemes)
        agreements[table.legal_basis] = table
    if not agreements:
        raise SchemeError("no agreement (equivalence table) found")
    basis = default_basis or sorted(agreements)[0]
    if basis not in agreements:
        raise SchemeError(f"default legal basis {basis!r} is not a loaded agreement")
    compartments = {str(k).upper(): str(v) for k, v in nations_data.get("compartments", {}).items()}
    return MarkingContext(nations, schemes, agreements, compartments, basis)


@lru_cache(maxsize=1)
def default_context() -> MarkingContext:
    """The context shipped with nucsec (demo agreement between JPN and USA)."""
    with resources.as_file(resources.files("nucsec") / "data" / "markings") as path:
        return load_context(Path(path))


def context_for(markings_dir: str) -> MarkingContext:
    """The marking data of a node: ``markings_dir`` (the ``markings_dir`` setting) if set,
    else the data shipped with nucsec."""
    return load_context(Path(markings_dir)) if markings_dir else default_context()
