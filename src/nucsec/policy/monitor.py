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

from nucsec.markings.context import MarkingContext
from nucsec.markings.errors import LabelError
from nucsec.policy.compiled import (
    CompiledLabel,
    CompiledPrincipal,
    compile_label,
    compile_principal,
)
from nucsec.policy.decision import Decision, Denial, Resource
from nucsec.policy.principal import WRITER_ROLES, Principal
from nucsec.policy.reasons import explain_decision

__all__ = ["decide"]


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


def _read_failures(cp: CompiledPrincipal, cl: CompiledLabel) -> list[Denial]:
    fails = []
    if not _level_ok(cp, cl):
        fails.append(Denial.LEVEL)
    if not _nation_ok(cp, cl):
        fails.append(Denial.NATIONALITY)
    if not _agency_ok(cp, cl):
        fails.append(Denial.AGENCY)
    if not cl.compartments <= cp.compartments:
        fails.append(Denial.COMPARTMENTS)
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
        return _decision(False, action, (Denial.UNKNOWN_MARKING,), principal, resource, ctx)
    if action == "read":
        fails = _read_failures(cp, cl)
        if resource.recalled:
            fails.append(Denial.RECALLED)
    elif action == "export":
        fails = _read_failures(cp, cl)
        if resource.recalled:
            fails.append(Denial.RECALLED)
        if cl.orcon and not _is_originator(cp, cl):
            fails.append(Denial.ORCON_EXPORT)
    elif action == "create":
        fails = _create_failures(cp, cl, principal)
    elif action == "update":
        fails = _read_failures(cp, cl)
        if resource.recalled:
            fails.append(Denial.RECALLED)
        if new is None:
            fails.append(Denial.NO_NEW_LABEL)
        else:
            new_fails = _create_failures(cp, new, principal, originator=cl.originator)
            fails += [f for f in new_fails if f not in fails]
            if not _is_originator(cp, cl) and "security_officer" not in cp.roles:
                fails.append(Denial.NOT_ORIGINATOR)
            if cl.orcon and _widens(cl, new) and not _is_originator(cp, cl):
                fails.append(Denial.ORCON_WIDEN)
    elif action == "release":
        fails = _release_failures(cp, cl, resource)
    else:
        fails = [Denial.UNKNOWN_ACTION]
    return _decision(not fails, action, tuple(fails), principal, resource, ctx)


def _create_failures(
    cp: CompiledPrincipal, cl: CompiledLabel, p: Principal, originator: str | None = None
) -> list[Denial]:
    """Rules for writing a label: readable, writer role, own authority, right originator
    (the principal's agency for a new record; unchanged for an update)."""
    fails = _read_failures(cp, cl)
    if not cp.roles & WRITER_ROLES:
        fails.append(Denial.ROLE)
    if cl.authority != cp.nation:
        fails.append(Denial.AUTHORITY)
    expected = originator if originator is not None else p.qualified_agency
    if cl.originator is not None and cl.originator != expected:
        fails.append(Denial.ORIGINATOR)
    return fails


def _release_failures(cp: CompiledPrincipal, cl: CompiledLabel, r: Resource) -> list[Denial]:
    fails = []
    if cp.nation not in cl.agreement_nations:
        fails.append(Denial.LEGAL_BASIS)
    if not _level_ok(cp, cl):
        fails.append(Denial.LEVEL)
    if not _nation_ok(cp, cl):
        fails.append(Denial.NATIONALITY)
    if r.custodian is not None and cl.authority != r.custodian:
        fails.append(Denial.THIRD_PARTY)
    if cl.orcon and cp.nation != cl.authority and cp.nation not in r.orcon_approvals:
        fails.append(Denial.ORCON_RELEASE)
    if r.recalled:
        fails.append(Denial.RECALLED)
    return fails


def _decision(
    allowed: bool,
    action: str,
    denials: tuple[Denial, ...],
    principal: Principal,
    resource: Resource,
    ctx: MarkingContext,
) -> Decision:
    def explain() -> list[str]:
        return explain_decision(allowed, action, denials, principal, resource, ctx)

    return Decision(allowed, action, denials, explain)
