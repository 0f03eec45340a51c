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

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple

import numpy as np

from nucsec.forensics.spectra.nucdata import Source

__all__ = ["Identification", "LineMatch", "ObservedPeak", "identify", "relative_efficiency"]

MIN_SCORE = 5.0
EVIDENCE_CAP = 15.0
EXPECT_Z = 2.0  # a line is "expected" when its predicted area is this many detection limits

Fn = Callable[[Any], Any]


@dataclass(frozen=True)
class ObservedPeak:
    energy_kev: float
    energy_unc_kev: float
    area: float
    area_unc: float
    fwhm_kev: float
    excluded: bool = False  # explained by an effect (backscatter...): never a line match


@dataclass(frozen=True)
class LineMatch:
    """One (merged) line of a source and what the spectrum says about it."""

    energy_kev: float
    intensity: float
    emitter: str
    kind: str
    expected_counts: float
    ld_counts: float
    peak: int | None = None  # index into the observed peaks
    note: str = ""

    def to_dict(self, peaks: list[ObservedPeak]) -> dict[str, Any]:
        out: dict[str, Any] = {
            "energy_kev": round(self.energy_kev, 3),
            "emitter": self.emitter,
            "intensity_pct": round(100 * self.intensity, 4),
            "kind": self.kind,
            "expected_counts": round(self.expected_counts, 1),
            "ld_counts": round(self.ld_counts, 1),
        }
        if self.peak is not None:
            out["peak_energy_kev"] = round(peaks[self.peak].energy_kev, 3)
            out["net_counts"] = round(peaks[self.peak].area, 1)
        if self.note:
            out["note"] = self.note
        return out


@dataclass(frozen=True)
class Identification:
    name: str
    category: str
    confidence: float
    score: float
    matched: tuple[LineMatch, ...]
    missing: tuple[LineMatch, ...]
    scale: float  # counts per (photon per decay x relative efficiency)
    explanation: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


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


@dataclass
class _Ctx:
    peaks: list[ObservedPeak]
    residual: np.ndarray
    residual_unc: np.ndarray  # area uncertainty plus 50 % of what accepted sources predict
    low_only: bool  # no significant peak above 150 keV
    scintillator: bool
    ld: Fn
    fwhm: Fn
    eff: Fn
    e_min: float
    e_max: float
    cal_tol: tuple[float, float]
    energies: np.ndarray = field(default_factory=lambda: np.empty(0))
    fwhm_key: tuple[float, ...] = ()
    tol_extra: np.ndarray = field(default_factory=lambda: np.empty(0))


@dataclass
class _Candidate:
    source: Source
    groups: list[_Group]
    rel: np.ndarray
    match: list[int | None]
    blend: list[int | None]


_FWHM_BY_KEY: dict[tuple[float, ...], Fn] = {}


def _fwhm_key(fwhm: Fn) -> tuple[float, ...]:
    """A hashable fingerprint of a resolution function (bound methods compare by identity)."""
    key = tuple(round(float(v), 6) for v in np.atleast_1d(fwhm(np.array([50.0, 500.0, 3000.0]))))
    if len(_FWHM_BY_KEY) > 256:
        _FWHM_BY_KEY.clear()
    _FWHM_BY_KEY.setdefault(key, fwhm)
    return key


class _Group(NamedTuple):
    """A merged line of a candidate source (light: thousands are made per spectrum)."""

    energy_kev: float
    intensity: float
    emitter: str
    kind: str
    ld_counts: float


@lru_cache(maxsize=4096)
def _merged_lines(
    source: Source, fwhm_key: tuple[float, ...], e_min: float, e_max: float
) -> tuple[tuple[float, float, str, str], ...]:
    """(energy, intensity, emitter, kind) of the source's lines in the energy range, merged
    within 0.4 FWHM of each group's first line (no chaining)."""
    lines = [ln for ln in source.lines if e_min <= ln.energy_kev <= e_max]
    if not lines:
        return ()
    fwhm = _FWHM_BY_KEY[fwhm_key]
    fw = np.atleast_1d(fwhm(np.array([ln.energy_kev for ln in lines])))
    groups: list[list[Any]] = []
    first_fw = 0.0
    for ln, w in zip(lines, fw, strict=True):
        if groups and ln.energy_kev - groups[-1][0].energy_kev < 0.4 * first_fw:
            groups[-1].append(ln)
        else:
            groups.append([ln])
            first_fw = float(w)
    merged = []
    for g in groups:
        total = sum(ln.intensity for ln in g)
        if total <= 0:
            continue
        energy = sum(ln.energy_kev * ln.intensity for ln in g) / total
        main = max(g, key=lambda ln: ln.intensity)
        by_kind: dict[str, float] = {}
        for ln in g:
            by_kind[ln.kind] = by_kind.get(ln.kind, 0.0) + ln.intensity
        merged.append((energy, total, main.emitter, max(by_kind, key=lambda k: by_kind[k])))
    return tuple(merged)


