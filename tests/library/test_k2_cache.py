"""The cascade's cached k² tables change nothing: a threshold per member level is looked up
by the thresholds it came from, so matches at one false-exclusion rate after another equal
matches on a fresh index (the path without the cache), and the looked-up values equal the
formula."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nucsec.forensics.library.cascade import _k2, prepare
from nucsec.forensics.library.index import LibraryIndex
from nucsec.forensics.library.match import match
from nucsec.forensics.library.synthetic import generate_library, to_entries
from tests.library.test_members import _member_entry, _sample


@pytest.fixture(scope="module")
def entries():  # type: ignore[no-untyped-def]
    """Synthetic lines and entries summarised from 8, 15 and 40 batches (Student-t k)."""
    rng = np.random.default_rng(31)
    lines = to_entries(generate_library(rng, 300))
    return lines + [_member_entry(rng, n, f"M{n}") for n in (8, 15, 40)]


def _json(index: LibraryIndex, sample: object, rate: float) -> str:
    result = match(index, sample, false_exclusion_rate=rate)  # type: ignore[arg-type]
    return json.dumps(result.to_dict(), sort_keys=True)


def test_cached_thresholds_equal_a_fresh_index(entries) -> None:  # type: ignore[no-untyped-def]
    warm = LibraryIndex.build(entries)
    assert warm.has_members and len(warm.member_levels) == 4  # t quantiles are exercised
    rng = np.random.default_rng(5)
    samples = [_sample(rng) for _ in range(6)] + [_sample(rng, np.full(6, 0.8)) for _ in range(3)]
    seen: set[str] = set()
    for rate in (0.01, 0.2, 0.01):
        for s in samples:
            fresh = LibraryIndex.build(entries)
            found = json.loads(_json(fresh, s, rate))
            seen |= {c["entry"] for c in found["candidates"]}
            assert _json(warm, s, rate) == _json(fresh, s, rate)
    for rate in (0.01, 0.2):
        th = prepare(warm, samples[0], rate).th
        for one_sided in (False, True):
            formula = np.array(
                [th.k_for(int(n), one_sided=one_sided) ** 2 for n in warm.member_levels],
                np.float32,
            )[warm.member_code]
            assert np.array_equal(_k2(warm, th, slice(None), one_sided), formula)
    assert seen & {"M8", "M15", "M40"}  # member entries were compared and kept
