"""Simulated spectra with an exact truth, for the classes of problem no public file covers
well: handheld detectors without a calibration, low channel counts, uranium on
scintillators, short-lived and activation nuclides, sources behind steel or lead.

Each case is drawn with its own seeded generator from :func:`nucsec.forensics.spectra.simulate`
(a detector-specific efficiency that is *not* the generic shape identification assumes,
the family's default resolution, a Compton continuum, Poisson counts). Shielding multiplies
the efficiency by ``exp(-mu/rho(E) x areal density)`` with the coefficients of the private
attenuation helper. "Uncalibrated" replaces the stored calibration by the default one a
reader gives a file without calibration (0-3000 keV over the channels), while the true
range differs; a low-level discriminator removes the counts below about 20-30 keV, as in
real instruments.

The cases were written from the classes of problem in issue 12 before any rule was tuned,
and no rule names them; ``docs/spectra.md`` says which rules were developed on which files.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from nucsec.forensics.spectra import Spectrum, simulate, uranium_activities_bq
from nucsec.forensics.spectra.attenuation import mass_attenuation_cm2_g
from nucsec.forensics.spectra.model import EnergyCalibration
from nucsec.forensics.spectra.simulate import default_efficiency

NATURAL = frozenset({"K-40", "Th-232", "Ra-226", "U-238", "Pb-210"})
#: a typical room background (Bq seen by the detector): K-40 and the two natural chains
ROOM = {"K-40": 400.0, "Th-232": 60.0, "Ra-226": 60.0}

#: efficiency shape per family relative to the coaxial HPGe of the simulator: thin CsI
#: cubes lose efficiency fast with energy, large NaI keeps it, CZT is small and thin
_SHAPE = {
    "HPGe": (0.0, 22.0),
    "NaI": (0.25, 28.0),
    "LaBr3": (0.15, 28.0),
    "CsI": (-0.45, 25.0),
    "CZT": (-0.6, 25.0),
}


def efficiency(detector: str, shield: tuple[str, float] | None) -> Callable[[float], float]:
    """Absolute full-energy efficiency of a simulated detector, behind an optional shield."""
    slope, window_kev = _SHAPE[detector]

    def eff(energy_kev: float) -> float:
        e = max(energy_kev, 1.0)
        base = default_efficiency(e) * (e / 300.0) ** slope
        base *= math.exp(-((window_kev / e) ** 3)) / math.exp(-((22.0 / e) ** 3))
        if shield is not None:
            material, g_cm2 = shield
            base *= math.exp(-float(mass_attenuation_cm2_g(material, e)) * g_cm2)
        return base

    return eff


@dataclass(frozen=True)
class SimCase:
    name: str
    sources_bq: dict[str, float]
    detector: str
    expected: tuple[frozenset[str], ...]
    allowed: frozenset[str] = NATURAL
    n_channels: int = 1024
    max_energy_kev: float = 3000.0
    live_time_s: float = 600.0
    shield: tuple[str, float] | None = None
    uncalibrated: bool = False
    seed: int = 0
    background_cps: float = 20.0
    extra: dict[str, float] = field(default_factory=dict)

    def spectrum(self) -> Spectrum:
        rng = np.random.default_rng(self.seed)
        spec = simulate(
            self.sources_bq,
            rng=rng,
            detector=self.detector,
            live_time_s=self.live_time_s,
            n_channels=self.n_channels,
            max_energy_kev=self.max_energy_kev,
            efficiency=efficiency(self.detector, self.shield),
            background_cps=self.background_cps,
        )
        counts = spec.counts.copy()
        lld = int(np.ceil(25.0 / (self.max_energy_kev / self.n_channels)))
        counts[:lld] = 0.0  # the discriminator of a real instrument
        cal = spec.calibration
        if self.uncalibrated:
            cal = EnergyCalibration.polynomial(
                [0.0, 3000.0 / self.n_channels], self.n_channels, "default"
            )
        return spec.with_(counts=counts, calibration=cal, detector_type="unknown")


def _u(mass_g: float, wt_pct: float) -> dict[str, float]:
    return uranium_activities_bq(mass_g, wt_pct)


def _ore(bq: float) -> dict[str, float]:
    """Uranium ore: the U-238 series in secular equilibrium, with natural U-235."""
    return {"U-238": bq, "Ra-226": bq, "Pb-210": bq, "U-235": 0.046 * bq}


def _one(name: str) -> tuple[frozenset[str], ...]:
    return (frozenset({name}),)


U_ANY = frozenset({"U-235", "U-238"})
TH_SERIES = frozenset({"Th-232", "Th-228", "U-232"})
U_SERIES = frozenset({"U-238", "Ra-226"})

CASES: tuple[SimCase, ...] = (
    # handheld CsI/NaI without an energy calibration, check sources (true range differs
    # from the 0-3000 keV a reader assumes)
    SimCase(
        "csi_nocal_cs137_co60", {**ROOM, "Cs-137": 4e4, "Co-60": 2e4}, "CsI",
        (frozenset({"Cs-137"}), frozenset({"Co-60"})), max_energy_kev=1900.0,
        uncalibrated=True, seed=1,
    ),
    SimCase(
        "csi_nocal_am241_cs137", {**ROOM, "Am-241": 2e5, "Cs-137": 3e4}, "CsI",
        (frozenset({"Am-241"}), frozenset({"Cs-137"})), max_energy_kev=1500.0,
        uncalibrated=True, seed=2,
    ),
    SimCase(
        "nai_nocal_ba133_cs137", {**ROOM, "Ba-133": 3e4, "Cs-137": 2e4}, "NaI",
        (frozenset({"Ba-133"}), frozenset({"Cs-137"})), n_channels=2048,
        max_energy_kev=4500.0, uncalibrated=True, seed=3,
    ),
    SimCase(
        "csi_nocal_eu152", {**ROOM, "Eu-152": 5e4}, "CsI", _one("Eu-152"),
        allowed=NATURAL | {"Eu-154"}, max_energy_kev=2200.0, uncalibrated=True, seed=4,
    ),
    SimCase(
        "nai_nocal_cs137", {**ROOM, "Cs-137": 3e4}, "NaI", _one("Cs-137"), n_channels=2048,
        max_energy_kev=1400.0, uncalibrated=True, seed=14,
    ),
    SimCase(
        "csi_nocal_co60", {**ROOM, "Co-60": 3e4}, "CsI", _one("Co-60"), n_channels=512,
        max_energy_kev=2000.0, uncalibrated=True, seed=15,
    ),
    SimCase(
        "nai_nocal_co60", {**ROOM, "Co-60": 2e4}, "NaI", _one("Co-60"), n_channels=512,
        max_energy_kev=2400.0, uncalibrated=True, seed=5,
    ),
    # 256-channel CsI: natural chains
    SimCase(
        "csi256_uranium_ore", {**ROOM, **_ore(3e3)}, "CsI", (U_SERIES,),
        allowed=NATURAL | {"U-235"}, n_channels=256, live_time_s=1800.0, seed=6,
    ),
    SimCase(
        "csi256_thorium", {**ROOM, "Th-232": 2e3}, "CsI", (TH_SERIES,),
        allowed=NATURAL | TH_SERIES, n_channels=256, live_time_s=1800.0, seed=7,
    ),
    SimCase(
        "csi256_potassium", {"K-40": 8e3, "Th-232": 60.0, "Ra-226": 60.0}, "CsI",
        _one("K-40"), n_channels=256, live_time_s=1800.0, seed=8,
    ),
    SimCase(
        "nai_uranium_ore_nocal", {**ROOM, **_ore(3e3)}, "NaI", (U_SERIES,),
        allowed=NATURAL | {"U-235"}, max_energy_kev=2800.0, uncalibrated=True, seed=9,
    ),
    # uranium on scintillators and CZT
    SimCase(
        "nai_heu", {**ROOM, **_u(2.0, 93.0)}, "NaI", _one("U-235"),
        allowed=NATURAL, live_time_s=300.0, seed=10,
    ),
    SimCase(
        "csi_heu", {**ROOM, **_u(1.0, 90.0)}, "CsI", _one("U-235"),
        allowed=NATURAL, live_time_s=600.0, seed=11,
    ),
    SimCase(
        "labr_leu", {**ROOM, **_u(300.0, 4.5)}, "LaBr3", (U_ANY,),
        allowed=NATURAL | U_ANY, live_time_s=600.0, seed=12,
    ),
    SimCase(
        "czt_heu_behind_steel", {**ROOM, **_u(2.0, 90.0)}, "CZT", _one("U-235"),
        allowed=NATURAL, n_channels=2048, live_time_s=900.0, shield=("Fe", 4.0), seed=13,
    ),
    # short-lived medical and industrial nuclides on NaI
    *(
        SimCase(
            f"nai_{name.lower().replace('-', '')}", {**ROOM, name: bq}, "NaI", _one(name),
            live_time_s=300.0, seed=20 + i,
        )
        for i, (name, bq) in enumerate(
            [
                ("Tc-99m", 5e4), ("I-131", 3e4), ("F-18", 3e4), ("Lu-177", 2e5),
                ("Ga-67", 5e4), ("In-111", 3e4), ("Tl-201", 1e5), ("Ir-192", 3e4),
                ("Se-75", 3e4), ("Co-57", 5e4),
            ]
        )
    ),
    # the same on HPGe
    *(
        SimCase(
            f"hpge_{name.lower().replace('-', '')}", {**ROOM, name: bq}, "HPGe", _one(name),
            n_channels=8192, live_time_s=600.0, seed=40 + i,
        )
        for i, (name, bq) in enumerate(
            [
                ("Mo-99", 2e4), ("Sm-153", 5e4), ("Ga-67", 2e4), ("In-111", 2e4),
                ("Tl-201", 5e4), ("Se-75", 1e4), ("Lu-177", 5e4), ("Mn-56", 1e4),
            ]
        )
    ),
    # shielded: activation products on an HPGe to 8 MeV, isomers and others on NaI
    SimCase(
        "hpge8mev_mn56_behind_lead", {**ROOM, "Mn-56": 3e4}, "HPGe", _one("Mn-56"),
        n_channels=16384, max_energy_kev=8000.0, live_time_s=900.0, shield=("Pb", 25.0),
        seed=60,
    ),
    SimCase(
        "hpge8mev_na24_behind_steel", {**ROOM, "Na-24": 2e4}, "HPGe", _one("Na-24"),
        n_channels=16384, max_energy_kev=8000.0, live_time_s=900.0, shield=("Fe", 40.0),
        seed=61,
    ),
    SimCase(
        "hpge8mev_n16", {**ROOM, "N-16": 2e5}, "HPGe", _one("N-16"), n_channels=16384,
        max_energy_kev=8000.0, live_time_s=600.0, seed=62,
    ),
    SimCase(
        "nai_ho166m_behind_steel", {**ROOM, "Ho-166m": 1e5}, "NaI", _one("Ho-166m"),
        live_time_s=600.0, shield=("Fe", 16.0), seed=63,
    ),
    SimCase(
        "nai_ag108m_behind_steel", {**ROOM, "Ag-108m": 5e4}, "NaI", _one("Ag-108m"),
        live_time_s=600.0, shield=("Fe", 8.0), seed=64,
    ),
    SimCase(
        "nai_ir192_behind_lead", {**ROOM, "Ir-192": 3e5}, "NaI", _one("Ir-192"),
        live_time_s=300.0, shield=("Pb", 6.0), seed=65,
    ),
    SimCase(
        "hpge_ba133_behind_lead", {**ROOM, "Ba-133": 1e5}, "HPGe", _one("Ba-133"),
        n_channels=8192, live_time_s=600.0, shield=("Pb", 5.0), seed=66,
    ),
    # environmental sample in a lead cave (long count, natural lines only)
    SimCase(
        "hpge_environmental_cave", {"K-40": 30.0, "Th-232": 5.0, "Ra-226": 6.0, "Pb-210": 6.0},
        "HPGe", (frozenset({"K-40"}), frozenset({"Th-232"}), U_SERIES), n_channels=16384,
        live_time_s=86400.0, background_cps=0.5, seed=70,
    ),
)  # fmt: skip
