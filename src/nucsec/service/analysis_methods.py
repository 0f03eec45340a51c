"""The analysis methods behind the API, the UI and saved analyses: inputs in, JSON out.

Each method takes plain, JSON-ready parameters (what a form or an API body carries),
checks them, runs the science core and returns the core's own JSON shape. A saved
analysis stores the checked parameters, so the server can always recompute what it holds
(results are never taken from the client).

- ``spectrum``: :func:`run_spectrum` (``nucsec.forensics.spectra``; the
  ``nucsec spectrum analyze --json`` shape);
- ``age``: :func:`run_age` (``nucsec.forensics.chronometry``; the ``nucsec age --json``
  shape) and :func:`age_curve` (the ingrowth plot);
- ``concordance``: :func:`run_concordance`.

The science packages are imported inside the functions (SciPy and SpecUtils load only
when used).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date
from functools import lru_cache
from importlib import metadata
from typing import Any

import numpy as np

from nucsec.errors import InputError

__all__ = [
    "AGE_KEYS",
    "DETECTORS",
    "MAX_MONTE_CARLO",
    "SpectrumRun",
    "age_curve",
    "age_params",
    "efficiency_from_csv",
    "json_clean",
    "run_age",
    "run_concordance",
    "run_spectrum",
    "software_versions",
]

DETECTORS = ("HPGe", "NaI", "LaBr3", "CsI", "CZT")
#: Monte Carlo samples a request may ask for (about 2 s for a second-generation chronometer)
MAX_MONTE_CARLO = 200_000
DEFAULT_SEED = 20240501
PLOT_POINTS = 4096
AGE_KEYS = (
    "chronometer",
    "ratio",
    "ratio_unc",
    "ratio_kind",
    "measured_on",
    "age_on",
    "half_lives",
    "monte_carlo",
    "seed",
    "initial_daughter",
    "initial_daughter_unc",
    "rel_unc",
)


def json_clean(value: Any) -> Any:
    """A JSON-ready copy: non-finite floats become None, NumPy scalars plain numbers."""
    if isinstance(value, dict):
        return {str(k): json_clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_clean(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


@lru_cache(maxsize=1)
def software_versions() -> dict[str, str]:
    """Versions of the code that computed a result (recorded with every saved analysis)."""
    out = {}
    for dist in ("nucsec", "sandiaspecutils", "numpy", "scipy"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "unknown"
    return out


# -- spectra ----------------------------------------------------------------------------


class SpectrumRun:
    """One spectrum analysis: the core's result object, its JSON and the parameters."""

    def __init__(self, analysis: Any, result: dict[str, Any], params: dict[str, Any]) -> None:
        self.analysis = analysis
        self.result = result
        self.params = params

    def plot(self, max_points: int | None = PLOT_POINTS) -> dict[str, Any]:
        """Data for the interactive plot (adjacent channels summed above ``max_points``)."""
        from nucsec.forensics.spectra import plot_data

        return dict(json_clean(plot_data(self.analysis, max_points=max_points)))

    def svg(self, *, log: bool = True, title: str = "") -> str:
        from nucsec.forensics.spectra import plot_svg

        return str(plot_svg(self.analysis, log=log, title=title))


def spectrum_params(params: Mapping[str, Any] | None) -> dict[str, Any]:
    """Check the spectrum parameters: ``detector`` (or None) and ``use_file_background``."""
    params = dict(params or {})
    unknown = set(params) - {"detector", "use_file_background"}
    if unknown:
        raise InputError(f"unknown spectrum parameter {sorted(unknown)[0]!r}", field="params")
    detector = params.get("detector") or None
    if detector is not None and detector not in DETECTORS:
        raise InputError(
            f"detector must be one of {', '.join(DETECTORS)}", field="detector", value=detector
        )
    use_bg = params.get("use_file_background", True)
    if not isinstance(use_bg, bool):
        raise InputError("use_file_background must be true or false", field="use_file_background")
    return {"detector": detector, "use_file_background": use_bg}


