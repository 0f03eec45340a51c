"""Sentences for decisions: why the reference monitor allowed or denied an access.

Built only when someone reads :attr:`~nucsec.policy.decision.Decision.reasons`, from the
same compiled forms the monitor compared, so the explanation cannot drift from the
decision. Each :class:`~nucsec.policy.decision.Denial` has one sentence in
:data:`SENTENCES`; a test holds the table complete.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from nucsec.markings.banner import render_banner
from nucsec.markings.context import MarkingContext
from nucsec.markings.errors import LabelError
from nucsec.markings.label import Label
from nucsec.policy.compiled import (
    CompiledLabel,
    CompiledPrincipal,
    compile_label,
    compile_principal,
)
from nucsec.policy.decision import Denial, Resource
from nucsec.policy.principal import WRITER_ROLES, Principal

__all__ = ["SENTENCES", "banner_of", "explain_decision"]


def banner_of(label: Label, ctx: MarkingContext) -> str:
    """Banner text for reasons; falls back to JSON for labels the context cannot render."""
    try:
        return render_banner(label, ctx)
    except LabelError:
        return label.to_json()


def _who(p: Principal) -> str:
    return f"{p.nation}.{p.agency}" if p.agency else p.nation


@dataclass(frozen=True)
class Facts:
    """What a sentence may cite: the principal, the compiled forms, the resource."""

    p: Principal
    cp: CompiledPrincipal
    cl: CompiledLabel
    r: Resource
    action: str

    @property
    def level(self) -> str:
        return self.r.label.level


def _level(f: Facts) -> str:
    if f.cl.basis not in f.cp.ranks:
        return (
            f"denied: the principal's clearance {f.p.clearance} has no equivalent "
            f"under {f.cl.basis}"
        )
    return (
        f"denied: {f.level} exceeds the principal's {f.cp.clearance_name} clearance "
        f"(equivalence: {f.cl.basis})"
    )


def _nationality(f: Facts) -> str:
    if f.cl.noforn:
        return (
            f"denied: NOFORN keeps this information in {f.cl.authority}; principal is {f.p.nation}"
        )
    if f.cl.nations:
        return f"denied: {f.p.nation} is not in REL TO {', '.join(sorted(f.cl.nations))}"
    return (
        f"denied: without REL TO, {f.level} information stays in "
        f"{f.cl.authority}; principal is {f.p.nation}"
    )


def _agency(f: Facts) -> str:
    named = ", ".join(f"{f.p.nation}.{a}" for a in sorted(f.cl.agencies.get(f.p.nation, ())))
    return f"denied: REL TO names only {named} of {f.p.nation}; principal is {_who(f.p)}"


def _role(f: Facts) -> str:
    return (
        f"denied: {f.action} needs one of the roles {', '.join(sorted(WRITER_ROLES))}; "
        f"principal has {', '.join(sorted(f.p.roles)) or 'none'}"
    )


#: one sentence per denial code (the monitor's rules, in words)
SENTENCES: dict[Denial, Callable[[Facts], str]] = {
    Denial.LEVEL: _level,
    Denial.NATIONALITY: _nationality,
    Denial.AGENCY: _agency,
    Denial.COMPARTMENTS: lambda f: (
        f"denied: needs compartment(s) {', '.join(sorted(f.cl.compartments - f.cp.compartments))}"
        " not in the principal's need-to-know"
    ),
    Denial.RECALLED: lambda f: "denied: the record was recalled by its originator",
    Denial.ORCON_EXPORT: lambda f: (
        f"denied: ORCON - only the originator {f.cl.originator} may export it"
    ),
    Denial.ORCON_WIDEN: lambda f: (
        f"denied: ORCON - only the originator {f.cl.originator} may widen its release"
    ),
    Denial.ORCON_RELEASE: lambda f: (
        f"denied: ORCON - no recorded approval of the originator {f.cl.originator} "
        f"for release to {f.p.nation}"
    ),
    Denial.ROLE: _role,
    Denial.AUTHORITY: lambda f: (
        f"denied: a {f.p.nation} principal cannot classify under {f.cl.authority} authority"
    ),
    Denial.ORIGINATOR: lambda f: (
        "denied: the label names another originator agency than the record's author"
    ),
    Denial.NOT_ORIGINATOR: lambda f: (
        f"denied: only the originator {f.cl.originator} or a security officer changes this record"
    ),
    Denial.NO_NEW_LABEL: lambda f: "denied: an update needs the record's new label",
    Denial.LEGAL_BASIS: lambda f: (
        f"denied: the legal basis {f.cl.basis} does not cover {f.p.nation}"
    ),
    Denial.THIRD_PARTY: lambda f: (
        f"denied: third-party rule - this node holds {f.cl.authority} information "
        f"and only {f.cl.authority} may release it"
    ),
}
#: sentences that need no compiled label (the label could not be compiled)
WITHOUT_LABEL: dict[Denial, Callable[[str], str]] = {
    Denial.UNKNOWN_MARKING: lambda action: (
        "denied: the record's marking is not one this node knows (fail closed)"
    ),
    Denial.UNKNOWN_ACTION: lambda action: (
        f"denied: {action!r} is not an action the reference monitor knows"
    ),
}
#: denials about the label an update writes: explained with the new label
ABOUT_NEW_LABEL = frozenset({Denial.ROLE, Denial.AUTHORITY, Denial.ORIGINATOR})


def _denial(code: Denial, f: Facts | None, action: str) -> str:
    if code in WITHOUT_LABEL:
        return WITHOUT_LABEL[code](action)
    if f is None:
        return f"denied: {code}"
    return SENTENCES[code](f)


def _level_name(ctx: MarkingContext, cl: CompiledLabel, nation: str) -> str:
    table = ctx.agreement(cl.basis)
    return table.name_at(nation, cl.rank) or "?"


def _grants(f: Facts, ctx: MarkingContext) -> list[str]:
    p, cp, cl, r, action = f.p, f.cp, f.cl, f.r, f.action
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


def _compiled(label: Label | None, ctx: MarkingContext) -> CompiledLabel | None:
    if label is None:
        return None
    try:
        return compile_label(label, ctx)
    except LabelError:
        return None


def explain_decision(
    allowed: bool,
    action: str,
    denials: tuple[Denial, ...],
    p: Principal,
    r: Resource,
    ctx: MarkingContext,
) -> list[str]:
    """The sentences of a decision: why it was allowed, or one per denial."""
    cp = compile_principal(p, ctx)
    cl = _compiled(r.label, ctx)
    facts = Facts(p, cp, cl, r, action) if cl is not None else None
    if allowed and facts is not None:
        return _grants(facts, ctx)
    new = _compiled(r.new_label, ctx) if any(d in ABOUT_NEW_LABEL for d in denials) else None
    reasons = []
    for code in denials:
        f = facts
        if code in ABOUT_NEW_LABEL and new is not None:
            f = Facts(p, cp, new, r, action)
        reasons.append(_denial(code, f, action))
    return reasons
