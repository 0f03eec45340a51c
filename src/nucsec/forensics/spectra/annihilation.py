"""Sources seen only through 511 keV annihilation photons (F-18 and the like): named when
that peak dominates the spectrum, and not when an identified positron emitter makes it
(rules of :mod:`identify`)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from nucsec.forensics.spectra.identification import (
    Fn,
    Identification,
    LineMatch,
    ObservedPeak,
)
from nucsec.forensics.spectra.nucdata import Source

__all__ = ["annihilation_only", "dominant_annihilation", "without_explained_annihilation"]


@lru_cache(maxsize=8)
def annihilation_only(library: Any) -> tuple[Source, ...]:
    """Sources whose only strong line (>= 1 %) is 511 keV (F-18 and the like)."""
    out = []
    for src in library.obj.values():
        strong = [ln for ln in src.lines if ln.intensity >= 0.01]
        if strong and all(ln.kind == "annihilation" for ln in strong):
            out.append(src)
    return tuple(out)


def dominant_annihilation(
    source: Source, peaks: list[ObservedPeak], ld: Fn
) -> Identification | None:
    """A source seen only through 511 keV (F-18): the 511 keV peak must dominate."""
    ln = next(ln for ln in source.lines if ln.intensity >= 0.01)
    near = [
        i for i, p in enumerate(peaks) if abs(p.energy_kev - 511.0) < max(0.5 * p.fwhm_kev, 1.5)
    ]
    total = sum(max(p.area, 0.0) for p in peaks) if near else 0.0
    for i in near:
        p = peaks[i]
        if total > 0:
            signif = p.area / p.area_unc
            if p.area >= 0.6 * total and signif >= 10:
                m = LineMatch(
                    ln.energy_kev,
                    ln.intensity,
                    ln.emitter,
                    ln.kind,
                    p.area,
                    float(ld(511.0)),
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


def without_explained_annihilation(
    accepted: list[Identification],
    library: dict[str, Source],
    peaks: list[ObservedPeak],
    efficiency: Fn,
) -> list[Identification]:
    """Drop a source named only from a dominant 511 keV peak (F-18) when a positron emitter
    identified by its gamma lines (Na-22, say) predicts at least 30 % of that peak."""
    dominant = [n for n in accepted if n.extra.get("other_lines") is False and n.matched
                and n.matched[0].kind == "annihilation"]  # fmt: skip
    if not dominant:
        return accepted
    k = dominant[0].matched[0].peak
    area = peaks[k].area if k is not None else 0.0
    made = 0.0
    for n in accepted:
        src = library.get(n.name)
        if n is dominant[0] or src is None:
            continue
        made += sum(
            n.scale * ln.intensity * float(efficiency(ln.energy_kev))
            for ln in src.lines
            if ln.kind == "annihilation"
        )
    if made < 0.3 * area:
        return accepted
    return [n for n in accepted if n is not dominant[0]]
