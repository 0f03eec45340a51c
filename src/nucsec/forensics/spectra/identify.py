"""Nuclide identification: explain the fitted peaks with sources from the line library.

For every candidate source the expected pattern of peak areas is ``intensity x relative
efficiency`` (a generic shape per detector family), scaled to the matched peaks. Evidence
for a source is the significance of the peaks its lines match; evidence against it is
every line that should have been well above the Currie detection limit at its energy and
was not found. Sources are accepted greedily, best first, and each accepted source
*explains away* the area it predicts in the peaks it matched, so one peak does not name
two sources unless its area asks for both (Ra-226 at 186.2 keV vs U-235 at 185.7 keV).

Rules, in words (no rule names a file or a specific result):

- a line is matched by the nearest peak within a tolerance from the resolution and the
  centroid uncertainty; lines closer than 0.4 FWHM are merged into one group;
- x-ray lines count for little (self-absorption, fluorescence), 511 keV counts for nothing
  (pair production makes it in every spectrum); a source whose only strong line is 511 keV
  (F-18) needs that peak to dominate the spectrum;
- at least half of the detectability (predicted area over detection limit) of the lines
  expected to be seen must be matched;
- the evidence must reach ``MIN_SCORE / prior**2`` (at most 8 x MIN_SCORE): rare sources
  need more.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt

from nucsec.forensics.spectra._score_kernel import match_lines, score_library
from nucsec.forensics.spectra.annihilation import (
    annihilation_only,
    dominant_annihilation,
    without_explained_annihilation,
)
from nucsec.forensics.spectra.blends import consistent_blends, strong_low
from nucsec.forensics.spectra.identification import (
    Fn,
    Identification,
    LineMatch,
    ObservedPeak,
)
from nucsec.forensics.spectra.linetable import (
    ANNIHILATION,
    GAMMA,
    KINDS,
    XRAY,
    IntArray,
    LibraryKey,
    LineTable,
    line_table,
)
from nucsec.forensics.spectra.model import FloatArray
from nucsec.forensics.spectra.nucdata import Source, load_library
from nucsec.forensics.spectra.shielding import (
    ABSORBERS,
    MAX_WEIGHT,
    MIN_ENERGY_KEV,
    X_MAX,
    fit_absorbers,
    group_attenuation,
)

__all__ = [
    "Identification",
    "LineMatch",
    "ObservedPeak",
    "identify",
    "relative_efficiency",
    "warm_up",
]

MIN_SCORE = 5.0
EVIDENCE_CAP = 15.0
#: share of the evidence a source's detectable lines can give that its threshold may ask
REACHABLE_SHARE = 0.7
BLEND_FWHM = 1.0  # an unmatched line this close to a peak is unresolved from it
#: fewest counts the peak search finds even without background (3 sigma of its matched
#: filter): below this a line is not "expected to be seen", whatever the Currie limit says
SEARCH_LIMIT_COUNTS = 15.0
EXPECT_Z = 2.0  # a line is "expected" when its predicted area is this many detection limits
#: the constants of the scoring, in the order the compiled kernel takes them
_CONSTS = np.array([EXPECT_Z, EVIDENCE_CAP, MIN_SCORE, REACHABLE_SHARE, MIN_ENERGY_KEV, MAX_WEIGHT])
_X_MAX = np.array([X_MAX[m] for m in ABSORBERS])


def relative_efficiency(detector_type: str) -> Fn:
    """A generic full-energy-peak efficiency shape (relative) for a detector family.

    ``(E/200 keV)**-p x (1 - exp(-(E/E_c)**2.5))``: a power law at high energy and a
    smooth roll-off (entrance window, dead layer) below about ``E_c``.
    """
    slope, e_c = {
        "HPGe": (0.9, 60.0),
        "NaI": (0.8, 30.0),
        "LaBr3": (0.9, 30.0),
        "CsI": (1.3, 30.0),
        "CZT": (1.5, 30.0),
    }.get(detector_type, (0.9, 40.0))

    def eff(energy_kev: Any) -> Any:
        e = np.maximum(np.asarray(energy_kev, dtype=np.float64), 1.0)
        return (e / 200.0) ** -slope * (1.0 - np.exp(-((e / e_c) ** 2.5)))

    return eff


def _weights(table: LineTable, low_only: bool) -> tuple[FloatArray, FloatArray]:
    """Weight of each group as evidence when matched, and as evidence against when missed.

    Below 100 keV x-rays, scatter and (for scintillators) calibration non-linearity crowd
    the spectrum, so a line there counts less, unless the spectrum has no significant peak
    above 150 keV that could be producing them (``low_only``). x-rays count for little
    (self-absorption, fluorescence), 511 keV for nothing. Missing lines below 120 keV count
    little (they may be absorbed); missing x-rays not at all.
    """
    e, kind = table.energy_kev, table.kind
    low = 0.6 if not low_only else 1.0
    weight = np.where(kind == ANNIHILATION, 0.0, np.where(kind == XRAY, 0.25, 1.0))
    weight = np.where((kind == GAMMA) & (e < 100), low, weight)
    miss = np.where(kind == XRAY, 0.0, np.where((kind == GAMMA) & (e < 120), 0.2, 1.0))
    return weight, miss


def _match(
    table: LineTable,
    peaks: list[ObservedPeak],
    fwhm: FloatArray,
    cal_tol: tuple[float, float],
    compiled: bool = True,
) -> tuple[IntArray, IntArray]:
    """Peak matched by each group (-1: none) and peak a group is blended into (-1: none).

    A group is matched by the nearest peak within ``sqrt((0.3 FWHM)^2 + (2.5 u_peak)^2 +
    cal^2)``; a peak serves one group of a source (the closest keeps it). An unmatched
    group whose nearest peak is within ``max(BLEND_FWHM x FWHM, tolerance)`` is blended into
    it (two lines one FWHM apart make one peak unless their areas are nearly equal).
    ``compiled``: the search in the kernel :func:`~._score_kernel.match_lines`; ``False``:
    the NumPy code below, the reference it is tested against.
    """
    n_g = table.energy_kev.size
    none = np.full(n_g, -1, dtype=np.int64)
    if not peaks or n_g == 0:
        return none, none.copy()
    e = table.energy_kev
    energies = np.array([p.energy_kev for p in peaks])
    extra = np.array([(2.5 * p.energy_unc_kev) ** 2 for p in peaks])
    base2 = (0.3 * fwhm) ** 2 + (cal_tol[0] + cal_tol[1] * e) ** 2
    # only peaks within the widest possible tolerance can match: a window per group in the
    # energy-sorted peaks (a few columns instead of every peak)
    order = np.argsort(energies, kind="stable")
    sorted_e = energies[order]
    reach = np.sqrt(base2 + extra.max())
    lo = np.searchsorted(sorted_e, e - reach, side="left")
    hi = np.searchsorted(sorted_e, e + reach, side="right")
    if compiled:
        match, blend = np.empty(n_g, dtype=np.int64), np.empty(n_g, dtype=np.int64)
        j_near = np.searchsorted(sorted_e, e)
        fw = np.ascontiguousarray(fwhm, dtype=np.float64)
        match_lines(
            e, fw, base2, table.start, energies, extra, order, lo, hi, j_near, BLEND_FWHM,
            match, blend,
        )  # fmt: skip
        return match, blend
    cols = lo[:, None] + np.arange(max(int((hi - lo).max()), 1))[None, :]
    cand = order[np.minimum(cols, energies.size - 1)]
    dist = np.abs(energies[cand] - e[:, None])
    ok = (cols < hi[:, None]) & (dist <= np.sqrt(base2[:, None] + extra[cand]))
    d = np.where(ok, dist, np.inf)
    best_d = d.min(axis=1)
    # the nearest peak within tolerance; on an exact tie the first peak
    best = np.where(d == best_d[:, None], cand, energies.size).min(axis=1)
    match = np.where(np.isfinite(best_d), best, -1)
    # one peak per source: among a source's groups on the same peak the closest (then the
    # first) keeps it
    g = np.nonzero(match >= 0)[0]
    ranked = g[np.lexsort((g, best_d[g], match[g], table.src[g]))]
    key = table.src[ranked] * (len(peaks) + 1) + match[ranked]
    losers = ranked[1:][key[1:] == key[:-1]]
    match[losers] = -1
    # the nearest peak at all (either neighbour in energy order; on a tie the first peak)
    j = np.searchsorted(sorted_e, e)
    left, right = order[np.maximum(j - 1, 0)], order[np.minimum(j, energies.size - 1)]
    d_left, d_right = np.abs(energies[left] - e), np.abs(energies[right] - e)
    near = np.where(
        d_left < d_right, left, np.where(d_right < d_left, right, np.minimum(left, right))
    )
    d_near = np.minimum(d_left, d_right)
    close = d_near <= np.maximum(BLEND_FWHM * fwhm, np.sqrt(base2 + extra[near]))
    blend = np.where((match < 0) & close, near, -1)
    return match, blend


@dataclass
class _State:
    """Everything one identification needs, per group (G) or per source (S)."""

    table: LineTable
    peaks: list[ObservedPeak]
    area: FloatArray  # (N,) area of each peak (0 for peaks explained by an effect)
    residual: FloatArray  # (N,) area of each peak not yet explained
    residual_unc: FloatArray  # (N,) its uncertainty plus 50 % of what sources predict
    low_only: bool  # no significant peak above 150 keV
    #: (N,) a peak below 100 keV too strong to be an artifact of the peaks above 150 keV
    strong_low: npt.NDArray[np.bool_]
    scintillator: bool
    ld: FloatArray  # (G,) Currie limit at each group
    rel: FloatArray  # (G,) intensity x relative efficiency
    match: IntArray  # (G,)
    blend: IntArray  # (G,)
    weight: FloatArray  # (G,)
    miss_weight: FloatArray  # (G,)
    alive: npt.NDArray[np.bool_]  # (S,) not accepted yet
    mu: FloatArray  # (absorbers, G) mass attenuation coefficients, cm^2/g

    def __post_init__(self) -> None:
        # what depends on the table alone, computed once rather than per scoring
        t = self.table
        self.annih, self.gamma = t.kind == ANNIHILATION, t.kind == GAMMA
        self.keyed = self.gamma & (t.energy_kev >= 120)
        #: gamma lines >= 100 keV, and their segments per source (groups are stored
        #: source by source)
        self.gam100 = np.nonzero(self.gamma & (t.energy_kev >= 100))[0]
        self.gam100_starts, self.gam100_seg = _segments(t.src[self.gam100])
        self.gam100_mask = self.gamma & (t.energy_kev >= 100)
        self.mu = np.ascontiguousarray(self.mu)


def _segments(src: IntArray) -> tuple[npt.NDArray[np.intp], IntArray]:
    """Runs of equal source index in ``src`` (sorted): where each run starts, and the run
    of every element."""
    starts = np.concatenate([[0], np.nonzero(np.diff(src))[0] + 1]).astype(np.intp)
    seg: IntArray = np.cumsum(np.diff(src, prepend=src[:1]) != 0)
    return starts, seg


@dataclass
class _Scores:
    """Scores of every source against the current residuals."""

    passing: npt.NDArray[np.bool_]  # (S,)
    score: FloatArray  # (S,)
    fraction: FloatArray
    evidence: FloatArray
    scale: FloatArray
    other_lines: npt.NDArray[np.bool_]
    keys_ok: npt.NDArray[np.bool_]
    # per group
    eff_match: IntArray  # matched peak still free for this source (-1: none)
    shared: npt.NDArray[np.bool_]  # interference: neither evidence nor a missing line
    expected: FloatArray
    weak: npt.NDArray[np.bool_]  # matched but much weaker than expected
    missing: npt.NDArray[np.bool_]
    # per source: the effective absorber (g/cm^2 and index into ABSORBERS)
    absorber_g_cm2: FloatArray
    absorber: IntArray
    rel: FloatArray  # (G,) intensity x efficiency x transmission (blends added)


def _per_source(st: _State, values: Any) -> FloatArray:
    """Sum of ``values`` (one per group) over the groups of each source."""
    w = np.asarray(values, dtype=np.float64)
    out = np.bincount(st.table.src, weights=w, minlength=st.table.n_sources)
    return np.asarray(out, dtype=np.float64)


def _scale(st: _State, use: Any, res: FloatArray, rel: FloatArray, unc2: FloatArray) -> FloatArray:
    """Weighted least-squares scale of each source's predicted areas to its matched peaks."""
    num = _per_source(st, np.where(use, res * rel / unc2, 0.0))
    den = _per_source(st, np.where(use, rel * rel / unc2, 0.0))
    out: FloatArray = np.divide(num, den, out=np.zeros_like(num), where=den > 0)
    return out


