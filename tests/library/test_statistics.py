"""Seeded statistical tests on synthetic libraries: the stated error rates hold.

Each test draws samples from the *true* production line of an entry (not from the entry's
recorded values) or from a new line that is not in the library, and counts outcomes. Bounds
allow binomial noise (three standard errors) around the stated rate.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

from nucsec.forensics.library.facilities import BLOCKS, FACILITY_TYPES
from nucsec.forensics.library.index import LibraryIndex
from nucsec.forensics.library.match import match
from nucsec.forensics.library.synthetic import (
    NAMES,
    SyntheticLibrary,
    draw_sample,
    novel_sample,
)

Lib = tuple[SyntheticLibrary, LibraryIndex]


def _upper(rate: float, n: int) -> float:
    return rate + 3 * math.sqrt(rate * (1 - rate) / n)


@pytest.mark.parametrize("alpha", [0.01, 0.05])
def test_samples_of_an_entry_are_excluded_from_it_at_most_at_the_stated_rate(
    complete_library: Lib, alpha: float
) -> None:
    lib, index = complete_library
    rng = np.random.default_rng(21)
    n, excluded = 300, 0
    for _ in range(n):
        i = int(rng.integers(index.n))
        r = match(index, draw_sample(rng, lib, i), false_exclusion_rate=alpha)
        excluded += i in set(r.excluded_positions.tolist())
    assert excluded / n <= _upper(alpha, n)


def test_realistic_missing_data_keeps_the_rate(realistic_library: Lib) -> None:
    lib, index = realistic_library
    rng = np.random.default_rng(22)
    n = 300
    excluded = sum(
        i in set(match(index, draw_sample(rng, lib, i)).excluded_positions.tolist())
        for i in (int(rng.integers(index.n)) for _ in range(n))
    )
    assert excluded / n <= _upper(0.01, n)


def test_well_characterised_sources_are_judged_consistent(complete_library: Lib) -> None:
    """Mills and fuel fabricators measured on every block: the own entry is *consistent*.

    (A sample measured on few signatures may rightly be "inconclusive": see the coincidence
    test in ``test_match``.)"""
    lib, index = complete_library
    rng = np.random.default_rng(23)
    rich = [
        i for i in range(index.n) if FACILITY_TYPES[lib.facility[i]].code in ("mill", "fabrication")
    ]
    n, own = 300, 0
    for i in rng.choice(rich, n, replace=False):
        r = match(index, draw_sample(rng, lib, int(i), blocks=dict.fromkeys(BLOCKS, 1.0)))
        own += any(c.entry == index.ids[i] and c.verdict == "consistent" for c in r.candidates)
    assert own / n >= 0.95


def test_samples_are_excluded_from_distant_entries(complete_library: Lib) -> None:
    """An entry whose true line mean is ≥ 10 combined sd away on a measured signature goes."""
    lib, index = complete_library
    rng = np.random.default_rng(24)
    distant = kept = 0
    for _ in range(150):
        i = int(rng.integers(index.n))
        sample = draw_sample(rng, lib, i)
        r = match(index, sample, same_material_type=False)
        gone = set(r.excluded_positions.tolist())
        cols = [
            index.column[m.name]
            for m in sample.signatures
            if m.name in index.column and m.value is not None and m.name != "model date"
        ]
        sj = [NAMES.index(index.names[j]) for j in cols]
        gap = np.abs(lib.theta[:, sj] - lib.theta[i, sj]) / np.sqrt(
            lib.sigma[:, sj] ** 2 + lib.sigma[i, sj] ** 2 + 0.01**2
        )
        has = np.isfinite(index.mu[np.array(cols)].T)
        far = np.flatnonzero(np.any(np.nan_to_num(gap) * has >= 10, axis=1))
        distant += far.size
        kept += sum(int(e) not in gone for e in far)
    assert distant > 10_000
    assert kept == 0


def test_sources_outside_the_library_give_none(complete_library: Lib) -> None:
    """New mills and fuel fabricators: "none" in at least 95 % of cases."""
    _, index = complete_library
    rng = np.random.default_rng(25)
    n = 200
    outcomes = Counter(
        match(index, novel_sample(rng, facility)).conclusion
        for facility in ("mill", "fabrication")
        for _ in range(n // 2)
    )
    assert outcomes["none"] / n >= 0.95
    assert outcomes["consistent"] / n <= 0.05


def test_outside_sources_are_rarely_called_consistent_even_with_sparse_data(
    realistic_library: Lib,
) -> None:
    """With realistic missing data many answers become "inconclusive", not wrong matches."""
    _, index = realistic_library
    rng = np.random.default_rng(26)
    n = 400
    outcomes = Counter(match(index, novel_sample(rng)).conclusion for _ in range(n))
    assert outcomes["consistent"] / n <= 0.05
    assert outcomes["inconclusive"] > 0 and outcomes["none"] > 0
