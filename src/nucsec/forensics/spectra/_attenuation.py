"""Photon mass attenuation coefficients of the absorbers identification fits (private).

Identification fits one effective absorber per source, so that a shielded source whose
low-energy lines are attenuated is not rejected for "missing" them. The coefficients come
from ``xraydb`` (the Elam, Ravel and Sieber tables), which are reliable up to 800 keV; above
that they are continued by the Klein-Nishina energy dependence of Compton scattering,
which dominates there. That continuation neglects pair production (so it reads low above a
few MeV, most for lead) and scales lead's photoelectric part like Compton scattering (so it
reads high near 1-2 MeV): good enough for an effective absorber, which is a coarse model of
the shielding, not an attenuation calculation. Values are cached per material on a fixed
log-energy grid and interpolated.

>>> round(float(mass_attenuation_cm2_g("Fe", 661.657)), 3)
0.074
"""

from __future__ import annotations

import warnings
from functools import lru_cache
from typing import Any

import numpy as np

from nucsec.forensics.spectra.model import FloatArray

__all__ = ["ABSORBERS", "mass_attenuation_cm2_g"]

#: the effective absorbers identification tries: medium Z (steel) and high Z (lead)
ABSORBERS = ("Fe", "Pb")
_ELAM_MAX_KEV = 800.0
_ME_KEV = 510.999
_GRID_KEV = np.geomspace(10.0, 20000.0, 400)


def _klein_nishina(energy_kev: FloatArray) -> FloatArray:
    """Total Klein-Nishina cross-section per electron (units of 2 pi r_e^2)."""
    k = energy_kev / _ME_KEV
    a = (1 + k) / k**2 * (2 * (1 + k) / (1 + 2 * k) - np.log(1 + 2 * k) / k)
    b = np.log(1 + 2 * k) / (2 * k) - (1 + 3 * k) / (1 + 2 * k) ** 2
    out: FloatArray = a + b
    return out


@lru_cache(maxsize=8)
def _table(material: str) -> FloatArray:
    import xraydb

    low = _GRID_KEV[_GRID_KEV <= _ELAM_MAX_KEV]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # xraydb warns near its 800 keV limit
        mu_low = np.asarray(xraydb.mu_elam(material, low * 1e3), dtype=np.float64)
        mu_edge = float(xraydb.mu_elam(material, _ELAM_MAX_KEV * 1e3))
    high = _GRID_KEV[_GRID_KEV > _ELAM_MAX_KEV]
    kn = _klein_nishina(high) / _klein_nishina(np.array([_ELAM_MAX_KEV]))[0]
    out = np.concatenate([mu_low, mu_edge * kn])
    out.setflags(write=False)
    return out


def mass_attenuation_cm2_g(material: str, energy_kev: Any) -> Any:
    """Total mass attenuation coefficient (cm^2/g) of ``material`` (an element symbol)."""
    e = np.clip(np.asarray(energy_kev, dtype=np.float64), _GRID_KEV[0], _GRID_KEV[-1])
    return np.exp(np.interp(np.log(e), np.log(_GRID_KEV), np.log(_table(material))))