def _score_all(st: _State, compiled: bool = True) -> _Scores:
    """Evidence for and against every source at once (the rules of the module docstring).

    ``compiled`` runs the numba kernel :func:`~._score_kernel.score_library`; ``False`` the
    NumPy code below, the reference the kernel is tested against.
    """
    if compiled:
        return _score_compiled(st)
    t = st.table
    src, n_s = t.src, t.n_sources
    has = st.match >= 0
    at = np.where(has, st.match, 0)
    taken = has & (st.residual[at] <= 2.0 * st.residual_unc[at])  # another source took it
    eff = np.where(taken, -1, st.match)
    matched = eff >= 0
    annih, gamma = st.annih, st.gamma
    line = matched & ~annih
    # lines blended into a matched peak add their share to that peak's prediction
    owner = np.full((n_s, len(st.peaks) + 1), -1, dtype=np.int64)
    owner[src[matched], eff[matched]] = np.nonzero(matched)[0]
    bl = st.blend >= 0
    target = owner[src[bl], st.blend[bl]]
    into, shares = target[target >= 0], bl.copy()
    shares[bl] = target >= 0

    def with_blends(base: FloatArray) -> FloatArray:
        out = base.copy()
        np.add.at(out, into, base[shares])
        return out

    rel = with_blends(st.rel)
    # scale from matched gamma lines (weighted least squares), dropping gross blends once
    at_eff = np.where(matched, eff, 0)
    res = np.where(matched, st.residual[at_eff], 0.0)
    unc = st.residual_unc[at_eff]
    unc2 = unc * unc
    n_gamma = _per_source(st, line & gamma)
    use = line & (gamma | (n_gamma[src] == 0))
    scale1 = _scale(st, use, res, rel, unc2)
    keep = use & (res <= 3 * scale1[src] * rel)
    n_use, n_keep = _per_source(st, use), _per_source(st, keep)
    fit = np.where(((n_keep != n_use) & (n_keep > 0))[src], keep, use)
    # an effective absorber per source (shielding), then the scale again on the attenuated
    # prediction: attenuated low-energy lines are then neither weak nor missing
    # (a line that carries blended shares is attenuated like the intensity-weighted mean of
    # its lines)
    mu_eff = st.mu
    if into.size:
        mu_eff = np.array([with_blends(st.rel * m) for m in st.mu]) / np.maximum(rel, 1e-300)
    ab = fit_absorbers(src, n_s, mu_eff, t.energy_kev, fit & gamma, res, unc, rel)
    if np.any(ab.areal_density_g_cm2 > 0):
        own_mu = st.mu[ab.material[src], np.arange(src.size)]
        rel = with_blends(st.rel * np.exp(-own_mu * ab.areal_density_g_cm2[src]))
    scale = _scale(st, fit, res, rel, unc2)
    shared = taken | bl
    expected = scale[src] * rel
    z = expected / np.maximum(st.ld, 1.0)
    big = z > EXPECT_Z
    ratio = res / np.maximum(expected, 1e-9)
    # a line on a peak another source took is contradicted all the same when the whole
    # peak holds less than a quarter of what this source predicts there
    # (so is a line blended into a peak that holds less than a quarter of it)
    near = np.where(has, st.match, np.maximum(st.blend, 0))
    whole = st.area[near] / np.maximum(expected, 1e-9)
    blended = ~has & bl
    ratio = np.where(taken | blended, whole, ratio)
    weak = (matched | taken | blended) & (ratio < 0.25) & big
    # a low-energy gamma line on a peak no higher peak can make counts fully
    low_real = line & gamma & st.strong_low[at_eff]
    w, mw = np.where(low_real, 1.0, st.weight), st.miss_weight
    missing = ~shared & ~line & big & (mw > 0)
    penalty = np.where(
        weak, np.where(annih, mw, w) * np.minimum(z * (1 - 4 * ratio), 10.0), 0.0
    ) + np.where(missing, mw * np.minimum(z - EXPECT_Z, 10.0), 0.0)
    # a line is evidence for the part of its peak the source predicts (twice the prediction
    # at most: the generic efficiency is uncertain), not for what others make there
    credited = np.minimum(res, 2.0 * expected)
    evidence = _per_source(st, np.where(line, w * np.minimum(credited / unc, EVIDENCE_CAP), 0.0))
    zc = mw * np.minimum(z, 1e3)
    seen_z = _per_source(st, np.where(line & big, zc, 0.0))
    total_z = _per_source(st, np.where(~shared & big, zc, 0.0))
    score = evidence - _per_source(st, penalty)
    fraction = np.divide(seen_z, total_z, out=np.ones_like(seen_z), where=total_z > 0)
    other = _other_lines(st, rel)
    keyed = st.keyed & big
    keys_ok = _keys_ok(st, keyed, z, shared | matched)
    n_line = _per_source(st, line)
    n_g100 = _per_source(st, line & gamma & ((t.energy_kev >= 100) | low_real))
    # rare sources need more evidence, but never more than their detectable lines can give
    # (a significance of about 4.65 z for a line z detection limits strong)
    reachable = _per_source(
        st, np.where(gamma & big & ~missing, w * np.minimum(4.65 * z, EVIDENCE_CAP), 0.0)
    )
    threshold = np.minimum(MIN_SCORE / t.prior**2, 8 * MIN_SCORE)
    # (one line never suffices for a rare source: the floor needs a second one)
    floor = EVIDENCE_CAP + MIN_SCORE
    threshold = np.minimum(threshold, np.maximum(REACHABLE_SHARE * reachable, floor))
    threshold = threshold * np.where((n_g100 <= 1) & other, 2.0, 1.0)
    if not st.low_only and st.scintillator:
        threshold = threshold * np.where(n_g100 == 0, 2.0, 1.0)
    passing = (
        st.alive & (n_line > 0) & (fraction >= 0.5) & keys_ok & (n_gamma > 0) & (score >= threshold)
    )
    return _Scores(
        passing, score, fraction, evidence, scale, other, keys_ok, eff, shared, expected,
        weak & (line | taken | blended), missing, ab.areal_density_g_cm2, ab.material, rel,
    )  # fmt: skip


