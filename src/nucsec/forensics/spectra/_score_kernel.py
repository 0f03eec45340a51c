"""Compiled kernels (numba) for identification: one scoring of the nuclide library, and
the matching of its lines to the peaks.

:func:`score_library` does in compiled loops what ``identify._score_all`` does with NumPy
(kept as the reference it is tested against, ``tests/spectra/test_kernels.py``): for every
source of a line table at once, the matched lines still free, the blends, the scale of the
prediction to the matched peaks, the effective absorber
(:func:`~nucsec.forensics.spectra.shielding.fit_absorbers`), the weak and missing lines, the
evidence, the threshold and whether the source passes. A scoring is about 130 NumPy calls on
arrays of a few hundred groups; an analysis of a 16k HPGe spectrum makes about 18 of them.

:func:`match_lines` is the search of ``identify._match`` (the nearest peak within tolerance
of every line group, one peak per source, blends) without its (groups x window) arrays.

The arithmetic is written in the order NumPy does it (per-source sums in group order, as
``np.bincount``; products and quotients in the same association), so the results agree to
rounding (``exp`` and ``log`` are the C library's, not NumPy's vectorised ones). Groups are
stored source by source (``LineTable``), which the per-source loops rely on.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from nucsec.forensics.spectra._kernels import _jit
from nucsec.forensics.spectra.model import FloatArray

__all__ = ["match_lines", "score_library"]

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@_jit
def _clip(v: float, hi: float) -> float:
    """``np.clip(v, 0, hi)`` with NumPy's rules (NaN and ``-0.0`` kept)."""
    v = 0.0 if v < 0.0 else v
    return hi if v > hi else v


@_jit
def _blends(
    base: FloatArray, src: IntArray, blend: IntArray, owner: IntArray, out: FloatArray
) -> None:
    """``base`` with every blended line's value added to the matched line it is blended
    into (``np.add.at`` in group order)."""
    for g in range(base.size):
        out[g] = base[g]
    for g in range(base.size):
        if blend[g] >= 0:
            t = owner[src[g], blend[g]]
            if t >= 0:
                out[t] += base[g]


@_jit
def _absorbers(
    src: IntArray, n_s: int, mu: FloatArray, energy_kev: FloatArray, use: BoolArray,
    area: FloatArray, area_unc: FloatArray, predicted: FloatArray, x_max: FloatArray,
    min_energy_kev: float, max_weight: float, best_x: FloatArray, best_m: IntArray,
) -> None:  # fmt: skip
    """``shielding.fit_absorbers`` into ``best_x`` and ``best_m`` (see there)."""
    n_g = src.size
    ok = np.zeros(n_g, dtype=np.bool_)
    y = np.zeros(n_g)
    w = np.zeros(n_g)
    sw = np.zeros(n_s)
    sy = np.zeros(n_s)
    for g in range(n_g):
        if use[g] and energy_kev[g] >= min_energy_kev and area[g] > 0 and predicted[g] > 0:
            ok[g] = True
            y[g] = math.log(area[g] / predicted[g])
            q = area[g] / max(area_unc[g], 1e-9)
            w[g] = min(q * q, max_weight)
            sw[src[g]] += w[g]
            sy[src[g]] += w[g] * y[g]
    best_rss = np.full(n_s, np.inf)
    for s in range(n_s):
        best_x[s] = 0.0
        best_m[s] = 0
    sm = np.zeros(n_s)
    smm = np.zeros(n_s)
    smy = np.zeros(n_s)
    x = np.zeros(n_s)
    a = np.zeros(n_s)
    rss = np.zeros(n_s)
    for k in range(mu.shape[0]):
        sm[:] = 0.0
        smm[:] = 0.0
        smy[:] = 0.0
        rss[:] = 0.0
        for g in range(n_g):
            if ok[g]:
                wm = w[g] * mu[k, g]
                sm[src[g]] += wm
                smm[src[g]] += wm * mu[k, g]
                smy[src[g]] += wm * y[g]
        for s in range(n_s):
            var = sw[s] * smm[s] - sm[s] * sm[s]
            lim = 0.05 * sm[s]
            slope = (sw[s] * smy[s] - sm[s] * sy[s]) / var if var > lim * lim else 0.0
            x[s] = _clip(-slope, x_max[k])
            a[s] = (sy[s] + x[s] * sm[s]) / sw[s] if sw[s] > 0 else 0.0
        for g in range(n_g):
            if ok[g]:
                s = src[g]
                r = y[g] - a[s] + mu[k, g] * x[s]
                rss[s] += w[g] * (r * r)
        for s in range(n_s):
            if rss[s] < best_rss[s] - 1e-12:
                best_x[s] = x[s]
                best_m[s] = k
                best_rss[s] = rss[s]


