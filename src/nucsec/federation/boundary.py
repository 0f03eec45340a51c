"""The boundary check: the second, independent "may this leave the node?" (pure).

An object version enters a partner's outbox only when the reference monitor
(:func:`nucsec.policy.decide`, action ``release``) allows it. At the moment of sending, this
module re-evaluates what is *actually about to leave*: the label data carried by the
outgoing STIX object's marking definitions, against the marking context's tables, the
record's current state and the ORCON approvals recorded now. It deliberately shares no
code with ``nucsec.policy`` (no compiled labels, no rank cache, no reasons module): a bug
in one path cannot open the boundary unless the other has the same bug.

Both paths must allow; the receiver runs the same pair before it accepts anything.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from nucsec.markings.context import MarkingContext

__all__ = ["Verdict", "check_label", "check_object"]

_LABEL_KEYS = frozenset(
    {
        "authority",
        "level",
        "rel_to",
        "noforn",
        "orcon",
        "compartments",
        "originator",
        "legal_basis",
        "review_date",
    }
)
_EXT_LABEL = "extension-definition--00fec89b-4281-4d15-807f-81d413227cc5"
_TLP_IDS = frozenset(
    {
        "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",  # TLP:CLEAR
        "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",  # TLP:AMBER
    }
)


#: all a revocation may carry: anything else (a portion, a granular marking) is content
_REVOCATION_KEYS = frozenset(
    {
        "type",
        "spec_version",
        "id",
        "created_by_ref",
        "created",
        "modified",
        "record_version",
        "revoked",
        "object_marking_refs",
        "extensions",
    }
)


@dataclass(frozen=True)
class Verdict:
    """The boundary's answer: allowed, or the reasons it refused."""

    allowed: bool
    reasons: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        return {"allowed": self.allowed, "reasons": list(self.reasons)}


def _strings(value: Any) -> list[str] | None:
    if value is None:
        return []
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    return None


def _rank(ctx: MarkingContext, basis: str, nation: str, level: str) -> int | None:
    """Common rank of ``nation``'s level under agreement ``basis`` (None: no equivalent)."""
    table = ctx.agreements.get(basis)
    scheme = ctx.schemes.get(nation)
    found = scheme.find(level) if scheme is not None else None
    if found is None:  # a level of another nation's scheme (foreign-government information)
        others = {lv.nation: lv for lv in ctx.levels_named(level)}
        found = next(iter(others.values())) if len(others) == 1 else None
    if table is None or found is None:
        return None
    for rank, row in enumerate(table.ranks):
        if row.get(found.nation) == found.name:
            return rank
    return None


def check_label(
    props: Mapping[str, Any],
    *,
    sender: str,
    recipient: str,
    ctx: MarkingContext,
    orcon_approved: bool,
) -> list[str]:
    """Reasons why a label (its JSON properties) may not go from ``sender`` to
    ``recipient``; an empty list means it may."""
    if set(props) - _LABEL_KEYS:
        return ["the label has fields the boundary does not know"]
    authority, level, basis = props.get("authority"), props.get("level"), props.get("legal_basis")
    rel_to, comps = _strings(props.get("rel_to")), _strings(props.get("compartments"))
    noforn, orcon = props.get("noforn", False), props.get("orcon", False)
    if not (isinstance(authority, str) and isinstance(level, str) and isinstance(basis, str)):
        return ["the label lacks authority, level or legal basis"]
    if (
        rel_to is None
        or comps is None
        or not isinstance(noforn, bool)
        or not isinstance(orcon, bool)
    ):
        return ["the label is malformed"]
    reasons = []
    if authority != sender:
        reasons.append(f"third party: {authority} classified it; only {sender} material leaves")
    table = ctx.agreements.get(basis)
    if table is None or recipient not in table.nations or authority not in table.nations:
        reasons.append(f"legal basis: {basis} does not cover {authority} and {recipient}")
        return reasons
    rank = _rank(ctx, basis, authority, level)
    if rank is None or table.name_at(recipient, rank) is None:
        reasons.append(f"level: {level} has no {recipient} equivalent under {basis}")
    if noforn:
        reasons.append("NOFORN")
    nations = {entry.split(".", 1)[0] for entry in rel_to}
    if rel_to and recipient not in nations:
        reasons.append(f"REL TO {', '.join(sorted(rel_to))} does not name {recipient}")
    if not rel_to and not (rank == 0 and not orcon and not comps and not noforn):
        reasons.append(f"without REL TO only uncontrolled unclassified material leaves {sender}")
    unknown = [c for c in comps if c not in ctx.compartments]
    if unknown:
        reasons.append(f"unknown compartment {unknown[0]}")
    if orcon and not orcon_approved:
        reasons.append(f"ORCON: no recorded originator approval for {recipient}")
    return reasons


def _label_props(marking: Mapping[str, Any]) -> Mapping[str, Any] | None:
    exts = marking.get("extensions")
    if not isinstance(exts, Mapping) or set(exts) != {_EXT_LABEL}:
        return None
    props = exts[_EXT_LABEL]
    if not isinstance(props, Mapping) or props.get("extension_type") != "property-extension":
        return None
    return {k: v for k, v in props.items() if k != "extension_type"}


def _marking_refs(obj: Mapping[str, Any]) -> list[str] | None:
    refs = obj.get("object_marking_refs")
    granular = obj.get("granular_markings", [])
    if not isinstance(refs, list) or not refs or not isinstance(granular, list):
        return None
    out = list(refs)
    for entry in granular:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("marking_ref"), str):
            return None
        out.append(entry["marking_ref"])
    return out if all(isinstance(r, str) for r in out) else None


def check_object(
    obj: Mapping[str, Any],
    markings: Mapping[str, Mapping[str, Any]],
    *,
    sender: str,
    recipient: str,
    ctx: MarkingContext,
    orcon_approvals: Collection[str],
    recalled: bool,
) -> Verdict:
    """May this outgoing record object (with its marking definitions) go to ``recipient``?

    Every marking it references must be a nucsec label the boundary can read and that
    passes :func:`check_label`, or a TLP marking on unclassified material. A revocation
    (``revoked: true``, no content) always passes: it withdraws, it discloses nothing new.
    """
    if obj.get("revoked") is True:
        has_content = bool(set(obj) - _REVOCATION_KEYS)
        return Verdict(not has_content, () if not has_content else ("revocation with content",))
    refs = _marking_refs(obj)
    if refs is None:
        return Verdict(False, ("the object's markings are malformed",))
    reasons: list[str] = []
    if recalled:
        reasons.append("the record was recalled")
    approved = recipient in orcon_approvals
    for ref in dict.fromkeys(refs):
        if ref in _TLP_IDS and ref != refs[0]:
            continue
        props = _label_props(markings.get(ref, {}))
        if props is None:
            reasons.append(f"marking {ref} is not a label the boundary can read")
            continue
        for reason in check_label(
            props, sender=sender, recipient=recipient, ctx=ctx, orcon_approved=approved
        ):
            if reason not in reasons:
                reasons.append(reason)
    tlp = [r for r in refs if r in _TLP_IDS]
    if tlp and not _unclassified(markings.get(refs[0], {}), ctx):
        reasons.append("TLP marking on classified material")
    return Verdict(not reasons, tuple(reasons))


def _unclassified(marking: Mapping[str, Any], ctx: MarkingContext) -> bool:
    props = _label_props(marking)
    if props is None:
        return False
    try:
        rank = _rank(ctx, str(props["legal_basis"]), str(props["authority"]), str(props["level"]))
    except KeyError:
        return False
    return rank == 0