def _score_compiled(st: _State) -> _Scores:
    """:func:`_score_all` by the compiled kernel (same rules, same order of arithmetic)."""
    t = st.table
    n_s, n_g = t.n_sources, t.src.size
    s_bool = [np.zeros(n_s, dtype=bool) for _ in range(3)]
    s_float = [np.zeros(n_s) for _ in range(5)]
    absorber = np.zeros(n_s, dtype=np.int64)
    eff = np.empty(n_g, dtype=np.int64)
    g_bool = [np.zeros(n_g, dtype=bool) for _ in range(3)]
    expected, rel = np.empty(n_g), np.empty(n_g)
    passing, other, keys_ok = s_bool
    score, fraction, evidence, scale, absorber_g_cm2 = s_float
    shared, weak, missing = g_bool
    score_library(
        t.src, t.start, t.energy_kev, st.annih, st.gamma, st.keyed, st.gam100_mask, t.prior,
        st.area, st.residual, st.residual_unc, st.strong_low, st.ld, st.rel, st.match,
        st.blend, st.weight, st.miss_weight, st.alive, st.mu, _X_MAX, _CONSTS, st.low_only,
        st.scintillator, passing, score, fraction, evidence, scale, other, keys_ok,
        absorber_g_cm2, absorber, eff, shared, expected, weak, missing, rel,
    )  # fmt: skip
    return _Scores(
        passing, score, fraction, evidence, scale, other, keys_ok, eff, shared, expected,
        weak, missing, absorber_g_cm2, absorber, rel,
    )  # fmt: skip


