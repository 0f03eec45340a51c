"""The :class:`Label` value object: the protective marking every record and portion carries.

A label says who classified the information (``authority``, a nation), at which level of
which scheme, to whom it may be released (``rel_to`` nations, or agencies as
``NATION.AGENCY``), the dissemination controls (``noforn``, ``orcon``), need-to-know
``compartments``, the ``originator`` agency, the ``legal_basis`` (agreement and version)
and a ``review_date``. Labels are immutable and hashable. :meth:`Label.validate` checks
a label against a :class:`~nucsec.markings.context.MarkingContext` and raises
:class:`~nucsec.markings.errors.LabelError` naming the faulty field: unknown markings are
refused (fail closed).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from nucsec.markings.context import MarkingContext
from nucsec.markings.errors import LabelError
from nucsec.markings.scheme import Level, canonical_name

__all__ = ["Label"]

_FIELDS = (
    "authority",
    "level",
    "rel_to",
    "noforn",
    "orcon",
    "compartments",
    "originator",
    "legal_basis",
    "review_date",
)


@dataclass(frozen=True)
class Label:
    authority: str
    level: str
    rel_to: frozenset[str] = frozenset()
    noforn: bool = False
    orcon: bool = False
    compartments: frozenset[str] = frozenset()
    originator: str | None = None
    legal_basis: str | None = None
    review_date: dt.date | None = None
    _cache: dict[Any, Any] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    # -- derived views -------------------------------------------------------------
    @property
    def rel_to_nations(self) -> frozenset[str]:
        """Nations named in REL TO (``USA.DOE`` counts as ``USA``)."""
        return frozenset(entry.split(".", 1)[0] for entry in self.rel_to)

    def agencies_for(self, nation: str) -> frozenset[str]:
        """Agencies of ``nation`` named in REL TO (empty: the whole nation, if named)."""
        prefix = nation + "."
        return frozenset(e[len(prefix) :] for e in self.rel_to if e.startswith(prefix))

    def level_of(self, ctx: MarkingContext) -> Level:
        """The scheme level this label names (the authority's scheme is preferred)."""
        return ctx.resolve_level(self.level, self.authority)

    def rank(self, ctx: MarkingContext) -> int:
        """Common rank of the level under the label's legal basis (or the node default)."""
        key = ("rank", ctx)
        cached = self._cache.get(key)
        if cached is None:
            cached = ctx.rank(self.level_of(ctx), self.legal_basis)
            self._cache[key] = cached
        return int(cached)

    @property
    def is_public_unclassified(self) -> bool:
        """True for a label without any dissemination control or compartment (rank checked
        separately): such unclassified material may be read in every agreement nation."""
        return not (self.rel_to or self.noforn or self.orcon or self.compartments)

    # -- construction --------------------------------------------------------------
    def with_(self, **changes: Any) -> Label:
        """A copy with some fields changed (sets are normalised)."""
        return Label.create(**{**self.to_fields(), **changes})

    @classmethod
    def create(
        cls,
        authority: str,
        level: str,
        rel_to: Iterable[str] = (),
        noforn: bool = False,
        orcon: bool = False,
        compartments: Iterable[str] = (),
        originator: str | None = None,
        legal_basis: str | None = None,
        review_date: dt.date | str | None = None,
    ) -> Label:
        """Build a label in its one spelling (no validation against a context: see
        :meth:`validate`).

        Every marking field is canonicalised here, once, so that the reference monitor and
        its SQL twin see the same label: ASCII white space around a name is removed and
        ASCII names are upper-cased (``"secret"`` -> ``SECRET``, ``" usa . doe"`` ->
        ``USA.DOE``). Codes (authority, REL TO nations and agencies, compartments,
        originator) must be ASCII, else LabelError; a level keeps any other character as
        it is (a native name such as ``極秘``), so a look-alike is an unknown level.
        """
        if isinstance(review_date, str):
            try:
                review_date = dt.date.fromisoformat(review_date)
            except ValueError as exc:
                raise LabelError(
                    f"review date is not an ISO date: {review_date!r}",
                    field="review_date",
                    value=review_date,
                ) from exc
        return cls(
            authority=_code(authority, "authority"),
            level=canonical_name(level),
            rel_to=frozenset(_norm_entry(e, "rel_to") for e in rel_to),
            noforn=bool(noforn),
            orcon=bool(orcon),
            compartments=frozenset(_code(c, "compartments") for c in compartments),
            originator=_norm_entry(originator, "originator") if originator else None,
            legal_basis=(_basis(legal_basis) or None) if legal_basis else None,
            review_date=review_date,
        )

    def to_fields(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _FIELDS}

    # -- JSON form -----------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Structured JSON form (sorted lists, ISO dates); inverse of :meth:`from_dict`."""
        return {
            "authority": self.authority,
            "level": self.level,
            "rel_to": sorted(self.rel_to),
            "noforn": self.noforn,
            "orcon": self.orcon,
            "compartments": sorted(self.compartments),
            "originator": self.originator,
            "legal_basis": self.legal_basis,
            "review_date": self.review_date.isoformat() if self.review_date else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Label:
        if not isinstance(data, Mapping):
            raise LabelError("a JSON label must be an object", field="label")
        unknown = set(data) - set(_FIELDS)
        if unknown:
            raise LabelError(
                f"unknown label field(s): {', '.join(sorted(unknown))}",
                field=sorted(unknown)[0],
            )
        for required in ("authority", "level"):
            if not isinstance(data.get(required), str) or not data.get(required):
                raise LabelError(f"a label needs `{required}`", field=required)
        for seq in ("rel_to", "compartments"):
            value = data.get(seq, [])
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise LabelError(f"`{seq}` must be a list of strings", field=seq)
        for flag in ("noforn", "orcon"):
            if not isinstance(data.get(flag, False), bool):
                raise LabelError(f"`{flag}` must be true or false", field=flag)
        for seq in ("rel_to", "compartments"):  # one entry once, in any spelling
            spelled = [canonical_name(v) for v in data.get(seq, [])]
            twice = sorted({v for v in spelled if spelled.count(v) > 1})
            if twice:
                raise LabelError(f"{twice[0]} named twice in `{seq}`", field=seq, value=twice[0])
        return cls.create(
            authority=data["authority"],
            level=data["level"],
            rel_to=data.get("rel_to", []),
            noforn=data.get("noforn", False),
            orcon=data.get("orcon", False),
            compartments=data.get("compartments", []),
            originator=data.get("originator"),
            legal_basis=data.get("legal_basis"),
            review_date=data.get("review_date"),
        )

    def to_json(self) -> str:
        """Canonical JSON text (sorted keys): equal labels give equal text."""
        return json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))

    # -- validation ----------------------------------------------------------------
    def validate(self, ctx: MarkingContext, *, stored: bool = False) -> Label:
        """Check the label against the node's context; return it unchanged or raise.

        ``stored=True`` adds the rules for a label attached to a stored record (an
        originator agency of the authority's nation is required).
        """
        if not ctx.is_nation(self.authority):
            raise LabelError(
                f"unknown nation {self.authority!r} as classifying authority",
                field="authority",
                value=self.authority,
            )
        level = self.level_of(ctx)
        ctx.rank(level, self.legal_basis)  # the level must exist under the legal basis
        for entry in sorted(self.rel_to):
            nation, _, agency = entry.partition(".")
            if not ctx.is_nation(nation):
                raise LabelError(
                    f"unknown nation {nation!r} in REL TO", field="rel_to", value=entry
                )
            if agency and not ctx.is_agency(entry):
                raise LabelError(f"unknown agency {entry!r} in REL TO", field="rel_to", value=entry)
            if agency and nation in self.rel_to:
                raise LabelError(
                    f"REL TO names both {nation} and {entry}: name the nation or its agencies",
                    field="rel_to",
                    value=entry,
                )
        if self.noforn and self.rel_to:
            raise LabelError("NOFORN cannot be combined with REL TO", field="noforn")
        if self.rel_to and self.authority not in self.rel_to_nations:
            raise LabelError(
                f"REL TO must include the classifying authority {self.authority}",
                field="rel_to",
                value=", ".join(sorted(self.rel_to)),
            )
        for comp in sorted(self.compartments):
            if comp not in ctx.compartments:
                raise LabelError(f"unknown compartment {comp!r}", field="compartments", value=comp)
        if self.originator is not None:
            if not ctx.is_agency(self.originator):
                raise LabelError(
                    f"unknown originator agency {self.originator!r}",
                    field="originator",
                    value=self.originator,
                )
            if not self.originator.startswith(self.authority + "."):
                raise LabelError(
                    f"originator {self.originator} is not an agency of {self.authority}",
                    field="originator",
                    value=self.originator,
                )
        elif stored:
            raise LabelError("a stored record's label needs an originator", field="originator")
        if self.orcon and stored and self.originator is None:
            raise LabelError("ORCON needs an originator agency", field="originator")
        return self


def _code(value: str, field: str) -> str:
    """A code (nation, agency, compartment) in its one spelling; LabelError unless ASCII."""
    code = canonical_name(value)
    if not code.isascii() or not code.isprintable():
        raise LabelError(
            f"{field}: {value!r} is not a marking code (ASCII letters and digits)",
            field=field,
            value=value,
        )
    return code


def _norm_entry(entry: str, field: str) -> str:
    nation, dot, agency = canonical_name(entry).partition(".")
    return _code(nation, field) + (("." + _code(agency, field)) if dot else "")


def _basis(legal_basis: str) -> str:
    """A legal basis (``AGREEMENT/vN``, case as the agreement names it); ASCII only."""
    basis = legal_basis.strip(" \t\r\n\f\v")
    if not basis.isascii() or not basis.isprintable():
        raise LabelError(f"legal basis {legal_basis!r} is not ASCII", field="legal_basis")
    return basis
