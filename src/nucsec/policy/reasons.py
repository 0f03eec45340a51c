"""Sentences for decisions: why the reference monitor allowed or denied an access.

Built only when someone reads :attr:`Decision.reasons`, from the same compiled forms the
monitor compared, so the explanation cannot drift from the decision.
"""

from __future__ import annotations

from nucsec.markings.context import MarkingContext
from nucsec.markings.errors import LabelError
from nucsec.policy.compiled import (
    CompiledLabel,
    CompiledPrincipal,
    compile_label,
    compile_principal,
)
from nucsec.policy.monitor import Resource, banner_of
from nucsec.policy.principal import WRITER_ROLES, Principal

__all__ = ["explain_decision"]


def _level_name(ctx: MarkingContext, cl: CompiledLabel, nation: str) -> str:
    table = ctx.agreement(cl.basis)
    return table.name_at(nation, cl.rank) or "?"


def _who(p: Principal) -> str:
    return f"{p.nation}.{p.agency}" if p.agency else p.nation


def _denial(
    code: str,
    p: Principal,
    cp: CompiledPrincipal,
    cl: CompiledLabel | None,
    r: Resource,
    ctx: MarkingContext,
    action: str,
) -> str:
    label_level = r.label.level
    if code == "unknown_marking":
        return "denied: the record's marking is not one this node knows (fail closed)"
    if code == "unknown_action":
        return f"denied: {action!r} is not an action the reference monitor knows"
    if cl is None:
        return f"denied: {code}"
    if code == "level":
        if cl.basis not in cp.ranks:
            return (
                f"denied: the principal's clearance {p.clearance} has no equivalent "
                f"under {cl.basis}"
            )
        return (
            f"denied: {label_level} exceeds the principal's {cp.clearance_name} clearance "
            f"(equivalence: {cl.basis})"
        )
    if code == "nationality":
        if cl.noforn:
            return (
                f"denied: NOFORN keeps this information in {cl.authority}; principal is {p.nation}"
            )
        if cl.nations:
            return f"denied: {p.nation} is not in REL TO {', '.join(sorted(cl.nations))}"
        return (
            f"denied: without REL TO, {label_level} information stays in "
            f"{cl.authority}; principal is {p.nation}"
        )
    if code == "agency":
        named = ", ".join(f"{p.nation}.{a}" for a in sorted(cl.agencies.get(p.nation, ())))
        return f"denied: REL TO names only {named} of {p.nation}; principal is {_who(p)}"
    if code == "compartments":
        missing = ", ".join(sorted(cl.compartments - cp.compartments))
        return f"denied: needs compartment(s) {missing} not in the principal's need-to-know"
    if code == "recalled":
        return "denied: the record was recalled by its originator"
    if code == "orcon_export":
        return f"denied: ORCON - only the originator {cl.originator} may export it"
    if code == "orcon_widen":
        return f"denied: ORCON - only the originator {cl.originator} may widen its release"
    if code == "orcon_release":
        return (
            f"denied: ORCON - no recorded approval of the originator {cl.originator} "
            f"for release to {p.nation}"
        )
    if code == "role":
        return (
            f"denied: {action} needs one of the roles {', '.join(sorted(WRITER_ROLES))}; "
            f"principal has {', '.join(sorted(p.roles)) or 'none'}"
        )
    if code == "authority":
        return f"denied: a {p.nation} principal cannot classify under {cl.authority} authority"
    if code == "originator":
        return "denied: the label names another originator agency than the record's author"
    if code == "not_originator":
        return (
            f"denied: only the originator {cl.originator} or a security officer changes this record"
        )
    if code == "no_new_label":
        return "denied: an update needs the record's new label"
    if code == "legal_basis":
        return f"denied: the legal basis {cl.basis} does not cover {p.nation}"
    if code == "third_party":
        return (
            f"denied: third-party rule - this node holds {cl.authority} information "
            f"and only {cl.authority} may release it"
        )
    return f"denied: {code}"


def _grants(
    p: Principal,
    cp: CompiledPrincipal,
    cl: CompiledLabel,
    r: Resource,
    ctx: MarkingContext,
    action: str,
) -> list[str]:
    out = []
    if cl.basis in cp.ranks:
        own = _level_name(ctx, cl, cp.clearance_nation)
        out.append(
            f"clearance {cp.clearance_name} dominates {r.label.level}"
            + (
                f" ({r.label.level} = {own} in the {cp.clearance_nation} scheme)"
                if own != r.label.level
                else ""
            )
            + f" (equivalence: {cl.basis})"
        )
    if p.nation == cl.authority:
        out.append(f"{p.nation} is the classifying authority")
    elif cl.nations:
        out.append(f"{p.nation} is in REL TO {', '.join(sorted(cl.nations))}")
    elif cl.public:
        out.append(f"unclassified without controls: releasable within {cl.basis}")
    if cl.agencies.get(p.nation):
        out.append(f"{_who(p)} is named in REL TO")
    if cl.compartments:
        out.append(f"need-to-know covers {', '.join(sorted(cl.compartments))}")
    if cl.orcon and action in {"export", "update"}:
        out.append(f"ORCON: {_who(p)} is the originator")
    if cl.orcon and action == "release" and p.nation != cl.authority:
        out.append(f"ORCON: the originator approved release to {p.nation}")
    return [f"allowed: {banner_of(r.label, ctx)} - " + "; ".join(out)]


def explain_decision(
    allowed: bool,
    action: str,
    denials: tuple[str, ...],
    p: Principal,
    r: Resource,
    ctx: MarkingContext,
) -> list[str]:
    cp = compile_principal(p, ctx)
    try:
        cl: CompiledLabel | None = compile_label(r.label, ctx)
    except LabelError:
        cl = None
    if allowed and cl is not None:
        return _grants(p, cp, cl, r, ctx, action)
    reasons = []
    for code in denials:
        target = cl
        if code in {"role", "authority", "originator"} and r.new_label is not None:
            try:
                target = compile_label(r.new_label, ctx)
            except LabelError:
                target = cl
        reasons.append(_denial(code, p, cp, target, r, ctx, action))
    return reasons