def _other_lines(st: _State, rel: FloatArray) -> npt.NDArray[np.bool_]:
    """Sources with a second gamma line (>= 100 keV) at least 30 % of the strongest: those
    with two such lines at 30 % of their strongest or more (the strongest being one)."""
    out = np.zeros(st.table.n_sources, dtype=bool)
    gi, starts, seg = st.gam100, st.gam100_starts, st.gam100_seg
    if gi.size == 0:
        return out
    vals = rel[gi]
    top = np.maximum.reduceat(vals, starts)
    n_big = np.bincount(seg, weights=vals >= 0.3 * top[seg], minlength=starts.size)
    out[st.table.src[gi[starts]]] = n_big >= 2
    return out


def _keys_ok(st: _State, keyed: Any, z: FloatArray, seen: Any) -> npt.NDArray[np.bool_]:
    """Of the three most detectable gamma lines (>= 120 keV) of a source, two were seen."""
    n_s = st.table.n_sources
    ki = np.nonzero(keyed)[0]
    order = ki[np.lexsort((-seen[ki].astype(np.int64), -z[ki], st.table.src[ki]))]
    so = st.table.src[order]
    first = np.searchsorted(so, np.arange(n_s), side="left")
    top = (np.arange(order.size) - first[so]) < 3
    n_top = np.bincount(so[top], minlength=n_s)
    n_seen = np.bincount(so[top], weights=seen[order][top].astype(np.float64), minlength=n_s)
    out: npt.NDArray[np.bool_] = (n_top < 2) | (n_seen >= 2)
    return out


