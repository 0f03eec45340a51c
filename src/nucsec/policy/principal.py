"""Who asks: a :class:`Principal` (a user, or a partner node when releasing)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from nucsec.errors import InputError
from nucsec.markings.context import MarkingContext
from nucsec.markings.errors import LabelError
from nucsec.markings.scheme import canonical_name

__all__ = ["ROLES", "WRITER_ROLES", "Principal"]

#: Roles a user may hold. Security officers administer the node; auditors read the log.
ROLES = ("viewer", "analyst", "officer", "security_officer", "auditor")
#: Roles that may create and update labelled records.
WRITER_ROLES = frozenset({"analyst", "officer", "security_officer"})


@dataclass(frozen=True)
class Principal:
    """A subject of access decisions.

    ``clearance`` is a level name in any scheme the node knows (``SECRET``, ``GOKUHI``,
    ``極秘``); it is compared through the agreement a label cites. ``agency`` is the
    unqualified agency code (``NPA``); ``kind`` is ``user`` or ``peer`` (a partner node
    receiving a release).
    """

    id: str
    nation: str
    agency: str | None
    clearance: str
    compartments: frozenset[str] = frozenset()
    roles: frozenset[str] = frozenset()
    kind: str = "user"
    _cache: dict[Any, Any] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    @property
    def qualified_agency(self) -> str | None:
        return f"{self.nation}.{self.agency}" if self.agency else None

    @classmethod
    def create(
        cls,
        *,
        id: str,
        nation: str,
        agency: str | None,
        clearance: str,
        compartments: Iterable[str] = (),
        roles: Iterable[str] = (),
        kind: str = "user",
    ) -> Principal:
        unknown = sorted(set(roles) - set(ROLES) - {"peer"})
        if unknown:
            raise InputError(f"unknown role(s): {', '.join(unknown)}", field="roles")
        return cls(
            id=id,
            nation=canonical_name(nation),
            agency=canonical_name(agency) if agency else None,
            clearance=canonical_name(clearance),
            compartments=frozenset(canonical_name(c) for c in compartments),
            roles=frozenset(roles),
            kind=kind,
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], ctx: MarkingContext | None = None) -> Principal:
        """Parse the JSON form used by ``nucsec policy check --principal``."""
        if not isinstance(data, Mapping):
            raise InputError("a principal must be a JSON object", field="principal")
        for key in ("nation", "clearance"):
            if not isinstance(data.get(key), str):
                raise InputError(f"a principal needs `{key}`", field=key)
        agency = data.get("agency")
        if agency is not None and not isinstance(agency, str):
            raise InputError("`agency` must be a string", field="agency")
        principal = cls.create(
            id=str(data.get("id", "cli")),
            nation=data["nation"],
            agency=agency,
            clearance=data["clearance"],
            compartments=list(data.get("compartments", [])),
            roles=list(data.get("roles", ["viewer"])),
        )
        if ctx is not None:
            principal.validate(ctx)
        return principal

    def validate(self, ctx: MarkingContext) -> Principal:
        """Check nation, agency, clearance and compartments against the context."""
        if not ctx.is_nation(self.nation):
            raise InputError(f"unknown nation {self.nation!r}", field="nation", value=self.nation)
        if self.agency and not ctx.is_agency(f"{self.nation}.{self.agency}"):
            raise InputError(
                f"unknown agency {self.nation}.{self.agency}", field="agency", value=self.agency
            )
        try:
            ctx.resolve_level(self.clearance, self.nation)
        except LabelError as exc:
            raise InputError(exc.message, field="clearance", value=self.clearance) from exc
        for comp in sorted(self.compartments):
            if comp not in ctx.compartments:
                raise InputError(f"unknown compartment {comp!r}", field="compartments", value=comp)
        return self

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "nation": self.nation,
            "agency": self.agency,
            "clearance": self.clearance,
            "compartments": sorted(self.compartments),
            "roles": sorted(self.roles),
            "kind": self.kind,
        }
