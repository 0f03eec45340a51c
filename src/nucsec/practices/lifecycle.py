"""The status lifecycle of a practice, as a pure state machine.

``draft -> proposed -> endorsed -> superseded``; a proposal can go back to draft. Only a
draft is revised. Endorsement is the working group's recorded decision: a meeting, a date
and at least one officer of **each** member nation (agencies checked against the
membership); a step from the wrong status is a :class:`~nucsec.practices.errors.LifecycleError`
(a conflict), a bad endorsement a :class:`~nucsec.practices.errors.PracticeError` naming
the field. Each step returns a new value; version history is the service layer's.

>>> from datetime import date
>>> from nucsec.practices.practice import Officer
>>> p = propose(Practice("BP-1", "T", "S", "", "insider_threat", owner_agency="USA.DOE"))
>>> e = Endorsement("NSWG meeting 3", date(2011, 6, 1),
...                 (Officer("USA", "DOE", "A. Smith"), Officer("JPN", "MEXT", "B. Sato")))
>>> endorse(p, e, {"USA": {"DOE"}, "JPN": {"MEXT"}}).status
'endorsed'
>>> endorse(p, replace(e, officers=e.officers[:1]), {"USA": {"DOE"}, "JPN": {"MEXT"}})
Traceback (most recent call last):
...
nucsec.practices.errors.PracticeError: endorsement needs an officer of each nation; missing: JPN
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from nucsec.practices.errors import LifecycleError, PracticeError
from nucsec.practices.practice import Endorsement, Membership, Practice

__all__ = ["TRANSITIONS", "endorse", "propose", "revise", "supersede", "withdraw"]

#: (from, to) pairs the machine allows
TRANSITIONS = frozenset(
    {
        ("draft", "proposed"),
        ("proposed", "draft"),
        ("proposed", "endorsed"),
        ("endorsed", "superseded"),
    }
)


def _step(practice: Practice, to: str, **changes: Any) -> Practice:
    if (practice.status, to) not in TRANSITIONS:
        raise LifecycleError(
            f"practice {practice.id} is {practice.status}: it cannot become {to}",
            field="status",
            value=practice.status,
        )
    return replace(practice, status=to, **changes)


def propose(practice: Practice) -> Practice:
    """Draft -> proposed (put to the working group)."""
    return _step(practice, "proposed")


def withdraw(practice: Practice) -> Practice:
    """Proposed -> draft (returned for more work)."""
    return _step(practice, "draft")


def endorse(practice: Practice, endorsement: Endorsement, membership: Membership) -> Practice:
    """Proposed -> endorsed, with an officer of each member nation."""
    if not isinstance(endorsement, Endorsement):
        raise PracticeError("an endorsement is needed", field="endorsement")
    for i, o in enumerate(endorsement.officers):
        if o.nation not in membership:
            raise PracticeError(
                f"{o.nation} is not a member nation",
                field=f"endorsement.officers[{i}].nation",
                value=o.nation,
            )
        if o.agency not in membership[o.nation]:
            raise PracticeError(
                f"{o.nation}.{o.agency} is not a member agency",
                field=f"endorsement.officers[{i}].agency",
                value=o.agency,
            )
    missing = sorted(set(membership) - {o.nation for o in endorsement.officers})
    if missing:
        raise PracticeError(
            f"endorsement needs an officer of each nation; missing: {', '.join(missing)}",
            field="endorsement.officers",
            value=", ".join(missing),
        )
    return _step(practice, "endorsed", endorsement=endorsement)


def supersede(practice: Practice, by: str) -> Practice:
    """Endorsed -> superseded by practice ``by``."""
    if not isinstance(by, str) or not by.strip() or by == practice.id:
        raise PracticeError(
            "superseded_by must name another practice", field="superseded_by", value=repr(by)
        )
    return _step(practice, "superseded", superseded_by=by)


def revise(practice: Practice, **changes: Any) -> Practice:
    """A draft with some fields changed (validated again); other statuses refuse."""
    if practice.status != "draft":
        raise LifecycleError(
            f"practice {practice.id} is {practice.status}: only a draft is "
            "revised (withdraw a proposal first)",
            field="status",
            value=practice.status,
        )
    fixed = {"id", "status", "endorsement", "superseded_by"} & set(changes)
    if fixed:
        key = sorted(fixed)[0]
        raise PracticeError(f"{key} is not revised by hand", field=key)
    return replace(practice, **changes)
