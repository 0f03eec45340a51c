"""The schema of an analysis's stored portions (``result``, ``plot``): what the node reads
and shows of them, with its types.

A record received from a partner is checked against it at import (a malformed portion is
refused with its reason, naming the field: ``result.peaks.0.energy_kev: Input should be
a valid number``), and a page checks what it is about to show (a stored analysis that does
not match, e.g. one written by an older release, is shown as its raw JSON with the
reason, never as an error page).

- Every field the pages or the plot script read has the type they read: numbers are
  finite numbers (never text or booleans), texts are bounded texts, lists are bounded.
- The spectrum plot is handed whole to the browser's script, so it may carry nothing but
  its own fields, and its series have one length.
- A result may carry further fields (a partner's other software version writes some):
  they are kept and never shown.

Concordance results are not shown field by field (only as JSON), so they need only be a
JSON object.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from nucsec.errors import InputError

__all__ = ["AnalysisSchemaError", "check_analysis", "schema_problem"]

Number = float  # strict: an int or a float, finite; never a bool or a text
Text = Annotated[str, Field(max_length=4000)]
Name = Annotated[str, Field(max_length=200)]
MAX_POINTS = 20_000  # channels or peaks in one list (the stored plot has 2,048 points)


class AnalysisSchemaError(InputError):
    """A portion of an analysis does not match its schema (``field`` names where)."""

    code = "invalid_analysis"


class _Open(BaseModel):
    """Typed fields, further fields kept (never shown)."""

    model_config = ConfigDict(strict=True, allow_inf_nan=False, extra="allow")


class _Closed(BaseModel):
    """Typed fields and nothing else."""

    model_config = ConfigDict(strict=True, allow_inf_nan=False, extra="forbid")


# -- the spectrum plot (static/spectrum.js) ---------------------------------------------------
class PlotPeak(_Closed):
    energy_kev: Number
    net_counts: Number
    fwhm_kev: Number
    label: Name | None


class PlotLine(_Closed):
    energy_kev: Number
    nuclide: Name
    emitter: Name
    intensity_pct: Number
    matched: bool


Series = Annotated[list[Number | None], Field(max_length=MAX_POINTS)]


class SpectrumPlot(_Closed):
    x_label: Name
    y_label: Name
    energy_kev: Series
    counts: Series
    continuum: Series
    fit: Series
    peaks: Annotated[list[PlotPeak], Field(max_length=MAX_POINTS)]
    lines: Annotated[list[PlotLine], Field(max_length=MAX_POINTS)]

    @model_validator(mode="after")
    def _one_length(self) -> SpectrumPlot:
        lengths = {len(self.energy_kev), len(self.counts), len(self.continuum), len(self.fit)}
        if len(lengths) != 1:
            raise ValueError("energy_kev, counts, continuum and fit differ in length")
        return self


# -- the spectrum result (templates/_forensics.html) -------------------------------------------
class Line(_Open):
    energy_kev: Number
    emitter: Name
    intensity_pct: Number


class Nuclide(_Open):
    name: Name
    category: Name
    confidence: Number
    explanation: Text
    matched_lines: Annotated[list[Line], Field(max_length=MAX_POINTS)]
    missing_lines: Annotated[list[Line], Field(max_length=MAX_POINTS)]
    natural_uranium: bool = False
    in_excess_of_background: bool | None = None
    # absent, or numbers (shown when present)
    activity_bq: Number = 0.0
    activity_unc_bq: Number = 0.0


class Peak(_Open):
    energy_kev: Number
    fwhm_kev: Number
    net_counts: Number
    unc: Number
    significance: Number
    label: Name | None = None


class Detector(_Open):
    type: Name | None
    name: Name | None = None
    instrument: Name | None = None


class Calibration(_Open):
    source: Name
    n_lines: int
    rms_kev: Number | None = None


class Background(_Open):
    scale: Number


class ArealDensity(_Open):
    value: Number


class Enrichment(_Open):
    """No value (``u235_pct`` None) when the data do not bound it; a limit (``limit``
    lower/upper, no uncertainty) or a value with its k=1 uncertainty otherwise."""

    u235_pct: Number | None
    u_u235_pct: Number | None = None
    coverage: Name
    method: Name
    note: Text = ""
    limit: Name | None = None
    quality: Name | None = None
    enrichment_class: Name | None = Field(None, alias="class")
    areal_density_g_cm2: dict[Name, ArealDensity] | None = None
    chi2: Number | None = None
    dof: int | None = None


class SpectrumResult(_Open):
    file: Name = ""
    detector: Detector
    live_time_s: Number | None
    n_channels: int
    total_counts: Number | None
    start_time: Name | None = None
    calibration: Calibration
    background: Background | None = None
    enrichment: Enrichment | None = None
    nuclides: Annotated[list[Nuclide], Field(max_length=MAX_POINTS)]
    peaks: Annotated[list[Peak], Field(max_length=MAX_POINTS)]
    warnings: Annotated[list[Text], Field(max_length=1000)]


# -- the age result (templates/analysis.html, the saved ingrowth curve) ------------------------
class BudgetRow(_Open):
    input: Name
    u: Number | None = None
    contribution_years: Number | None = None
    variance_share: Number | None = None


class AgeResult(_Open):
    chronometer: Name
    age_years: Number | None
    u_age_years: Number | None
    interval_years_k2: Annotated[list[Number | None], Field(min_length=2, max_length=2)]
    model_date: Name | None = None
    u_model_date_days: Number | None = None
    budget: Annotated[list[BudgetRow], Field(max_length=100)]

    @model_validator(mode="after")
    def _shown_together(self) -> AgeResult:
        if self.age_years is not None and self.u_age_years is None:
            raise ValueError("an age needs its uncertainty u_age_years")
        if self.model_date and self.u_model_date_days is None:
            raise ValueError("a model date needs its uncertainty u_model_date_days")
        return self


class _AnyObject(_Open):
    """A JSON object (shown only as JSON)."""


RESULTS: dict[str, type[BaseModel]] = {
    "spectrum": SpectrumResult,
    "age": AgeResult,
    "concordance": _AnyObject,
}


def _where(portion: str, error: Any) -> str:
    loc = ".".join(str(p) for p in error.get("loc", ()))
    return f"{portion}.{loc}" if loc else portion


def _check(portion: str, model: type[BaseModel], value: Any) -> None:
    if not isinstance(value, dict):
        raise AnalysisSchemaError(f"{portion} must be a JSON object", field=portion)
    try:
        model.model_validate(value)
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        where = _where(portion, first)
        raise AnalysisSchemaError(f"{where}: {first['msg']}", field=where) from None


def check_analysis(method: str, result: Any, plot: Any) -> None:
    """Raise :class:`AnalysisSchemaError` (naming the first field that does not match)
    unless ``result`` and ``plot`` match the schema of ``method``."""
    model = RESULTS.get(method)
    if model is None:
        raise AnalysisSchemaError(f"unknown analysis method {method!r}", field="method")
    if plot is not None and method != "spectrum":
        raise AnalysisSchemaError(f"a {method} analysis has no plot", field="plot")
    _check("result", model, result)
    if plot is not None:
        _check("plot", SpectrumPlot, plot)


def schema_problem(method: str, result: Any, plot: Any) -> str | None:
    """Why an analysis's portions cannot be shown as they are (None: they can)."""
    try:
        check_analysis(method, result, plot)
    except AnalysisSchemaError as exc:
        return exc.message
    return None
