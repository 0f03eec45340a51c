"""Photon mass attenuation coefficients (cm^2/g) of elements and compounds, 50 keV to 3 MeV.

What the isotopics fit (self-attenuation of the item, external absorbers) and the forward
simulator (item, absorbers, detector crystal) need. The data come from the ``xraydb``
package (pinned; it ships its SQLite database): the Elam, Ravel and Sieber tables of
photoabsorption, coherent and incoherent scattering, which agree with NIST XCOM to about
0.1 % up to 800 keV (``tests/spectra/test_attenuation.py``). xraydb clamps those tables at
800 keV, so above it:

- incoherent scattering is the Klein-Nishina cross section of the atom's Z electrons,
  scaled by the ratio of the tabulated value to Klein-Nishina at 800 keV (binding effects,
  already below 1.5 % there);
- photoabsorption follows the shape of Sauter's K-shell cross section from its value at
  800 keV;
- coherent scattering is extrapolated as a power law from 600-800 keV (it is below 1 % of
  the total there);
- pair production in the nuclear field is Maximon's Born-approximation expansion (no
  Coulomb correction, no pair production in the electron field).

Accuracy against NIST (test): within 1.2 % for every element up to 1.25 MeV; within 1 %
for Z <= 26 up to 3 MeV; for lead and uranium from 1.5 to 3 MeV the total is up to 5.5 %
low (the Born pair cross section misses the Coulomb enhancement near threshold). The
isotopics use lines up to 1001 keV only.

>>> round(float(mass_attenuation_cm2_g("U", 185.7)), 3)
1.548
>>> round(float(mass_attenuation_cm2_g("Fe", 1001.0)), 4)
0.0599
"""

from __future__ import annotations

import math
import warnings
from functools import cache
from typing import Any

import numpy as np

from nucsec.forensics.spectra.model import FloatArray, SpectrumError

__all__ = [
    "COMPONENTS",
    "MATERIALS",
    "attenuation_components",
    "composition",
    "mass_attenuation_cm2_g",
    "transmission",
]

AVOGADRO = 6.02214076e23
R_ELECTRON_CM = 2.8179403262e-13
FINE_STRUCTURE = 1 / 137.035999
ELECTRON_MASS_KEV = 510.99895
ELAM_MAX_KEV = 800.0
ELAM_MIN_KEV = 1.0

#: named materials: formula (xraydb's parser) and a nominal density (g/cm^3)
MATERIALS: dict[str, tuple[str, float]] = {
    "U": ("U", 19.05),
    "UO2": ("UO2", 10.97),
    "U3O8": ("U3O8", 8.38),
    "Pu": ("Pu", 19.84),
    "PuO2": ("PuO2", 11.5),
    "Fe": ("Fe", 7.874),
    "steel": ("Fe", 7.874),
    "Pb": ("Pb", 11.35),
    "Al": ("Al", 2.699),
    "W": ("W", 19.3),
    "Cd": ("Cd", 8.65),
    "polyethylene": ("C2H4", 0.94),
    "Ge": ("Ge", 5.323),
    "NaI": ("NaI", 3.67),
    "CsI": ("CsI", 4.51),
    "LaBr3": ("LaBr3", 5.08),
    "CZT": ("Cd0.9Zn0.1Te", 5.78),
    "air": ("N1.56O0.42Ar0.01", 0.001205),
    "water": ("H2O", 1.0),
}


def _xraydb() -> Any:
    import xraydb  # imported lazily: its SQLite database is opened on first use

    return xraydb


@cache
def composition(material: str) -> tuple[tuple[str, float], ...]:
    """Mass fractions of the elements of a named material or a chemical formula.

    >>> [(el, round(w, 3)) for el, w in composition("UO2")]
    [('U', 0.882), ('O', 0.118)]
    """
    formula = MATERIALS.get(material, (material, 0.0))[0]
    xdb = _xraydb()
    try:
        atoms = xdb.chemparse(formula)
        masses = {el: n * xdb.atomic_mass(el) for el, n in atoms.items()}
    except Exception as exc:  # xraydb raises bare errors for unknown symbols
        raise SpectrumError(
            f"unknown material {material!r}", field="material", value=material
        ) from exc
    total = sum(masses.values())
    if not masses or total <= 0:
        raise SpectrumError(f"unknown material {material!r}", field="material", value=material)
    return tuple((el, m / total) for el, m in masses.items())


def _klein_nishina_cm2(energy_kev: FloatArray) -> FloatArray:
    """Klein-Nishina cross section per free electron (cm^2)."""
    k = energy_kev / ELECTRON_MASS_KEV
    lg = np.log1p(2 * k)
    a = (1 + k) / k**2 * (2 * (1 + k) / (1 + 2 * k) - lg / k) + lg / (2 * k)
    out: FloatArray = 2 * math.pi * R_ELECTRON_CM**2 * (a - (1 + 3 * k) / (1 + 2 * k) ** 2)
    return out


def _sauter(energy_kev: FloatArray) -> FloatArray:
    """Energy dependence of Sauter's K-shell photoabsorption cross section (relative)."""
    k = energy_kev / ELECTRON_MASS_KEV
    g = 1 + k
    b = np.sqrt(g * g - 1)
    log_term = np.log((g + b) / (g - b)) / (2 * g * b)
    out: FloatArray = (g * g - 1) ** 1.5 / k**5 * (4 / 3 + g * (g - 2) / (g + 1) * (1 - log_term))
    return out


