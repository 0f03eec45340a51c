"""The speed paths of a match give the numbers of the plain paths.

- block-diagonal covariances (one factorisation per vocabulary group) against one solve
  per test on the whole matrix;
- the multivariate stage and the coincidence estimate cut into chunks on threads against
  one call;
- the material and form checks from the index's cache against a cold start, and the dense
  detection-limit lookup against a binary search.
"""

from __future__ import annotations

import dataclasses
from concurrent.futures import Future
from typing import Any

import numpy as np
import pytest

from nucsec.forensics.library import cascade, coincidence, multivariate, parallel
from nucsec.forensics.library.blocks import blocks_of, forward
from nucsec.forensics.library.cascade import prepare, run_cascade
from nucsec.forensics.library.index import LibraryIndex
from nucsec.forensics.library.match import match
from nucsec.forensics.library.members import CorrelationModel
from nucsec.forensics.library.synthetic import SyntheticLibrary, draw_sample, novel_sample

Lib = tuple[SyntheticLibrary, LibraryIndex]


def _samples(lib: SyntheticLibrary, index: LibraryIndex, n: int) -> list:
    rng = np.random.default_rng(77)
    return [
        draw_sample(rng, lib, int(rng.integers(index.n))) if k % 2 else novel_sample(rng)
        for k in range(n)
    ]


def test_forward_substitution_solves_the_triangular_system() -> None:
    rng = np.random.default_rng(1)
    a = rng.normal(size=(50, 6, 6))
    chol = np.linalg.cholesky(a @ a.transpose(0, 2, 1) + 6 * np.eye(6))
    b = rng.normal(size=(50, 6))
    np.testing.assert_allclose(np.einsum("nij,nj->ni", chol, forward(chol, b)), b, atol=1e-12)
    many = rng.normal(size=(50, 6, 4))
    np.testing.assert_allclose(chol @ forward(chol, many), many, atol=1e-12)


def test_synthetic_models_are_block_diagonal_and_a_cross_group_one_is_not(
    realistic_library: Lib,
) -> None:
    _, index = realistic_library
    assert index.models and all(m.block_diagonal for m in index.models)
    blocks = blocks_of(index, np.arange(len(index.names)))
    assert sorted(np.concatenate(blocks).tolist()) == list(range(len(index.names)))
    r = np.array([[1.0, 0.3], [0.3, 1.0]])
    within = CorrelationModel(("n(234U)/n(238U)", "n(235U)/n(238U)"), r)
    across = CorrelationModel(("n(234U)/n(238U)", "w(La)"), r)
    assert index._indexed(within).block_diagonal
    assert not index._indexed(across).block_diagonal


@pytest.mark.parametrize("fixture", ["realistic_library", "complete_library"])
def test_block_path_equals_the_whole_matrix_path(
    fixture: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    lib, index = request.getfixturevalue(fixture)
    plain = LibraryIndex.__new__(LibraryIndex)
    plain.__dict__.update(index.__dict__)
    plain.models = [dataclasses.replace(m, block_diagonal=False) for m in index.models]
    monkeypatch.setattr(parallel, "THREADS", 1)
    for s in _samples(lib, index, 12):
        prep = prepare(index, s, 0.01)
        survivors = run_cascade(index, prep).survivors
        fast = multivariate.multivariate(index, prep, survivors)
        slow = multivariate.multivariate(plain, prep, survivors)
        np.testing.assert_allclose(fast.d2, slow.d2, rtol=1e-9, atol=1e-9)
        np.testing.assert_array_equal(fast.failed, slow.failed)
        np.testing.assert_allclose(fast.log10_lr, slow.log10_lr, rtol=1e-9, atol=1e-9)
        top = survivors[:20]
        np.testing.assert_allclose(
            coincidence.coincident_sources(index, prep, top, survivors),
            coincidence.coincident_sources(plain, prep, top, survivors),
            rtol=1e-9,
            atol=1e-12,
        )


def test_threads_give_the_single_thread_answer(
    realistic_library: Lib, monkeypatch: pytest.MonkeyPatch
) -> None:
    lib, index = realistic_library
    samples = _samples(lib, index, 10)
    monkeypatch.setattr(parallel, "THREADS", 2)
    monkeypatch.setattr(parallel, "MIN_CHUNK", 1)
    monkeypatch.setattr(cascade, "SPLIT_ABOVE", 0)  # the univariate stage in ranges too
    submitted: list[object] = []
    real = parallel._executor

    class Spy:
        def submit(self, *args: Any) -> Future[Any]:
            submitted.append(args[0])
            return real().submit(*args)

    monkeypatch.setattr(parallel, "_executor", Spy)
    threaded = [match(index, s).to_dict() for s in samples]
    assert submitted  # some stages did run on a second thread
    monkeypatch.setattr(parallel, "THREADS", 1)
    single = [match(index, s).to_dict() for s in samples]
    assert threaded == single
    prep = prepare(index, samples[1], 0.01)
    monkeypatch.setattr(parallel, "THREADS", 2)
    two = run_cascade(index, prep)
    monkeypatch.setattr(parallel, "THREADS", 1)
    one = run_cascade(index, prep)
    np.testing.assert_array_equal(two.survivors, one.survivors)
    np.testing.assert_array_equal(two.why, one.why)
    assert (one.why >= 0).sum() > 0
    assert any(d["candidates"] for d in single)


def test_cached_exact_checks_give_the_cascade_of_a_cold_start(realistic_library: Lib) -> None:
    """The material and form checks come from the index's cache: same survivors and codes
    as computed afresh, and each (material, forms) key gets its own outcome."""
    lib, index = realistic_library
    seen = 0
    for s in _samples(lib, index, 8):
        for same in (True, False):
            prep = prepare(index, s, 0.01)
            index.start_cache.clear()
            cold = run_cascade(index, prep, same_material=same)
            warm = run_cascade(index, prep, same_material=same)
            np.testing.assert_array_equal(cold.survivors, warm.survivors)
            np.testing.assert_array_equal(cold.why, warm.why)
            other = index.material != prep.material
            by_material = cold.why == cold.tests.index(cascade.MATERIAL_TEST)
            if same and prep.material is not None:
                np.testing.assert_array_equal(by_material, other)
                seen += int(other.any())
            else:
                assert not by_material.any()
            for name, bit in prep.forms:
                mask = index.forms.get(name)
                if mask is not None and name in cold.tests:
                    off = (mask != 0) & ((mask & bit) == 0)
                    assert not np.isin(cold.survivors, np.flatnonzero(off)).any()
    assert seen and len(index.start_cache) >= 1


def test_dense_detection_limit_lookup_matches_a_binary_search(realistic_library: Lib) -> None:
    _, index = realistic_library
    assert index.below
    positions = np.random.default_rng(5).integers(0, index.n, 3000)
    for j, bl in index.below.items():
        hit, k = index.below_lookup(j, positions)
        at = np.minimum(np.searchsorted(bl.entry, positions), bl.entry.size - 1)
        np.testing.assert_array_equal(hit, bl.entry[at] == positions)
        np.testing.assert_array_equal(k[hit], at[hit])
        assert hit.any()