def run_spectrum(
    data: bytes,
    filename: str,
    params: Mapping[str, Any] | None = None,
    *,
    max_bytes: int,
    efficiency: Any = None,
) -> SpectrumRun:
    """Read and analyse a detector file (bytes); SpectrumFileError for unreadable input.
    ``efficiency`` (an :class:`~nucsec.forensics.spectra.Efficiency`, optional) adds the
    activities of the identified nuclides (``activity_bq``) to the result."""
    from nucsec.forensics.spectra import analyze, read_spectrum

    checked = spectrum_params(params)
    sf = read_spectrum(data, filename=filename, max_bytes=max_bytes)
    background = sf.background() if checked["use_file_background"] else None
    analysis = analyze(
        sf.foreground(), background=background, detector=checked["detector"], efficiency=efficiency
    )
    result = {"file": filename, **json_clean(analysis.to_dict())}
    return SpectrumRun(analysis, result, checked)


# -- ages -------------------------------------------------------------------------------


def _number(params: Mapping[str, Any], key: str, *, required: bool = False) -> float | None:
    value = params.get(key)
    if value is None or value == "":
        if required:
            raise InputError(f"{key} is required", field=key)
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise InputError(f"{key} must be a number", field=key, value=repr(value))
    try:
        number = float(value)
    except ValueError:
        raise InputError(f"{key} must be a number, not {value!r}", field=key) from None
    if not math.isfinite(number):
        raise InputError(f"{key} must be finite", field=key, value=str(value))
    return number


def _date(params: Mapping[str, Any], key: str) -> str | None:
    value = params.get(key)
    if value is None or value == "":
        return None
    try:
        return date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise InputError(f"{key} must be a date YYYY-MM-DD", field=key, value=str(value)) from None


def _int(params: Mapping[str, Any], key: str, default: int, lo: int, hi: int) -> int:
    value = params.get(key)
    if value is None or value == "":
        return default
    try:
        number = int(str(value))
    except ValueError:
        raise InputError(f"{key} must be an integer", field=key, value=str(value)) from None
    if not lo <= number <= hi:
        raise InputError(f"{key} must be between {lo} and {hi}", field=key, value=number)
    return number


def _rel_unc(value: Any) -> dict[str, float]:
    if value is None or value == "":
        return {}
    if not isinstance(value, Mapping):
        raise InputError("rel_unc must be an object of name: relative uncertainty", field="rel_unc")
    out = {}
    for name, u in value.items():
        if not isinstance(name, str) or not name.strip() or len(name) > 64:
            raise InputError("rel_unc names must be short texts", field="rel_unc")
        number = _number({name: u}, name, required=True)
        out[name.strip()] = float(number or 0.0)
    return out


def age_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """Check and normalise the parameters of a model age (the ``nucsec age`` options)."""
    unknown = set(params) - set(AGE_KEYS)
    if unknown:
        raise InputError(f"unknown age parameter {sorted(unknown)[0]!r}", field="params")
    chronometer = params.get("chronometer")
    if not isinstance(chronometer, str) or not chronometer.strip() or len(chronometer) > 64:
        raise InputError("chronometer is required, e.g. Th-230/U-234", field="chronometer")
    kind = params.get("ratio_kind") or "atom"
    if kind not in ("atom", "activity"):
        raise InputError("ratio_kind must be atom or activity", field="ratio_kind", value=kind)
    half_lives = params.get("half_lives") or "nubase2020"
    if not isinstance(half_lives, str) or len(half_lives) > 128:
        raise InputError("half_lives must be a set name", field="half_lives")
    out: dict[str, Any] = {
        "chronometer": chronometer.strip(),
        "ratio": _number(params, "ratio", required=True),
        "ratio_unc": _number(params, "ratio_unc", required=True),
        "ratio_kind": kind,
        "measured_on": _date(params, "measured_on"),
        "age_on": _date(params, "age_on"),
        "half_lives": half_lives,
        "monte_carlo": _int(params, "monte_carlo", 0, 0, MAX_MONTE_CARLO),
        "seed": _int(params, "seed", DEFAULT_SEED, 0, 2**63 - 1),
        "initial_daughter": _number(params, "initial_daughter"),
        "initial_daughter_unc": _number(params, "initial_daughter_unc"),
        "rel_unc": _rel_unc(params.get("rel_unc")),
    }
    if (out["initial_daughter"] is None) != (out["initial_daughter_unc"] is None):
        raise InputError(
            "initial_daughter and initial_daughter_unc go together", field="initial_daughter_unc"
        )
    return out


