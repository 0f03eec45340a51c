"""Prior knowledge of a detector family's full-energy efficiency shape, for the isotopics.

The isotopics fit (:mod:`releff`) does not know the detector, only its family. Its
intrinsic efficiency is written ``ln D(E) = (s + b1) u + (q + b2) u^2 + c u^3`` with
``u = ln(E / 200 keV)``: ``s``, ``q`` and ``c`` are the family's mean slope, curvature and
cubic term, ``b1`` and ``b2`` fitted corrections with Gaussian priors whose widths are the
spread within the family. All come from the generic detector response functions of
GADRAS-DRF as shipped by InterSpec (``nucsec/data/detectors``, see its PROVENANCE.md),
from 120 to 1100 keV (the range of the uranium and plutonium lines used): a cubic in
``u`` is fitted to each curve and the family's mean cubic term ``c`` kept; with ``c``
fixed, ``s`` and ``q`` are refitted per curve and the family's mean and sample standard
deviation taken, with floors (:data:`MIN_SD_SLOPE`, :data:`MIN_SD_CURVATURE`) because a
few generic curves understate the variety of real detectors. A quadratic alone leaves
residuals of up to 7 % at the uranium lines on every curve (the efficiency bends over
below 200 keV); with the family's cubic term they are within about 2.5 % for HPGe.

CZT and CsI have no generic curve there: their prior is the smallest scintillator's (NaI
1x1) with wide standard deviations (0.4 in slope, 0.15 in curvature): small crystals of
any of these materials lose efficiency quickly with energy, and how quickly depends on a
size the analysis does not know.

>>> p = detector_prior("HPGe")
>>> round(p.slope, 2), round(p.curvature, 2), round(p.cubic, 2), round(p.sd_slope, 2)
(-0.75, -0.51, 0.23, 0.25)
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np

__all__ = ["DetectorPrior", "detector_prior"]

FIT_RANGE_KEV = (120.0, 1100.0)
REFERENCE_KEV = 200.0
MIN_SD_SLOPE = 0.10
MIN_SD_CURVATURE = 0.03
MIN_CURVES = 3  # fewer curves in a family: the spread of all scintillator curves is used
#: families without a generic curve: (the curve their prior borrows, sd slope, sd curvature)
BORROWED = {"CZT": ("NaI 1x1", 0.4, 0.15), "CsI": ("NaI 1x1", 0.4, 0.15)}


@dataclass(frozen=True)
class DetectorPrior:
    """Mean slope, curvature and cubic term of ``ln D`` against ``u = ln(E/200 keV)``, the
    standard deviations of the first two, and the detectors they come from."""

    slope: float
    curvature: float
    cubic: float
    sd_slope: float
    sd_curvature: float
    source: tuple[str, ...]


@cache
def _curves() -> dict[str, tuple[str, np.ndarray, np.ndarray]]:
    """Detector name -> (family, energies keV, peak efficiency %)."""
    text = (
        resources.files("nucsec")
        .joinpath("data/detectors/gadras_generic_peak_efficiency.csv")
        .read_text(encoding="utf-8")
    )
    rows: dict[str, tuple[str, list[float], list[float]]] = {}
    for row in csv.DictReader(io.StringIO(text)):
        entry = rows.setdefault(row["detector"], (row["family"], [], []))
        entry[1].append(float(row["energy_kev"]))
        entry[2].append(float(row["peak_efficiency_pct"]))
    return {k: (fam, np.array(e), np.array(p)) for k, (fam, e, p) in rows.items()}


def _design(energy_kev: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    sel = (energy_kev >= FIT_RANGE_KEV[0]) & (energy_kev <= FIT_RANGE_KEV[1])
    u = np.log(energy_kev[sel] / REFERENCE_KEV)
    return sel, u


def cubic_term(energy_kev: np.ndarray, efficiency: np.ndarray) -> float:
    """The ``u^3`` coefficient of a least-squares cubic of ``ln eps`` in ``u`` over
    :data:`FIT_RANGE_KEV`."""
    sel, u = _design(energy_kev)
    design = np.column_stack([np.ones_like(u), u, u * u, u**3])
    return float(np.linalg.lstsq(design, np.log(efficiency[sel]), rcond=None)[0][3])


def shape_coefficients(
    energy_kev: np.ndarray, efficiency: np.ndarray, cubic: float
) -> tuple[float, float]:
    """(slope, curvature) of ``ln eps - cubic u^3`` fitted by a quadratic in ``u`` over
    :data:`FIT_RANGE_KEV`."""
    sel, u = _design(energy_kev)
    design = np.column_stack([np.ones_like(u), u, u * u])
    y = np.log(efficiency[sel]) - cubic * u**3
    coef = np.linalg.lstsq(design, y, rcond=None)[0]
    return float(coef[1]), float(coef[2])


def _family(names: tuple[str, ...]) -> tuple[float, np.ndarray]:
    """Mean cubic term of some curves and their (slope, curvature) with it, (n, 2)."""
    curves = _curves()
    cubic = float(np.mean([cubic_term(*curves[k][1:]) for k in names]))
    return cubic, np.array([shape_coefficients(*curves[k][1:], cubic) for k in names])


@cache
def detector_prior(family: str) -> DetectorPrior:
    """The shape prior of a detector family (``HPGe``, ``NaI``, ``LaBr3``, ``CZT``,
    ``CsI``); an unknown family gets the scintillators' prior, twice as wide."""
    curves = _curves()
    if family in BORROWED:
        name, sd_slope, sd_curvature = BORROWED[family]
        cubic, coef = _family((name,))
        return DetectorPrior(coef[0, 0], coef[0, 1], cubic, sd_slope, sd_curvature, (name,))
    names = tuple(k for k, v in curves.items() if v[0] == family)
    widen = 1.0
    if not names:  # unknown family: every scintillator, twice as wide
        names = tuple(k for k, v in curves.items() if v[0] != "HPGe")
        widen = 2.0
    cubic, coef = _family(names)
    if len(names) < MIN_CURVES:  # too few to measure a spread: the scintillators' pooled
        spread = _family(tuple(k for k, v in curves.items() if v[0] != "HPGe"))[1]
        sd = spread.std(axis=0, ddof=1)
    else:
        sd = coef.std(axis=0, ddof=1)
    return DetectorPrior(
        float(coef[:, 0].mean()),
        float(coef[:, 1].mean()),
        cubic,
        widen * max(float(sd[0]), MIN_SD_SLOPE),
        widen * max(float(sd[1]), MIN_SD_CURVATURE),
        names,
    )


def prior_table() -> list[tuple[str, DetectorPrior]]:
    """Every family's prior (for the docs and tests)."""
    return [(f, detector_prior(f)) for f in ("HPGe", "LaBr3", "NaI", "CZT", "CsI")]