def _identification(st: _State, sc: _Scores, s: int) -> Identification:
    """The full record of source ``s`` (matched and missing lines) from its scores."""
    t = st.table
    matched: list[LineMatch] = []
    missing: list[LineMatch] = []
    lo, hi = int(t.start[s]), int(t.start[s + 1])
    eff = sc.eff_match[lo:hi]
    is_line = (eff >= 0) & (t.kind[lo:hi] != ANNIHILATION) & ~sc.shared[lo:hi]
    is_missing = sc.missing[lo:hi] & ~is_line
    ks = lo + np.nonzero(is_line | is_missing)[0]
    # the columns as Python lists at once (the same floats as indexing them one by one)
    columns = (
        t.energy_kev[ks], t.intensity[ks], t.emitter[ks], t.kind[ks], sc.expected[ks],
        st.ld[ks], sc.eff_match[ks], sc.weak[ks], is_line[ks - lo],
    )  # fmt: skip
    for e, i, emitter, kind, expected, ld, peak, weak, seen in zip(
        *(c.tolist() for c in columns), strict=True
    ):
        item = LineMatch(
            e,
            i,
            str(emitter),
            KINDS[kind],
            expected,
            ld,
            peak if peak >= 0 else None,
            "much weaker than expected" if weak else "",
        )
        (matched if seen else missing).append(item)
    score = float(sc.score[s])
    fraction = float(sc.fraction[s])
    confidence = float(np.clip(fraction * (1 - np.exp(-max(score, 0) / (2 * MIN_SCORE))), 0, 1))
    src = t.sources[s]
    return Identification(
        name=src.name,
        category=src.category,
        confidence=round(confidence, 3),
        score=score,
        matched=tuple(matched),
        missing=tuple(missing),
        scale=float(sc.scale[s]),
        extra={
            "fraction": fraction,
            "prior": src.prior,
            "evidence": float(sc.evidence[s]),
            "other_lines": bool(sc.other_lines[s]),
            "keys_ok": bool(sc.keys_ok[s]),
            "absorber": {
                "material": ABSORBERS[int(sc.absorber[s])],
                "areal_density_g_cm2": round(float(sc.absorber_g_cm2[s]), 2),
            },
        },
    )


