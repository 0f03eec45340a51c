"""Which portions of a report a reader may see, or a partner may receive: the reference
monitor's decision per portion, never a re-implementation of it.

:func:`screen` asks :func:`nucsec.policy.decide` about every portion (title, title-page
blocks, section headings, blocks) for one principal and action, and builds the report
without the refused ones. A section whose heading is refused goes with all its blocks; a
section whose blocks were all refused goes too (an empty heading would still say
something). If the title is refused, nothing of the report may be shown:
:class:`~nucsec.reports.errors.ReportWithheld` (a "not found").

The decisions are returned with the report so that the caller (a service, which owns the
transaction) can audit them; this module is pure.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from nucsec.markings import MarkingContext
from nucsec.policy import Principal, Resource, decide
from nucsec.reports.errors import ReportError, ReportWithheld
from nucsec.reports.model import Report, Section

__all__ = ["PortionDecision", "Screened", "released_to", "screen", "visible_to"]

#: actions a report may be screened for: a reader's view, or a partner's release
SCREEN_ACTIONS = ("read", "export", "release")


@dataclass(frozen=True)
class PortionDecision:
    """The monitor's answer for one portion (``id`` as in :meth:`Report.portions`)."""

    id: str
    allowed: bool
    denials: tuple[str, ...]


@dataclass(frozen=True)
class Screened:
    """The screened report and the decision for every portion of the original."""

    report: Report
    decisions: tuple[PortionDecision, ...]

    @property
    def withheld(self) -> tuple[str, ...]:
        """Ids of the portions left out."""
        return tuple(d.id for d in self.decisions if not d.allowed)


def screen(
    report: Report,
    principal: Principal,
    action: str,
    ctx: MarkingContext,
    *,
    custodian: str | None = None,
    orcon_approvals: frozenset[str] = frozenset(),
) -> Screened:
    """``report`` without the portions the monitor refuses ``principal`` for ``action``.

    Parameters
    ----------
    action
        ``read`` (or ``export``) for a reader on this node; ``release`` for a partner
        node's principal (see :func:`nucsec.federation.peers.peer_principal`).
    custodian
        For ``release``: the nation of the node that holds the report (third-party rule).
    orcon_approvals
        For ``release``: nations the originator approved ORCON portions for.
    """
    if action not in SCREEN_ACTIONS:
        raise ReportError(f"a report is screened for {SCREEN_ACTIONS}", field="action")
    if action == "release" and custodian is None:
        raise ReportError("a release names the custodian nation", field="custodian")
    allowed: dict[str, bool] = {}
    decisions = []
    for portion in report.portions():
        resource = Resource(
            portion.label,
            kind="report",
            ref=f"{report.ref or 'report'}#{portion.id}",
            custodian=custodian if action == "release" else None,
            orcon_approvals=orcon_approvals,
        )
        d = decide(principal, action, resource, ctx)
        allowed[portion.id] = d.allowed
        decisions.append(PortionDecision(portion.id, d.allowed, d.denials))
    if not allowed["title"]:
        raise ReportWithheld("report not found", field="report", value=report.ref)
    sections: list[Section] = []
    for i, s in enumerate(report.sections):
        blocks = tuple(b for j, b in enumerate(s.blocks) if allowed[f"s{i}.b{j}"])
        if allowed[f"s{i}"] and (blocks or not s.blocks):
            sections.append(replace(s, blocks=blocks))
    front = tuple(b for i, b in enumerate(report.front) if allowed[f"front.{i}"])
    kept = replace(report, front=front, sections=tuple(sections))
    return Screened(kept, tuple(decisions))


def visible_to(report: Report, reader: Principal, ctx: MarkingContext) -> Report:
    """``report`` without the portions ``reader`` may not read (monitor, ``read``)."""
    return screen(report, reader, "read", ctx).report


def released_to(
    report: Report,
    peer: Principal,
    ctx: MarkingContext,
    *,
    custodian: str,
    orcon_approvals: frozenset[str] = frozenset(),
) -> Report:
    """The partner's version of ``report``: without the portions the monitor would not
    ``release`` to ``peer`` (NOFORN never leaves); ``custodian`` is the releasing node's
    nation."""
    return screen(
        report, peer, "release", ctx, custodian=custodian, orcon_approvals=orcon_approvals
    ).report
