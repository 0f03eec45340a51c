"""Gamma lines, half-lives and masses used by the isotopics (uranium and plutonium).

Energies and intensities (photons per decay of the named isotope, daughters in
equilibrium: Th-231 with U-235, Th-234 and Pa-234m with U-238, U-237 with Pu-241 through
its 2.45e-5 alpha branch) are from the ENSDF export in ``../shared/data/nucdata``
(paceENSDF 0.6.3, ENSDF September 2023, ``ensdf_gamma_lines.csv``/``ensdf_xray_lines.csv``),
the same source as the line library (``src/nucsec/data/nucdata/PROVENANCE.md``); a test
checks every line that the library also lists against it. Half-lives: ICRP-107 (as in
``radioactivedecay``). Only decay photons with a tabulated yield are modelled: the K x-rays
of thorium that follow U-235 decay are, the fluorescence x-rays that the item's own
radiation excites in uranium, plutonium or lead are not (their yield depends on the item),
so peaks on them are left out (:data:`FLUORESCENCE_KEV`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = [
    "FLUORESCENCE_KEV",
    "PLUTONIUM_LINES",
    "PU_ISOTOPES",
    "URANIUM_LINES",
    "IsoLine",
    "pu_mass_fractions",
]

T_U235_Y, T_U238_Y, T_U234_Y = 7.04e8, 4.468e9, 2.455e5
HALF_LIFE_Y = {
    "U-234": T_U234_Y,
    "U-235": T_U235_Y,
    "U-238": T_U238_Y,
    "Pu-238": 87.7,
    "Pu-239": 24110.0,
    "Pu-240": 6561.0,
    "Pu-241": 14.29,
    "Am-241": 432.6,
}
MASS_U = {"U-234": 234.0410, "U-235": 235.0439, "U-238": 238.0508}
MASS = {
    **MASS_U,
    "Pu-238": 238.0496,
    "Pu-239": 239.0522,
    "Pu-240": 240.0538,
    "Pu-241": 241.0569,
    "Am-241": 241.0568,
}
PU241_TO_U237 = 2.45e-5  # alpha branch of Pu-241 (ENSDF)


@dataclass(frozen=True)
class IsoLine:
    energy_kev: float
    intensity: float  # photons per decay of ``isotope``
    isotope: str


def _lines(
    isotope: str, rows: tuple[tuple[float, float], ...], scale: float = 0.01
) -> tuple[IsoLine, ...]:
    return tuple(IsoLine(e, i * scale, isotope) for e, i in rows)


#: U-235 with Th-231 (gammas of at least 0.01 % from 58 to 400 keV; the Th K x-rays of
#: U-235 decay and the Pa K x-rays of Th-231 decay), U-238 with Th-234 and Pa-234m
#: (at least 0.003 %), U-234; intensities in per cent of decays of the parent
URANIUM_LINES = (
    *_lines(
        "U-235",
        (
            (58.57, 0.47124),
            (63.86, 0.02312),
            (72.7, 0.30888),
            (72.751, 0.25976),
            (74.94, 0.073216),
            (81.228, 0.9044),
            (82.087, 0.4216),
            (84.214, 6.8),
            (89.95, 1.02),
            (89.957, 2.93895),
            (92.282, 0.384215),
            (93.02, 0.0476),
            (93.35, 4.74834),
            (95.863, 0.619392),
            (96.09, 0.126984),
            (99.278, 0.13464),
            (102.27, 0.4488),
            (104.819, 0.586744),
            (105.604, 1.1191),
            (106.61, 0.018156),
            (108.422, 0.146302),
            (108.582, 0.428815),
            (109.176, 1.63592),
            (115.45, 0.0252824),
            (116.83, 0.022848),
            (120.35, 0.021736),
            (124.927, 0.05984),
            (134.03, 0.025772),
            (135.67, 0.08092),
            (136.55, 0.0255684),
            (140.759, 0.211068),
            (143.765, 10.9309),
            (145.94, 0.03264),
            (150.937, 0.073216),
            (163.101, 0.15844),
            (163.357, 5.07364),
            (173.0, 0.01144),
            (174.15, 0.018224),
            (179.297, 0.012584),
            (182.504, 0.411268),
            (183.489, 0.034136),
            (185.713, 57.2),
            (194.942, 0.636636),
            (198.927, 0.042328),
            (202.11, 1.06964),
            (205.311, 5.0336),
            (215.3, 0.0295152),
            (217.94, 0.0408),
            (221.392, 0.114972),
            (233.47, 0.033176),
            (240.876, 0.068068),
            (246.83, 0.050908),
            (275.129, 0.023452),
            (291.65, 0.036608),
            (345.92, 0.03432),
            (387.84, 0.0276848),
        ),
    ),
    *_lines(
        "U-238",
        (
            (62.86, 0.016),
            (63.29, 3.665),
            (73.92, 0.013),
            (83.3, 0.06),
            (92.38, 2.13),
            (92.8, 2.1),
            (103.35, 0.00315),
            (112.81, 0.21),
            (258.227, 0.0764219),
            (450.97, 0.00311411),
            (543.98, 0.0036696),
            (691.0, 0.0089215),
            (699.02, 0.00572323),
            (702.0, 0.0072382),
            (705.94, 0.00563906),
            (740.1, 0.0109415),
            (742.813, 0.106553),
            (766.42, 0.317303),
            (781.75, 0.00776844),
            (786.28, 0.0543707),
            (805.75, 0.00589156),
            (825.6, 0.00656488),
            (851.58, 0.00690154),
            (880.9, 0.00395576),
            (883.22, 0.00353494),
            (921.72, 0.0127847),
            (945.94, 0.0100998),
            (996.1, 0.00563906),
            (1001.03, 0.841651),
        ),
    ),
    *_lines("U-234", ((120.90, 0.0342),)),
)
U235_ANCHOR_KEV = 185.713  # strongest line of each isotope (a non-detection is data)
U238_ANCHOR_KEV = 1001.030

PU_ISOTOPES = ("Pu-239", "Pu-238", "Pu-240", "Pu-241", "Am-241")
#: 120-460 keV and the few strong lines above (intensities in per cent of decays)
PLUTONIUM_LINES = (
    *_lines("Pu-238", ((152.72, 0.000929), (766.39, 2.2e-05))),
    *_lines(
        "Pu-239",
        (
            (129.296, 0.00631),
            (141.657, 3.2e-05),
            (144.201, 0.000283),
            (146.094, 0.000119),
            (161.45, 0.000123),
            (171.393, 0.00011),
            (179.22, 6.6e-05),
            (189.36, 8.3e-05),
            (195.679, 0.000107),
            (203.55, 0.000569),
            (255.384, 8e-05),
            (297.46, 4.98e-05),
            (311.78, 2.58e-05),
            (320.862, 5.42e-05),
            (323.84, 5.39e-05),
            (332.845, 0.000494),
            (336.113, 0.000112),
            (341.506, 6.62e-05),
            (345.013, 0.000556),
            (367.073, 8.9e-05),
            (368.554, 8.8e-05),
            (375.054, 0.001554),
            (380.191, 0.000305),
            (382.75, 0.000259),
            (392.53, 0.000205),
            (393.14, 0.000348),
            (413.713, 0.001466),
            (422.598, 0.000122),
            (451.481, 0.0001894),
            (645.94, 1.52e-05),
            (658.86, 9.7e-06),
        ),
    ),
    *_lines("Pu-240", ((160.308, 0.0004058), (642.23, 1.248e-05))),
    *_lines("Pu-241", ((148.567, 0.00018216),)),
    *_lines(
        "Pu-241",
        (
            (164.61, 1.86),
            (208.005, 21.2),
            (267.54, 0.712),
            (332.35, 1.2),
            (335.37, 0.0951),
            (368.62, 0.0392),
            (370.94, 0.1073),
        ),
        scale=0.01 * PU241_TO_U237,
    ),
    *_lines(
        "Am-241",
        (
            (125.3, 0.00408),
            (146.55, 0.000461),
            (169.56, 0.000173),
            (208.01, 0.000791),
            (322.52, 0.0001518),
            (332.35, 0.000149),
            (335.37, 0.000496),
            (368.65, 0.000217),
            (376.65, 0.0001383),
            (662.4, 0.000364),
            (722.01, 0.000196),
        ),
    ),
)

#: K x-rays whose yield depends on the item (fluorescence): U, Pu, Np and Pb
FLUORESCENCE_KEV = (
    72.805, 74.969, 84.45, 84.938, 87.3,  # Pb
    94.654, 98.434, 110.421, 111.298, 114.5,  # U
    97.069, 101.059, 113.303, 114.234,  # Np
    99.525, 103.734, 116.244, 117.228, 120.6,  # Pu
)  # fmt: skip


def pu_mass_fractions(ln_ratio_to_pu239: dict[str, float]) -> dict[str, float]:
    """Mass per cent of each isotope relative to the measured Pu (Pu-238..241; Am-241 too
    relative to that Pu) from ``ln(A_iso / A_Pu-239)``."""
    moles = {
        iso: math.exp(lr) * HALF_LIFE_Y[iso] / HALF_LIFE_Y["Pu-239"] * MASS[iso]
        for iso, lr in ln_ratio_to_pu239.items()
    }
    pu = sum(v for k, v in moles.items() if k.startswith("Pu"))
    return {iso: 100.0 * m / pu for iso, m in moles.items()}
