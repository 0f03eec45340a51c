"""Gaps ranked by the attractiveness of the material they protect, then by what they cost.

A gap is an applicable question not at full maturity (unanswered ones included; N/A ones
are not gaps). It protects the holdings its node (and its ancestors) apply to at that
facility; a node that names no holding protects everything the facility holds. Ranking:
most attractive material first (Category I, then level A sources, Category II, level B,
Category III, level C: :data:`~nucsec.practices.vocabulary.ATTRACTIVENESS`), then the
overall maturity points the gap costs (``share * (100 - maturity)``), then facility and
code, so the order is total and stable across facilities.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from nucsec.practices.facility import FacilityProfile
from nucsec.practices.framework import Framework
from nucsec.practices.scoring import ScoreReport
from nucsec.practices.vocabulary import ATTRACTIVENESS

__all__ = ["Gap", "rank_gaps"]


@dataclass(frozen=True)
class Gap:
    """One question short of full maturity at one facility."""

    facility_id: str
    code: str
    title: str
    maturity: float
    compliant: bool
    unanswered: bool
    cost: float  # overall maturity points lost
    protects: str | None  # most attractive holding tag protected
    attractiveness: int
    verified: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "facility": self.facility_id,
            "code": self.code,
            "title": self.title,
            "maturity": self.maturity,
            "compliant": self.compliant,
            "unanswered": self.unanswered,
            "cost": self.cost,
            "protects": self.protects,
            "attractiveness": self.attractiveness,
            "verified": self.verified,
        }


def _protects(fw: Framework, code: str, held: frozenset[str]) -> str | None:
    tags = set(held)
    for node in (fw.node(code), *fw.ancestors(code)):
        named = node.applicability.dimension("holding")
        if named:
            tags &= named
    return max(tags, key=ATTRACTIVENESS.__getitem__) if tags else None


def rank_gaps(
    framework: Framework,
    assessed: Iterable[tuple[FacilityProfile, ScoreReport]],
) -> list[Gap]:
    """Gaps of one or more facilities (profile and score report each), most urgent first."""
    out = []
    for profile, report in assessed:
        held = frozenset(t for t in profile.tags if t in ATTRACTIVENESS)
        for ns in report.nodes:
            if ns.questions != 1 or ns.maturity is None or ns.maturity >= 100.0:
                continue
            node = framework.node(ns.code)
            if node.kind != "question":
                continue
            tag = _protects(framework, ns.code, held)
            out.append(
                Gap(
                    profile.facility_id,
                    ns.code,
                    node.display_title,
                    ns.maturity,
                    bool(ns.compliance),
                    ns.unanswered == 1,
                    ns.share * (100.0 - ns.maturity),
                    tag,
                    ATTRACTIVENESS.get(tag or "", 0),
                    ns.verified,
                )
            )
    out.sort(key=lambda g: (-g.attractiveness, -g.cost, g.facility_id, g.code))
    return out
