"""Read a sample description (several chronometers of one material) into model ages.

The format is the JSON file of ``nucsec age concordance``::

    {"sample": "seized pellet 17", "measured_on": "2024-05-01", "half_lives": "nubase2020",
     "monte_carlo": 0,
     "chronometers": [
        {"chronometer": "Th-230/U-234", "ratio": 1.41e-4, "ratio_unc": 7e-7,
         "ratio_kind": "atom", "measured_on": "2024-05-01"},
        ...]}

Top-level ``measured_on``, ``half_lives``, ``ratio_kind`` and ``monte_carlo`` are defaults
for every entry.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from nucsec.errors import FileFormatError
from nucsec.forensics.chronometry.concordance import ConcordanceResult, concordance
from nucsec.forensics.chronometry.model_age import AgeResult, model_age

__all__ = ["ages_from_dict", "concordance_from_dict"]

_ENTRY_KEYS = {
    "chronometer",
    "ratio",
    "ratio_unc",
    "ratio_kind",
    "measured_on",
    "half_lives",
    "monte_carlo",
}


def ages_from_dict(data: Any, *, rng: np.random.Generator | None = None) -> list[AgeResult]:
    """Model ages of every chronometer in a sample description."""
    if not isinstance(data, Mapping) or not isinstance(data.get("chronometers"), list):
        raise FileFormatError(
            'a sample is a JSON object with a "chronometers" list', field="chronometers"
        )
    defaults = {
        k: data[k] for k in ("measured_on", "half_lives", "ratio_kind", "monte_carlo") if k in data
    }
    results = []
    for i, entry in enumerate(data["chronometers"]):
        where = f"chronometers[{i}]"
        if not isinstance(entry, Mapping):
            raise FileFormatError(f"{where} must be an object", field=where)
        unknown = set(entry) - _ENTRY_KEYS
        if unknown:
            raise FileFormatError(
                f"{where} has unknown keys {sorted(unknown)}",
                field=where,
                value=", ".join(sorted(unknown)),
            )
        merged = {**defaults, **entry}
        for key in ("chronometer", "ratio", "ratio_unc"):
            if key not in merged:
                raise FileFormatError(f"{where} lacks {key!r}", field=f"{where}.{key}")
        n_mc = merged.get("monte_carlo", 0)
        results.append(
            model_age(
                merged["chronometer"],
                merged["ratio"],
                merged["ratio_unc"],
                kind=merged.get("ratio_kind", "atom"),
                measured_on=merged.get("measured_on"),
                half_lives=merged.get("half_lives"),
                monte_carlo=n_mc,
                rng=rng if n_mc else None,
            )
        )
    return results


def concordance_from_dict(
    data: Any, *, alpha: float = 0.05, rng: np.random.Generator | None = None
) -> ConcordanceResult:
    """Concordance of the model dates of a sample description."""
    return concordance(ages_from_dict(data, rng=rng), alpha=alpha)
