"""The synthetic generator: seeded, in its stated proportions, with its stated correlations."""

from __future__ import annotations

import numpy as np

from nucsec.forensics.library.facilities import FACILITY_TYPES, SYNTHETIC_SIGNATURES
from nucsec.forensics.library.index import LibraryIndex
from nucsec.forensics.library.match import match
from nucsec.forensics.library.synthetic import draw_sample, generate_library, to_entries


def test_same_seed_same_library_and_samples() -> None:
    a = generate_library(np.random.default_rng(9), 300)
    b = generate_library(np.random.default_rng(9), 300)
    assert to_entries(a) == to_entries(b)
    assert draw_sample(np.random.default_rng(1), a, 5) == draw_sample(
        np.random.default_rng(1), b, 5
    )


def test_shares_missing_data_and_thirty_signatures() -> None:
    lib = generate_library(np.random.default_rng(10), 20_000)
    assert len(SYNTHETIC_SIGNATURES) == 30 and set(lib.columns.numeric) == set(SYNTHETIC_SIGNATURES)
    shares = np.bincount(lib.facility, minlength=len(FACILITY_TYPES)) / 20_000
    assert np.allclose(shares, [ft.share for ft in FACILITY_TYPES], atol=0.01)
    mills = lib.facility == 0
    has_ree = np.isfinite(lib.columns.numeric["w(La)"].value[mills]).mean()
    assert 0.53 < has_ree < 0.62  # 60 % of mill entries, less 5 % single values missing
    assert np.isnan(lib.columns.numeric["pellet diameter"].value[mills]).all()
    natural = lib.columns.numeric["n(236U)/n(238U)"].below[mills]
    assert np.nanmax(natural) == 1e-9


def test_within_line_ree_correlation_is_the_stated_one() -> None:
    lib = generate_library(np.random.default_rng(11), 50)
    mill = int(np.flatnonzero(lib.facility == 0)[0])
    rng = np.random.default_rng(12)
    la, yb = [], []
    for _ in range(3000):
        s = draw_sample(rng, lib, mill, blocks={"U": 1.0, "REE": 1.0})
        values = {m.name: m.value for m in s.signatures}
        la.append(np.log(values["w(La)"]))
        yb.append(np.log(values["w(Yb)"]))
    r = np.corrcoef(la, yb)[0, 1]
    assert 0.80 < r < 0.88  # 0.25² / (0.25² + 0.1²) = 0.86, diluted a little by 5 % noise


def test_index_of_entries_equals_index_of_columns() -> None:
    lib = generate_library(np.random.default_rng(13), 200)
    a = LibraryIndex.from_columns(lib.columns)
    b = LibraryIndex.build(to_entries(lib))
    for name in a.names:
        ja, jb = a.column[name], b.column[name]
        assert np.allclose(a.mu[ja], b.mu[jb], equal_nan=True, rtol=1e-6)
        assert np.allclose(a.var[ja], b.var[jb], equal_nan=True, rtol=1e-4, atol=1e-12)


def test_matches_on_entries_equal_matches_on_columns() -> None:
    lib = generate_library(np.random.default_rng(14), 300)
    a = LibraryIndex.from_columns(lib.columns)
    b = LibraryIndex.build(to_entries(lib))
    rng = np.random.default_rng(15)
    for _ in range(40):
        s = draw_sample(rng, lib, int(rng.integers(300)))
        ra, rb = match(a, s), match(b, s)
        assert ra.conclusion == rb.conclusion
        assert [c.entry for c in ra.candidates] == [c.entry for c in rb.candidates]
