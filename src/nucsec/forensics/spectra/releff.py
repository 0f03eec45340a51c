"""Physical relative-efficiency model for isotopics, fitted jointly with relative activities.

The approach of FRAM, MGAU and InterSpec's relative-activity fit: the counts in a peak are
the sum over the lines ``i`` it holds of ``A_iso(i) x I_i x eps(E_i)``, with

``eps(E) = D(E) x S(E; rho_x) x exp(-mu_Fe(E) x_Fe - mu_Pb(E) x_Pb)``

- ``D(E) = (E/200 keV)^-p exp(b1 u + b2 u^2)``, ``u = ln(E/200 keV)``: the detector's
  intrinsic full-energy efficiency, a family power law corrected by ``b1``, ``b2`` (fitted,
  with Gaussian priors: a detector is not known in advance);
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
reference isotope. Their uncertainties are **profile-likelihood** intervals: each ratio is
moved and every other parameter (areal densities, detector shape, other activities) refitted
until the chi-square rises by 1 (k=1) or 4 (k=2), times the reduced chi-square when above 1.
So a thickness or an absorber the data cannot pin down widens the interval, up to
"unbounded", instead of being hidden.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from nucsec.forensics.spectra.attenuation import mass_attenuation_cm2_g
from nucsec.forensics.spectra.model import FloatArray

__all__ = ["FitResult", "PeakGroup", "ProfileInterval", "RelEffModel", "self_attenuation"]

#: detector power law (intrinsic full-energy efficiency, 100-1000 keV) and prior widths of
#: the shape correction (b1, b2) per family
DETECTOR_SHAPE = {
    "HPGe": (0.9, 0.35, 0.15),
    "CZT": (1.5, 0.5, 0.3),
    "LaBr3": (0.85, 0.4, 0.3),
    "NaI": (0.75, 0.4, 0.3),
    "CsI": (1.5, 0.6, 0.4),
}
MAX_AREAL_DENSITY = {"item": 600.0, "Fe": 60.0, "Pb": 40.0}
#: areal densities are fitted as ln(g/cm^2) between these (the lower one is "none")
MIN_AREAL_DENSITY = 1e-3
THICKNESSES = ("item", "Fe", "Pb")
START_FE, START_PB = 0.5, 0.3  # g/cm^2
FORMS = ("slab", "sphere")
LN_RATIO_SPAN = 12.0  # how far (in ln) a profile searches for an interval bound
MAX_ITERATIONS = 60
LN_ACTIVITY_BOUND = 80.0
#: item areal densities (g/cm^2) at which the thickness is held to profile the ratios
ITEM_GRID = (1e-3, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 600.0)


def self_attenuation(mu_cm2_g: FloatArray, areal_g_cm2: float, form: str) -> FloatArray:
    """Mean escape probability of photons from a uniform item, as seen from afar.

    ``slab``: ``(1 - exp(-t))/t`` with ``t = mu x areal``; ``sphere``: the escape
    probability of a uniform sphere of optical radius ``tau = mu x 3/4 x areal``,
    ``3/(4 tau) [1 - 1/(2 tau^2) + (1/tau + 1/(2 tau^2)) exp(-2 tau)]``.
    """
    if form == "slab":
        t = np.maximum(mu_cm2_g * areal_g_cm2, 1e-12)
        out: FloatArray = np.where(t < 1e-6, 1.0 - t / 2, -np.expm1(-t) / t)
        return out
    tau = np.maximum(0.75 * mu_cm2_g * areal_g_cm2, 1e-12)
    safe = np.maximum(tau, 1e-2)
    exact = (
        3
        / (4 * safe)
        * (1 - 1 / (2 * safe**2) + (1 / safe + 1 / (2 * safe**2)) * np.exp(-2 * safe))
    )
    out = np.where(tau < 1e-2, 1 - 0.75 * tau + 0.4 * tau**2, exact)
    return out


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
        """(value, standard uncertainty) of an areal density in g/cm^2, fitted as a
        logarithm (delta method); reported as 0 at the fit's lower limit."""
        ln_value = self.value(f"ln_{what}")
        value = math.exp(ln_value)
        unc = value * min(self.unc(f"ln_{what}"), 20.0)
        return (0.0 if ln_value <= math.log(MIN_AREAL_DENSITY) + 1e-6 else value), unc


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
    ) -> None:
        self.isotopes = isotopes
        self.groups = groups
        e = np.asarray(energies_kev, dtype=np.float64)
        self.energies = e
        self.intensities = np.asarray(intensities, dtype=np.float64)
        self.iso = np.asarray(isotope_index, dtype=np.int64)
        power, self.sd_b1, self.sd_b2 = DETECTOR_SHAPE.get(detector, DETECTOR_SHAPE["NaI"])
        self.u = np.log(e / 200.0)
        self.base = -power * self.u
        self.mu_item = np.asarray(mass_attenuation_cm2_g(item_material, e))
        self.mu_fe = np.asarray(mass_attenuation_cm2_g("Fe", e))
        self.mu_pb = np.asarray(mass_attenuation_cm2_g("Pb", e))
        n_lines, n_groups = e.size, len(groups)
        self.mix = np.zeros((n_groups, n_lines))
        for g, grp in enumerate(groups):
            for li, w in zip(grp.lines, grp.weights, strict=True):
                self.mix[g, li] += w
        self.meas = np.array([g.counts for g in groups])
        self.meas_var = np.array([g.counts_unc**2 for g in groups])
        self.rel = np.array([g.model_rel_unc for g in groups])
        #: uncertainty of each peak: counting, plus the relative model term of its counts
        self.sigma = np.sqrt(self.meas_var + (self.rel * self.meas) ** 2)
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

    # -- model ---------------------------------------------------------------------------
    def line_efficiency(self, p: FloatArray, form: str) -> FloatArray:
        k = self.n_iso
        b1, b2 = p[k], p[k + 1]
        item, fe, pb = np.exp(p[k + 2 : k + 5])
        ln_d = self.base + b1 * self.u + b2 * self.u**2
        s = self_attenuation(self.mu_item, item, form)
        out: FloatArray = np.exp(ln_d - self.mu_fe * fe - self.mu_pb * pb) * s
        return out

    def predict(self, p: FloatArray, form: str) -> FloatArray:
        k = self.n_iso
        ln_a = np.concatenate([[p[0]], p[0] + p[1:k]])
        line_counts = np.exp(ln_a[self.iso]) * self.intensities * self.line_efficiency(p, form)
        out: FloatArray = self.mix @ line_counts
        return out

    def residuals(self, p: FloatArray, form: str) -> FloatArray:
        return self._residuals_and_jacobian(p, form)[0]

    def _residuals_and_jacobian(self, p: FloatArray, form: str) -> tuple[FloatArray, FloatArray]:
        """Normalised residuals (peaks, then the two priors) and their analytic Jacobian.

        The uncertainty of each peak (counting, plus a relative model term of its measured
        counts) does not depend on the parameters: a plain weighted least squares."""
        k = self.n_iso
        ln_a = np.concatenate([[p[0]], p[0] + p[1:k]])
        item, fe, pb = np.exp(p[k + 2 : k + 5])
        line = np.exp(ln_a[self.iso]) * self.intensities * self.line_efficiency(p, form)
        pred = self.mix @ line
        sigma = self.sigma
        # d ln S / d item (central difference: both forms, any thickness)
        h = max(1e-4, 1e-4 * item)
        up = self_attenuation(self.mu_item, item + h, form)
        down = self_attenuation(self.mu_item, max(item - h, 0.0), form)
        dln_s = (np.log(up) - np.log(down)) / (item + h - max(item - h, 0.0))
        cols = np.empty((self.energies.size, self.n_params))
        cols[:, 0] = 1.0
        for j in range(1, k):
            cols[:, j] = self.iso == j
        cols[:, k] = self.u
        cols[:, k + 1] = self.u**2
        cols[:, k + 2] = dln_s * item
        cols[:, k + 3] = -self.mu_fe * fe
        cols[:, k + 4] = -self.mu_pb * pb
        jac_peaks = (self.mix @ (line[:, None] * cols)) / sigma[:, None]
        jac_priors = np.zeros((2, self.n_params))
        jac_priors[0, k], jac_priors[1, k + 1] = 1 / self.sd_b1, 1 / self.sd_b2
        res = np.concatenate(
            [(pred - self.meas) / sigma, [p[k] / self.sd_b1, p[k + 1] / self.sd_b2]]
        )
        return res, np.vstack([jac_peaks, jac_priors])

    # -- fitting -------------------------------------------------------------------------
    def _bounds(self) -> tuple[FloatArray, FloatArray]:
        k = self.n_iso
        lo = np.full(self.n_params, -np.inf)
        hi = np.full(self.n_params, np.inf)
        lo[:k], hi[:k] = -LN_ACTIVITY_BOUND, LN_ACTIVITY_BOUND  # keeps exp() finite
        lo[k : k + 2], hi[k : k + 2] = -10.0, 10.0  # detector shape (priors of width < 1)
        lo[k + 2 :] = math.log(MIN_AREAL_DENSITY)
        hi[k + 2 :] = [math.log(MAX_AREAL_DENSITY[t]) for t in THICKNESSES]
        return lo, hi

    def _solve(
        self, start: FloatArray, form: str, fixed: int | None = None, value: float = 0.0
    ) -> tuple[FloatArray, float, FloatArray]:
        """Levenberg-Marquardt with the bounds enforced by projection; returns the
        parameters, the chi-square and the Jacobian at the solution."""
        lo, hi = self._bounds()
        free = np.ones(self.n_params, dtype=bool)
        x = np.clip(np.asarray(start, dtype=np.float64).copy(), lo, hi)
        if fixed is not None:
            free[fixed] = False
            x[fixed] = value
        res, jac = self._residuals_and_jacobian(x, form)
        cost = float(res @ res)
        lam = 1e-3
        for _ in range(MAX_ITERATIONS):
            grad_all = jac.T @ res
            # a parameter at a bound that the gradient pushes outwards is held for the step
            held = ((x <= lo + 1e-9) & (grad_all > 0)) | ((x >= hi - 1e-9) & (grad_all < 0))
            use = free & ~held
            if not np.any(use):
                break
            jf = jac[:, use]
            grad = grad_all[use]
            hess = jf.T @ jf
            improved = False
            for _try in range(12):
                damp = hess + lam * np.diag(np.diag(hess) + 1e-12)
                try:
                    step = np.linalg.solve(damp, -grad)
                except np.linalg.LinAlgError:
                    lam *= 10
                    continue
                trial = x.copy()
                trial[use] += step
                trial = np.clip(trial, lo, hi)
                res_t, jac_t = self._residuals_and_jacobian(trial, form)
                cost_t = float(res_t @ res_t)
                if cost_t < cost:
                    improved = cost - cost_t > 1e-3 + 1e-5 * cost
                    x, res, jac, cost = trial, res_t, jac_t, cost_t
                    lam = max(lam / 5, 1e-9)
                    break
                lam *= 4
            if not improved:
                break
        return x, cost, jac

    def _start(self, item: float) -> FloatArray:
        """Starting point: activities from the groups with one isotope, thickness ``item``."""
        p = np.zeros(self.n_params)
        # absorbers start at a moderate thickness: at the lower limit of a log parameter
        # its gradient vanishes; the fit lowers them when they are not wanted
        p[self.n_iso + 2 :] = [math.log(item), math.log(START_FE), math.log(START_PB)]
        eff = self.line_efficiency(p, "slab")
        ln_a = np.zeros(self.n_iso)
        for j in range(self.n_iso):
            pred = self.mix @ (self.intensities * eff * (self.iso == j))
            use = pred > 0
            if np.any(use):
                ln_a[j] = math.log(max(float(self.meas[use].sum()), 1.0) / float(pred[use].sum()))
        p[0] = ln_a[0]
        p[1 : self.n_iso] = ln_a[1:] - ln_a[0]
        return p

    def fit(self) -> FitResult:
        """Best fit over the self-attenuation forms and a few starting thicknesses."""
        best: tuple[float, FloatArray, str, FloatArray] | None = None
        for item in (0.05, 5.0, 100.0):
            p, chi2, jac = self._solve(self._start(item), "slab")
            if best is None or chi2 < best[0] - 1e-9:
                best = (chi2, p, "slab", jac)
        if best is None:
            raise ValueError("no starting point")
        p, chi2, jac = self._solve(best[1], "sphere")
        if chi2 < best[0] - 1e-9:
            best = (chi2, p, "sphere", jac)
        chi2, p, form, jac = best
        cov = self._covariance(p, jac)
        n_priors = 2
        dof = len(self.groups) + n_priors - self.n_params
        return FitResult(p, chi2, dof, form, cov, self.names)

    def _covariance(self, p: FloatArray, jac: FloatArray, fixed: int | None = None) -> FloatArray:
        """Covariance of the parameters from the Jacobian; a parameter held (``fixed``) or
        at a bound of the fit is treated as fixed (zero variance), so a vanishing
        derivative at the lower limit of a log thickness does not blow up the others."""
        lo, hi = self._bounds()
        keep = (p > lo + 1e-6) & (p < hi - 1e-6)
        if fixed is not None:
            keep[fixed] = False
        cov = np.zeros((self.n_params, self.n_params))
        jf = jac[:, keep]
        cov[np.ix_(keep, keep)] = np.linalg.pinv(jf.T @ jf)
        return cov

    def _at_upper_bound(self, p: FloatArray) -> bool:
        k = self.n_iso
        caps = np.log([MAX_AREAL_DENSITY["Fe"], MAX_AREAL_DENSITY["Pb"]])
        return bool(np.any(p[k + 3 : k + 5] >= caps - 0.01))

    def chi2_at(
        self, best: FitResult, name: str, value: float, start: FloatArray
    ) -> tuple[float, FloatArray]:
        """Minimum chi-square with one parameter held at ``value`` (the profile)."""
        i = self.names.index(name)
        p, chi2, _ = self._solve(start, best.form, fixed=i, value=value)
        return chi2, p

    def profiles(self, best: FitResult, names: Sequence[str]) -> dict[str, ProfileInterval]:
        """k=1 and k=2 profile-likelihood intervals of some parameters (log ratios).

        The item's thickness is the nuisance that makes the chi-square surface a long flat
        valley (thick items: the U-235 lines no longer tell how thick), where a local
        profile search gets lost. So it is scanned on a grid from "none" to
        :data:`MAX_AREAL_DENSITY`: at each thickness every other parameter is refitted
        (warm start) and the chi-square of each ratio near that fit is the parabola of its
        covariance (the other parameters profiled); the profile is the lower envelope of
        those parabolas and of the best fit's own. The interval at k is where the envelope
        stays within ``k^2`` (times the reduced chi-square when above 1) of its minimum. A
        side reached only with an absorber at its upper limit is unbounded.
        """
        i_item = self.names.index("ln_item")
        idx = [self.names.index(n) for n in names]
        points: list[tuple[FloatArray, float, FloatArray, bool]] = []
        start = best.params.copy()
        for t in ITEM_GRID:
            p, chi2, jac = self._solve(start, best.form, fixed=i_item, value=math.log(t))
            cov = self._covariance(p, jac, fixed=i_item)
            points.append((p, chi2, np.sqrt(np.maximum(np.diag(cov), 0)), self._at_upper_bound(p)))
            start = p
        out = {}
        for name, j in zip(names, idx, strict=True):
            centres = np.array([pt[0][j] for pt in points])
            chi2s = np.array([pt[1] for pt in points])
            sds = np.maximum(np.array([pt[2][j] for pt in points]), 1e-4)
            capped = np.array([pt[3] for pt in points])
            width = 3.0 * math.sqrt(best.scale)
            ref = float(best.params[j])
            x = np.linspace(
                max(np.min(centres - width * sds), ref - LN_RATIO_SPAN),
                min(np.max(centres + width * sds), ref + LN_RATIO_SPAN),
                801,
            )
            env_each = chi2s[:, None] + ((x[None, :] - centres[:, None]) / sds[:, None]) ** 2
            env = np.min(env_each, axis=0)
            floor = min(float(np.min(env)), best.chi2)
            d = (env - floor) / best.scale
            bounds: list[float | None] = []
            for level in (1.0, 4.0):
                inside = np.nonzero(d <= level)[0]
                if inside.size == 0:  # the grid misses the best fit's valley: its centre
                    inside = np.array([int(np.argmin(d))])
                lo, hi = x[inside[0]], x[inside[-1]]
                near = (chi2s - floor) / best.scale <= level
                lo_free = inside[0] > 0 and not np.any(near & capped & (centres <= ref))
                hi_free = inside[-1] < x.size - 1 and not np.any(near & capped & (centres >= ref))
                bounds += [float(lo) if lo_free else None, float(hi) if hi_free else None]
            out[name] = ProfileInterval(bounds[0], bounds[1], bounds[2], bounds[3])
        return out