def _weight(group: _Group, low_only: bool = False) -> float:
    """Weight of a matched line as evidence.

    Below 100 keV x-rays, scatter and (for scintillators) calibration non-linearity crowd
    the spectrum, so a line there counts less, unless the spectrum has no significant peak
    above 150 keV that could be producing them (``low_only``).
    """
    if group.kind == "annihilation":
        return 0.0
    if group.kind == "xray":
        return 0.25
    return 0.6 if group.energy_kev < 100 and not low_only else 1.0


def _miss_weight(group: _Group) -> float:
    """Weight of a missing line as evidence against: low energies may be absorbed."""
    if group.kind == "xray":
        return 0.0
    return 0.2 if group.energy_kev < 120 and group.kind == "gamma" else 1.0


def _dedupe(best: list[int | None], d: np.ndarray) -> list[int | None]:
    """A peak serves one group of a source: the closest one keeps it."""
    out = list(best)
    owner: dict[int, int] = {}
    for k, i in enumerate(out):
        if i is None:
            continue
        if i in owner and d[owner[i], i] <= d[k, i]:
            out[k] = None
            continue
        if i in owner:
            out[owner[i]] = None
        owner[i] = k
    return out


def _prepare_all(library: dict[str, Source], ctx: _Ctx) -> dict[str, _Candidate]:
    """Merged lines of every source, their detection limits, efficiencies and matches,
    computed for all sources at once (one vectorised pass)."""
    per_source = []
    for src in library.values():
        merged = list(_merged_lines(src, ctx.fwhm_key, round(ctx.e_min), round(ctx.e_max)))
        if merged:
            per_source.append((src, merged))
    if not per_source:
        return {}
    e = np.array([m[0] for _, merged in per_source for m in merged])
    inten = np.array([m[1] for _, merged in per_source for m in merged])
    lds = np.atleast_1d(ctx.ld(e))
    rel_all = inten * np.atleast_1d(ctx.eff(e))
    fw = np.atleast_1d(ctx.fwhm(e))
    if ctx.energies.size:
        dist = np.abs(ctx.energies[None, :] - e[:, None])
        cal = ctx.cal_tol[0] + ctx.cal_tol[1] * e
        tol = np.sqrt((0.3 * fw[:, None]) ** 2 + ctx.tol_extra[None, :] + (cal**2)[:, None])
        d = np.where(dist <= tol, dist, np.inf)
        best = np.argmin(d, axis=1)
        ok = np.isfinite(d[np.arange(e.size), best])
        near = np.argmin(dist, axis=1)
        close = dist[np.arange(e.size), near] <= np.maximum(0.75 * fw, tol[np.arange(e.size), near])
    out: dict[str, _Candidate] = {}
    start = 0
    for src, merged in per_source:
        stop = start + len(merged)
        groups = [
            _Group(m[0], m[1], m[2], m[3], float(ld))
            for m, ld in zip(merged, lds[start:stop], strict=True)
        ]
        if ctx.energies.size:
            raw: list[int | None] = [
                int(b) if o else None for b, o in zip(best[start:stop], ok[start:stop], strict=True)
            ]
            match = _dedupe(raw, d[start:stop])
            blend: list[int | None] = [
                int(j) if i is None and c else None
                for i, j, c in zip(match, near[start:stop], close[start:stop], strict=True)
            ]
        else:
            match = [None] * len(groups)
            blend = [None] * len(groups)
        out[src.name] = _Candidate(src, groups, rel_all[start:stop], match, blend)
        start = stop
    return out


