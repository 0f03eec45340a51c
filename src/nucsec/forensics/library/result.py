"""The answer of a match, as frozen values with the JSON shape of issue 13.

``MatchResult.to_dict()`` gives::

    {"sample": "S-17", "conclusion": "consistent" | "none" | "inconclusive",
     "false_exclusion_rate": 0.01,
     "candidates": [{"entry", "verdict", "score", "weight", "coincidence",
                     "coincident_sources", "multivariate",
                     "signatures": [{"name", "verdict", "z", "reason"}]}],
     "n_candidates": 3, "excluded": [{"entry", "by", "reason"}], "n_excluded": 997,
     "next_measurement": {"name", "unit", "separation", "candidates_with_value", "reason",
                          "alternatives": [{"name", "separation"}]} | null,
     "warnings": [...]}

``score`` is the log10 likelihood ratio (this entry's source against a random source of the
library); ``weight`` the share of the remaining candidates' likelihood (equal prior odds);
``coincidence`` the probability that a batch of another source of the library would pass the
same tests and ``coincident_sources`` that times the number of other entries of the material
type (a candidate is ``consistent`` only when it is at most 0.05, by default);
``candidates`` holds the best ``max_candidates`` of ``n_candidates``. ``excluded`` lists
excluded entries in library order, each with the first test that excluded it (``by``: a
signature name, ``multivariate``, ``Q-residual``, ``material type``) and why.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "Candidate",
    "Conclusion",
    "Exclusion",
    "MatchResult",
    "NextMeasurement",
    "SignatureVerdict",
    "Verdict",
]

Verdict = Literal["consistent", "inconsistent", "inconclusive"]
Conclusion = Literal["consistent", "none", "inconclusive"]


def _round(x: float | None, digits: int = 4) -> float | None:
    if x is None or not math.isfinite(x):
        return None
    return float(f"{x:.{digits}g}")


@dataclass(frozen=True)
class SignatureVerdict:
    """One signature of the sample against one entry."""

    name: str
    verdict: Verdict
    z: float | None
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """``{"name", "verdict", "z", "reason"}`` (``z`` is ``None`` where none applies)."""
        return {
            "name": self.name,
            "verdict": self.verdict,
            "z": _round(self.z),
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Candidate:
    """An entry the sample is not excluded from."""

    entry: str
    verdict: Verdict
    score: float
    weight: float
    signatures: tuple[SignatureVerdict, ...]
    multivariate: dict[str, Any] = field(default_factory=dict)
    coincidence: float = 1.0
    coincident_sources: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """The candidate item of the match JSON."""
        return {
            "entry": self.entry,
            "verdict": self.verdict,
            "score": _round(self.score),
            "weight": _round(self.weight),
            "coincidence": _round(self.coincidence, 3),
            "coincident_sources": _round(self.coincident_sources, 3),
            "multivariate": self.multivariate,
            "signatures": [s.to_dict() for s in self.signatures],
        }


@dataclass(frozen=True)
class Exclusion:
    """An excluded entry and the first test that excluded it."""

    entry: str
    by: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        """``{"entry", "by", "reason"}``."""
        return {"entry": self.entry, "by": self.by, "reason": self.reason}


@dataclass(frozen=True)
class NextMeasurement:
    """The unmeasured signature that would best split the remaining candidates."""

    name: str
    unit: str
    separation: float
    candidates_with_value: int
    reason: str
    alternatives: tuple[tuple[str, float], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The ``next_measurement`` object of the match JSON."""
        return {
            "name": self.name,
            "unit": self.unit,
            "separation": _round(self.separation, 3),
            "candidates_with_value": self.candidates_with_value,
            "reason": self.reason,
            "alternatives": [{"name": n, "separation": _round(s, 3)} for n, s in self.alternatives],
        }


@dataclass(frozen=True)
class MatchResult:
    """The answer of :func:`~nucsec.forensics.library.match.match`.

    Candidates' per-signature details and exclusions' reasons are rendered on first use
    (a match against a million entries excludes almost all of them): :attr:`candidates`,
    :meth:`excluded` and ``to_dict(max_excluded=N)``.
    """

    sample: str
    conclusion: Conclusion
    n_candidates: int
    n_excluded: int
    next_measurement: NextMeasurement | None
    false_exclusion_rate: float
    warnings: tuple[str, ...]
    n_shown: int = field(repr=False, compare=False)
    render_candidate: Callable[[int], Candidate] = field(repr=False, compare=False)
    excluded_positions: Any = field(repr=False, compare=False)
    render_exclusion: Callable[[int], Exclusion] = field(repr=False, compare=False)

    @functools.cached_property
    def candidates(self) -> tuple[Candidate, ...]:
        """The best-ranked remaining entries with per-signature verdicts (best first)."""
        return tuple(self.render_candidate(k) for k in range(self.n_shown))

    def excluded(self, limit: int | None = None) -> list[Exclusion]:
        """The excluded entries (library order), at most ``limit`` of them."""
        positions = self.excluded_positions if limit is None else self.excluded_positions[:limit]
        return [self.render_exclusion(int(i)) for i in positions]

    def to_dict(self, *, max_excluded: int | None = None) -> dict[str, Any]:
        """The match JSON (see the module docstring)."""
        return {
            "sample": self.sample,
            "conclusion": self.conclusion,
            "false_exclusion_rate": self.false_exclusion_rate,
            "candidates": [c.to_dict() for c in self.candidates],
            "n_candidates": self.n_candidates,
            "excluded": [e.to_dict() for e in self.excluded(max_excluded)],
            "n_excluded": self.n_excluded,
            "next_measurement": (
                self.next_measurement.to_dict() if self.next_measurement else None
            ),
            "warnings": list(self.warnings),
        }
