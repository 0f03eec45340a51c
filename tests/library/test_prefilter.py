"""The cascade's sorted-column prefilter changes nothing: every match on an index that keeps
sorted columns equals the match on the same library without them (the unoptimised path),
candidates, exclusions with their first failing test and reasons, scores and next
measurement alike."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nucsec.forensics.library import index as index_module
from nucsec.forensics.library.index import LibraryIndex
from nucsec.forensics.library.match import match
from nucsec.forensics.library.synthetic import draw_sample, generate_library, novel_sample


@pytest.fixture(scope="module")
def both() -> tuple[LibraryIndex, LibraryIndex, object]:
    lib = generate_library(np.random.default_rng(31), 3000)
    plain = LibraryIndex.from_columns(lib.columns)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(index_module, "SORT_FROM", 0)
        fast = LibraryIndex.from_columns(lib.columns)
    assert plain.sorted is None and fast.sorted is not None
    return plain, fast, lib


def _json(index: LibraryIndex, sample: object, **kw: object) -> str:
    return json.dumps(match(index, sample, **kw).to_dict(), sort_keys=True)  # type: ignore[arg-type]


def test_prefiltered_matches_equal_the_full_cascade(both) -> None:  # type: ignore[no-untyped-def]
    plain, fast, lib = both
    rng = np.random.default_rng(5)
    samples = [draw_sample(rng, lib, int(rng.integers(lib.columns.n))) for _ in range(25)]
    samples += [novel_sample(rng) for _ in range(25)]
    conclusions = set()
    for s in samples:
        a, b = _json(plain, s), _json(fast, s)
        assert a == b
        conclusions.add(json.loads(a)["conclusion"])
    assert len(conclusions) >= 2  # the samples exercise more than one answer
    for s in samples[:5]:  # other rates and the material check off
        kw = {"false_exclusion_rate": 0.2, "same_material_type": False}
        assert _json(plain, s, **kw) == _json(fast, s, **kw)


def test_the_window_drops_entries_before_the_exact_test(both) -> None:  # type: ignore[no-untyped-def]
    from nucsec.forensics.library.cascade import _window, prepare

    _, fast, lib = both
    sample = draw_sample(np.random.default_rng(8), lib, 17)
    prep = prepare(fast, sample, 0.01)
    item = prep.continuous[0]
    alive = np.ones(fast.n, bool)
    near = _window(fast, item, prep, alive, True)
    assert 0 < near.sum() < fast.n  # something was cut
    assert near[17]  # the sample's own line is inside