def _age_result(checked: Mapping[str, Any]) -> Any:
    from nucsec.forensics.chronometry import InitialDaughter, model_age

    initial = None
    if checked["initial_daughter"] is not None:
        initial = InitialDaughter(checked["initial_daughter"], checked["initial_daughter_unc"])
    n_mc = checked["monte_carlo"]
    return model_age(
        checked["chronometer"],
        checked["ratio"],
        checked["ratio_unc"],
        kind=checked["ratio_kind"],
        measured_on=date.fromisoformat(checked["measured_on"]) if checked["measured_on"] else None,
        half_lives=checked["half_lives"],
        monte_carlo=n_mc,
        rng=np.random.default_rng(checked["seed"]) if n_mc else None,
        initial_daughter=initial,
        relative_uncertainties=checked["rel_unc"],
        reference_date=date.fromisoformat(checked["age_on"]) if checked["age_on"] else None,
    )


def run_age(params: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any], Any]:
    """``(result JSON, checked parameters, AgeResult)`` of a model age."""
    checked = age_params(params)
    result = _age_result(checked)
    return dict(json_clean(result.to_dict())), checked, result


def age_curve(result: Any) -> tuple[dict[str, Any], str]:
    """The ingrowth curve of an age result (JSON) and its SVG."""
    from nucsec.forensics.chronometry import ingrowth_curve, ingrowth_svg

    curve = ingrowth_curve(result=result)
    return dict(json_clean(curve)), str(ingrowth_svg(curve))


def run_concordance(sample: Any, *, alpha: float = 0.05, seed: int = DEFAULT_SEED) -> Any:
    """Concordance of several chronometers of one sample (the ``nucsec age concordance``
    file as a JSON object)."""
    from nucsec.forensics.chronometry.sample import concordance_from_dict

    if not isinstance(sample, Mapping):
        raise InputError("a sample is a JSON object", field="sample")
    entries = sample.get("chronometers")
    top = sample.get("monte_carlo", 0)
    if not isinstance(top, int) or not 0 <= top <= MAX_MONTE_CARLO:
        raise InputError(f"monte_carlo must be 0..{MAX_MONTE_CARLO}", field="monte_carlo")
    if isinstance(entries, list):
        if len(entries) > 20:
            raise InputError("at most 20 chronometers per sample", field="chronometers")
        for i, entry in enumerate(entries):
            n_mc = entry.get("monte_carlo", top) if isinstance(entry, Mapping) else 0
            if not isinstance(n_mc, int) or not 0 <= n_mc <= MAX_MONTE_CARLO:
                raise InputError(
                    f"monte_carlo must be 0..{MAX_MONTE_CARLO}",
                    field=f"chronometers[{i}].monte_carlo",
                )
    if not (isinstance(alpha, float | int) and 0 < alpha < 1):
        raise InputError("alpha must be between 0 and 1", field="alpha")
    result = concordance_from_dict(sample, alpha=alpha, rng=np.random.default_rng(seed))
    out = dict(json_clean(result.to_dict()))
    if "sample" in sample:
        out = {"sample": sample["sample"], **out}
    return out


def efficiency_from_csv(text: str, source: str = "the efficiency file") -> Any:
    """A full-energy-peak efficiency curve (point geometry) from CSV text of
    ``energy_kev,efficiency`` rows, as ``nucsec spectrum analyze --efficiency`` and the
    spectrum page read it: lines starting with ``#`` and lines that are not two numbers (a
    header) are skipped. InputError (``field="efficiency"``) naming ``source`` when no row
    is left, or when a point is not positive and finite (``Efficiency.from_points``)."""
    import csv
    import io

    from nucsec.forensics.spectra import Efficiency

    points: list[tuple[float, float]] = []
    for row in csv.reader(io.StringIO(text)):
        if not row or row[0].strip().startswith("#"):
            continue
        try:
            points.append((float(row[0]), float(row[1])))
        except (ValueError, IndexError):
            continue  # header or malformed line
    if not points:
        raise InputError(f"no 'energy_kev,efficiency' rows in {source}", field="efficiency")
    return Efficiency.from_points(points)
