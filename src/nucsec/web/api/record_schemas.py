"""Request and response bodies of the incident, forensics and analysis API (OpenAPI).

As in :mod:`nucsec.web.api.schemas`, records are answered as the services' view types;
the models here document the science results (spectrum, age, statistics) and the
requests, which forbid unknown fields and NUL characters.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from nucsec.web.api.schemas import LabelText, _In

__all__ = [
    "AgeIn",
    "AgeOut",
    "AnalysisIn",
    "AttachedSpectrumIn",
    "ConcordanceIn",
    "IncidentIn",
    "MaterialIn",
    "SourceIn",
    "SpectrumOut",
    "StatsOut",
]


class _Out(BaseModel):
    model_config = ConfigDict(extra="allow")


class IncidentIn(_In):
    incident: dict[str, Any] = Field(
        description="the incident record (docs/incidents.md): reference, report_date, "
        "country, incident_type, itdb_group, items, narrative [{label, text}], ..."
    )
    label: LabelText = Field(description="label of the incident's facts")
    note: str = Field("", max_length=2000)


class StatsOut(_Out):
    total: int
    by_year: dict[str, int]
    by_group: dict[str, int]
    by_material_class: dict[str, int]
    by_type: dict[str, int]
    by_country: dict[str, int]
    by_detection_mode: dict[str, int]
    by_year_and_group: dict[str, dict[str, int]]


class SpectrumOut(_Out):
    """The ``nucsec spectrum analyze --json`` shape, plus ``upload`` (a ticket to share
    the analysis; null for a token without the ``write`` scope: nothing is kept) and
    ``plot`` (when asked for)."""

    file: str
    detector: dict[str, Any]
    live_time_s: float | None
    n_channels: int
    peaks: list[dict[str, Any]]
    nuclides: list[dict[str, Any]]
    enrichment: dict[str, Any] | None
    uncertainty_coverage: str
    warnings: list[str]


class AttachedSpectrumIn(_In):
    kind: str = Field(description="incident, document or analysis")
    id: str = Field(max_length=64)
    sha256: str = Field(max_length=64)
    detector: str | None = Field(None, description="HPGe, NaI, LaBr3, CsI or CZT")
    use_file_background: bool = True
    plot: bool = False


class AgeIn(_In):
    chronometer: str = Field(max_length=64, description="daughter/parent, e.g. Th-230/U-234")
    ratio: float
    ratio_unc: float = Field(description="standard uncertainty (k=1) of the ratio")
    ratio_kind: str = Field("atom", description="atom or activity")
    measured_on: str | None = Field(None, description="YYYY-MM-DD: gives the model date")
    age_on: str | None = Field(None, description="YYYY-MM-DD: also the age on this date")
    half_lives: str = Field("nubase2020", max_length=128)
    monte_carlo: int = Field(0, ge=0, le=200_000)
    seed: int = Field(20240501, ge=0, le=2**63 - 1)
    initial_daughter: float | None = None
    initial_daughter_unc: float | None = None
    rel_unc: dict[str, float] = Field(default_factory=dict)
    curve: bool = Field(True, description="include the ingrowth curve")


class AgeOut(_Out):
    chronometer: str
    age_years: float | None
    u_age_years: float | None
    coverage: str
    budget: list[dict[str, Any]]
    half_life_set: str
    warnings: list[str]


class ConcordanceIn(_In):
    sample: dict[str, Any] = Field(description="the `nucsec age concordance` file")
    alpha: float = Field(0.05, gt=0, lt=1)
    seed: int = Field(20240501, ge=0, le=2**63 - 1)


class SourceIn(_In):
    items: list[str] = Field(
        min_length=1, max_length=1000, description="NUCLIDE:ACTIVITY[@DATE], e.g. Co-60:555TBq"
    )
    date: str | None = Field(None, description="date to categorise on (YYYY-MM-DD)")


class MaterialIn(_In):
    material: str = Field(max_length=16, description="U, Pu, U-233 or Th")
    mass_g: float
    enrichment_pct: float | None = None
    pu238_pct: float | None = None
    mass_unc_g: float | None = None
    enrichment_unc_pct: float | None = None
    irradiated: bool = False


class AnalysisIn(_In):
    method: str = Field(description="spectrum or age")
    label: LabelText = Field(description="label of the shared analysis")
    title: str = Field("", max_length=300)
    note: str = Field("", max_length=2000)
    source: dict[str, Any] | None = Field(
        None,
        description="spectrum: {kind, id, sha256} of an attached file, or {upload: ticket, "
        "name} of a file uploaded to /spectra/analyze",
    )
    params: dict[str, Any] = Field(
        default_factory=dict,
        description="spectrum: {detector, use_file_background}; age: the /age fields",
    )
    parent: dict[str, Any] | None = Field(None, description="age: {kind, id} of the record")
