"""Photon attenuation coefficients against NIST.

Reference values: NIST Standard Reference Database 126, J. H. Hubbell and S. M. Seltzer,
"Tables of X-Ray Mass Attenuation Coefficients and Mass Energy-Absorption Coefficients"
(version 1.4), Table 3, total mu/rho with coherent scattering, which are XCOM totals:
https://physics.nist.gov/PhysRefData/XrayMassCoef/ElemTab/z13.html (Al), z26 (Fe), z82 (Pb),
z92 (U). Energies in keV, mu/rho in cm^2/g, as printed there (4 significant digits).
"""

from __future__ import annotations

import numpy as np
import pytest

from nucsec.forensics.spectra.attenuation import (
    COMPONENTS,
    attenuation_components,
    composition,
    mass_attenuation_cm2_g,
    transmission,
)
from nucsec.forensics.spectra.model import SpectrumError

NIST = {
    "Al": {50: 0.3681, 100: 0.1704, 150: 0.1378, 200: 0.1223, 300: 0.1042, 500: 0.08445,
           800: 0.06841, 1000: 0.06146, 1250: 0.05496, 1500: 0.05006, 2000: 0.04324,
           3000: 0.03541},
    "Fe": {50: 1.958, 100: 0.3717, 150: 0.1964, 200: 0.1460, 300: 0.1099, 500: 0.08414,
           800: 0.06699, 1000: 0.05995, 1250: 0.05350, 1500: 0.04883, 2000: 0.04265,
           3000: 0.03621},
    "Pb": {50: 8.041, 100: 5.549, 150: 2.014, 200: 0.9985, 300: 0.4031, 500: 0.1614,
           800: 0.08870, 1000: 0.07102, 1250: 0.05876, 1500: 0.05222, 2000: 0.04606,
           3000: 0.04234},
    "U": {50: 11.21, 100: 1.954, 150: 2.591, 200: 1.298, 300: 0.5192, 500: 0.1976,
          800: 0.1016, 1000: 0.07896, 1250: 0.06370, 1500: 0.05587, 2000: 0.04878,
          3000: 0.04447},
}  # fmt: skip


def _tolerance(element: str, energy_kev: int) -> float:
    """The accuracy the module documents (see its docstring)."""
    if energy_kev <= 800:
        return 0.005
    if energy_kev <= 1250 or element in ("Al", "Fe"):
        return 0.012
    return 0.06


@pytest.mark.parametrize("element", sorted(NIST))
def test_elements_agree_with_nist(element: str) -> None:
    energies = np.array(sorted(NIST[element]), dtype=float)
    ref = np.array([NIST[element][int(e)] for e in energies])
    got = mass_attenuation_cm2_g(element, energies)
    for e, r, g in zip(energies, ref, got, strict=True):
        assert abs(g / r - 1) <= _tolerance(element, int(e)), (element, e, r, g)


def test_the_uranium_k_edge_is_resolved() -> None:
    below, above = mass_attenuation_cm2_g("U", [115.0, 116.5])
    assert above / below > 3.0  # NIST: 1.378 -> 4.893 cm^2/g across 115.6 keV


def test_compounds_mix_by_mass_fraction() -> None:
    fractions = dict(composition("UO2"))
    assert fractions["U"] == pytest.approx(238.029 / (238.029 + 2 * 15.999), rel=1e-4)
    mu = mass_attenuation_cm2_g("UO2", 185.7)
    expected = fractions["U"] * mass_attenuation_cm2_g("U", 185.7) + fractions[
        "O"
    ] * mass_attenuation_cm2_g("O", 185.7)
    assert float(mu) == pytest.approx(float(expected), rel=1e-12)


def test_scalar_in_scalar_out_and_transmission() -> None:
    mu = mass_attenuation_cm2_g("Pb", 661.66)
    assert np.ndim(mu) == 0
    assert float(transmission("Pb", 11.35, 661.66)) == pytest.approx(np.exp(-float(mu) * 11.35))


def test_bad_material_and_energy_are_typed_errors() -> None:
    with pytest.raises(SpectrumError):
        mass_attenuation_cm2_g("Unobtainium", 100.0)
    with pytest.raises(SpectrumError):
        mass_attenuation_cm2_g("Fe", [100.0, -1.0])


def test_the_components_add_up_to_the_total() -> None:
    energies = np.array([60.0, 185.7, 1001.0, 2614.5])
    parts = attenuation_components("Ge", energies)
    assert set(parts) == set(COMPONENTS)
    assert np.allclose(sum(parts.values()), mass_attenuation_cm2_g("Ge", energies), rtol=1e-12)
    assert parts["pair"][2] == 0.0 < parts["pair"][3]  # pair production only above 1022 keV
    assert parts["photo"][0] > parts["incoherent"][0]  # Ge at 60 keV: mostly photoabsorption
    assert parts["photo"][1] < parts["incoherent"][1]  # ... at 186 keV: mostly Compton


def test_the_shipped_line_table_matches_the_module() -> None:
    """``nucsec/data/isotopics/line_attenuation.csv`` (read by the isotopics so that an
    analysis never opens xraydb's database) holds what this module computes, for every line
    energy of the isotopics."""
    from nucsec.forensics.spectra import isolines as il
    from nucsec.forensics.spectra.isotopics import _stored_attenuation

    stored = _stored_attenuation()
    energies = sorted({ln.energy_kev for ln in il.URANIUM_LINES + il.PLUTONIUM_LINES})
    for material in ("U", "Pu", "Fe", "Pb"):
        got = np.array([stored[material][e] for e in energies])
        assert np.allclose(got, mass_attenuation_cm2_g(material, energies), rtol=1e-6), material