def _evaluate(cand: _Candidate, ctx: _Ctx) -> Identification | None:
    groups, rel = cand.groups, cand.rel
    matches: list[int | None] = []
    shared: list[bool] = []
    for i in cand.match:
        taken = i is not None and ctx.residual[i] <= 2.0 * ctx.residual_unc[i]
        shared.append(taken)  # the peak is there, but another source explains it
        matches.append(None if taken else i)
    idx = [k for k, i in enumerate(matches) if i is not None and groups[k].kind != "annihilation"]
    if not idx:
        return None
    # lines blended into a matched peak add their share to that peak's prediction
    rel_peak = rel.copy()
    for k, j in enumerate(cand.blend):
        if j is not None and j in matches:
            rel_peak[matches.index(j)] += rel[k]
    # scale from matched gamma lines (weighted least squares), dropping gross blends once
    use = [k for k in idx if groups[k].kind == "gamma"] or idx
    scale = 0.0
    for _ in range(2):
        pk = [matches[k] for k in use]
        res = np.array([ctx.residual[i] for i in pk])
        unc2 = np.array([ctx.residual_unc[i] ** 2 for i in pk])
        r = rel_peak[use]
        scale = float(np.sum(res * r / unc2) / np.sum(r * r / unc2))
        keep = [k for k, a in zip(use, res, strict=True) if a <= 3 * scale * rel_peak[k]]
        if len(keep) == len(use) or not keep:
            break
        use = keep
    blended = [j is not None for j in cand.blend]
    return _score(
        cand.source,
        groups,
        matches,
        [a or b for a, b in zip(shared, blended, strict=True)],
        rel_peak,
        scale,
        ctx,
    )


def _score(
    source: Source,
    groups: list[_Group],
    matches: list[int | None],
    shared: list[bool],
    rel: np.ndarray,
    scale: float,
    ctx: _Ctx,
) -> Identification | None:
    evidence = penalty = seen_z = total_z = 0.0
    matched, missing = [], []
    keys: list[tuple[float, bool]] = []  # (detectability, seen) of gamma lines >= 120 keV
    for g, i, taken, r in zip(groups, matches, shared, rel, strict=True):
        expected = scale * r
        z = expected / max(g.ld_counts, 1.0)
        if g.kind == "gamma" and g.energy_kev >= 120 and z > EXPECT_Z:
            keys.append((z, taken or i is not None))
        if taken:
            continue  # interference: neither evidence nor a missing line
        w = _weight(g, ctx.low_only)
        item = LineMatch(g.energy_kev, g.intensity, g.emitter, g.kind, expected, g.ld_counts, i)
        if i is not None and g.kind == "annihilation":
            ratio = ctx.residual[i] / max(expected, 1e-9)
            if ratio < 0.25 and z > EXPECT_Z:
                penalty += _miss_weight(g) * min(z * (1 - 4 * ratio), 10.0)
        if i is not None and g.kind != "annihilation":
            signif = min(ctx.residual[i] / ctx.residual_unc[i], EVIDENCE_CAP)
            ratio = ctx.residual[i] / max(expected, 1e-9)
            if ratio < 0.25 and z > EXPECT_Z:
                penalty += w * min(z * (1 - 4 * ratio), 10.0)
                item = LineMatch(**{**item.__dict__, "note": "much weaker than expected"})
            evidence += w * signif
            matched.append(item)
            if z > EXPECT_Z:
                seen_z += _miss_weight(g) * min(z, 1e3)
        elif z > EXPECT_Z and _miss_weight(g) > 0:
            penalty += _miss_weight(g) * min(z - EXPECT_Z, 10.0)
            missing.append(item)
        if z > EXPECT_Z:
            total_z += _miss_weight(g) * min(z, 1e3)
    if not matched:
        return None
    score = evidence - penalty
    fraction = seen_z / total_z if total_z > 0 else 1.0
    gam = [k for k, g in enumerate(groups) if g.kind == "gamma" and g.energy_kev >= 100]
    other_lines = len(gam) >= 2 and sorted(rel[gam])[-2] >= 0.3 * max(rel[gam])
    confidence = float(np.clip(fraction * (1 - np.exp(-max(score, 0) / (2 * MIN_SCORE))), 0, 1))
    top = sorted(keys, reverse=True)[:3]
    keys_ok = len(top) < 2 or sum(seen for _, seen in top) >= 2
    return Identification(
        name=source.name,
        category=source.category,
        confidence=round(confidence, 3),
        score=float(score),
        matched=tuple(matched),
        missing=tuple(missing),
        scale=float(scale),
        extra={
            "fraction": fraction,
            "prior": source.prior,
            "evidence": evidence,
            "other_lines": bool(other_lines),
            "keys_ok": keys_ok,
        },
    )


