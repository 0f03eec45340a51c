"""The baseline engine: nucsec's read rules written as a Cedar policy, run through ``cedarpy``.

Cedar knows nothing of national schemes or equivalence tables, so those stay data: a user
entity carries one *tag* per agreement (legal basis -> common rank of its clearance), a
document entity carries its label's legal basis, common rank and parts. The rules
themselves - rank dominance, nationality / REL TO / NOFORN, agency restriction,
compartments within need-to-know, not recalled - are all in :data:`POLICY`, and
:data:`SCHEMA` (checked once with ``validate_policies``) types them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from nucsec.markings import Label, LabelError, MarkingContext
from nucsec.policy import Principal

__all__ = ["POLICY", "SCHEMA", "CedarBaseline", "document_entity", "user_entity"]

POLICY = """
permit (principal is User, action == Action::"read", resource is Document)
when {
  principal.hasTag(resource.basis) && principal.getTag(resource.basis) >= resource.rank
  && (principal.nation == resource.authority
      || (!resource.noforn && resource.rel_nations.contains(principal.nation))
      || (resource.public && resource.agreement_nations.contains(principal.nation)))
  && (!resource.agency_nations.contains(principal.nation)
      || resource.rel_agencies.contains(principal.qualified_agency))
  && principal.compartments.containsAll(resource.compartments)
  && !resource.recalled
};
"""

SCHEMA = """
entity User {
  nation: String, qualified_agency: String, compartments: Set<String>
} tags Long;
entity Document {
  basis: String, rank: Long, authority: String, noforn: Bool, public: Bool,
  rel_nations: Set<String>, agreement_nations: Set<String>,
  agency_nations: Set<String>, rel_agencies: Set<String>,
  compartments: Set<String>, recalled: Bool
};
action read appliesTo { principal: User, resource: Document };
"""


def user_entity(p: Principal, ctx: MarkingContext) -> dict[str, Any]:
    """Cedar JSON entity of a principal; tags: legal basis -> clearance rank under it."""
    tags: dict[str, int] = {}
    try:
        level = ctx.resolve_level(p.clearance, p.nation)
    except LabelError:
        level = None
    for basis, table in ctx.agreements.items():
        rank = table.rank_of(level.nation, level.name) if level else None
        if rank is not None and p.nation in table.nations:
            tags[basis] = rank
    return {
        "uid": {"type": "User", "id": p.id},
        "attrs": {
            "nation": p.nation,
            "qualified_agency": p.qualified_agency or "",
            "compartments": sorted(p.compartments),
        },
        "parents": [],
        "tags": tags,
    }


def document_entity(doc_id: str, label: Label, ctx: MarkingContext) -> dict[str, Any]:
    """Cedar JSON entity of a document with this (valid) label."""
    table = ctx.agreement(label.legal_basis)
    rank = ctx.rank(label.level_of(ctx), label.legal_basis)
    restricted = sorted({e.split(".")[0] for e in label.rel_to if "." in e})
    return {
        "uid": {"type": "Document", "id": doc_id},
        "attrs": {
            "basis": table.legal_basis,
            "rank": rank,
            "authority": label.authority,
            "noforn": label.noforn,
            "public": rank == 0 and label.is_public_unclassified,
            "rel_nations": sorted(label.rel_to_nations),
            "agreement_nations": sorted(table.nations),
            "agency_nations": restricted,
            "rel_agencies": sorted(e for e in label.rel_to if "." in e),
            "compartments": sorted(label.compartments),
            "recalled": False,
        },
        "parents": [],
    }


class CedarBaseline:
    """Parsed policy set and entity set, reused for every batch (no per-call re-parsing)."""

    def __init__(
        self, principals: Sequence[Principal], labels: Sequence[Label], ctx: MarkingContext
    ) -> None:
        import cedarpy

        self._cedar = cedarpy
        checked = cedarpy.validate_policies(POLICY, SCHEMA)
        if not checked.validation_passed:
            raise RuntimeError(f"Cedar policy fails its schema: {checked.errors}")
        entities = [user_entity(p, ctx) for p in principals]
        entities += [document_entity(f"d{i}", lb, ctx) for i, lb in enumerate(labels)]
        self.policies = cedarpy.PolicySet.from_str(POLICY)
        self.entities = cedarpy.Entities.from_json_str(json.dumps(entities), schema=SCHEMA)
        self._users = [{"type": "User", "id": p.id} for p in principals]
        self._docs = [{"type": "Document", "id": f"d{i}"} for i in range(len(labels))]

    def requests(self, pairs: Iterable[tuple[int, int]]) -> list[dict[str, Any]]:
        """Request objects for (principal index, label index) pairs, built ahead of timing."""
        read = {"type": "Action", "id": "read"}
        return [
            {"principal": self._users[i], "action": read, "resource": self._docs[j]}
            for i, j in pairs
        ]

    def decide_batch(self, requests: list[dict[str, Any]], *, strict: bool = False) -> list[bool]:
        """``cedarpy.is_authorized_batch`` on the pre-parsed handles; allowed per request.

        ``strict`` also fails on any evaluation error (used by the agreement check, outside
        the timed loop: a Cedar error denies, which could hide a translation mistake).
        """
        results = self._cedar.is_authorized_batch(requests, self.policies, self.entities)
        if strict:
            errors = [r.diagnostics.errors for r in results if r.diagnostics.errors]
            if errors:
                raise RuntimeError(f"Cedar evaluation errors: {errors[:3]}")
        return [r.allowed for r in results]
