"""Physical relative-efficiency model for isotopics, fitted jointly with relative activities.

The approach of FRAM, MGAU and InterSpec's relative-activity fit: the counts in a peak are
the sum over the lines ``i`` it holds of ``A_iso(i) x I_i x eps(E_i)``, with

``eps(E) = D(E) x S(E; rho_x) x exp(-mu_Fe(E) x_Fe - mu_Pb(E) x_Pb)``

- ``D(E)``: the detector's intrinsic full-energy efficiency, ``ln D = (s + b1) u +
  (q + b2) u^2 + c u^3`` with ``u = ln(E/200 keV)``: the family's mean shape (``s``, ``q``,
  ``c``) and
  fitted corrections ``b1``, ``b2`` with Gaussian priors of the family's spread
  (:mod:`detshape`: generic GADRAS detector curves);
- ``S``: self-attenuation of the item, whose areal density ``rho_x`` (g/cm^2 of the item
  material, uranium or plutonium metal) is fitted; two forms, a slab
  ``(1 - e^-t)/t`` with ``t = mu rho_x`` and a sphere (escape probability of a uniform
  sphere, optical radius ``mu rho R`` with ``rho R = 3/4 rho_x``, the same mean chord);
- external absorbers: areal densities (g/cm^2) of iron (which also stands for the
  detector's window and dead layer and for any low-Z material: above 60 keV they differ
  little in shape) and lead, fitted, non-negative;
- geometry: common to every line, absorbed in the activities (only ratios are reported).

The fit minimises a chi-square over the peaks (counting uncertainty plus a relative model
term per line) with the priors; the parameters of interest are log activity ratios to a
reference isotope. Their uncertainties are **profile-likelihood** intervals (see
:meth:`RelEffModel.solve`): a thickness or an absorber the data cannot pin down widens the
interval, up to "unbounded", instead of being hidden.

Speed: every fit the analysis needs (both self-attenuation forms, a few starting
thicknesses, and the thickness grid of the profile) is one batch: the residuals and the
analytic Jacobian of all of them are a few array operations, and Levenberg-Marquardt
steps are batched solves, each fit with its own damping and stopping rule.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from nucsec.forensics.spectra.attenuation import mass_attenuation_cm2_g
from nucsec.forensics.spectra.detshape import detector_prior
from nucsec.forensics.spectra.model import FloatArray

__all__ = [
    "DetectorShape",
    "FitResult",
    "PeakGroup",
    "ProfileInterval",
    "RelEffModel",
    "self_attenuation",
]

MAX_AREAL_DENSITY = {"item": 600.0, "Fe": 60.0, "Pb": 40.0}
#: areal densities are fitted as ln(g/cm^2) between these (the lower one is "none")
MIN_AREAL_DENSITY = 1e-3
THICKNESSES = ("item", "Fe", "Pb")
START_FE, START_PB = 0.5, 0.3  # g/cm^2
FORMS = ("slab", "sphere")
LN_RATIO_SPAN = 12.0  # how far (in ln) a profile searches for an interval bound
MAX_ITERATIONS = 50  # in all; a profile fit stopped early is high: a narrower interval
STOP_GAIN = 1e-2  # a fit stops when a step lowers its chi-square by less (plus 1e-4 chi2)
LN_ACTIVITY_BOUND = 80.0
#: starting item thicknesses (g/cm^2) of the free fits (and of the profile's fits)
FREE_STARTS = (0.05, 1.0, 10.0, 100.0)
#: where a ratio is held for its profile, in steps of its standard uncertainty
PROFILE_STEPS = (-8.0, -5.0, -3.0, -2.0, -1.0, 1.0, 2.0, 3.0, 5.0, 8.0)
#: where the ratio of an isotope seen in no peak is held (ln, from its linear k=2 bound)
NOT_SEEN_STEPS = (-6.0, -4.0, -2.5, -1.5, -0.8, -0.3, 0.2, 0.7, 1.5, 3.0, 5.0)
MAX_HIDING = 3.0  # in ln: how far the linear estimate lets the prediction of a line drop
MIN_PROFILE_STEP, MAX_PROFILE_STEP = 0.03, 1.5  # in ln(ratio)
#: more starts of the free fits: (thickness, Fe, Pb) in g/cm^2, one iron-dominated and one
#: lead-dominated (the two kinds of absorber make separate valleys)
ABSORBER_STARTS = ((30.0, 3.0, 1e-3), (30.0, 0.1, 0.3))
ROUGH_ITERATIONS = 15  # of the free fits, before their best tells where to profile
MAX_DISTINCT = 6  # distinct free fits that start the profile's fits
SPHERE_SERIES_TAU = 1e-2  # below this optical radius the sphere uses its series
#: an isotope is seen when a peak (or line window) holding its lines has this significance
SEEN = 3.0


def _slab(t: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Slab: ``S = (1 - e^-t)/t`` and ``d ln S / d ln t = t e^-t / (1 - e^-t) - 1``
    (with ``e = expm1(-t)``: ``S = -e/t``, ``d = -t (1 + e) / e - 1``, exact to t -> 0)."""
    t = np.maximum(t, 1e-12)
    e = np.expm1(-t)
    return -e / t, -t * (1 + e) / e - 1