def _pair_nuclear_cm2(energy_kev: FloatArray, z: int) -> FloatArray:
    """Pair production in the nuclear field, Maximon's expansion of the Born cross section."""
    k = np.maximum(energy_kev / ELECTRON_MASS_KEV, 2.0)
    eps = (2 * k - 4) / (2 + k + 2 * np.sqrt(2 * k))
    series = 1 + eps / 2 + 23 * eps**2 / 40 + 11 * eps**3 / 60 + 29 * eps**4 / 960
    out: FloatArray = (
        (2 * math.pi / 3) * FINE_STRUCTURE * R_ELECTRON_CM**2 * z**2 * ((k - 2) / k) ** 3 * series
    )
    return np.where(energy_kev > 2 * ELECTRON_MASS_KEV, out, 0.0)


def _elam(element: str, energy_kev: FloatArray, kind: str) -> FloatArray:
    xdb = _xraydb()
    e_ev = np.clip(energy_kev, ELAM_MIN_KEV, ELAM_MAX_KEV) * 1000.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the clamping warning: we never ask above 800 keV
        out: FloatArray = np.asarray(xdb.mu_elam(element, e_ev, kind=kind), dtype=np.float64)
    return out


COMPONENTS = ("photo", "coherent", "incoherent", "pair")


def _element_components(element: str, energy_kev: FloatArray) -> FloatArray:
    """Mass attenuation coefficients (cm^2/g) of one element, one row per
    :data:`COMPONENTS`: photoabsorption, coherent and incoherent scattering, pair
    production."""
    xdb = _xraydb()
    e = np.asarray(energy_kev, dtype=np.float64)
    low = np.minimum(e, ELAM_MAX_KEV)
    out = np.zeros((len(COMPONENTS), e.size))
    out[0] = _elam(element, low, "photo")
    out[1] = _elam(element, low, "coh")
    out[2] = _elam(element, low, "incoh")
    high = e > ELAM_MAX_KEV
    if np.any(high):
        eh = e[high]
        z = int(xdb.atomic_number(element))
        per_gram = AVOGADRO / float(xdb.atomic_mass(element))
        ref = np.array([600.0, ELAM_MAX_KEV])
        photo = _elam(element, ref, "photo")
        coh = _elam(element, ref, "coh")
        incoh = _elam(element, ref[1:], "incoh")
        kn_ref = _klein_nishina_cm2(ref[1:]) * z * per_gram
        slope = math.log(coh[1] / coh[0]) / math.log(ref[1] / ref[0])
        out[0, high] = photo[1] * _sauter(eh) / _sauter(ref[1:])[0]
        out[1, high] = coh[1] * (eh / ref[1]) ** slope
        out[2, high] = _klein_nishina_cm2(eh) * z * per_gram * (incoh[0] / kn_ref[0])
        out[3, high] = _pair_nuclear_cm2(eh, z) * per_gram
    return out


@cache
def _cached(material: str, energies: tuple[float, ...]) -> FloatArray:
    e = np.asarray(energies, dtype=np.float64)
    total = np.zeros((len(COMPONENTS), e.size))
    for element, fraction in composition(material):
        total += fraction * _element_components(element, e)
    total.setflags(write=False)
    return total


def _energies(energy_kev: Any) -> FloatArray:
    e = np.atleast_1d(np.asarray(energy_kev, dtype=np.float64))
    if np.any(e <= 0) or not np.all(np.isfinite(e)):
        raise SpectrumError("photon energies must be positive", field="energy_kev")
    return e


def mass_attenuation_cm2_g(material: str, energy_kev: Any) -> FloatArray:
    """Total mass attenuation coefficient (coherent scattering included), cm^2/g.

    Parameters
    ----------
    material : str
        A name of :data:`MATERIALS` (``"U"``, ``"UO2"``, ``"steel"``, ``"Pb"``, ``"Ge"``...)
        or a chemical formula (``"C2H4"``).
    energy_kev : float or array
        Photon energies, 50-3000 keV (lower energies use the same tables; below 50 keV they
        are not checked against NIST here).
    """
    e = _energies(energy_kev)
    out = np.array(_cached(material, tuple(float(x) for x in e.ravel())).sum(axis=0))
    out = out.reshape(e.shape)
    return out if np.ndim(energy_kev) else out.reshape(())


def attenuation_components(material: str, energy_kev: Any) -> dict[str, FloatArray]:
    """The mass attenuation coefficient (cm^2/g) split into :data:`COMPONENTS`
    (photoabsorption, coherent, incoherent, pair production), for a material and energies
    as :func:`mass_attenuation_cm2_g` takes them."""
    e = _energies(energy_kev)
    table = _cached(material, tuple(float(x) for x in e.ravel()))
    shape = np.shape(energy_kev)
    return {name: np.array(table[i]).reshape(shape) for i, name in enumerate(COMPONENTS)}


def transmission(material: str, areal_density_g_cm2: float, energy_kev: Any) -> FloatArray:
    """Fraction of photons crossing a slab of the material at normal incidence unscattered."""
    out: FloatArray = np.exp(
        -mass_attenuation_cm2_g(material, energy_kev) * max(areal_density_g_cm2, 0.0)
    )
    return out
