"""The reference monitor: ``decide(principal, action, resource, ctx) -> Decision``.

One function decides every access to labelled information — detail, list, search, count,
export, federation release, history and reports. Listings use the SQL twin of the same
rules (:mod:`nucsec.policy.sql`); a property test holds the two equal.

Rules (each gives a sentence in :attr:`Decision.reasons`):

- **level**: the principal's clearance dominates the label's level, compared as common
  ranks through the equivalence table of the label's legal basis;
- **nationality**: the principal's nation is the classifying authority, or is named in
  REL TO; NOFORN keeps the information in the authority's nation; without REL TO,
  only unclassified material with no controls leaves the authority's nation;
- **agency**: when REL TO names agencies of the principal's nation, its agency is one;
- **compartments**: the label's compartments are within the principal's need-to-know;
- **role**: the action is one the principal's roles allow;
- **state**: a recalled record is readable by no one;
- **ORCON**: only the originator agency exports, widens release or re-releases;
- **authority** (create/update): a principal classifies only under its own nation;
- **originator** (update): the originator agency's writers (or a security officer) change
  a record, and the originator stays the same;
- **third party** (release): a node releases only records its own nation classified.
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
from nucsec.policy.principal import WRITER_ROLES, Principal

__all__ = ["ACTIONS", "Decision", "Resource", "decide"]

ACTIONS = ("read", "create", "update", "release", "export")


@dataclass(frozen=True)
class Resource:
    """What is asked for: a labelled record (or a proposed label) and its state."""

    label: Label
    kind: str = "document"
    ref: str | None = None
    recalled: bool = False
    new_label: Label | None = None  # update: the label the record would get
    custodian: str | None = None  # release: nation of the node that holds the record
    orcon_approvals: frozenset[str] = frozenset()  # nations the originator approved


class Decision:
    """The monitor's answer. ``reasons`` are sentences a security officer understands.

    A plain slotted class rather than a frozen dataclass: building it is most of the cost
    of a decision (measured in benchmarks/bench_policy.py). Treat it as immutable.
    """

    __slots__ = ("_explain", "action", "allowed", "denials")

    def __init__(
        self,
        allowed: bool,
        action: str,
        denials: tuple[str, ...],
        explain: Callable[[], list[str]],
    ) -> None:
        self.allowed = allowed
        self.action = action
        self.denials = denials
        self._explain = explain

    def __repr__(self) -> str:
        return f"Decision(allowed={self.allowed}, action={self.action!r}, denials={self.denials})"

    @property
    def reasons(self) -> list[str]:
        return self._explain()

    def to_dict(self) -> dict[str, object]:
        return {"allowed": self.allowed, "action": self.action, "reasons": self.reasons}


def _level_ok(cp: CompiledPrincipal, cl: CompiledLabel) -> bool:
    rank = cp.ranks.get(cl.basis)
    return rank is not None and rank >= cl.rank


def _nation_ok(cp: CompiledPrincipal, cl: CompiledLabel) -> bool:
    if cp.nation == cl.authority:
        return True
    if cl.noforn:
        return False
    if cl.nations:
        return cp.nation in cl.nations
    return cl.public and cp.nation in cl.agreement_nations


def _agency_ok(cp: CompiledPrincipal, cl: CompiledLabel) -> bool:
    named = cl.agencies.get(cp.nation)
    return not named or (cp.agency is not None and cp.agency in named)


def _read_failures(cp: CompiledPrincipal, cl: CompiledLabel) -> list[str]:
    fails = []
    if not _level_ok(cp, cl):
        fails.append("level")
    if not _nation_ok(cp, cl):
        fails.append("nationality")
    if not _agency_ok(cp, cl):
        fails.append("agency")
    if not cl.compartments <= cp.compartments:
        fails.append("compartments")
    return fails


def _is_originator(cp: CompiledPrincipal, cl: CompiledLabel) -> bool:
    return cl.originator is not None and cl.originator == f"{cp.nation}.{cp.agency}"


def _widens(old: CompiledLabel, new: CompiledLabel) -> bool:
    """True if ``new`` lets more people read than ``old`` (a wider release)."""
    if new.rank < old.rank or (old.noforn and not new.noforn) or (old.orcon and not new.orcon):
        return True
    if not old.compartments <= new.compartments:
        return True
    if new.nations - old.nations - {old.authority}:
        return True
    for nation, old_agencies in old.agencies.items():
        if nation in new.nations or nation == new.authority:
            new_agencies = new.agencies.get(nation)
            if not new_agencies or not new_agencies <= old_agencies:
                return True
    return False


def decide(principal: Principal, action: str, resource: Resource, ctx: MarkingContext) -> Decision:
    """Decide whether ``principal`` may perform ``action`` on ``resource``.

    Unknown actions and labels the context cannot interpret are denied (fail closed).
    """
    cp = compile_principal(principal, ctx)
    try:
        cl = compile_label(resource.label, ctx)
        new = compile_label(resource.new_label, ctx) if resource.new_label is not None else None
    except LabelError:
        return _decision(False, action, ("unknown_marking",), principal, resource, ctx)
    if action == "read":
        fails = _read_failures(cp, cl)
        if resource.recalled:
            fails.append("recalled")
    elif action == "export":
        fails = _read_failures(cp, cl)
        if resource.recalled:
            fails.append("recalled")
        if cl.orcon and not _is_originator(cp, cl):
            fails.append("orcon_export")
    elif action == "create":
        fails = _create_failures(cp, cl, principal)
    elif action == "update":
        fails = _read_failures(cp, cl)
        if resource.recalled:
            fails.append("recalled")
        if new is None:
            fails.append("no_new_label")
        else:
            new_fails = _create_failures(cp, new, principal, originator=cl.originator)
            fails += [f for f in new_fails if f not in fails]
            if not _is_originator(cp, cl) and "security_officer" not in cp.roles:
                fails.append("not_originator")
            if cl.orcon and _widens(cl, new) and not _is_originator(cp, cl):
                fails.append("orcon_widen")
    elif action == "release":
        fails = _release_failures(cp, cl, resource)
    else:
        fails = ["unknown_action"]
    return _decision(not fails, action, tuple(fails), principal, resource, ctx)


def _create_failures(
    cp: CompiledPrincipal, cl: CompiledLabel, p: Principal, originator: str | None = None
) -> list[str]:
    """Rules for writing a label: readable, writer role, own authority, right originator
    (the principal's agency for a new record; unchanged for an update)."""
    fails = _read_failures(cp, cl)
    if not cp.roles & WRITER_ROLES:
        fails.append("role")
    if cl.authority != cp.nation:
        fails.append("authority")
    expected = originator if originator is not None else p.qualified_agency
    if cl.originator is not None and cl.originator != expected:
        fails.append("originator")
    return fails


def _release_failures(cp: CompiledPrincipal, cl: CompiledLabel, r: Resource) -> list[str]:
    fails = []
    if cp.nation not in cl.agreement_nations:
        fails.append("legal_basis")
    if not _level_ok(cp, cl):
        fails.append("level")
    if not _nation_ok(cp, cl):
        fails.append("nationality")
    if r.custodian is not None and cl.authority != r.custodian:
        fails.append("third_party")
    if cl.orcon and cp.nation != cl.authority and cp.nation not in r.orcon_approvals:
        fails.append("orcon_release")
    if r.recalled:
        fails.append("recalled")
    return fails


def _decision(
    allowed: bool,
    action: str,
    denials: tuple[str, ...],
    principal: Principal,
    resource: Resource,
    ctx: MarkingContext,
) -> Decision:
    def explain() -> list[str]:
        from nucsec.policy.reasons import explain_decision

        return explain_decision(allowed, action, denials, principal, resource, ctx)

    return Decision(allowed, action, denials, explain)


def banner_of(label: Label, ctx: MarkingContext) -> str:
    """Banner text for reasons; falls back to JSON for labels the context cannot render."""
    try:
        return render_banner(label, ctx)
    except LabelError:
        return label.to_json()