def _sphere(t: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Sphere of optical radius ``tau = 3/4 t``, ``y = 2 tau``: ``S = 3 f / (2 y)`` with
    ``f = 1 - 2 g / y^2``, ``g = 1 - (1 + y) e^-y``, and ``d ln S / d ln t = y f'/f - 1``,
    ``y f' = 4 g / y^2 - 2 e^-y``; below :data:`SPHERE_SERIES_TAU` the series
    ``S = 1 - 3 y / 8 + y^2 / 10``."""
    y = 1.5 * np.maximum(t, 1e-12)
    lo = y < 2 * SPHERE_SERIES_TAU
    y_safe = np.where(lo, 1.0, y)
    ey = np.exp(-y_safe)
    g2 = 2 * (1 - (1 + y_safe) * ey) / (y_safe * y_safe)  # 2 g / y^2
    f = 1 - g2
    s_exact = 1.5 * f / y_safe
    d_exact = (2 * g2 - 2 * ey) / f - 1
    s_series = 1 - 0.375 * y + 0.1 * y * y
    s = np.where(lo, s_series, s_exact)
    d = np.where(lo, (-0.375 * y + 0.2 * y * y) / s_series, d_exact)
    return s, d


def _attenuation_terms(t: FloatArray, sphere: np.ndarray) -> tuple[FloatArray, FloatArray]:
    """Escape probability ``S`` and ``d ln S / d ln t`` for rows ``t`` (B, L) of optical
    thicknesses, each row a slab or (``sphere``, (B,) bool) a sphere."""
    if not sphere.any():
        return _slab(t)
    if sphere.all():
        return _sphere(t)
    s = np.empty_like(t)
    d = np.empty_like(t)
    s[~sphere], d[~sphere] = _slab(t[~sphere])
    s[sphere], d[sphere] = _sphere(t[sphere])
    return s, d


def self_attenuation(mu_cm2_g: FloatArray, areal_g_cm2: float, form: str) -> FloatArray:
    """Mean escape probability of photons from a uniform item, as seen from afar.

    ``slab``: ``(1 - exp(-t))/t`` with ``t = mu x areal``; ``sphere``: the escape
    probability of a uniform sphere of optical radius ``tau = mu x 3/4 x areal``,
    ``3/(4 tau) [1 - 1/(2 tau^2) + (1/tau + 1/(2 tau^2)) exp(-2 tau)]``.
    """
    t = np.asarray(mu_cm2_g, dtype=np.float64) * areal_g_cm2
    out: FloatArray = (_sphere(t) if form == "sphere" else _slab(t))[0]
    return out


@dataclass(frozen=True)
class DetectorShape:
    """A measured full-energy efficiency curve of the detector (any scale) replacing the
    family's generic shape, with the standard deviations of the slope and curvature
    corrections still allowed around it."""

    efficiency: Callable[[FloatArray], FloatArray]
    sd_slope: float
    sd_curvature: float


@dataclass(frozen=True)
class PeakGroup:
    """A measured peak and the tabulated lines (indices into the model's lines) it holds."""

    energy_kev: float
    counts: float
    counts_unc: float
    lines: tuple[int, ...]
    weights: tuple[float, ...]  # fraction of each line's counts inside the fitted peak
    model_rel_unc: float = 0.03  # relative model uncertainty of the prediction


@dataclass(frozen=True)
class ProfileInterval:
    """Profile-likelihood interval of one log activity ratio: None = unbounded."""

    lo_k1: float | None
    hi_k1: float | None
    lo_k2: float | None
    hi_k2: float | None


@dataclass(frozen=True)
class FitResult:
    """The best fit: parameters (log areal densities), chi-square, degrees of freedom, the
    self-attenuation form and the covariance (of the areal densities in g/cm^2)."""

    params: FloatArray
    chi2: float
    dof: int
    form: str
    cov: FloatArray
    names: tuple[str, ...]

    @property
    def scale(self) -> float:
        """Chi-square per degree of freedom when above 1 (it widens the intervals)."""
        return max(1.0, self.chi2 / self.dof) if self.dof > 0 else 1.0

    def value(self, name: str) -> float:
        return float(self.params[self.names.index(name)])

    def unc(self, name: str) -> float:
        i = self.names.index(name)
        return float(math.sqrt(max(self.cov[i, i], 0.0)))

    def areal_density(self, what: str) -> tuple[float, float]:
        """(value, standard uncertainty) of an areal density in g/cm^2 (fitted as a
        logarithm; :attr:`cov` holds the areal densities themselves); reported as 0 at
        the fit's lower limit."""
        ln_value = self.value(f"ln_{what}")
        value = math.exp(ln_value)
        return (0.0 if ln_value <= math.log(MIN_AREAL_DENSITY) + 1e-6 else value), self.unc(
            f"ln_{what}"
        )


@dataclass(frozen=True)
class _State:
    """What the Jacobian needs from a residual evaluation (all (B, L))."""

    line: FloatArray  # predicted counts of each line
    dln_s: FloatArray  # d ln S / d ln item
    att_fe: FloatArray  # mu_Fe x_Fe
    att_pb: FloatArray  # mu_Pb x_Pb


@dataclass(frozen=True)
class _Batch:
    """Solutions of a batch of fits: parameters, chi-squares, Jacobians, free masks."""

    params: FloatArray  # (B, n)
    chi2: FloatArray  # (B,)
    jac: FloatArray  # (B, m, n)
    free: np.ndarray  # (B, n) bool
    sphere: np.ndarray  # (B,) bool


class RelEffModel:
    """The joint model for one set of lines, peaks and a detector family.

    Parameters are ``[lnA_ref, lnR_1..lnR_k, b1, b2, ln item, ln Fe, ln Pb]`` where
    ``lnR_j`` is the log activity ratio of isotope ``j`` to the reference isotope (index 0)
    and the last three are log areal densities (g/cm^2).
    """

    def __init__(
        self,
        energies_kev: FloatArray,
        intensities: FloatArray,
        isotope_index: FloatArray,
        isotopes: tuple[str, ...],
        groups: list[PeakGroup],
        detector: str,
        item_material: str,
        mu: dict[str, FloatArray] | None = None,
        shape: DetectorShape | None = None,
    ) -> None:
        self.isotopes = isotopes
        self.groups = groups
        e = np.asarray(energies_kev, dtype=np.float64)
        self.energies = e
        self.intensities = np.asarray(intensities, dtype=np.float64)
        self.iso = np.asarray(isotope_index, dtype=np.int64)
        self.u = np.log(e / 200.0)
        if shape is None:
            prior = detector_prior(detector)
            self.sd_b1, self.sd_b2 = prior.sd_slope, prior.sd_curvature
            self.base = prior.slope * self.u + prior.curvature * self.u**2 + prior.cubic * self.u**3
        else:  # the detector's own efficiency curve (measured), with its own uncertainty
            self.base = np.log(shape.efficiency(e) / shape.efficiency(np.array([200.0]))[0])
            self.sd_b1, self.sd_b2 = shape.sd_slope, shape.sd_curvature
        mu = mu or {}
        self.mu_item = np.asarray(mu.get("item", mass_attenuation_cm2_g(item_material, e)))
        self.mu_fe = np.asarray(mu.get("Fe", mass_attenuation_cm2_g("Fe", e)))
        self.mu_pb = np.asarray(mu.get("Pb", mass_attenuation_cm2_g("Pb", e)))
        n_lines, n_groups = e.size, len(groups)
        self.mix = np.zeros((n_groups, n_lines))
        for g, grp in enumerate(groups):
            for li, w in zip(grp.lines, grp.weights, strict=True):
                self.mix[g, li] += w
        self.meas = np.array([g.counts for g in groups])
        rel = np.array([g.model_rel_unc for g in groups])
        #: uncertainty of each peak: counting, plus the relative model term of its counts
        self.sigma = np.sqrt(np.array([g.counts_unc**2 for g in groups]) + (rel * self.meas) ** 2)
        self.mix_scaled = self.mix / self.sigma[:, None]
        k = len(isotopes)
        self.names = (
            "lnA_" + isotopes[0],
            *(f"lnR_{iso}" for iso in isotopes[1:]),
            "b1",
            "b2",
            "ln_item",
            "ln_Fe",
            "ln_Pb",
        )
        self.n_iso = k
        self.n_params = k + 5
        self.prior_sd = np.array([self.sd_b1, self.sd_b2])
        self.n_groups = n_groups
        self.n_res = n_groups + 2
        self.meas_scaled = self.meas / self.sigma
        self.u2 = self.u**2
        self._prior_jac = np.zeros((2, self.n_params))
        self._prior_jac[0, k], self._prior_jac[1, k + 1] = 1 / self.sd_b1, 1 / self.sd_b2
        # columns of d ln(line counts) / d parameter that do not depend on the parameters
        cols = np.zeros((n_lines, self.n_params))
        cols[:, 0] = 1.0
        for j in range(1, k):
            cols[:, j] = self.iso == j
        cols[:, k], cols[:, k + 1] = self.u, self.u**2
        self._const_cols = cols
        self.ln_intensity = np.log(np.maximum(self.intensities, 1e-300))
        self.ln_base = self.ln_intensity + self.base
        lo = np.full(self.n_params, -np.inf)
        hi = np.full(self.n_params, np.inf)
        lo[:k], hi[:k] = -LN_ACTIVITY_BOUND, LN_ACTIVITY_BOUND  # keeps exp() finite
        lo[k : k + 2], hi[k : k + 2] = -10.0, 10.0  # detector shape (priors of width < 1)
        lo[k + 2 :] = math.log(MIN_AREAL_DENSITY)
        hi[k + 2 :] = [math.log(MAX_AREAL_DENSITY[t]) for t in THICKNESSES]
        self.lo, self.hi = lo, hi

    # -- model ---------------------------------------------------------------------------
    def _residuals(self, p: FloatArray, sphere: np.ndarray) -> tuple[FloatArray, _State]:
        """Normalised residuals (peaks, then the two priors) for a batch of parameter
        vectors ``p`` (B, n), and what their Jacobian needs. The uncertainty of each peak
        does not depend on the parameters: a plain weighted least squares."""
        k = self.n_iso
        thick = np.exp(p[:, k + 2 : k + 5])
        s, dln_s = _attenuation_terms(self.mu_item[None, :] * thick[:, :1], sphere)
        att_fe = self.mu_fe[None, :] * thick[:, 1:2]
        att_pb = self.mu_pb[None, :] * thick[:, 2:3]
        ln_a = p[:, :k].copy()
        ln_a[:, 1:] += p[:, :1]
        line = s * np.exp(
            ln_a[:, self.iso]
            + self.ln_base
            + p[:, k : k + 1] * self.u
            + p[:, k + 1 : k + 2] * self.u2
            - att_fe
            - att_pb
        )  # (B, L)
        res = np.empty((p.shape[0], self.n_res))
        res[:, : self.n_groups] = line @ self.mix_scaled.T - self.meas_scaled
        res[:, self.n_groups :] = p[:, k : k + 2] / self.prior_sd
        return res, _State(line, dln_s, att_fe, att_pb)

    def _jacobian(self, st: _State) -> FloatArray:
        """Analytic Jacobian (B, groups + 2, n) of :meth:`_residuals`."""
        k = self.n_iso
        weighted = self.mix_scaled[None, :, :] * st.line[:, None, :]  # (B, G, L)
        jac = np.empty((st.line.shape[0], self.n_res, self.n_params))
        jac[:, : self.n_groups, :] = weighted @ self._const_cols
        var = np.stack([st.dln_s, -st.att_fe, -st.att_pb], axis=2)  # (B, L, 3)
        jac[:, : self.n_groups, k + 2 :] = weighted @ var
        jac[:, self.n_groups :, :] = self._prior_jac
        return jac

    def _evaluate(self, p: FloatArray, sphere: np.ndarray) -> tuple[FloatArray, FloatArray]:
        res, st = self._residuals(p, sphere)
        return res, self._jacobian(st)

    def line_efficiency(self, p: FloatArray, form: str) -> FloatArray:
        """Relative efficiency of every line for one parameter vector."""
        k = self.n_iso
        item, fe, pb = np.exp(p[k + 2 : k + 5])
        ln_d = self.base + p[k] * self.u + p[k + 1] * self.u**2
        s = self_attenuation(self.mu_item, float(item), form)
        out: FloatArray = np.exp(ln_d - self.mu_fe * fe - self.mu_pb * pb) * s
        return out

    def predict(self, p: FloatArray, form: str) -> FloatArray:
        k = self.n_iso
        ln_a = np.concatenate([[p[0]], p[0] + p[1:k]])
        out: FloatArray = self.mix @ (
            np.exp(ln_a[self.iso]) * self.intensities * self.line_efficiency(p, form)
        )
        return out

    # -- fitting -------------------------------------------------------------------------
    def _starts(self, items: FloatArray, sphere: np.ndarray) -> FloatArray:
        """Starting points: thickness ``items`` (B,), moderate absorbers, the activities
        that match the summed counts of each isotope's groups."""
        k = self.n_iso
        p = np.zeros((items.size, self.n_params))
        # absorbers start at a moderate thickness: at the lower limit of a log parameter
        # its gradient vanishes; the fit lowers them when they are not wanted
        p[:, k + 2] = np.log(items)
        p[:, k + 3], p[:, k + 4] = math.log(START_FE), math.log(START_PB)
        s = _attenuation_terms(self.mu_item[None, :] * items[:, None], sphere)[0]
        eff = np.exp(self.base - self.mu_fe * START_FE - self.mu_pb * START_PB) * s
        onehot = self.iso[None, :] == np.arange(k)[:, None]  # (k, L)
        pred = np.einsum("gl,bl,jl->bjg", self.mix, eff * self.intensities, onehot)
        used = pred > 0
        total = np.maximum(np.where(used, self.meas[None, None, :], 0.0).sum(2), 1.0)
        ln_a = np.log(total / np.maximum(pred.sum(2), 1e-300))
        ln_a = np.where(used.any(2), ln_a, 0.0)
        p[:, 0] = ln_a[:, 0]
        p[:, 1:k] = ln_a[:, 1:] - ln_a[:, :1]
        return p

    def _solve(
        self,
        start: FloatArray,
        sphere: np.ndarray,
        free: np.ndarray,
        iterations: int = MAX_ITERATIONS,
    ) -> _Batch:
        """Batched Levenberg-Marquardt with the bounds enforced by projection; each fit
        has its own damping (Marquardt's scaling, Nielsen-like update) and stops when a
        step no longer lowers its chi-square by more than ``1e-3 + 1e-5 chi2``."""
        lo, hi = self.lo, self.hi
        x = np.clip(start, lo, hi)
        res, jac = self._evaluate(x, sphere)
        cost = np.einsum("bm,bm->b", res, res)
        lam = np.full(x.shape[0], 1e-3)
        active = np.ones(x.shape[0], dtype=bool)
        eye = np.eye(self.n_params, dtype=bool)
        for _ in range(iterations):
            if not active.any():
                break
            # every fit is stepped (arrays this small cost their calls, not their size);
            # the ones that are done keep their values
            jt = jac.transpose(0, 2, 1)
            grad = np.matmul(jt, res[:, :, None])[:, :, 0]
            # a parameter at a bound that the gradient pushes outwards is held for the step
            held = ((x <= lo + 1e-9) & (grad > 0)) | ((x >= hi - 1e-9) & (grad < 0))
            use = free & ~held & active[:, None]
            hess = np.matmul(jt, jac)
            mask = use[:, :, None] & use[:, None, :]
            damp = np.where(use, lam[:, None] * (np.einsum("bii->bi", hess) + 1e-12), 1.0)
            damped = np.where(mask, hess, 0.0)
            damped[:, eye] += damp
            step = np.linalg.solve(damped, -np.where(use, grad, 0.0)[:, :, None])[:, :, 0]
            trial = np.clip(x + step, lo, hi)
            res_t, st = self._residuals(trial, sphere)
            cost_t = np.einsum("bm,bm->b", res_t, res_t)
            better = (cost_t < cost) & active
            gain = cost - cost_t
            if better.any():  # the Jacobian only where the step is taken
                kept = _State(*(a[better] for a in (st.line, st.dln_s, st.att_fe, st.att_pb)))
                x[better], res[better], cost[better] = trial[better], res_t[better], cost_t[better]
                jac[better] = self._jacobian(kept)
            lam = np.where(better, np.maximum(lam / 5, 1e-9), np.where(active, lam * 4, lam))
            done = (better & (gain <= STOP_GAIN + 1e-4 * cost)) | (lam > 1e8) | ~use.any(1)
            active &= ~done
        return _Batch(x, cost, jac, free, sphere)

    def _covariance(self, p: FloatArray, jac: FloatArray, free: np.ndarray) -> FloatArray:
        """Covariances (B, n, n) from the Jacobians, with the areal densities in g/cm^2
        rather than their logarithms: near zero a log thickness has a vanishing derivative
        and an enormous variance that would leak into everything correlated with it,
        while the thickness itself is well bounded there. Held parameters (``free``
        False) and those at a bound have zero variance (an absorber at "none" would
        otherwise open a valley of negative thicknesses)."""
        k = self.n_iso
        thick = slice(k + 2, k + 5)
        keep = free & (p > self.lo + 1e-6) & (p < self.hi - 1e-6)
        lin = jac.copy()
        lin[:, :, thick] /= np.exp(p[:, None, thick])  # d/d(g/cm^2) = d/d(ln) / value
        hess = np.matmul(lin.transpose(0, 2, 1), lin)
        mask = keep[:, :, None] & keep[:, None, :]
        eye = np.eye(self.n_params)
        reduced = np.where(mask, hess, 0.0) + eye * (~keep)[:, None, :]
        cov = np.linalg.pinv(reduced)
        out: FloatArray = np.where(mask, cov, 0.0)
        return out

    def dof(self) -> int:
        return len(self.groups) + 2 - self.n_params

    def solve(self, profile: Sequence[str]) -> tuple[FitResult, dict[str, ProfileInterval]]:
        """Best fit, and k=1/k=2 profile-likelihood intervals of some log ratios.

        The free fits start from a few thicknesses and absorbers, in both self-attenuation
        forms; after a few iterations their best tells where to profile: each ratio is
        held on a grid around its value (steps scaled by its standard uncertainty) and
        every other parameter refitted, starting from each distinct free fit of the best
        form (a thick item's chi-square is a long flat valley in thickness, where a single
        start gets lost). The profile fits and the free fits then run to the end in one
        batch. The profile at each held value is the least chi-square of its fits, and the
        interval at k is where it stays within ``k^2`` (times the reduced chi-square when
        above 1) of its minimum, interpolated between grid points. A side where the
        profile is still inside at the last grid point, or is inside only with an
        absorber at its upper limit, is unbounded. An isotope seen in no peak gets upper
        bounds only (:meth:`_not_seen`).
        """
        k = self.n_iso
        n_start = len(FREE_STARTS) + len(ABSORBER_STARTS)
        items = np.array(
            (FREE_STARTS + tuple(x for x, _, _ in ABSORBER_STARTS)) * 2, dtype=np.float64
        )
        sphere = np.repeat([False, True], n_start)
        start = self._starts(items, sphere)
        for i, (_, fe, pb) in enumerate(ABSORBER_STARTS):
            for at in (len(FREE_STARTS) + i, n_start + len(FREE_STARTS) + i):
                start[at, k + 3 : k + 5] = np.log([fe, pb])
        free = np.ones((items.size, self.n_params), dtype=bool)
        rough = self._solve(start, sphere, free, ROUGH_ITERATIONS)
        best_i = int(np.argmin(rough.chi2))
        one = slice(best_i, best_i + 1)
        held = rough.free[one].copy()
        held[:, k + 2] = False
        cov = self._covariance(rough.params[one], rough.jac[one], rough.free[one])[0]
        cond = self._covariance(rough.params[one], rough.jac[one], held)[0]
        scale = _scale(float(rough.chi2[best_i]), self.dof())
        raw_sigma = np.array([g.counts_unc for g in self.groups])
        # the profile fits of every seen ratio, in one batch with the free fits
        starts = rough.params[_distinct(rough, best_i)]
        p_all, sph_all, free_all = [rough.params], [rough.sphere], [rough.free]
        grids: dict[str, tuple[int, FloatArray, int]] = {}
        not_seen: set[str] = set()
        for name in profile:
            j = self.names.index(name)
            holds = self.mix[:, self.iso == j].sum(axis=1) > 0
            if np.any(self.meas[holds] > SEEN * raw_sigma[holds]):
                # step: between the uncertainty at the best thickness and the one across
                # thicknesses (a tangent to the flat valley, an overestimate)
                sd = math.sqrt(math.sqrt(max(float(cond[j, j]), 0.0) * max(float(cov[j, j]), 0.0)))
                step = min(max(sd, MIN_PROFILE_STEP), MAX_PROFILE_STEP) * math.sqrt(scale)
                values = float(rough.params[best_i, j]) + np.clip(
                    np.array(PROFILE_STEPS) * step, -LN_RATIO_SPAN, LN_RATIO_SPAN
                )
            else:
                # a non-detection: held upwards from the linear estimate of its bound, the
                # other parameters free to hide it (absorbers, thickness, detector shape)
                guess = self._not_seen(rough, j, scale).hi_k2
                if guess is None or not math.isfinite(guess):
                    continue
                not_seen.add(name)
                values = guess + np.array(NOT_SEEN_STEPS)
            p0 = np.repeat(starts, values.size, axis=0)
            p0[:, j] = np.tile(values, starts.shape[0])
            f0 = np.ones(p0.shape, dtype=bool)
            f0[:, j] = False
            grids[name] = (j, values, sum(a.shape[0] for a in p_all))
            p_all.append(p0)
            sph_all.append(np.full(p0.shape[0], bool(rough.sphere[best_i])))
            free_all.append(f0)
        batch = self._solve(
            np.concatenate(p_all), np.concatenate(sph_all), np.concatenate(free_all),
            MAX_ITERATIONS - ROUGH_ITERATIONS,
        )  # fmt: skip
        n_free = rough.params.shape[0]
        free_fits = _Batch(
            batch.params[:n_free], batch.chi2[:n_free], batch.jac[:n_free],
            batch.free[:n_free], batch.sphere[:n_free],
        )  # fmt: skip
        best_i = int(np.argmin(free_fits.chi2))
        one = slice(best_i, best_i + 1)
        best = FitResult(
            free_fits.params[best_i].copy(),
            float(free_fits.chi2[best_i]),
            self.dof(),
            "sphere" if free_fits.sphere[best_i] else "slab",
            self._covariance(free_fits.params[one], free_fits.jac[one], free_fits.free[one])[0],
            self.names,
        )
        caps = np.log([MAX_AREAL_DENSITY["Fe"], MAX_AREAL_DENSITY["Pb"]])
        capped = np.any(batch.params[:, k + 3 : k + 5] >= caps - 0.01, axis=1)
        out = {}
        for name in profile:
            if name not in grids:
                out[name] = ProfileInterval(None, None, None, None)
                continue
            j, values, at = grids[name]
            n = values.size * starts.shape[0]
            chi2 = batch.chi2[at : at + n].reshape(starts.shape[0], values.size)
            cap = capped[at : at + n].reshape(starts.shape[0], values.size)
            lowest = np.argmin(chi2, axis=0)
            cols = np.arange(values.size)
            prof, prof_cap = chi2[lowest, cols], cap[lowest, cols]
            if name in not_seen:
                out[name] = _upper_only(values, prof, prof_cap, best.chi2, best.scale)
            else:
                out[name] = _interval(
                    np.r_[values, best.params[j]],
                    np.r_[prof, best.chi2],
                    np.r_[prof_cap, False],
                    best.scale,
                )
        return best, out

    def _not_seen(self, batch: _Batch, j: int, scale: float) -> ProfileInterval:
        """Upper bounds of the ratio of an isotope seen in no peak (only windows below
        :data:`SEEN` sigma). Its counts are linear in the ratio ``R``: for each fit, with
        ``a_g`` the predicted counts per unit ratio in group ``g`` and ``m_g`` the counts
        measured there, the chi-square is least at ``R* = max(0, sum a m / s^2 / sum a^2 /
        s^2)`` and grows as ``(R - R*)^2 sum a^2 / s^2``. The prediction ``a`` itself is
        uncertain (detector shape, absorbers: ``ln a`` has a standard deviation ``s_a``
        from the fit's covariance), so part of the chi-square room goes to lowering it by
        ``D`` (costing ``(D / s_a)^2``), chosen to make the bound largest. The bound at k is
        the largest over the fits within ``k^2`` of the best. A non-detection has no
        lower bound."""
        p = batch.params.copy()
        p[:, j] = 0.0  # unit ratio
        k = self.n_iso
        thick = np.exp(p[:, k + 2 : k + 5])
        s, dln_s = _attenuation_terms(self.mu_item[None, :] * thick[:, :1], batch.sphere)
        ln_eff = (
            self.base
            + p[:, k : k + 1] * self.u
            + p[:, k + 1 : k + 2] * self.u**2
            - self.mu_fe[None, :] * thick[:, 1:2]
            - self.mu_pb[None, :] * thick[:, 2:3]
        )
        mine = self.iso == j
        lines = np.exp(p[:, :1] + ln_eff + self.ln_intensity) * s * mine
        per_unit = lines @ self.mix_scaled.T  # (B, G): a / sigma at R = 1
        holds = self.mix[:, mine].sum(axis=1) > 0
        weight = np.sum(per_unit[:, holds] ** 2, axis=1)
        measured = np.sum(per_unit[:, holds] * (self.meas / self.sigma)[holds], axis=1)
        r_best = np.maximum(measured / np.maximum(weight, 1e-300), 0.0)
        # d ln a / d parameter (areal densities in g/cm^2, as the covariance has them)
        share = lines / np.maximum(lines.sum(axis=1, keepdims=True), 1e-300)
        grad = np.zeros(p.shape)
        grad[:, 0] = 1.0
        grad[:, k] = share @ self.u
        grad[:, k + 1] = share @ self.u**2
        grad[:, k + 2] = np.sum(share * dln_s, axis=1) / thick[:, 0]
        grad[:, k + 3] = -share @ self.mu_fe
        grad[:, k + 4] = -share @ self.mu_pb
        cov = self._covariance(batch.params, batch.jac, batch.free)
        s_a = np.sqrt(np.maximum(np.einsum("bi,bij,bj->b", grad, cov, grad), 1e-12))
        floor = float(np.min(batch.chi2))
        bounds: list[float | None] = []
        for level in (1.0, 4.0):
            room = np.maximum(level * scale - (batch.chi2 - floor), 0.0)
            ok = (room > 0) & (weight > 0)
            lower = np.minimum((-1 + np.sqrt(1 + 4 * room * s_a**2)) / 2, MAX_HIDING)  # best D
            left = np.maximum(room - (lower / s_a) ** 2, 0.0)
            hi = (r_best + np.sqrt(left / np.maximum(weight, 1e-300))) * np.exp(
                np.minimum(lower, LN_ACTIVITY_BOUND)
            )
            bounds.append(float(np.log(np.max(hi[ok]))) if np.any(ok) else None)
        return ProfileInterval(None, bounds[0], None, bounds[1])


def _distinct(batch: _Batch, best_i: int) -> npt.NDArray[np.int64]:
    """The (at most :data:`MAX_DISTINCT`) best free fits of the best fit's form that ended
    in different places (thickness, absorbers or ratios apart by more than 0.1 in ln): the
    starts of the profile."""
    same = np.nonzero(batch.sphere == batch.sphere[best_i])[0]
    same = same[np.argsort(batch.chi2[same])]
    kept: list[int] = []
    for i in same:
        if all(np.max(np.abs(batch.params[i, 1:] - batch.params[j, 1:])) > 0.1 for j in kept):
            kept.append(int(i))
    return np.array(kept[:MAX_DISTINCT], dtype=np.int64)


def _scale(chi2: float, dof: int) -> float:
    return max(1.0, chi2 / dof) if dof > 0 else 1.0


def _interval(
    values: FloatArray, chi2: FloatArray, capped: np.ndarray, scale: float
) -> ProfileInterval:
    """k=1 and k=2 bounds of a profile sampled at ``values`` (see :meth:`RelEffModel.solve`):
    walking out from its minimum, where it first rises above ``k^2`` (times ``scale``);
    None where it does not, or where it stays inside only with an absorber at its cap."""
    order = np.argsort(values)
    x, y, c = values[order], chi2[order], capped[order]
    d = (y - float(np.min(y))) / scale
    centre = int(np.argmin(d))
    bounds: list[float | None] = []
    for level in (1.0, 4.0):
        lo = hi = None
        for i in range(centre, 0, -1):
            if d[i - 1] > level:
                if not np.any(c[i - 1 : centre + 1] & (d[i - 1 : centre + 1] <= level)):
                    lo = _cross(x[i], x[i - 1], d[i], d[i - 1], level)
                break
        for i in range(centre, x.size - 1):
            if d[i + 1] > level:
                if not np.any(c[centre : i + 2] & (d[centre : i + 2] <= level)):
                    hi = _cross(x[i], x[i + 1], d[i], d[i + 1], level)
                break
        bounds += [lo, hi]
    return ProfileInterval(bounds[0], bounds[1], bounds[2], bounds[3])


def _upper_only(
    values: FloatArray, chi2: FloatArray, capped: np.ndarray, best_chi2: float, scale: float
) -> ProfileInterval:
    """Upper bounds of a non-detection's ratio from its profile on a grid (no lower bound):
    walking up the grid from the profile's least value, where it first rises above ``k^2``
    (times ``scale``) over the best fit; at the lowest grid value when it is above there
    already (a bound too high, never too low); None when it never does, or only with an
    absorber at its cap."""
    order = np.argsort(values)
    x, y, c = values[order], chi2[order], capped[order]
    d = (y - min(best_chi2, float(np.min(y)))) / scale
    centre = int(np.argmin(d))  # a weak signal below 3 sigma may raise the lowest values
    bounds: list[float | None] = []
    for level in (1.0, 4.0):
        above = np.nonzero(d[centre:] > level)[0]
        if above.size == 0:
            bounds.append(None)
            continue
        i = centre + int(above[0])
        if np.any(c[: i + 1] & (d[: i + 1] <= level)):
            bounds.append(None)
        elif i == 0:
            bounds.append(float(x[0]))
        else:
            bounds.append(_cross(x[i - 1], x[i], d[i - 1], d[i], level))
    return ProfileInterval(None, bounds[0], None, bounds[1])


def _cross(x0: float, x1: float, d0: float, d1: float, level: float) -> float:
    """Where a profile rising from ``d0`` at ``x0`` to ``d1`` at ``x1`` reaches ``level``:
    the square root of a profile is interpolated linearly (exact for a parabola)."""
    r0, r1, r = math.sqrt(max(d0, 0.0)), math.sqrt(max(d1, 0.0)), math.sqrt(level)
    if r1 == r0:
        return x1
    return float(x0 + (r - r0) * (x1 - x0) / (r1 - r0))
