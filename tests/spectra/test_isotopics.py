"""Uranium enrichment by the physical relative-efficiency fit, on the forward simulator
(which is not the analysis model) and on the shared uranium/plutonium spectra.

Run with ``-s`` to see the tables. Truth of the files: tests/data/spectra/isotopics/MANIFEST.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np
import pytest

from conftest import DATA
from nucsec.forensics.spectra import analyze, load_library, read_spectrum
from nucsec.forensics.spectra import isotopics as iso
from nucsec.forensics.spectra.enrichment import EnrichmentResult
from nucsec.forensics.spectra.forward import Absorber, Item, simulate_item
from nucsec.forensics.spectra.releff import self_attenuation

ISO_DATA = DATA / "isotopics"
COVERAGE_GOAL = 0.95
BIAS_GOAL = 0.05


@dataclass(frozen=True)
class Case:
    item: Item
    detector: str
    distance_cm: float
    absorbers: tuple[Absorber, ...]
    seed: int

    @property
    def label(self) -> str:
        shield = "+".join(f"{a.thickness_cm * 10:g}mm {a.material}" for a in self.absorbers)
        return (
            f"{self.item.mass_g:g} g {self.item.shape} {self.item.u235_wt_pct:g}% "
            f"{shield or 'bare'} {self.detector} {self.distance_cm:g} cm"
        )


def _cases() -> list[Case]:
    """A seeded spread of uranium items: 0.2-93 % U-235, 1 g-10 kg, bare or behind 1-10 mm
    of steel or lead, spheres and cylinders, two HPGe sizes."""
    rng = np.random.default_rng(2024)
    enrichments = (0.2, 0.72, 3.0, 5.0, 20.0, 52.5, 93.0)
    masses = (1.0, 10.0, 100.0, 1000.0, 10000.0)
    shields = ((), (Absorber("Fe", 0.1),), (Absorber("Fe", 1.0),), (Absorber("Pb", 0.1),),
               (Absorber("Pb", 0.5),))  # fmt: skip
    out = []
    for i in range(len(enrichments) * 3):
        item = Item(
            float(rng.choice(masses)),
            enrichments[i % len(enrichments)],
            shape=str(rng.choice(["sphere", "cylinder"])),
        )
        shield = shields[int(rng.integers(len(shields)))]
        out.append(Case(item, str(rng.choice(["HPGe40", "HPGe20"])), 30.0, shield, i))
    return out


CASES = _cases()


@cache
def _enrichment(case: Case) -> EnrichmentResult | None:
    spectrum = simulate_item(
        case.item,
        rng=np.random.default_rng(case.seed),
        detector=case.detector,
        distance_cm=case.distance_cm,
        absorbers=case.absorbers,
        live_time_s=3600.0,
    )
    return _isotopics(analyze(spectrum))[0]


def _isotopics(a):  # type: ignore[no-untyped-def]
    """The isotopics of an analysis whatever the identification said (it is tested apart)."""
    return iso.isotopics(
        list(a.peaks), list(a.nuclides), load_library(), a.detector_type, a.resolution,
        a.calibration, a.continuum,
    )  # fmt: skip


def _covered(result: EnrichmentResult | None, truth: float) -> bool:
    """Truth inside the k=2 interval, or no confident value (a flag or a correct limit)."""
    if result is None or result.u235_pct is None:
        return True
    if result.limit == "lower":
        return truth >= result.u235_pct
    if result.limit == "upper":
        return truth <= result.u235_pct
    lo, hi = result.interval_k2 or (0.0, 100.0)
    return lo <= truth <= hi


def test_forward_simulated_items_coverage_and_bias() -> None:
    rows, covered, valued, biases = [], 0, 0, []
    for case in CASES:
        r = _enrichment(case)
        truth = case.item.u235_wt_pct
        ok = _covered(r, truth)
        covered += ok
        if r is None or r.u235_pct is None:
            rows.append(f"{case.label:52s} {'-':>8s} {'':22s} {r.quality if r else 'none'}")
            continue
        k2 = r.interval_k2 or (math.nan, math.nan)
        if r.limit is None:
            valued += 1
            biases.append(r.u235_pct / truth - 1)
        rows.append(
            f"{case.label:52s} {r.u235_pct:8.3f} [{k2[0]:7.3f}, {k2[1]:7.3f}] "
            f"{r.limit or ''} {r.quality} {'' if ok else 'MISSED'}"
        )
    share = covered / len(CASES)
    print("\nitem                                                  wt%      k=2 interval")
    print("\n".join(rows))
    print(f"truth within k=2 (or no confident value): {covered}/{len(CASES)} = {share:.2f}; "
          f"values given for {valued}; mean bias {np.mean(biases):+.3f}, "
          f"median |bias| {np.median(np.abs(biases)):.3f}")  # fmt: skip
    assert share >= COVERAGE_GOAL
    assert valued >= len(CASES) // 3  # the method is not just refusing to answer
    # no systematic bias where a value is given (186 keV well measured)
    assert abs(float(np.mean(biases))) <= BIAS_GOAL


def test_the_known_failure_now_reads_20_percent() -> None:
    """1 kg bare uranium metal sphere, 20 % U-235, 15 cm from a 40 % class HPGe, 1 h (the
    item an earlier version read as 45 %)."""
    case = Case(Item(1000.0, 20.0), "HPGe40", 15.0, (), 1)
    r = _enrichment(case)
    assert r is not None and r.u235_pct is not None and r.limit is None
    assert r.quality == "ok"
    assert abs(r.u235_pct / 20.0 - 1) <= BIAS_GOAL
    lo, hi = r.interval_k2 or (0.0, 0.0)
    assert lo <= 20.0 <= hi
    assert r.u_u235_pct is not None and 0 < r.u_u235_pct < 0.1 * r.u235_pct
    d = r.to_dict()
    assert {"item", "Fe", "Pb"} <= set(d["areal_density_g_cm2"])
    assert d["chi2"] is not None and d["quality"] == "ok" and d["coverage"] == "k=1"


def test_low_resolution_detectors_give_no_confident_wrong_value() -> None:
    rows = []
    for i, (det, enr) in enumerate([("NaI2x2", 20.0), ("NaI2x2", 3.0), ("CsI1cc", 90.0),
                                    ("CZT1cc", 3.0), ("LaBr1.5", 52.5)]):  # fmt: skip
        spectrum = simulate_item(
            Item(1000.0, enr), rng=np.random.default_rng(100 + i), detector=det, distance_cm=20
        )
        r = _isotopics(analyze(spectrum))[0]
        rows.append(f"{det:8s} {enr:5g}%  {r.to_dict() if r else None}")
        assert _covered(r, enr), rows[-1]
    print("\n" + "\n".join(rows))


@pytest.mark.parametrize(
    ("name", "truth"),
    [
        ("interspec_SIM_fulcrum40h_hpge_U235_0300.txt", 3.0),
        ("interspec_SIM_fulcrum40h_hpge_U235_9000.txt", 90.0),
        ("interspec_SIM_czt_h3d_m400_U235_9000.txt", 90.0),
        ("interspec_SIM_radiacode102_U235_0200.txt", 2.0),
        ("interspec_SIM_verifinder_nai_U235_0300.txt", 3.0),
    ],
)
def test_shared_uranium_spectra(name: str, truth: float) -> None:
    """GADRAS simulations of known enrichment (never used to set a parameter): the truth is
    within the k=2 interval, or no confident value is given."""
    sf = read_spectrum(ISO_DATA / name)
    r = _isotopics(analyze(sf.foreground(), background=sf.background()))[0]
    print(name, r.to_dict() if r else None)
    assert _covered(r, truth)


def test_measured_uranium_oxide_on_labr_is_not_read_as_low_enriched() -> None:
    """989 g uranium oxide, probably 52.5 % (unconfirmed): no value or limit below 20 %."""
    sf = read_spectrum(ISO_DATA / "lanlflavor_labr_identifinder_Uoxide_989g_52p5.chn")
    r = _isotopics(analyze(sf.foreground()))[0]
    print(r.to_dict() if r else None)
    if r is not None and r.u235_pct is not None and r.limit != "lower":
        assert r.interval_k2 is not None and r.interval_k2[1] >= 20.0


def test_measured_plutonium_on_a_handheld_gives_a_flag_not_isotopics() -> None:
    sf = read_spectrum(ISO_DATA / "lanlflavor_identifinder_PuO2_5p54g_76pctPu239.chn")
    pu = _isotopics(analyze(sf.foreground()))[1]
    assert pu is None or (pu.quality != "ok" and not pu.mass_pct)


def test_self_attenuation_forms_agree_when_thin_and_fall_as_one_over_mu_when_thick() -> None:
    mu = np.array([0.1, 1.5, 3.0])
    for form in ("slab", "sphere"):
        assert np.allclose(self_attenuation(mu, 1e-6, form), 1.0, atol=1e-5)
        thick = self_attenuation(mu, 1e4, form)
        # thick limit: the escaping photons come from a layer 1/mu deep
        assert np.allclose(thick * mu * 1e4, 1.0, rtol=0.02)  # same mean chord: same limit


def test_isotopics_lines_agree_with_the_line_library() -> None:
    lib = load_library()
    from nucsec.forensics.spectra import isolines as il

    checked = 0
    table = il.URANIUM_LINES + il.PLUTONIUM_LINES
    for line in table:
        source = lib.get(line.isotope)
        if source is None or line.intensity <= 1e-7:
            continue
        near = [ln for ln in source.lines if abs(ln.energy_kev - line.energy_kev) < 0.01]
        ours = [
            x
            for x in table
            if x.isotope == line.isotope and abs(x.energy_kev - line.energy_kev) < 0.01
        ]
        if near:
            checked += 1
            assert sum(ln.intensity for ln in near) == pytest.approx(
                sum(x.intensity for x in ours), rel=0.02
            ), line
    assert checked >= 20
