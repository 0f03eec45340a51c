"""A forward simulator of uranium items, independent of the isotopics fit, for testing it.

What the analysis model (:mod:`releff`) assumes, this simulator does *not*: the item is a
sphere or a cylinder whose self-attenuation is integrated numerically over its volume as
seen from points spread over the detector face (rays from each point through the item,
the source integrated analytically along each chord: the flux at a point is
``q/(4 pi) x sum over rays of (1 - exp(-mu L)) / mu x dOmega``, exact in depth and in
solid angle, no slab and no far-field formula); absorbers are slabs crossed obliquely
(``t / cos theta`` on each ray); the detector is a crystal whose interaction probability
follows the path length of each ray, behind a window and a dead layer, with a full-energy
fraction from a Monte Carlo of the photons in the crystal (:mod:`crystal`). The resulting
efficiency shapes lie within the spread of the GADRAS generic detectors of each family
(``tests/spectra/test_isotopics.py``), which the simulator was not fitted to. Each line
then makes a Gaussian peak (a small low-energy tail on HPGe), a Compton continuum
(Klein-Nishina electron spectrum, plus a multiple-scatter plateau up to the peak), a
backscatter peak from the surroundings, K x-ray escape peaks of the crystal, and the item's
own uranium K x-ray fluorescence; an environmental background (K-40, the uranium and
thorium series, a falling continuum) is added and every channel is Poisson-sampled with
the generator the caller hands in.

Line data: the line library (:func:`~nucsec.forensics.spectra.nucdata.load_library`), not
the isotopics' own table. Seeded and reproducible.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import erf, erfc

from nucsec.forensics.spectra.attenuation import MATERIALS, composition, mass_attenuation_cm2_g
from nucsec.forensics.spectra.crystal import full_energy_fraction
from nucsec.forensics.spectra.model import EnergyCalibration, FloatArray, Spectrum, SpectrumError
from nucsec.forensics.spectra.nucdata import load_library
from nucsec.forensics.spectra.resolution import default_resolution
from nucsec.forensics.spectra.simulate import uranium_activities_bq

__all__ = ["DETECTORS", "Absorber", "DetectorModel", "Item", "simulate_item"]

ELECTRON_MASS_KEV = 510.99895
#: K x-ray escape: (energy keV, fluorescence yield, K-shell share of photoabsorption) of the
#: crystal's heaviest elements
ESCAPE = {
    "Ge": ((9.886, 0.54, 0.87),),
    "NaI": ((28.61, 0.88, 0.84),),
    "CsI": ((30.97, 0.89, 0.42), (28.61, 0.88, 0.42)),
    "CZT": ((23.17, 0.84, 0.42), (27.47, 0.87, 0.42)),
    "LaBr3": ((33.44, 0.90, 0.83),),
}
#: uranium K x-rays (keV, relative intensity), excited in the item by its own radiation
U_KX = ((94.654, 0.62), (98.434, 1.0), (110.421, 0.12), (111.298, 0.23), (114.5, 0.08))
PB_KX = ((72.805, 0.6), (74.969, 1.0), (84.938, 0.23), (87.3, 0.08))


@dataclass(frozen=True)
class Item:
    """A uranium item: sphere, or a cylinder lying with its axis across the detector axis."""

    mass_g: float
    u235_wt_pct: float
    shape: str = "sphere"  # or "cylinder"
    material: str = "U"  # "U", "UO2", "U3O8"
    height_over_diameter: float = 1.0

    @property
    def density_g_cm3(self) -> float:
        return MATERIALS[self.material][1]

    @property
    def uranium_mass_g(self) -> float:
        return self.mass_g * dict(composition(self.material))["U"]

    def dimensions_cm(self) -> tuple[float, float]:
        """(radius, half-length); the half-length of a sphere is its radius."""
        volume = self.mass_g / self.density_g_cm3
        if self.shape == "sphere":
            r = (3 * volume / (4 * math.pi)) ** (1 / 3)
            return r, r
        if self.shape == "cylinder":
            r = (volume / (2 * math.pi * self.height_over_diameter)) ** (1 / 3)
            return r, r * self.height_over_diameter
        raise SpectrumError(f"unknown item shape {self.shape!r}", field="shape", value=self.shape)


@dataclass(frozen=True)
class Absorber:
    material: str
    thickness_cm: float


@dataclass(frozen=True)
class DetectorModel:
    family: str
    crystal: str
    radius_cm: float
    length_cm: float
    window: tuple[Absorber, ...] = ()  # end cap, dead layer
    n_channels: int = 8192
    max_energy_kev: float = 3000.0
    tail_fraction: float = 0.0  # low-energy tail area (incomplete charge collection)
    background_cps_per_cm3: float = 0.012  # environmental continuum


DETECTORS = {
    "HPGe40": DetectorModel(
        "HPGe", "Ge", 3.1, 6.0, (Absorber("Al", 0.1), Absorber("Ge", 0.07)), 8192, 3000.0, 0.04
    ),
    "HPGe20": DetectorModel(
        "HPGe", "Ge", 2.5, 4.0, (Absorber("Al", 0.15), Absorber("Ge", 0.05)), 8192, 3000.0, 0.04
    ),
    "NaI2x2": DetectorModel("NaI", "NaI", 2.54, 5.08, (Absorber("Al", 0.05),), 1024, 3000.0),
    "CsI1cc": DetectorModel("CsI", "CsI", 0.56, 1.0, (Absorber("Al", 0.03),), 1024, 3000.0),
    "CZT1cc": DetectorModel("CZT", "CZT", 0.56, 1.0, (Absorber("Al", 0.03),), 4096, 3000.0, 0.1),
    "LaBr1.5": DetectorModel("LaBr3", "LaBr3", 1.9, 3.8, (Absorber("Al", 0.05),), 1024, 3000.0),
}


def _chord_sphere(origin: FloatArray, dirs: FloatArray, radius: float) -> FloatArray:
    b = dirs @ origin
    disc = b * b - (origin @ origin - radius * radius)
    out: FloatArray = 2 * np.sqrt(np.maximum(disc, 0.0))
    return out


def _chord_cylinder(origin: FloatArray, dirs: FloatArray, radius: float, half: float) -> FloatArray:
    """Chord through a cylinder of axis x (|x| <= half, y^2 + z^2 <= radius^2)."""
    oy, oz = origin[1], origin[2]
    dy, dz = dirs[:, 1], dirs[:, 2]
    a = dy * dy + dz * dz
    b = oy * dy + oz * dz
    c = oy * oy + oz * oz - radius * radius
    disc = np.maximum(b * b - a * c, 0.0)
    sq = np.sqrt(disc)
    safe_a = np.where(a > 1e-12, a, 1.0)
    t1, t2 = (-b - sq) / safe_a, (-b + sq) / safe_a
    dx = np.where(np.abs(dirs[:, 0]) > 1e-12, dirs[:, 0], 1e-12)
    x1, x2 = (-half - origin[0]) / dx, (half - origin[0]) / dx
    lo = np.maximum(np.minimum(x1, x2), t1)
    hi = np.minimum(np.maximum(x1, x2), t2)
    out: FloatArray = np.where((disc > 0) & (a > 1e-12), np.maximum(hi - lo, 0.0), 0.0)
    return out


def _full_energy_fraction(det: DetectorModel, energy_kev: FloatArray) -> FloatArray:
    """Probability that an interaction in the crystal deposits all the energy (Monte
    Carlo of the photon's transport, :mod:`crystal`)."""
    return full_energy_fraction(det.crystal, det.radius_cm, det.length_cm, energy_kev)


@dataclass(frozen=True)
class _Geometry:
    efficiency_fe: FloatArray  # full-energy peak efficiency per emitted photon
    efficiency_int: FloatArray  # any interaction in the crystal


def _geometry(
    item: Item,
    det: DetectorModel,
    distance_cm: float,
    absorbers: tuple[Absorber, ...],
    energy_kev: FloatArray,
    n_theta: int = 48,
    n_phi: int = 24,
) -> _Geometry:
    radius, half = item.dimensions_cm()
    rho = item.density_g_cm3
    mu_item = mass_attenuation_cm2_g(item.material, energy_kev) * rho
    mu_abs = [
        mass_attenuation_cm2_g(a.material, energy_kev) * MATERIALS[a.material][1] for a in absorbers
    ]
    window = np.ones_like(energy_kev)
    for w in det.window:
        window *= np.exp(
            -mass_attenuation_cm2_g(w.material, energy_kev)
            * MATERIALS[w.material][1]
            * w.thickness_cm
        )
    mu_crystal = mass_attenuation_cm2_g(det.crystal, energy_kev) * MATERIALS[det.crystal][1]
    p_fe = _full_energy_fraction(det, energy_kev)
    bound = math.hypot(radius, half)
    # detector face points (centre and a ring at 0.65 r), area-weighted
    ring = 0.65 * det.radius_cm
    faces = [(0.0, 0.0, 0.25)] + [
        (ring * math.cos(a), ring * math.sin(a), 0.75 / 6)
        for a in np.linspace(0, 2 * math.pi, 7)[:-1]
    ]
    area = math.pi * det.radius_cm**2
    volume = item.mass_g / rho
    fe = np.zeros_like(energy_kev)
    inter = np.zeros_like(energy_kev)
    for fx, fy, wf in faces:
        point = np.array([fx, fy, distance_cm])
        dist = float(np.linalg.norm(point))
        cos_max = math.sqrt(max(1 - (bound / dist) ** 2, 0.0))
        # directions from the face point towards the item, polar grid around the line of sight
        u = (np.arange(n_theta) + 0.5) / n_theta
        cos_a = 1 - u * (1 - cos_max)
        phi = (np.arange(n_phi) + 0.5) / n_phi * 2 * math.pi
        axis = -point / dist
        e1 = np.cross(axis, [0.0, 1.0, 0.0] if abs(axis[1]) < 0.9 else [1.0, 0.0, 0.0])
        e1 /= np.linalg.norm(e1)
        e2 = np.cross(axis, e1)
        ca, pp = np.meshgrid(cos_a, phi, indexing="ij")
        sa = np.sqrt(1 - ca**2)
        dirs = (
            ca[..., None] * axis
            + (sa * np.cos(pp))[..., None] * e1
            + (sa * np.sin(pp))[..., None] * e2
        ).reshape(-1, 3)
        d_omega = (1 - cos_max) * 2 * math.pi / (n_theta * n_phi)
        if item.shape == "sphere":
            chord = _chord_sphere(point, dirs, radius)
        else:
            chord = _chord_cylinder(point, dirs, radius, half)
        hit = chord > 0
        dirs, chord = dirs[hit], chord[hit]
        cos_inc = np.clip(-dirs[:, 2], 1e-3, 1.0)  # incidence on the detector face
        along = -np.expm1(-mu_item[None, :] * chord[:, None]) / mu_item[None, :]  # cm
        att = np.ones((chord.size, energy_kev.size))
        for mu_a, a in zip(mu_abs, absorbers, strict=True):
            att *= np.exp(-mu_a[None, :] * a.thickness_cm / cos_inc[:, None])
        path = np.minimum(
            det.length_cm / cos_inc, 2 * det.radius_cm / np.sqrt(np.maximum(1 - cos_inc**2, 1e-6))
        )
        interact = -np.expm1(-mu_crystal[None, :] * path[:, None])
        # flux from the item per unit source density, times the face element's area
        base = along * att * window[None, :] * cos_inc[:, None] * d_omega / (4 * math.pi)
        weight = wf * area / volume
        inter += weight * np.sum(base * interact, axis=0)
        fe += weight * np.sum(base * interact * p_fe[None, :], axis=0)
    return _Geometry(fe, inter)


def _gauss(edges: FloatArray, energy: float, sigma: float) -> FloatArray:
    cdf = 0.5 * (1 + erf((edges - energy) / (sigma * math.sqrt(2))))
    out: FloatArray = np.diff(cdf)
    return out


def _tailed(
    edges: FloatArray, centers: FloatArray, energy: float, fwhm: float, tail: float
) -> FloatArray:
    """Gaussian peak with a low-energy exponential tail of area ``tail`` (unit area)."""
    sigma = fwhm / 2.3548
    out = (1 - tail) * _gauss(edges, energy, sigma)
    if tail > 0:
        tau = 0.8 * fwhm
        x = centers - energy
        shape = np.exp(np.clip(x / tau + sigma**2 / (2 * tau**2), -700, 50)) * erfc(
            (x / sigma + sigma / tau) / math.sqrt(2)
        )
        shape = shape * np.diff(edges)
        if shape.sum() > 0:
            out = out + tail * shape / shape.sum()
    return out


def _compton(centers: FloatArray, energy: float) -> FloatArray:
    """Electron-energy spectrum of a Compton interaction (Klein-Nishina, single scatter) plus
    a multiple-scatter plateau between the Compton edge and the full energy (unit area)."""
    k = energy / ELECTRON_MASS_KEV
    t_max = energy * 2 * k / (1 + 2 * k)
    s = np.clip(centers / energy, 0, 0.999999)
    single = 2 + s * s / (k * k * (1 - s) ** 2) + s / (1 - s) * (s - 2 / k)
    single = np.where(centers < t_max, np.maximum(single, 0.0), 0.0)
    plateau = np.where((centers >= t_max) & (centers < energy), 1.0, 0.0)
    out = np.zeros_like(centers)
    if single.sum() > 0:
        out += 0.8 * single / single.sum()
    if plateau.sum() > 0:
        out += 0.2 * plateau / plateau.sum()
    return out


def _escape_fraction(det: DetectorModel, energy_kev: float) -> list[tuple[float, float]]:
    """(escape-peak energy, fraction of full-energy counts) for the crystal's K x-rays
    (normal incidence on a thick crystal: 0.5 w s [1 - r ln(1 + 1/r)], r = mu_x / mu_E)."""
    out = []
    for x_kev, yield_k, share in ESCAPE[det.crystal]:
        if energy_kev <= x_kev * 1.15 or energy_kev > 400:
            continue
        r = float(
            mass_attenuation_cm2_g(det.crystal, x_kev)
            / mass_attenuation_cm2_g(det.crystal, energy_kev)
        )
        out.append((energy_kev - x_kev, 0.5 * yield_k * share * (1 - r * math.log1p(1 / r))))
    return out


def simulate_item(
    item: Item,
    *,
    rng: np.random.Generator,
    detector: str | DetectorModel = "HPGe40",
    distance_cm: float = 25.0,
    absorbers: tuple[Absorber, ...] = (),
    live_time_s: float = 3600.0,
    background: bool = True,
) -> Spectrum:
    """Simulate the spectrum of a uranium item seen by a detector (see the module doc)."""
    det = DETECTORS[detector] if isinstance(detector, str) else detector
    if distance_cm <= item.dimensions_cm()[0] + 0.5:
        raise SpectrumError(
            "the detector must be outside the item", field="distance_cm", value=distance_cm
        )
    lib = load_library()
    activities = uranium_activities_bq(item.uranium_mass_g, item.u235_wt_pct)
    lines = [
        (ln.energy_kev, activities[src] * ln.intensity)
        for src in ("U-235", "U-238")
        for ln in lib[src].lines
        if 20.0 < ln.energy_kev < det.max_energy_kev and ln.kind != "annihilation"
    ]
    energy = np.array([e for e, _ in lines])
    rate = np.array([r for _, r in lines])  # photons per second emitted
    # U K x-ray fluorescence: photons absorbed by the photoelectric effect in the item make
    # some; a share that grows with the item's optical thickness at 186 keV
    radius, _ = item.dimensions_cm()
    tau186 = float(mass_attenuation_cm2_g(item.material, 185.7)) * item.density_g_cm3 * radius
    kx_rate = 0.25 * float(rate[np.argmin(np.abs(energy - 185.7))]) * (1 - math.exp(-tau186))
    energy = np.concatenate([energy, [e for e, _ in U_KX]])
    rate = np.concatenate([rate, [kx_rate * w for _, w in U_KX]])
    geo = _geometry(item, det, distance_cm, absorbers, energy)
    n_fe = rate * live_time_s * geo.efficiency_fe
    n_int = rate * live_time_s * geo.efficiency_int
    edges = np.linspace(0.0, det.max_energy_kev, det.n_channels + 1)
    centers = 0.5 * (edges[:-1] + edges[1:])
    res = default_resolution(det.family)
    mean = np.zeros(det.n_channels)
    for e, fe, tot in zip(energy, n_fe, n_int, strict=True):
        fwhm = float(res.fwhm_kev(e))
        escaped = 0.0
        for e_esc, frac in _escape_fraction(det, float(e)):
            mean += fe * frac * _gauss(edges, e_esc, float(res.fwhm_kev(e_esc)) / 2.3548)
            escaped += fe * frac
        mean += (fe - escaped) * _tailed(edges, centers, float(e), fwhm, det.tail_fraction)
        mean += max(tot - fe, 0.0) * _compton(centers, float(e))
        e_bs = e / (1 + 2 * e / ELECTRON_MASS_KEV)
        mean += 0.01 * tot * _gauss(edges, e_bs, 0.08 * e_bs + fwhm / 2.3548)
    if any(a.material == "Pb" for a in absorbers):
        lead_in = float(np.sum(n_fe[(energy > 88) & (energy < 400)]))
        for e, w in PB_KX:
            mean += 0.02 * lead_in * w * _gauss(edges, e, float(res.fwhm_kev(e)) / 2.3548)
    if background:
        mean += _background(det, edges, centers, live_time_s, lib)
    counts = rng.poisson(np.maximum(mean, 0.0)).astype(np.float64)
    cal = EnergyCalibration.polynomial([0.0, det.max_energy_kev / det.n_channels], det.n_channels)
    shield = ", ".join(f"{a.thickness_cm * 10:g} mm {a.material}" for a in absorbers) or "bare"
    return Spectrum(
        counts=counts,
        live_time_s=live_time_s,
        real_time_s=live_time_s,
        calibration=cal,
        detector_type=det.family,
        detector_name="forward-simulated",
        source_type="foreground",
        title=(
            f"simulated {item.mass_g:g} g {item.material} {item.shape}, "
            f"{item.u235_wt_pct:g} wt% U-235, {shield}, {distance_cm:g} cm"
        ),
    )


def _background(
    det: DetectorModel, edges: FloatArray, centers: FloatArray, live_time_s: float, lib: dict
) -> FloatArray:
    """Environmental background: a falling continuum and the K-40, uranium-series and
    thorium-series lines, scaled by the crystal volume."""
    volume = math.pi * det.radius_cm**2 * det.length_cm
    res = default_resolution(det.family)
    cont = np.exp(-centers / 250.0) * (1 - np.exp(-centers / 20.0))
    out: FloatArray = cont / cont.sum() * det.background_cps_per_cm3 * volume * live_time_s * 10
    for name, strength in (("K-40", 6e-4), ("Ra-226", 2e-4), ("Th-232", 2e-4)):
        for ln in lib[name].lines:
            if ln.kind != "gamma" or not 30 < ln.energy_kev < det.max_energy_kev:
                continue
            counts = (
                strength * volume * live_time_s * ln.intensity * (ln.energy_kev / 1000.0) ** -0.6
            )
            out = out + counts * _gauss(
                edges, ln.energy_kev, float(res.fwhm_kev(ln.energy_kev)) / 2.3548
            )
    return out
