"""Request and response bodies of the incident, forensics and analysis API (OpenAPI).

As in :mod:`nucsec.web.api.schemas`, responses are built as dictionaries by the services and
these models document them (schemathesis checks the answers); request models forbid
unknown fields and NUL characters.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from nucsec.web.api.schemas import LabelText, _In

__all__ = [
    "AgeIn",
    "AgeOut",
    "AnalysisIn",
    "AnalysisOut",
    "AnalysisPage",
    "AttachedSpectrumIn",
    "AttachmentList",
    "AttachmentOut",
    "ConcordanceIn",
    "ImportOut",
    "IncidentIn",
    "IncidentOut",
    "IncidentPage",
    "MaterialIn",
    "RecordOut",
    "SourceIn",
    "SpectrumOut",
    "StatsOut",
]


class _Out(BaseModel):
    model_config = ConfigDict(extra="allow")


class RecordOut(_Out):
    """Any labelled record: id, kind, banner in each scheme, portions, version, dates."""

    id: str
    kind: str
    banner: str
    banner_ja: str
    banner_en: str
    label: dict[str, Any]
    portions: dict[str, Any]
    version: int
    created_at: str
    updated_at: str
    origin: str | None


class IncidentIn(_In):
    incident: dict[str, Any] = Field(
        description="the incident record (docs/incidents.md): reference, report_date, "
        "country, incident_type, itdb_group, items, narrative [{label, text}], ..."
    )
    label: LabelText = Field(description="label of the incident's facts")
    note: str = Field("", max_length=2000)


class IncidentOut(RecordOut):
    reference: str
    title: str
    incident: dict[str, Any]
    assessment: dict[str, Any] = Field(
        description="IAEA source categories per holding, INFCIRC/225 material categories, "
        "weapons_usable"
    )


class IncidentSummary(_Out):
    id: str
    title: str
    banner: str
    banner_ja: str
    portion: str
    version: int
    updated_at: str
    origin: str | None
    reference: str
    event_date: str
    itdb_group: str
    incident_type: str
    material_class: str
    country: str
    country_name: str
    detection_mode: str


class IncidentPage(BaseModel):
    items: list[IncidentSummary]
    next: str | None = Field(description="cursor for the next page (`after=`), or null")
    total: int = Field(description="incidents matching the filters that the caller may read")


class StatsOut(_Out):
    total: int
    by_year: dict[str, int]
    by_group: dict[str, int]
    by_material_class: dict[str, int]
    by_type: dict[str, int]
    by_country: dict[str, int]
    by_detection_mode: dict[str, int]
    by_year_and_group: dict[str, dict[str, int]]


class ImportOut(BaseModel):
    created: list[str]
    updated: list[str]
    errors: list[dict[str, Any]] = Field(description="bad rows: line, reference, field, message")


class AttachmentOut(_Out):
    name: str
    sha256: str
    size_bytes: int
    media_type: str
    description: str
    portion: str = Field(description="portion mark the file is under")
    label: dict[str, Any]


class AttachmentList(BaseModel):
    items: list[AttachmentOut]


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


class AnalysisOut(RecordOut):
    title: str
    method: str
    params: dict[str, Any]
    versions: dict[str, str]
    source: dict[str, Any] | None
    result: dict[str, Any]
    attachments: list[dict[str, Any]]


class AnalysisSummary(_Out):
    id: str
    title: str
    banner: str
    portion: str
    version: int
    updated_at: str


class AnalysisPage(BaseModel):
    items: list[AnalysisSummary]
    next: str | None
