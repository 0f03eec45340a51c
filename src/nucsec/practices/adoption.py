"""Adoption records (who adopted which practice, when, on what evidence) and rates over time.

An adopter is an agency (``USA.DOE``) or a facility (``facility:ID``). A practice counts
as available from its endorsement date (practices never endorsed are available from the
start, for a catalogue still in draft). The rate on a date is the share of (adopter,
available practice) pairs adopted by then and not withdrawn:

>>> from datetime import date
>>> recs = [AdoptionRecord("BP-1", "USA.DOE", date(2012, 3, 1))]
>>> rates = adoption_rates(recs, {"BP-1": None, "BP-2": None}, ["USA.DOE", "JPN.MEXT"],
...                        [date(2012, 1, 1), date(2012, 6, 1)])
>>> rates["overall"]
[0.0, 25.0]
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from nucsec.practices.assessment import EvidenceRef
from nucsec.practices.errors import PracticeError

__all__ = ["AdoptionRecord", "adoption_rates"]

_ADOPTER = re.compile(r"^([A-Z]{3}\.[A-Z][A-Z0-9]{1,15}|facility:\S{1,64})$")


@dataclass(frozen=True)
class AdoptionRecord:
    """``adopter`` adopted ``practice_id`` on ``adopted_on`` (until ``withdrawn_on``)."""

    practice_id: str
    adopter: str
    adopted_on: date
    evidence: tuple[EvidenceRef, ...] = ()
    note: str = ""
    withdrawn_on: date | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.practice_id, str) or not self.practice_id.strip():
            raise PracticeError("an adoption names a practice", field="practice_id")
        if not isinstance(self.adopter, str) or not _ADOPTER.match(self.adopter):
            raise PracticeError(
                "adopter is NATION.AGENCY or facility:ID", field="adopter", value=repr(self.adopter)
            )
        if not isinstance(self.adopted_on, date):
            raise PracticeError("adopted_on must be a date", field="adopted_on")
        if self.withdrawn_on is not None and (
            not isinstance(self.withdrawn_on, date) or self.withdrawn_on < self.adopted_on
        ):
            raise PracticeError(
                "withdrawn_on must be a date on or after adopted_on", field="withdrawn_on"
            )
        object.__setattr__(self, "evidence", tuple(self.evidence))
        if any(not isinstance(e, EvidenceRef) for e in self.evidence):
            raise PracticeError("evidence is a list of references", field="evidence")

    def active_on(self, day: date) -> bool:
        return self.adopted_on <= day and (self.withdrawn_on is None or day < self.withdrawn_on)

    def to_dict(self) -> dict[str, Any]:
        return {
            "practice": self.practice_id,
            "adopter": self.adopter,
            "adopted_on": self.adopted_on.isoformat(),
            "withdrawn_on": None if self.withdrawn_on is None else self.withdrawn_on.isoformat(),
            "evidence": [{"ref": e.ref, "description": e.description} for e in self.evidence],
            "note": self.note,
        }


def adoption_rates(
    records: Iterable[AdoptionRecord],
    available_from: Mapping[str, date | None],
    adopters: Sequence[str],
    dates: Sequence[date],
) -> dict[str, Any]:
    """Adoption rates (percent) on each date, overall and per practice.

    Parameters
    ----------
    records
        Adoption records; those of practices or adopters not listed are refused.
    available_from
        Practice id -> endorsement date (``None``: available from the start).
    adopters
        Everyone who could adopt (agencies and facilities).
    dates
        Dates to compute the rate on (chart points), in any order; returned sorted.
    """
    recs = list(records)
    who = set(adopters)
    for i, r in enumerate(recs):
        if r.practice_id not in available_from:
            raise PracticeError(
                f"adoption of unknown practice {r.practice_id!r}",
                field=f"records[{i}].practice_id",
                value=r.practice_id,
            )
        if r.adopter not in who:
            raise PracticeError(
                f"adoption by unknown adopter {r.adopter!r}",
                field=f"records[{i}].adopter",
                value=r.adopter,
            )
    days = sorted(dates)
    overall, pairs, possible = [], [], []
    per: dict[str, list[float | None]] = {p: [] for p in available_from}
    for day in days:
        live = {p for p, since in available_from.items() if since is None or since <= day}
        done = {
            (r.practice_id, r.adopter) for r in recs if r.practice_id in live and r.active_on(day)
        }
        total = len(live) * len(who)
        pairs.append(len(done))
        possible.append(total)
        overall.append(100.0 * len(done) / total if total else None)
        for p in per:
            n = sum(1 for q, _ in done if q == p)
            per[p].append(100.0 * n / len(who) if p in live and who else None)
    return {
        "dates": [d.isoformat() for d in days],
        "overall": overall,
        "adopted_pairs": pairs,
        "possible_pairs": possible,
        "by_practice": per,
    }