def _status(st: _State, sc: _Scores, rel: FloatArray, s: int) -> tuple[str, list[str]]:
    """``identified``, or ``possible`` for a source seen through a single gamma line when the
    source is rare (one line cannot name it) or, in a low-resolution spectrum, when the line
    is ambiguous: another source passes on the same peak, the peak is one of that source's
    strongest lines (at least half its most intense one), and it lies about as close to
    the peak (within 0.15 FWHM more); with the names of those others."""
    t = st.table
    lo, hi = int(t.start[s]), int(t.start[s + 1])
    eff = sc.eff_match[lo:hi]
    gamma = (eff >= 0) & (t.kind[lo:hi] == GAMMA) & ~sc.shared[lo:hi]
    peaks = np.unique(eff[gamma])
    if peaks.size != 1:
        return "identified", []
    alternatives: list[str] = []
    if st.scintillator:
        k = int(peaks[0])
        peak = st.peaks[k]
        own = np.min(np.abs(t.energy_kev[lo:hi][gamma] - peak.energy_kev))
        top = np.maximum.reduceat(np.where(t.kind == GAMMA, rel, 0.0), t.start[:-1])
        cand = np.nonzero(
            (sc.eff_match == k)
            & (t.kind == GAMMA)
            & (t.src != s)
            & sc.passing[t.src]
            & (rel >= 0.5 * top[t.src])
            & (np.abs(t.energy_kev - peak.energy_kev) <= own + 0.15 * peak.fwhm_kev)
        )[0]
        alternatives = sorted({t.names[int(u)] for u in t.src[cand]})
    if t.prior[s] < 1.0 or alternatives:
        return "possible", alternatives
    return "identified", []


