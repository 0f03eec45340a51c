"""A documented, seeded generator of realistic synthetic libraries (tests and scale).

Every entry is one production line of a facility type (:mod:`~nucsec.forensics.library.facilities`):
its *true* line mean per signature is drawn from the type's between-line distribution, its
within-line spread from the type's value times a line-specific heterogeneity factor
(log-normal, sd 0.3), and the library records ``value = true mean + N(0, u)`` with ``u`` one
fifth of the spread (a line characterised from ~25 batches), the spread itself, the
detection limits, the chemical forms the line produces and the dated window of the step
that last purified its product. Blocks of signatures are missing at the type's rates and 5 %
of single values at random. Mill REE patterns are chondrite-shaped (level, slope, curvature,
Eu anomaly) with a common within-line factor, so REE are strongly correlated (r ≈ 0.86).

:func:`draw_sample` measures a batch of an entry's line: true mean + correlated within-line
deviation + measurement noise, on the blocks an analyst measures. :func:`novel_sample`
measures a batch of a *new* line that is not in the library (open-set tests). Everything is
drawn from the ``numpy.random.Generator`` handed in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from nucsec.forensics.library.columns import (
    FORM_BITS,
    MATERIAL_CODES,
    LibraryColumns,
    NumericColumn,
)
from nucsec.forensics.library.facilities import (
    BLOCKS,
    FACILITY_TYPES,
    SAMPLE_BLOCK_PROBABILITY,
    SAMPLE_U,
    SYNTHETIC_SIGNATURES,
    FacilityType,
)
from nucsec.forensics.library.members import CorrelationModel
from nucsec.forensics.library.model import (
    Correlation,
    Entry,
    Measurement,
    ProductionStep,
    Sample,
    from_decimal_year,
)
from nucsec.forensics.library.ree import REE_ELEMENTS, chondrite_ppm
from nucsec.forensics.library.vocabulary import signature

__all__ = ["SyntheticLibrary", "draw_sample", "generate_library", "novel_sample", "to_entries"]

NAMES = SYNTHETIC_SIGNATURES
_COL = {n: j for j, n in enumerate(NAMES)}
_LOG = np.array([signature(n).transform == "log" for n in NAMES])
_REE = [_COL[f"w({el})"] for el in REE_ELEMENTS]
_REE_FACTOR, _REE_OWN = 0.25, 0.1
_NOW = 2025.0
_DATE_U_YEARS = 0.3


@dataclass
class SyntheticLibrary:
    """Columns for the index plus the truth the samples are drawn from."""

    columns: LibraryColumns
    facility: np.ndarray  # int8 index into FACILITY_TYPES
    theta: np.ndarray  # (n, 30) true line means, comparison space; NaN where not produced
    sigma: np.ndarray  # (n, 30) within-line sd, comparison space
    below: np.ndarray  # (n, 30) detection limit (natural units) where only a limit exists
    forms: np.ndarray  # int32 bit masks of the forms each line produces
    window: np.ndarray  # (n, 2) true purification window (decimal years)


def _correlation(ft: FacilityType) -> np.ndarray:
    r = np.eye(len(NAMES))
    for a, b, rho in ft.corr:
        r[_COL[a], _COL[b]] = r[_COL[b], _COL[a]] = rho
    if ft.code == "mill":
        rho = _REE_FACTOR**2 / (_REE_FACTOR**2 + _REE_OWN**2)
        for ja in _REE:
            for jb in _REE:
                if ja != jb:
                    r[ja, jb] = rho
    return r


_CORR = [_correlation(ft) for ft in FACILITY_TYPES]
_CHOL = [np.linalg.cholesky(r) for r in _CORR]


def _lines(rng: np.random.Generator, ft: FacilityType, n: int) -> dict[str, np.ndarray]:
    theta = np.full((n, len(NAMES)), np.nan)
    sigma = np.full((n, len(NAMES)), np.nan)
    below = np.full((n, len(NAMES)), np.nan)
    order = sorted(ft.specs, key=lambda k: ft.specs[k].follows is not None)
    for name in order:
        spec, j = ft.specs[name], _COL[name]
        if spec.below is not None:
            below[:, j] = spec.below
            continue
        centre = rng.choice(spec.menu, n) if spec.menu else np.full(n, spec.mean)
        if spec.follows is not None:
            other, slope, ref = spec.follows
            centre = centre + slope * (theta[:, _COL[other]] - ref)
        theta[:, j] = centre + rng.normal(0, spec.between, n)
        sigma[:, j] = spec.within * rng.lognormal(0, 0.3, n)
    if ft.code == "mill":
        _ree_patterns(rng, theta, sigma, n)
    if ft.repu_share:
        repu = rng.random(n) < ft.repu_share
        j = _COL["n(236U)/n(238U)"]
        theta[repu, j] = rng.uniform(math.log(1e-5), math.log(1e-3), int(repu.sum()))
        sigma[repu, j] = 0.05
        below[repu, j] = np.nan
    start = rng.uniform(1960, 2015, n)
    end = start + rng.uniform(2, 40, n)
    window = np.stack([start, np.where(end > _NOW, np.inf, end)], axis=1)
    choice = rng.integers(0, len(ft.forms), n)
    table = np.array([FORM_BITS[f] for f in ft.forms], np.int32)
    forms = table[choice]
    if len(ft.forms) > 1:  # some lines produce a second form
        extra = rng.integers(0, len(ft.forms), n)
        two = rng.random(n) < 0.3
        forms |= np.where(two, table[extra], 0).astype(np.int32)
    return {"theta": theta, "sigma": sigma, "below": below, "window": window, "forms": forms}


def _ree_patterns(rng: np.random.Generator, theta: np.ndarray, sigma: np.ndarray, n: int) -> None:
    chondrite = chondrite_ppm()
    t = np.linspace(-1, 1, len(REE_ELEMENTS))
    level = rng.normal(math.log(300), 1.2, n)[:, None]
    slope = rng.normal(-0.5, 0.6, n)[:, None]
    curve = rng.normal(0, 0.3, n)[:, None]
    eu = rng.normal(-0.4, 0.4, n)[:, None] * (np.array(REE_ELEMENTS) == "Eu")
    base = np.log([chondrite[el] for el in REE_ELEMENTS])
    own = rng.normal(0, 0.1, (n, len(REE_ELEMENTS)))
    theta[:, _REE] = base + level + slope * t + curve * (t * t - 1 / 3) + eu + own
    hetero = rng.lognormal(0, 0.3, n)[:, None]
    sigma[:, _REE] = math.hypot(_REE_FACTOR, _REE_OWN) * hetero


def generate_library(
    rng: np.random.Generator, n_entries: int, *, complete: bool = False
) -> SyntheticLibrary:
    """A library of ``n_entries`` lines, facility types in their shares.

    ``complete=True`` gives every entry every block its facility type produces (no missing
    data): the library of a well-characterised holding.
    """
    shares = np.array([ft.share for ft in FACILITY_TYPES])
    facility = rng.choice(len(FACILITY_TYPES), n_entries, p=shares / shares.sum()).astype(np.int8)
    truth: dict[str, np.ndarray] = {}
    for t, ft in enumerate(FACILITY_TYPES):
        rows = np.flatnonzero(facility == t)
        for key, value in _lines(rng, ft, rows.size).items():
            if key not in truth:
                truth[key] = np.zeros((n_entries, *value.shape[1:]), value.dtype)
            truth[key][rows] = value
    return _assemble(rng, facility, truth, complete)


def _assemble(
    rng: np.random.Generator,
    facility: np.ndarray,
    truth: dict[str, np.ndarray],
    complete: bool = False,
) -> SyntheticLibrary:
    n = facility.size
    theta, sigma, below = truth["theta"], truth["sigma"], truth["below"]
    has = np.zeros((n, len(NAMES)), bool)
    for block, names in BLOCKS.items():
        p = np.array([ft.present[block] for ft in FACILITY_TYPES])[facility]
        on = (p > 0) if complete else rng.random(n) < p
        for name in names:
            has[:, _COL[name]] = on
    if not complete:
        has &= rng.random(has.shape) >= 0.05
    u_mu = np.ascontiguousarray((0.2 * sigma).T)  # column-major: one signature per row
    value_t = np.ascontiguousarray(theta.T) + rng.normal(0, 1, (len(NAMES), n)) * np.nan_to_num(
        u_mu
    )
    sigma_t, below_t, has_t = (np.ascontiguousarray(a.T) for a in (sigma, below, has))
    cols = LibraryColumns(
        ids=[f"SYN-{i:07d}" for i in range(n)],
        material=np.array([MATERIAL_CODES.index(ft.material) for ft in FACILITY_TYPES], np.int8)[
            facility
        ],
    )
    for j, name in enumerate(NAMES):
        ok = has_t[j] & np.isfinite(value_t[j])
        lim = has_t[j] & np.isfinite(below_t[j])
        scale = np.exp(value_t[j]) if _LOG[j] else np.ones(n)
        value = np.where(ok, scale if _LOG[j] else value_t[j], np.nan)
        cols.numeric[name] = NumericColumn(
            value,
            np.where(ok, u_mu[j] * scale, np.nan),
            np.where(ok, sigma_t[j] * scale, np.nan),
            np.where(lim, below_t[j], np.nan),
        )
    known = rng.random(n) < (1.0 if complete else 0.8)
    cols.forms["chemical form"] = np.where(known, truth["forms"], 0).astype(np.int32)
    dated = np.flatnonzero(rng.random(n) < (1.0 if complete else 0.85))
    cols.window_entry = dated.astype(np.int64)
    cols.window_start, cols.window_end = truth["window"][dated, 0], truth["window"][dated, 1]
    models = [_model(t) for t in range(len(FACILITY_TYPES))]
    has_model = np.array([m is not None for m in models])
    cols.corr_id = np.where(has_model[facility], facility, -1).astype(np.int32)
    cols.corr_models = [m or CorrelationModel(NAMES[:2], np.eye(2)) for m in models]
    return SyntheticLibrary(cols, facility, theta, sigma, below, truth["forms"], truth["window"])


def _model(t: int) -> CorrelationModel | None:
    r = _CORR[t]
    used = np.flatnonzero((np.abs(r - np.eye(len(NAMES))) > 0).any(axis=1))
    if used.size < 2:
        return None
    return CorrelationModel(tuple(NAMES[j] for j in used), r[np.ix_(used, used)])


def draw_sample(
    rng: np.random.Generator,
    lib: SyntheticLibrary,
    position: int,
    *,
    sample_id: str | None = None,
    blocks: dict[str, float] | None = None,
) -> Sample:
    """A measured batch of the line of entry ``position`` (its truth, not its entry values)."""
    t = int(lib.facility[position])
    theta, sigma = lib.theta[position], lib.sigma[position]
    dev = _CHOL[t] @ rng.normal(0, 1, len(NAMES)) * np.nan_to_num(sigma)
    u = np.array([SAMPLE_U[n] for n in NAMES])
    x = theta + dev + rng.normal(0, 1, len(NAMES)) * u
    probability = blocks or SAMPLE_BLOCK_PROBABILITY
    sigs: list[Measurement] = []
    for block, names in BLOCKS.items():
        if rng.random() >= probability.get(block, 0.0):
            continue
        for name in names:
            j = _COL[name]
            sig = signature(name)
            if math.isfinite(lib.below[position, j]):
                sigs.append(
                    Measurement(name, None, unit=sig.unit, below=float(lib.below[position, j]))
                )
            elif math.isfinite(x[j]):
                value = math.exp(x[j]) if _LOG[j] else float(x[j])
                sigs.append(
                    Measurement(name, value, u=u[j] * (value if _LOG[j] else 1.0), unit=sig.unit)
                )
    forms = [code for code, bit in FORM_BITS.items() if int(lib.forms[position]) & bit]
    sigs.append(Measurement("chemical form", (forms[int(rng.integers(len(forms)))],)))
    start, end = lib.window[position]
    date = rng.uniform(start, min(end, _NOW))
    sigs.append(Measurement("model date", date, u=_DATE_U_YEARS + 0 * date, unit="year CE"))
    material = FACILITY_TYPES[t].material
    return Sample(sample_id or f"sample-of-{lib.columns.ids[position]}", material, tuple(sigs))


def novel_sample(
    rng: np.random.Generator, facility: str | None = None, *, sample_id: str = "novel"
) -> Sample:
    """A batch of a new production line (not in any library), of ``facility`` type or any."""
    codes = [ft.code for ft in FACILITY_TYPES]
    t = (
        codes.index(facility)
        if facility
        else int(rng.choice(len(codes), p=[ft.share for ft in FACILITY_TYPES]))
    )
    truth = _lines(rng, FACILITY_TYPES[t], 1)
    lib = _assemble(rng, np.array([t], np.int8), truth)
    return draw_sample(rng, lib, 0, sample_id=sample_id)


def to_entries(lib: SyntheticLibrary, positions: list[int] | None = None) -> list[Entry]:
    """Entry objects for some (default: all) entries of a synthetic library."""
    cols = lib.columns
    wanted = range(cols.n) if positions is None else positions
    windows: dict[int, list[tuple[float, float]]] = {}
    for e, a, b in zip(cols.window_entry, cols.window_start, cols.window_end, strict=True):
        windows.setdefault(int(e), []).append((float(a), float(b)))
    entries = []
    for i in wanted:
        t = FACILITY_TYPES[int(lib.facility[i])]
        sigs = []
        for name, col in cols.numeric.items():
            unit = signature(name).unit
            if math.isfinite(col.below[i]):
                sigs.append(Measurement(name, None, unit=unit, below=float(col.below[i])))
            elif math.isfinite(col.value[i]):
                sigs.append(
                    Measurement(
                        name,
                        float(col.value[i]),
                        u=float(col.u[i]),
                        unit=unit,
                        spread=float(col.spread[i]),
                    )
                )
        mask = int(cols.forms["chemical form"][i])
        if mask:
            forms = tuple(code for code, bit in FORM_BITS.items() if mask & bit)
            sigs.append(Measurement("chemical form", forms))
        steps = tuple(
            ProductionStep(
                t.steps[-1] if t.code != "fabrication" else "deconversion",
                f"synthetic {t.code} line {i}",
                from_decimal_year(a),
                None if not math.isfinite(b) else from_decimal_year(b - 1 / 365.2422),
            )
            for a, b in windows.get(i, [])
        )
        entries.append(
            Entry(
                cols.ids[i],
                t.material,
                tuple(sigs),
                description=f"synthetic {t.code} line",
                history=steps,
                correlations=_correlations(int(lib.facility[i]), {m.name for m in sigs}),
                holder_agency="synthetic",
                provenance="nucsec synthetic generator",
            )
        )
    return entries


def _correlations(t: int, present: set[str]) -> tuple[Correlation, ...]:
    """The facility type's within-line correlations among the signatures an entry has."""
    r = _CORR[t]
    return tuple(
        Correlation(NAMES[a], NAMES[b], float(r[a, b]))
        for a in range(len(NAMES))
        for b in range(a + 1, len(NAMES))
        if r[a, b] != 0 and NAMES[a] in present and NAMES[b] in present
    )