def _passes(ident: Identification, ctx: _Ctx) -> bool:
    if ident.extra["fraction"] < 0.5 or not ident.extra.get("keys_ok", True):
        return False
    threshold = min(MIN_SCORE / ident.extra["prior"] ** 2, 8 * MIN_SCORE)
    gammas = [m for m in ident.matched if m.kind == "gamma" and m.energy_kev >= 100]
    if not [m for m in ident.matched if m.kind == "gamma"]:
        return False
    if len(gammas) <= 1 and ident.extra["other_lines"]:
        threshold *= 2  # a multi-line source seen through a single line
    if not gammas and not ctx.low_only and ctx.scintillator:
        threshold *= 2  # only low-energy evidence, among x-rays and scatter of other peaks
    return ident.score >= threshold


def _dominant_annihilation(source: Source, ctx: _Ctx) -> Identification | None:
    """A source seen only through 511 keV (F-18): the 511 keV peak must dominate."""
    strong = [ln for ln in source.lines if ln.intensity >= 0.01]
    if not strong or any(ln.kind != "annihilation" for ln in strong):
        return None
    total = sum(max(p.area, 0.0) for p in ctx.peaks)
    for i, p in enumerate(ctx.peaks):
        if abs(p.energy_kev - 511.0) < max(0.5 * p.fwhm_kev, 1.5) and total > 0:
            signif = p.area / p.area_unc
            if p.area >= 0.6 * total and signif >= 10:
                ln = strong[0]
                m = LineMatch(
                    ln.energy_kev,
                    ln.intensity,
                    ln.emitter,
                    ln.kind,
                    p.area,
                    float(ctx.ld(511.0)),
                    i,
                    "511 keV dominates the spectrum",
                )
                return Identification(
                    source.name,
                    source.category,
                    0.5,
                    signif,
                    (m,),
                    (),
                    p.area / ln.intensity,
                    extra={"fraction": 1.0, "prior": source.prior, "other_lines": False},
                )
    return None


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
    """
    residual = np.array([0.0 if p.excluded else max(p.area, 0.0) for p in peaks])
    residual_unc = np.array([max(p.area_unc, 1e-9) for p in peaks])
    low_only = not any(
        p.energy_kev >= 150 and p.area > 5 * p.area_unc and not p.excluded for p in peaks
    )
    ctx = _Ctx(
        peaks,
        residual,
        residual_unc,
        low_only,
        scintillator,
        ld_counts,
        fwhm_kev,
        efficiency,
        energy_range_kev[0],
        energy_range_kev[1],
        cal_tol,
    )
    ctx.energies = np.array([p.energy_kev for p in peaks])
    ctx.fwhm_key = _fwhm_key(fwhm_kev)
    ctx.tol_extra = np.array([(2.5 * p.energy_unc_kev) ** 2 for p in peaks])
    accepted: list[Identification] = []
    remaining = _prepare_all(library, ctx)
    for src in library.values():
        dom = _dominant_annihilation(src, ctx)
        if dom is not None:
            accepted.append(dom)
            ctx.residual[dom.matched[0].peak] = 0.0
            remaining.pop(src.name, None)
            break
    results = {name: _evaluate(c, ctx) for name, c in remaining.items()}
    while remaining:
        passing = [r for r in results.values() if r is not None and _passes(r, ctx)]
        if not passing:
            break
        best = max(passing, key=lambda r: (r.score * r.extra["prior"], r.score))
        accepted.append(best)
        remaining.pop(best.name)
        results.pop(best.name)
        changed = set()
        for m in best.matched:
            if m.peak is not None:
                # the prediction is uncertain (generic efficiency): 50 % of it joins the
                # uncertainty of what is left for other sources
                ctx.residual[m.peak] = max(ctx.residual[m.peak] - m.expected_counts, 0.0)
                ctx.residual_unc[m.peak] = float(
                    np.hypot(ctx.residual_unc[m.peak], 0.5 * m.expected_counts)
                )
                changed.add(m.peak)
        for name, c in remaining.items():  # only sources touching a changed peak move
            if changed & (set(c.match) | set(c.blend)):
                results[name] = _evaluate(c, ctx)
    return accepted
