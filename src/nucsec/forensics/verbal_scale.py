"""The verbal scale of likelihood ratios an assessment states its confidence on.

Forensic science reports the strength of findings as a likelihood ratio (LR): how much
more probable the findings are if one proposition is true (e.g. "the seized material comes
from candidate facility A") than if the alternative is. The verbal equivalents and their
numeric ranges are those of the ENFSI Guideline for Evaluative Reporting in Forensic
Science (European Network of Forensic Science Institutes, 2015, section 2.4, verbal scale
table), which a report shows beside each finding so a reader sees the number behind the
words. The ranges are half-open: ``low <= LR < high``; "neutral" is an LR of about 1 (the
findings do not help decide).

>>> level("moderate").describe()
'moderate support (LR 10 to 100)'
>>> level_for_ratio(250.0).key
'moderately_strong'
>>> level("certain")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
nucsec.errors.InputError: confidence must be one of neutral, weak, moderate, ...
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from nucsec.errors import InputError

__all__ = ["SCALE", "SCALE_SOURCE", "VerbalLevel", "level", "level_for_ratio"]

SCALE_SOURCE = (
    "ENFSI Guideline for Evaluative Reporting in Forensic Science (2015), verbal scale of "
    "likelihood ratios"
)


@dataclass(frozen=True)
class VerbalLevel:
    """One step of the scale: its key, its words and its LR range ``[low, high)``."""

    key: str
    words: str
    low: float
    high: float  # math.inf for the top step

    def range_text(self) -> str:
        """The numeric range as a reader sees it (``LR 10 to 100``)."""
        if self.key == "neutral":
            return "LR about 1"
        if math.isinf(self.high):
            return f"LR {self.low:,.0f} or more"
        return f"LR {self.low:,.0f} to {self.high:,.0f}"

    def describe(self) -> str:
        return f"{self.words} ({self.range_text()})"


SCALE: tuple[VerbalLevel, ...] = (
    VerbalLevel("neutral", "no support either way", 1.0, 2.0),
    VerbalLevel("weak", "weak or limited support", 2.0, 10.0),
    VerbalLevel("moderate", "moderate support", 10.0, 100.0),
    VerbalLevel("moderately_strong", "moderately strong support", 100.0, 1_000.0),
    VerbalLevel("strong", "strong support", 1_000.0, 10_000.0),
    VerbalLevel("very_strong", "very strong support", 10_000.0, 1_000_000.0),
    VerbalLevel("extremely_strong", "extremely strong support", 1_000_000.0, math.inf),
)
_BY_KEY = {v.key: v for v in SCALE}


def level(key: object) -> VerbalLevel:
    """The step called ``key``; InputError naming the choices otherwise."""
    found = _BY_KEY.get(key) if isinstance(key, str) else None
    if found is None:
        raise InputError("confidence must be one of " + ", ".join(_BY_KEY), field="confidence")
    return found


def level_for_ratio(ratio: float) -> VerbalLevel:
    """The step a likelihood ratio ``>= 1`` falls in (InputError for LR < 1 or not finite:
    state the finding for the other proposition instead)."""
    if not (isinstance(ratio, int | float) and math.isfinite(ratio) and ratio >= 1.0):
        raise InputError("a likelihood ratio is a finite number >= 1", field="ratio")
    return next(v for v in SCALE if v.low <= ratio < v.high)
