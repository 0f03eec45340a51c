"""An effective absorber per source, so that attenuated low-energy lines are not "missing".

A source behind steel or lead shows its high-energy lines nearly as the unshielded pattern
predicts and its low-energy lines much weaker. Identification compares peak areas with
``intensity x generic efficiency``; without a model of the shield it would count the
attenuated lines as missing (evidence against the source) and may reject it. For each source,
the matched gamma lines (50 keV and up; x-rays vary with fluorescence and are left out) are
fitted with ``ln(area / predicted) = a - mu/rho(E) x`` for each absorber of
:data:`ABSORBERS` (steel-like, lead), weighted by the
lines' significance, with the areal density ``x`` held in ``[0, X_MAX]``; the absorber with
the smaller weighted residual is kept. All sources are fitted at once with per-source sums.

The fit also absorbs part of the difference between the generic efficiency shape and a
real detector's (a small crystal loses efficiency faster with energy): it is an *effective*
absorber, reported with the identification, not a measurement of the shield.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt

from nucsec.forensics.spectra.attenuation import mass_attenuation_cm2_g
from nucsec.forensics.spectra.model import FloatArray

__all__ = ["ABSORBERS", "Absorbers", "fit_absorbers", "group_attenuation"]

#: the effective absorbers identification tries: medium Z (steel) and high Z (lead)
ABSORBERS = ("Fe", "Pb")
#: the coefficients are tabulated once per absorber on this grid and interpolated (log-log)
_GRID_KEV = np.geomspace(10.0, 20000.0, 400)

#: largest areal density fitted, g/cm^2 (about 10 cm of steel, 4 cm of lead)
X_MAX = {"Fe": 80.0, "Pb": 45.0}
MIN_ENERGY_KEV = 50.0
#: weight of a line: its significance squared, capped (systematics of the generic shape)
MAX_WEIGHT = 100.0


@dataclass(frozen=True)
class Absorbers:
    """Per source: fitted areal density (g/cm^2) and absorber index."""

    areal_density_g_cm2: FloatArray  # (S,)
    material: npt.NDArray[np.int64]  # (S,) index into ABSORBERS


@cache
def _ln_table() -> FloatArray:
    """ln mu/rho of each absorber on :data:`_GRID_KEV` (the photon attenuation model of
    :mod:`~nucsec.forensics.spectra.attenuation`, pair production included)."""
    out = np.log([mass_attenuation_cm2_g(m, _GRID_KEV) for m in ABSORBERS])
    out.setflags(write=False)
    return out


def group_attenuation(energy_kev: FloatArray) -> FloatArray:
    """Mass attenuation coefficients ``(len(ABSORBERS), G)`` at the groups' energies."""
    ln_e = np.log(np.clip(np.asarray(energy_kev, dtype=np.float64), _GRID_KEV[0], _GRID_KEV[-1]))
    ln_grid = np.log(_GRID_KEV)
    return np.exp(np.array([np.interp(ln_e, ln_grid, row) for row in _ln_table()]))


def fit_absorbers(
    src: npt.NDArray[np.int64],
    n_sources: int,
    mu: FloatArray,
    energy_kev: FloatArray,
    use: npt.NDArray[np.bool_],
    area: FloatArray,
    area_unc: FloatArray,
    predicted: FloatArray,
) -> Absorbers:
    """Fit every source's effective absorber from its matched lines (see the module text).

    ``use`` marks the matched gamma lines; ``area`` and ``area_unc`` are their peaks'
    (unexplained) areas and ``predicted`` the unshielded prediction up to a scale. A source
    needs two such lines whose attenuation differs, else its absorber is zero.
    """

    ok = use & (energy_kev >= MIN_ENERGY_KEV) & (area > 0) & (predicted > 0)
    idx = np.nonzero(ok)[0]  # the few matched lines, not every line of the library
    g_src = src[idx]

    def per_source(values: FloatArray) -> FloatArray:
        return np.asarray(np.bincount(g_src, weights=values, minlength=n_sources), np.float64)

    y = np.log(area[idx] / predicted[idx])
    w = np.minimum((area[idx] / np.maximum(area_unc[idx], 1e-9)) ** 2, MAX_WEIGHT)
    sw = per_source(w)
    sy = per_source(w * y)
    best_x = np.zeros(n_sources)
    best_m = np.zeros(n_sources, dtype=np.int64)
    best_rss = np.full(n_sources, np.inf)
    for k, material in enumerate(ABSORBERS):
        m = mu[k, idx]
        sm, smm, smy = per_source(w * m), per_source(w * m * m), per_source(w * m * y)
        var = sw * smm - sm * sm
        spread = var > (0.05 * sm) ** 2  # attenuation of the lines differs by > ~5 %
        slope = np.divide(sw * smy - sm * sy, var, out=np.zeros(n_sources), where=spread)
        x = np.clip(-slope, 0.0, X_MAX[material])
        a = np.divide(sy + x * sm, sw, out=np.zeros(n_sources), where=sw > 0)
        rss = per_source(w * (y - a[g_src] + m * x[g_src]) ** 2)
        better = rss < best_rss - 1e-12
        best_x = np.where(better, x, best_x)
        best_m = np.where(better, k, best_m)
        best_rss = np.where(better, rss, best_rss)
    return Absorbers(best_x, best_m)