@lru_cache(maxsize=8)
def _strong_emitters(library: LibraryKey) -> dict[str, frozenset[str]]:
    """Per source, the chain members that emit its lines of 1 % or more."""
    return {
        name: frozenset(ln.emitter for ln in src.lines if ln.intensity >= 0.01)
        for name, src in library.obj.items()
    }


@lru_cache(maxsize=64)
def _attenuation_of(table: LineTable) -> FloatArray:
    """Attenuation coefficients of a (cached) line table's groups, computed once per table."""
    if table.energy_kev.size == 0:
        return np.empty((len(ABSORBERS), 0))
    return group_attenuation(table.energy_kev)


@lru_cache(maxsize=64)
def _sub_chains(library: LibraryKey, names: tuple[str, ...]) -> list[npt.NDArray[np.int64]]:
    """For each source of the table, the sources whose strong lines all come from its own
    chain members (the parts of its chain that are sources of their own)."""
    emitters = _strong_emitters(library)
    members = [frozenset(library.obj[n].members) for n in names]
    return [
        np.array(
            [j for j, m in enumerate(names) if j != i and emitters[m] and emitters[m] <= own],
            dtype=np.int64,
        )
        for i, own in enumerate(members)
    ]


def _best(sc: _Scores, prior: FloatArray) -> int | None:
    """The passing source with the most evidence (weighted by its prior), first on ties."""
    cand = np.nonzero(sc.passing)[0]
    if cand.size == 0:
        return None
    primary = sc.score[cand] * prior[cand]
    cand = cand[primary == primary.max()]
    return int(cand[np.argmax(sc.score[cand])])


