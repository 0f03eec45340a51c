"""The answer to a partner's query: the conclusion and per-signature verdicts, nothing else.

The IAEA model query process asks another state whether a sample is *consistent with its
domestic holdings*; the answer carries the conclusion, never the library's content.
:func:`answer_for_partner` makes that structural: it returns a :class:`PartnerAnswer`, a
frozen value whose only fields are the conclusion, the stated false-exclusion rate and one
``(signature name, verdict)`` pair per signature *of the query* (names are checked against
the vocabulary, verdicts against three words). It has no field that could hold an entry
id, a value, a spread, a z-score or a reason text, so no caller can forget to strip them;
its JSON form is checked again (:meth:`PartnerAnswer.to_dict` refuses anything else).

Per-signature verdicts: when the conclusion is ``consistent``, a signature is
``consistent`` if at least one consistent holding was compared on it, else
``inconclusive``. Otherwise it is judged against the holdings the partner may use, one
signature at a time: ``consistent`` if the sample's value passes that signature's test for
at least one holding, ``inconsistent`` if every holding with a value fails it,
``inconclusive`` if no holding has a value (or both sides are only limits).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from nucsec.forensics.library.cascade import Item, column_bad, date_excluded, prepare
from nucsec.forensics.library.errors import LibraryError
from nucsec.forensics.library.index import LibraryIndex
from nucsec.forensics.library.match import match
from nucsec.forensics.library.model import Sample
from nucsec.forensics.library.thresholds import DEFAULT_FALSE_EXCLUSION_RATE
from nucsec.forensics.library.vocabulary import signature

__all__ = ["PartnerAnswer", "answer_for_partner"]

_VERDICTS = frozenset({"consistent", "inconsistent", "inconclusive"})
_CONCLUSIONS = frozenset({"consistent", "none", "inconclusive"})


@dataclass(frozen=True)
class PartnerAnswer:
    """Conclusion and per-signature verdicts; by construction nothing about any entry."""

    conclusion: str
    false_exclusion_rate: float
    signatures: tuple[tuple[str, str], ...]

    def __post_init__(self) -> None:
        if self.conclusion not in _CONCLUSIONS:
            raise LibraryError("bad partner conclusion", field="conclusion", value=self.conclusion)
        for name, verdict in self.signatures:
            if signature(name).name != name or verdict not in _VERDICTS:
                raise LibraryError("bad partner verdict", field="signatures", value=name)

    def to_dict(self) -> dict[str, Any]:
        """``{"conclusion", "false_exclusion_rate", "signatures": [{"name", "verdict"}]}``."""
        return {
            "conclusion": self.conclusion,
            "false_exclusion_rate": float(self.false_exclusion_rate),
            "signatures": [{"name": n, "verdict": v} for n, v in self.signatures],
        }


def _one_signature(index: LibraryIndex, item: Item, alive: np.ndarray, th: Any) -> str:
    if item.j < 0:
        return "inconclusive"
    has = alive & np.isfinite(index.mu[item.j])
    bl = index.below.get(item.j)
    below_positions = bl.entry[alive[bl.entry]] if bl is not None and not item.below else None
    if not has.any() and (below_positions is None or below_positions.size == 0):
        return "inconclusive"
    bad = column_bad(index, item, th, slice(None))
    if (has & ~bad).any():
        return "consistent"
    if below_positions is not None and bl is not None:
        excess = item.x - bl.limit[alive[bl.entry]]
        spread = bl.spread[alive[bl.entry]]
        passes = ~((excess > 0) & (excess**2 > th.k1**2 * (item.u2 + spread**2)))
        if passes.any():
            return "consistent"
    return "inconsistent"


def _date_verdict(index: LibraryIndex, item: Item, alive: np.ndarray, th: Any) -> str | None:
    dated = np.flatnonzero(alive & index.has_window)
    if dated.size == 0:
        return None
    gone = date_excluded(index, item, th, dated)
    return "consistent" if gone.size < dated.size else "inconsistent"


def answer_for_partner(
    index: LibraryIndex,
    sample: Sample,
    *,
    false_exclusion_rate: float = DEFAULT_FALSE_EXCLUSION_RATE,
) -> PartnerAnswer:
    """Answer a partner's query against ``index`` (the entries the partner may use).

    The caller (the service) builds ``index`` from the entries its policy releases to
    that partner; this function only ever returns a :class:`PartnerAnswer`.
    """
    result = match(index, sample, false_exclusion_rate=false_exclusion_rate)
    prep = prepare(index, sample, false_exclusion_rate)
    verdicts: list[tuple[str, str]] = []
    if result.conclusion == "consistent":
        shown = [c for c in result.candidates if c.verdict == "consistent"]
        for sv in (s.name for s in shown[0].signatures):
            compared = any(
                v.name == sv and v.verdict == "consistent" for c in shown for v in c.signatures
            )
            verdicts.append((sv, "consistent" if compared else "inconclusive"))
    else:
        alive = np.ones(index.n, bool)
        if prep.material is not None:
            alive = index.material == prep.material
        for item in prep.items:
            verdict = _one_signature(index, item, alive, prep.th)
            if item.date and verdict != "consistent":
                verdict = _date_verdict(index, item, alive, prep.th) or verdict
            verdicts.append((item.name, verdict))
        for name, bit in prep.forms:
            mask = index.forms.get(name)
            known = alive & (mask != 0) if mask is not None else np.zeros(index.n, bool)
            if not known.any() or mask is None:
                verdicts.append((name, "inconclusive"))
            else:
                ok = bool((known & ((mask & bit) != 0)).any())
                verdicts.append((name, "consistent" if ok else "inconsistent"))
    return PartnerAnswer(result.conclusion, float(prep.th.alpha), tuple(verdicts))