@_jit
def _scale(
    src: IntArray, use: BoolArray, res: FloatArray, rel: FloatArray, unc2: FloatArray,
    out: FloatArray,
) -> None:  # fmt: skip
    """Weighted least-squares scale of each source's predicted areas to its matched peaks."""
    num = np.zeros(out.size)
    den = np.zeros(out.size)
    for g in range(src.size):
        if use[g]:
            num[src[g]] += res[g] * rel[g] / unc2[g]
            den[src[g]] += rel[g] * rel[g] / unc2[g]
    for s in range(out.size):
        out[s] = num[s] / den[s] if den[s] > 0 else 0.0


@_jit
def score_library(
    src: IntArray, start: IntArray, energy_kev: FloatArray, annih: BoolArray, gamma: BoolArray,
    keyed_lines: BoolArray, gam100: BoolArray, prior: FloatArray, area: FloatArray,
    residual: FloatArray, residual_unc: FloatArray, strong_low: BoolArray, ld: FloatArray,
    rel0: FloatArray, match: IntArray, blend: IntArray, weight: FloatArray,
    miss_weight: FloatArray, alive: BoolArray, mu: FloatArray, x_max: FloatArray,
    consts: FloatArray, low_only: bool, scintillator: bool,
    # outputs, per source
    passing: BoolArray, score: FloatArray, fraction: FloatArray, evidence: FloatArray,
    scale: FloatArray, other: BoolArray, keys_ok: BoolArray, absorber_g_cm2: FloatArray,
    absorber: IntArray,
    # outputs, per group
    eff: IntArray, shared: BoolArray, expected: FloatArray, weak_out: BoolArray,
    missing: BoolArray, rel: FloatArray,
) -> None:  # fmt: skip
    """One scoring of every source (``identify._score_all``, which documents the rules).

    ``consts`` holds ``EXPECT_Z, EVIDENCE_CAP, MIN_SCORE, REACHABLE_SHARE,
    shielding.MIN_ENERGY_KEV, shielding.MAX_WEIGHT``; ``x_max`` the largest areal density of
    each absorber. The results go into the output arrays.
    """
    expect_z, cap, min_score, reach_share, ab_min_e, ab_max_w = (
        consts[0], consts[1], consts[2], consts[3], consts[4], consts[5],
    )  # fmt: skip
    n_g = src.size
    n_s = prior.size
    n_p = area.size
    owner = np.full((n_s, n_p + 1), -1, dtype=np.int64)
    has = np.zeros(n_g, dtype=np.bool_)
    taken = np.zeros(n_g, dtype=np.bool_)
    matched = np.zeros(n_g, dtype=np.bool_)
    line = np.zeros(n_g, dtype=np.bool_)
    n_gamma = np.zeros(n_s)
    for g in range(n_g):
        has[g] = match[g] >= 0
        at = match[g] if has[g] else 0
        taken[g] = has[g] and residual[at] <= 2.0 * residual_unc[at]
        eff[g] = -1 if taken[g] else match[g]
        matched[g] = eff[g] >= 0
        line[g] = matched[g] and not annih[g]
        if matched[g]:
            owner[src[g], eff[g]] = g
        if line[g] and gamma[g]:
            n_gamma[src[g]] += 1.0
    any_into = False
    for g in range(n_g):
        if blend[g] >= 0 and owner[src[g], blend[g]] >= 0:
            any_into = True
    _blends(rel0, src, blend, owner, rel)
    res = np.zeros(n_g)
    unc = np.empty(n_g)
    unc2 = np.empty(n_g)
    use = np.zeros(n_g, dtype=np.bool_)
    n_use = np.zeros(n_s)
    for g in range(n_g):
        at_eff = eff[g] if matched[g] else 0
        if matched[g]:
            res[g] = residual[at_eff]
        unc[g] = residual_unc[at_eff]
        unc2[g] = unc[g] * unc[g]
        use[g] = line[g] and (gamma[g] or n_gamma[src[g]] == 0)
        if use[g]:
            n_use[src[g]] += 1.0
    scale1 = np.zeros(n_s)
    _scale(src, use, res, rel, unc2, scale1)
    keep = np.zeros(n_g, dtype=np.bool_)
    n_keep = np.zeros(n_s)
    for g in range(n_g):
        keep[g] = use[g] and res[g] <= 3 * scale1[src[g]] * rel[g]
        if keep[g]:
            n_keep[src[g]] += 1.0
    fit = np.zeros(n_g, dtype=np.bool_)
    fit_gamma = np.zeros(n_g, dtype=np.bool_)
    for g in range(n_g):
        s = src[g]
        fit[g] = keep[g] if (n_keep[s] != n_use[s] and n_keep[s] > 0) else use[g]
        fit_gamma[g] = fit[g] and gamma[g]
    # the effective absorber on the attenuation of the lines with their blended shares
    mu_eff = mu
    if any_into:
        mu_eff = np.empty_like(mu)
        tmp = np.empty(n_g)
        out = np.empty(n_g)
        for k in range(mu.shape[0]):
            for g in range(n_g):
                tmp[g] = rel0[g] * mu[k, g]
            _blends(tmp, src, blend, owner, out)
            for g in range(n_g):
                mu_eff[k, g] = out[g] / max(rel[g], 1e-300)
    _absorbers(
        src, n_s, mu_eff, energy_kev, fit_gamma, res, unc, rel, x_max, ab_min_e, ab_max_w,
        absorber_g_cm2, absorber,
    )  # fmt: skip
    shielded = False
    for s in range(n_s):
        if absorber_g_cm2[s] > 0:
            shielded = True
    if shielded:
        tmp = np.empty(n_g)
        for g in range(n_g):
            s = src[g]
            tmp[g] = rel0[g] * math.exp(-mu[absorber[s], g] * absorber_g_cm2[s])
        _blends(tmp, src, blend, owner, rel)
    _scale(src, fit, res, rel, unc2, scale)
    ev = np.zeros(n_s)
    pen = np.zeros(n_s)
    seen_z = np.zeros(n_s)
    total_z = np.zeros(n_s)
    n_line = np.zeros(n_s)
    n_g100 = np.zeros(n_s)
    reachable = np.zeros(n_s)
    z = np.empty(n_g)
    big = np.zeros(n_g, dtype=np.bool_)
    seen = np.zeros(n_g, dtype=np.bool_)
    for g in range(n_g):
        s = src[g]
        bl = blend[g] >= 0
        shared[g] = taken[g] or bl
        expected[g] = scale[s] * rel[g]
        z[g] = expected[g] / max(ld[g], 1.0)
        big[g] = z[g] > expect_z
        ratio = res[g] / max(expected[g], 1e-9)
        near = match[g] if has[g] else max(blend[g], 0)
        whole = area[near] / max(expected[g], 1e-9)
        blended = (not has[g]) and bl
        if taken[g] or blended:
            ratio = whole
        weak = (matched[g] or taken[g] or blended) and ratio < 0.25 and big[g]
        at_eff = eff[g] if matched[g] else 0
        low_real = line[g] and gamma[g] and strong_low[at_eff]
        w = 1.0 if low_real else weight[g]
        mw = miss_weight[g]
        missing[g] = (not shared[g]) and (not line[g]) and big[g] and mw > 0
        p_weak = (mw if annih[g] else w) * min(z[g] * (1 - 4 * ratio), 10.0) if weak else 0.0
        p_miss = mw * min(z[g] - expect_z, 10.0) if missing[g] else 0.0
        pen[s] += p_weak + p_miss
        if line[g]:
            credited = min(res[g], 2.0 * expected[g])
            ev[s] += w * min(credited / unc[g], cap)
            n_line[s] += 1.0
            if gamma[g] and (energy_kev[g] >= 100 or low_real):
                n_g100[s] += 1.0
        zc = mw * min(z[g], 1e3)
        if line[g] and big[g]:
            seen_z[s] += zc
        if (not shared[g]) and big[g]:
            total_z[s] += zc
        if gamma[g] and big[g] and not missing[g]:
            reachable[s] += w * min(4.65 * z[g], cap)
        weak_out[g] = weak and (line[g] or taken[g] or blended)
        seen[g] = shared[g] or matched[g]
    for s in range(n_s):
        evidence[s] = ev[s]
        score[s] = ev[s] - pen[s]
        fraction[s] = seen_z[s] / total_z[s] if total_z[s] > 0 else 1.0
        lo, hi = start[s], start[s + 1]
        # a second gamma line (>= 100 keV) at 30 % of the strongest or more
        top = -np.inf
        n_top_lines = 0
        for g in range(lo, hi):
            if gam100[g]:
                n_top_lines += 1
                top = max(top, rel[g])
        n_big = 0
        for g in range(lo, hi):
            if gam100[g] and rel[g] >= 0.3 * top:
                n_big += 1
        other[s] = n_top_lines > 0 and n_big >= 2
        # of the three most detectable gamma lines (>= 120 keV), two were seen: order by
        # z descending, seen first, then group order (``np.lexsort`` is stable)
        n_top = 0
        n_seen = 0
        used = np.zeros(hi - lo, dtype=np.bool_)
        for _ in range(3):
            pick = -1
            for g in range(lo, hi):
                if not (keyed_lines[g] and big[g]) or used[g - lo]:
                    continue
                if pick < 0 or z[g] > z[pick] or (z[g] == z[pick] and seen[g] and not seen[pick]):
                    pick = g
            if pick < 0:
                break
            used[pick - lo] = True
            n_top += 1
            n_seen += 1 if seen[pick] else 0
        keys_ok[s] = n_top < 2 or n_seen >= 2
        threshold = min(min_score / prior[s] ** 2, 8 * min_score)
        floor = cap + min_score
        threshold = min(threshold, max(reach_share * reachable[s], floor))
        if n_g100[s] <= 1 and other[s]:
            threshold *= 2.0
        if not low_only and scintillator and n_g100[s] == 0:
            threshold *= 2.0
        passing[s] = (
            alive[s] and n_line[s] > 0 and fraction[s] >= 0.5 and keys_ok[s]
            and n_gamma[s] > 0 and score[s] >= threshold
        )  # fmt: skip