def identify(
    peaks: list[ObservedPeak],
    library: dict[str, Source],
    *,
    ld_counts: Fn,
    fwhm_kev: Fn,
    efficiency: Fn,
    energy_range_kev: tuple[float, float],
    cal_tol: tuple[float, float] = (0.0, 0.0),
    scintillator: bool = False,
) -> list[Identification]:
    """Identify sources; return them in order of acceptance (strongest evidence first).

    ``cal_tol`` is the calibration uncertainty allowed in matching, ``(keV, fraction of E)``.
    Every source is scored at once on flat arrays of the library's lines; after each
    acceptance the residual areas change and the scores are recomputed.
    """
    if not peaks:
        return []
    table = line_table(library, fwhm_kev, *energy_range_kev)
    full_mu = _attenuation_of(table)
    e = table.energy_kev
    low_only = not any(
        p.energy_kev >= 150 and p.area > 5 * p.area_unc and not p.excluded for p in peaks
    )
    fwhm = np.atleast_1d(fwhm_kev(e)) if e.size else np.empty(0)
    match, blend = _match(table, peaks, fwhm, cal_tol)
    # a source can never be named when the peaks its lines (511 keV aside) match could not
    # give the least evidence its prior asks, even all for itself
    line = (match >= 0) & (table.kind != ANNIHILATION)
    signif = np.array([max(p.area, 0.0) / max(p.area_unc, 1e-9) for p in peaks])
    most = np.where(line, np.minimum(signif[np.maximum(match, 0)], EVIDENCE_CAP), 0.0)
    least = np.minimum(MIN_SCORE / table.prior**2, EVIDENCE_CAP + MIN_SCORE)
    possible = np.bincount(table.src, weights=most, minlength=table.n_sources) >= least
    table, groups = table.subset(possible)
    e, match, blend = table.energy_kev, match[groups], blend[groups]
    rel = table.intensity * np.atleast_1d(efficiency(e)) if e.size else np.empty(0)
    blend = consistent_blends(table, peaks, match, blend, rel, np.atleast_1d(fwhm_kev(e)), cal_tol)
    weight, miss_weight = _weights(table, low_only)
    st = _State(
        table=table,
        peaks=peaks,
        area=np.array([0.0 if p.excluded else max(p.area, 0.0) for p in peaks]),
        residual=np.array([0.0 if p.excluded else max(p.area, 0.0) for p in peaks]),
        residual_unc=np.array([max(p.area_unc, 1e-9) for p in peaks]),
        low_only=low_only,
        strong_low=strong_low(peaks),
        scintillator=scintillator,
        ld=np.maximum(np.atleast_1d(ld_counts(e)), SEARCH_LIMIT_COUNTS) if e.size else np.empty(0),
        rel=rel,
        match=match,
        blend=blend,
        weight=weight,
        miss_weight=miss_weight,
        alive=np.ones(table.n_sources, dtype=bool),
        mu=full_mu[:, groups],
    )
    accepted: list[Identification] = []
    for src in annihilation_only(LibraryKey(library)):
        dom = dominant_annihilation(src, peaks, ld_counts)
        if dom is not None and dom.matched[0].peak is not None:
            accepted.append(dom)
            st.residual[dom.matched[0].peak] = 0.0
            if src.name in table.names:
                st.alive[table.names.index(src.name)] = False
            break
    within = _sub_chains(LibraryKey(library), table.names)
    while st.alive.any():
        scores = _score_all(st)
        best = _best(scores, table.prior)
        if best is None:
            break
        ident = _identification(st, scores, best)
        status, alternatives = _status(st, scores, scores.rel, best)
        ident.extra.update(status=status, alternatives=alternatives)
        accepted.append(ident)
        st.alive[best] = False
        # a part of an accepted chain (Th-228 of Th-232, Tc-99m of Mo-99) is reported with it
        st.alive[within[best]] = False
        for m in ident.matched:
            if m.peak is not None:
                # the prediction is uncertain (generic efficiency): 50 % of it joins the
                # uncertainty of what is left for other sources
                st.residual[m.peak] = max(st.residual[m.peak] - m.expected_counts, 0.0)
                st.residual_unc[m.peak] = float(
                    np.hypot(st.residual_unc[m.peak], 0.5 * m.expected_counts)
                )
    return without_explained_annihilation(accepted, library, peaks, efficiency)


def warm_up() -> None:
    """Load the compiled scoring and matching kernels (numba's cache; compiled there on a
    machine's first run) with one small identification (called by ``fitting.warm_up``)."""
    peaks = [
        ObservedPeak(661.66, 0.05, 5.0e4, 250.0, 1.6),
        ObservedPeak(1460.8, 0.1, 900.0, 40.0, 2.0),
    ]
    identify(
        peaks,
        load_library(),
        ld_counts=lambda e: np.full(np.shape(e), 30.0),
        fwhm_kev=lambda e: 1.0 + 0.0005 * np.asarray(e),
        efficiency=relative_efficiency("HPGe"),
        energy_range_kev=(30.0, 3000.0),
    )
