"""Results of the isotopics (uranium enrichment, plutonium isotopics) and the enrichment meter.

Two methods give a uranium enrichment:

``relative_efficiency_physical`` (:mod:`~nucsec.forensics.spectra.isotopics`, no calibration)
    The relative activities of U-235 and U-238 (through Th-234 and Pa-234m) fitted jointly
    with a physical relative efficiency: detector shape x self-attenuation of the item
    (fitted areal density, slab or sphere) x external absorbers (fitted areal densities of
    iron and lead). Value and k=1/k=2 intervals from the profile likelihood, chi-square, and
    a quality flag instead of a number when the data cannot bound the enrichment.

``enrichment_meter`` (needs a calibration)
    For a sample thick at 185.7 keV, the 185.7 keV count rate is proportional to the
    enrichment: ``wt% = K x rate``, ``K`` measured on standards in the same geometry.

All uncertainties are standard uncertainties (k=1) unless a key says k=2.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from nucsec.forensics.spectra import isolines as il

__all__ = [
    "U235_LINES",
    "U238_LINES",
    "EnrichmentResult",
    "PlutoniumResult",
    "enrichment_class",
    "enrichment_meter",
    "enrichment_text",
    "weight_pct",
]

#: (energy keV, photons per decay) of the main U-235 and U-238-daughter lines
U235_LINES = tuple(
    (ln.energy_kev, ln.intensity)
    for ln in il.URANIUM_LINES
    if ln.isotope == "U-235" and ln.energy_kev in (143.765, 163.357, 185.713, 205.311)
)
U238_LINES = tuple(
    (ln.energy_kev, ln.intensity)
    for ln in il.URANIUM_LINES
    if ln.isotope == "U-238" and ln.energy_kev in (63.29, 258.227, 766.42, 1001.03)
)


def _r(x: float | None, nd: int = 4) -> float | None:
    return None if x is None or not math.isfinite(x) else round(x, nd)


@dataclass(frozen=True)
class EnrichmentResult:
    """Uranium enrichment. ``u235_pct`` is None when the data support no number (see
    ``quality``); with ``limit`` set it is a bound (k=2), not a value."""

    u235_pct: float | None  # weight per cent U-235 in U (U-234 neglected)
    u_u235_pct: float | None  # standard uncertainty (k=1)
    method: str
    atom_pct: float | None = None
    limit: str | None = None  # None, "lower" or "upper"
    lines_used: tuple[float, ...] = ()
    note: str = ""
    quality: str = "ok"
    interval_k1: tuple[float, float] | None = None  # wt%, profile likelihood
    interval_k2: tuple[float, float] | None = None
    areal_density_g_cm2: dict[str, dict[str, float]] = field(default_factory=dict)
    self_attenuation: str | None = None
    chi2: float | None = None
    dof: int | None = None
    enrichment_class: str | None = None  # see :func:`enrichment_class`

    def to_dict(self) -> dict[str, Any]:
        return {
            "u235_pct": _r(self.u235_pct),
            "u_u235_pct": _r(self.u_u235_pct),
            "coverage": "k=1",
            "method": self.method,
            "atom_pct": _r(self.atom_pct),
            "limit": self.limit,
            "lines_used_kev": [round(e, 2) for e in self.lines_used],
            "note": self.note,
            "quality": self.quality,
            "interval_k1_pct": None
            if self.interval_k1 is None
            else [_r(x) for x in self.interval_k1],
            "interval_k2_pct": None
            if self.interval_k2 is None
            else [_r(x) for x in self.interval_k2],
            "areal_density_g_cm2": self.areal_density_g_cm2,
            "self_attenuation": self.self_attenuation,
            "chi2": _r(self.chi2, 2),
            "dof": self.dof,
            "class": self.enrichment_class,
        }


#: enrichment classes (wt% U-235): depleted below, natural around, LEU up to, HEU from
DEPLETED_BELOW, NATURAL_PCT, HEU_FROM = 0.6, 0.711, 20.0


def enrichment_class(lo_pct: float, hi_pct: float) -> str | None:
    """The class a k=2 interval of the enrichment decides, or None.

    ``depleted`` (all below 0.6 %), ``natural`` (within 0.6-0.9 % around natural's
    0.711 %), ``LEU`` (above natural, below 20 %), ``HEU`` (all at or above 20 %), and the
    weaker ``not HEU`` (below 20 %) or ``enriched`` (all above natural) when the interval
    straddles more than one class.

    >>> enrichment_class(25.0, 100.0), enrichment_class(2.6, 3.4), enrichment_class(0.5, 40.0)
    ('HEU', 'LEU', None)
    """
    if lo_pct >= HEU_FROM:
        return "HEU"
    if hi_pct < DEPLETED_BELOW:
        return "depleted"
    if lo_pct >= DEPLETED_BELOW and hi_pct <= 0.9:
        return "natural"
    if lo_pct > 0.9 and hi_pct < HEU_FROM:
        return "LEU"
    if lo_pct > 0.9:
        return "enriched"
    if hi_pct < HEU_FROM:
        return "not HEU"
    return None


@dataclass(frozen=True)
class PlutoniumResult:
    """Plutonium isotopics: mass per cent of Pu-238..241 (Pu-242 has no usable line and is
    not included), Am-241 relative to that plutonium; empty when ``quality`` is not ok."""

    mass_pct: dict[str, float]
    interval_k1_pct: dict[str, tuple[float | None, float | None]]
    quality: str
    areal_density_g_cm2: dict[str, dict[str, float]]
    self_attenuation: str
    chi2: float
    dof: int
    isotopes_fitted: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "mass_pct": {k: _r(v) for k, v in self.mass_pct.items()},
            "interval_k1_pct": {
                k: [_r(lo), _r(hi)] for k, (lo, hi) in self.interval_k1_pct.items()
            },
            "coverage": "k=1",
            "method": "relative_efficiency_physical",
            "quality": self.quality,
            "areal_density_g_cm2": self.areal_density_g_cm2,
            "self_attenuation": self.self_attenuation,
            "chi2": _r(self.chi2, 2),
            "dof": self.dof,
            "isotopes_fitted": list(self.isotopes_fitted),
            "note": "Pu-242 has no usable gamma line: fractions are of Pu-238 to Pu-241",
        }


def enrichment_text(enr: dict[str, Any]) -> str:
    """One line for people: value (k=1), or the limit (or a k=2 range too wide for a
    value), or the quality flag instead; the enrichment class when one is decided.

    >>> enrichment_text({"u235_pct": 1.3, "limit": "lower", "interval_k2_pct": [1.3, 4.7],
    ...                  "class": "LEU", "method": "m"})
    '1.300 to 4.700 wt% U-235 (k=2), no value [LEU], m'
    """
    value, unc, limit = enr.get("u235_pct"), enr.get("u_u235_pct"), enr.get("limit")
    if value is None:
        text = f"uranium, enrichment unknown ({enr.get('quality', 'no value')})"
    elif limit == "lower":
        upper = (enr.get("interval_k2_pct") or [None, None])[1]
        text = f"at least {value:.3f} wt% U-235 (k=2)"
        if upper is not None and upper < 100:
            text = f"{value:.3f} to {upper:.3f} wt% U-235 (k=2), no value"
    elif limit == "upper":
        text = f"at most {value:.3f} wt% U-235 (k=2)"
    elif unc is None:
        text = f"{value:.3f} wt% U-235"
    else:
        text = f"{value:.3f} +- {unc:.3f} wt% U-235 (k=1)"
    if enr.get("class"):
        text += f" [{enr['class']}]"
    text += f", {enr.get('method')}"
    quality = enr.get("quality")
    if value is not None and quality:
        text += f"; quality {quality}"
    areal = enr.get("areal_density_g_cm2") or {}
    if areal:
        text += "; areal densities " + ", ".join(
            f"{k} {v['value']:.3g}"
            + (f" +- {v['unc']:.2g}" if v.get("unc") is not None else "")
            + " g/cm2"
            for k, v in areal.items()
        )
    if enr.get("chi2") is not None:
        text += f"; chi2 {enr['chi2']:.1f}/{enr.get('dof')} dof"
    return text


def weight_pct(atom_ratio: float) -> float:
    """Weight per cent U-235 in U-235 + U-238 from the atom ratio N(U-235)/N(U-238)."""
    m235, m238 = il.MASS_U["U-235"], il.MASS_U["U-238"]
    return 100.0 * m235 * atom_ratio / (m235 * atom_ratio + m238)


def enrichment_meter(
    rate_185_cps: float, rate_unc_cps: float, k_pct_per_cps: float, k_unc: float = 0.0
) -> EnrichmentResult:
    """Enrichment-meter method: ``wt% = K x (net 185.7 keV count rate)``, thick sample."""
    wt = k_pct_per_cps * rate_185_cps
    rel = math.hypot(
        rate_unc_cps / rate_185_cps if rate_185_cps else 0.0,
        k_unc / k_pct_per_cps if k_pct_per_cps else 0.0,
    )
    return EnrichmentResult(
        wt,
        abs(wt) * rel,
        "enrichment_meter",
        lines_used=(185.715,),
        note="valid only for samples infinitely thick at 185.7 keV "
        "measured in the calibration geometry",
    )
