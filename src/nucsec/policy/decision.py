"""What the reference monitor is asked and what it answers (leaf: values only).

:class:`Resource` is the question's object (a label, the record's state, and for updates
and releases the new label, the custodian and the ORCON approvals); :class:`Decision` is
the answer, with the :class:`Denial` codes of every rule that failed and the sentences
explaining it (built only when read, by :mod:`nucsec.policy.reasons`).

>>> Denial("level") is Denial.LEVEL, Denial.LEVEL == "level"
(True, True)
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

from nucsec.markings.label import Label

__all__ = ["ACTIONS", "Decision", "Denial", "Resource"]

ACTIONS = ("read", "create", "update", "release", "export")


class Denial(enum.StrEnum):
    """Why the monitor denied: one code per rule (stored in audit events as its value)."""

    UNKNOWN_MARKING = "unknown_marking"
    UNKNOWN_ACTION = "unknown_action"
    LEVEL = "level"
    NATIONALITY = "nationality"
    AGENCY = "agency"
    COMPARTMENTS = "compartments"
    RECALLED = "recalled"
    ORCON_EXPORT = "orcon_export"
    ORCON_WIDEN = "orcon_widen"
    ORCON_RELEASE = "orcon_release"
    ROLE = "role"
    AUTHORITY = "authority"
    ORIGINATOR = "originator"
    NOT_ORIGINATOR = "not_originator"
    NO_NEW_LABEL = "no_new_label"
    LEGAL_BASIS = "legal_basis"
    THIRD_PARTY = "third_party"


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
        denials: tuple[Denial, ...],
        explain: Callable[[], list[str]],
    ) -> None:
        self.allowed = allowed
        self.action = action
        self.denials = denials
        self._explain = explain

    def __repr__(self) -> str:
        denials = tuple(str(d) for d in self.denials)
        return f"Decision(allowed={self.allowed}, action={self.action!r}, denials={denials})"

    @property
    def reasons(self) -> list[str]:
        return self._explain()

    def to_dict(self) -> dict[str, object]:
        return {"allowed": self.allowed, "action": self.action, "reasons": self.reasons}