@_jit
def match_lines(
    e: FloatArray, fwhm: FloatArray, base2: FloatArray, start: IntArray, energies: FloatArray,
    extra: FloatArray, order: IntArray, lo: IntArray, hi: IntArray, j_near: IntArray,
    blend_fwhm: float, match: IntArray, blend: IntArray,
) -> None:  # fmt: skip
    """``identify._match`` into ``match`` and ``blend`` (see there for the rules).

    ``order`` sorts the peaks by energy (stable); ``lo``/``hi`` bound each group's window in
    that order, ``j_near`` is where the group's energy falls in it; ``base2`` is each group's
    squared tolerance without the peak's own share ``extra``.
    """
    n_g = e.size
    n_p = energies.size
    best_d = np.empty(n_g)
    for g in range(n_g):
        bd = np.inf
        best = n_p
        for j in range(lo[g], hi[g]):
            c = order[j]
            dist = abs(energies[c] - e[g])
            within = dist <= math.sqrt(base2[g] + extra[c])
            if within and (dist < bd or (dist == bd and c < best)):
                bd = dist
                best = c
        best_d[g] = bd
        match[g] = best if bd < np.inf else -1
    # one peak per source: among a source's groups on one peak the closest, then the first
    win = np.full(n_p, -1, dtype=np.int64)
    lose = np.zeros(n_g, dtype=np.bool_)
    for s in range(start.size - 1):
        for g in range(start[s], start[s + 1]):
            p = match[g]
            if p >= 0 and (win[p] < 0 or best_d[g] < best_d[win[p]]):
                win[p] = g
        for g in range(start[s], start[s + 1]):
            p = match[g]
            if p >= 0:
                lose[g] = win[p] != g
        for g in range(start[s], start[s + 1]):
            if match[g] >= 0:
                win[match[g]] = -1
    for g in range(n_g):
        if lose[g]:
            match[g] = -1
    # the nearest peak at all (either neighbour in energy order; on a tie the first peak)
    for g in range(n_g):
        left = order[max(j_near[g] - 1, 0)]
        right = order[min(j_near[g], n_p - 1)]
        d_left = abs(energies[left] - e[g])
        d_right = abs(energies[right] - e[g])
        near = left if d_left < d_right else (right if d_right < d_left else min(left, right))
        d_near = min(d_left, d_right)
        close = d_near <= max(blend_fwhm * fwhm[g], math.sqrt(base2[g] + extra[near]))
        blend[g] = near if (match[g] < 0 and close) else -1
