"""The compiled kernels of a match give the answers of the NumPy reference path.

- the univariate stage: the same survivors and the same first failing test per entry
  (bit for bit: the kernel does the same ``float32`` / ``float64`` arithmetic), on
  libraries with detection limits, entries summarised from members (Student-t k per member
  level), samples below limits, incompletely purified samples, without the material check,
  split over threads;
- the coincidence estimate: the same expected counts within 1e-12 relative (the normal CDF
  is libm's erf/erfc in the kernel, Cephes' in SciPy);
- whole matches: the same JSON;
- the normal CDF itself against SciPy's, including infinities and NaN;
- the warm-up compiles every signature a match uses.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.special import ndtr

from nucsec.forensics.library import _kernels, cascade, coincidence, parallel
from nucsec.forensics.library.cascade import prepare, run_cascade
from nucsec.forensics.library.index import LibraryIndex
from nucsec.forensics.library.match import match
from nucsec.forensics.library.model import Measurement, Sample
from nucsec.forensics.library.synthetic import (
    BLOCKS,
    SyntheticLibrary,
    draw_sample,
    generate_library,
    novel_sample,
    to_entries,
)
from tests.library.test_members import _member_entry
from tests.library.test_members import _sample as _member_sample

Lib = tuple[SyntheticLibrary, LibraryIndex]


def _both(monkeypatch: pytest.MonkeyPatch, fn):  # type: ignore[no-untyped-def]
    """``fn()`` on the NumPy reference path, then on the kernels."""
    monkeypatch.setattr(_kernels, "ENABLED", False)
    reference = fn()
    monkeypatch.setattr(_kernels, "ENABLED", True)
    return reference, fn()


def _samples(lib: SyntheticLibrary, index: LibraryIndex, n: int, seed: int) -> list[Sample]:
    rng = np.random.default_rng(seed)
    out: list[Sample] = []
    for k in range(n):
        if k % 3 == 0:
            out.append(novel_sample(rng))
        else:
            every = {b: 1.0 for b in BLOCKS} if k % 3 == 2 else None
            out.append(draw_sample(rng, lib, int(rng.integers(index.n)), blocks=every))
    return out


def _variants(sample: Sample) -> list[Sample]:
    """The sample, its model date incompletely purified, and one value as a detection limit."""
    sigs = list(sample.signatures)
    numeric = [
        k for k, m in enumerate(sigs) if isinstance(m.value, float) and m.name != "model date"
    ]
    out = [sample]
    dated = [
        Measurement(m.name, m.value, u=m.u, unit=m.unit, purification="incomplete")
        if m.name == "model date"
        else m
        for m in sigs
    ]
    out.append(Sample(f"{sample.id}-incomplete", sample.material_type, tuple(dated)))
    if numeric:
        k = numeric[0]
        m = sigs[k]
        assert isinstance(m.value, float)
        limit = Measurement(m.name, None, unit=m.unit, below=m.value * 1.5)
        below = [*sigs[:k], limit, *sigs[k + 1 :]]
        out.append(Sample(f"{sample.id}-below", sample.material_type, tuple(below)))
    return out


def _cascade(index: LibraryIndex, sample: Sample, same_material: bool) -> tuple[bytes, bytes]:
    cas = run_cascade(index, prepare(index, sample, 0.01), same_material=same_material)
    return cas.why.tobytes(), cas.survivors.tobytes()


@pytest.mark.parametrize("threads", [1, 2])
def test_compiled_cascade_equals_numpy(
    realistic_library: Lib, monkeypatch: pytest.MonkeyPatch, threads: int
) -> None:
    lib, index = realistic_library
    assert index.below, "the library must exercise entry-side detection limits"
    monkeypatch.setattr(parallel, "THREADS", threads)
    monkeypatch.setattr(cascade, "SPLIT_ABOVE", 0)  # ranges even on a small library
    kept = excluded_by_limit = 0
    for base in _samples(lib, index, 12, seed=3):
        for sample in _variants(base):
            for same in (True, False):
                ref, new = _both(monkeypatch, lambda s=sample, m=same: _cascade(index, s, m))
                assert new == ref, sample.id
                kept += np.frombuffer(new[1], np.int64).size
                why = np.frombuffer(new[0], np.int16)
                excluded_by_limit += int(np.count_nonzero(why > 0))
    assert kept > 0 and excluded_by_limit > 0  # both outcomes were exercised


def test_compiled_cascade_equals_numpy_with_member_levels(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = np.random.default_rng(31)
    entries = to_entries(generate_library(rng, 200)) + [
        _member_entry(rng, n, f"M{n}") for n in (8, 15, 40)
    ]
    index = LibraryIndex.build(entries)
    assert index.has_members and index.member_levels.size == 4
    shifts = [None, np.full(6, 0.3), np.full(6, 0.8)]
    for k in range(9):
        sample = _member_sample(rng, shifts[k % 3])
        for variant in _variants(sample):
            ref, new = _both(monkeypatch, lambda s=variant: _cascade(index, s, True))
            assert new == ref


def test_compiled_coincidence_equals_numpy(
    realistic_library: Lib, monkeypatch: pytest.MonkeyPatch
) -> None:
    lib, index = realistic_library
    compared = 0
    for sample in _samples(lib, index, 15, seed=8):
        prep = prepare(index, sample, 0.01)
        survivors = run_cascade(index, prep).survivors
        if survivors.size == 0:
            continue
        positions = survivors[:20]

        def expected(p=prep, pos=positions, sv=survivors):  # type: ignore[no-untyped-def]
            return coincidence.coincident_sources(index, p, pos, sv)

        ref, new = _both(monkeypatch, expected)
        np.testing.assert_allclose(new, ref, rtol=1e-12, atol=1e-300)
        compared += positions.size
    assert compared >= 20


def test_univariate_bound_edge_cases_equal_numpy() -> None:
    """Missing reference values (share of the others), a candidate lacking a signature,
    zero variance (infinite z), a column no reference has, groups of one and of three."""
    rng = np.random.default_rng(4)
    k, r, q = 5, 40, 6
    mu_e = rng.normal(size=(k, 1, q))
    mu_e[1, 0, 2] = np.nan
    tol = np.abs(rng.normal(size=(k, 1, q))) + 0.5
    lo, hi = mu_e - tol, mu_e + tol
    mu_r = rng.normal(size=(r, q))
    mu_r[::7, 1] = np.nan
    mu_r[:, 4] = np.nan
    var_r = np.abs(rng.normal(size=(q, r)))
    var_r[3, :5] = 0.0
    u2 = np.zeros(q)
    codes = np.array([0, 0, 0, 1, 2, 2])
    ref = coincidence._univariate_bound(lo, hi, mu_e, mu_r, var_r, u2, codes)
    new = np.empty((k, r))
    _kernels.univariate_bound(
        np.ascontiguousarray(lo[:, 0]), np.ascontiguousarray(hi[:, 0]), mu_r, var_r + u2[:, None],
        codes, new, np.empty(r), np.empty(r),
    )  # fmt: skip
    assert np.isfinite(ref).all() and (ref < 1).any() and (ref > 0).any()
    np.testing.assert_allclose(new, ref, rtol=1e-12, atol=1e-300)


def test_kernel_ndtr_equals_scipy() -> None:
    z = np.concatenate([np.linspace(-40, 40, 4001), [-np.inf, np.inf, 0.0, -0.0]])
    ours = np.array([_kernels.ndtr(float(v)) for v in z])
    theirs = ndtr(z)
    # one unit in the last place at 1; relative 1e-12 in the far tails (libm's erfc against
    # Cephes'; below 1e-300, SciPy's flushes to 0 where libm's is subnormal)
    assert np.abs(ours - theirs).max() <= 2.3e-16
    tail = theirs > 1e-300
    np.testing.assert_allclose(ours[tail], theirs[tail], rtol=1e-12, atol=0)
    assert set(ours[z == 0].tolist()) == {0.5} and ours[0] == 0.0 and ours[-5] == 1.0
    assert np.isnan(_kernels.ndtr(float("nan")))


def test_matches_with_kernels_equal_the_numpy_path(
    realistic_library: Lib, monkeypatch: pytest.MonkeyPatch
) -> None:
    lib, index = realistic_library
    conclusions = set()
    for sample in _samples(lib, index, 9, seed=21):
        ref, new = _both(
            monkeypatch, lambda s=sample: json.dumps(match(index, s).to_dict(), sort_keys=True)
        )
        assert new == ref
        conclusions.add(json.loads(new)["conclusion"])
    assert len(conclusions) >= 2


def test_warm_up_compiles_the_types_a_match_uses(realistic_library: Lib) -> None:
    """After the warm-up, a match compiles nothing more (no compilation on first use)."""
    lib, index = realistic_library
    _kernels.warm_up()
    kernels = (_kernels.cascade_positions, _kernels.univariate_bound)
    before = [list(k.signatures) for k in kernels]  # type: ignore[attr-defined]
    assert all(before)
    for sample in _samples(lib, index, 4, seed=5):
        match(index, sample)
    assert [list(k.signatures) for k in kernels] == before  # type: ignore[attr-defined]
