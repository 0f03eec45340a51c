"""Each package's public surface is pinned: its ``__all__`` exactly, every name resolving.

A package whose modules are its surface lists them in ``__all__``; the others (markings,
policy, the science packages, ...) list the names they export. A change here is a change
of what other code may rely on: make it on purpose, in this table, with the code.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"

SURFACE: dict[str, tuple[str, ...]] = {
    "nucsec": ("__version__",),
    "nucsec.audit": (
        "checkpoint",
        "events",
        "group",
        "keys",
        "log",
        "merkle",
        "proofs",
        "queries",
        "tables",
        "verify",
    ),
    "nucsec.cli": (
        "COMMANDS",
        "cli",
        "main",
    ),
    "nucsec.federation": (
        "auth",
        "boundary",
        "envelopes",
        "explain",
        "export",
        "importer",
        "jws",
        "objects",
        "outbox",
        "peers",
        "portions",
        "receipts",
        "stix",
        "sync",
        "tables",
        "taxii",
        "witness",
    ),
    "nucsec.forensics": (
        "chronometry",
        "spectra",
    ),
    "nucsec.forensics.chronometry": (
        "AgeResult",
        "CHRONOMETERS",
        "Chronometer",
        "ChronometryError",
        "ConcordanceResult",
        "DEFAULT_HALF_LIFE_SET",
        "HalfLife",
        "HalfLifeDataError",
        "HalfLifeSet",
        "InitialDaughter",
        "RatioOutOfRangeError",
        "UnknownChronometerError",
        "chronometer_names",
        "concordance",
        "get_chronometer",
        "half_life_set_names",
        "ingrowth_curve",
        "ingrowth_svg",
        "load_half_life_set",
        "model_age",
    ),
    "nucsec.forensics.spectra": (
        "ActivityResult",
        "DEFAULT_MAX_BYTES",
        "DETECTOR_TYPES",
        "Efficiency",
        "EnergyCalibration",
        "EnrichmentResult",
        "Identification",
        "Line",
        "Peak",
        "Source",
        "Spectrum",
        "SpectrumAnalysis",
        "SpectrumError",
        "SpectrumFile",
        "SpectrumFileError",
        "analyze",
        "convert_spectrum",
        "load_library",
        "plot_data",
        "plot_svg",
        "read_spectrum",
        "simulate",
        "uranium_activities_bq",
    ),
    "nucsec.incidents": (
        "Attachment",
        "BatchResult",
        "CsvImportError",
        "ImportResult",
        "Incident",
        "IncidentError",
        "IncidentStats",
        "Link",
        "MaterialCategorization",
        "MaterialItem",
        "Portion",
        "ReferenceData",
        "RowError",
        "SourceCategorization",
        "SourceItem",
        "SupportRequest",
        "UnitError",
        "assess_incident",
        "categorize_batch",
        "categorize_material",
        "categorize_sources",
        "check_not_future",
        "incident_from_record",
        "incident_stats",
        "incident_stats_columns",
        "incident_stats_from_counts",
        "incident_to_record",
        "incidents_to_csv",
        "is_weapons_usable",
        "load_reference",
        "parse_activity",
        "read_incidents_csv",
        "source_from_spec",
        "stats_row",
        "write_incidents_csv",
    ),
    "nucsec.markings": (
        "EquivalenceTable",
        "Label",
        "LabelError",
        "Level",
        "MarkingContext",
        "NationalScheme",
        "SchemeError",
        "context_for",
        "default_context",
        "load_context",
        "parse_banner",
        "parse_label",
        "parse_portion",
        "render_banner",
        "render_in",
        "render_portion",
        "renderings",
        "rollup",
    ),
    "nucsec.policy": (
        "ACTIONS",
        "Decision",
        "Denial",
        "Principal",
        "ROLES",
        "Resource",
        "WRITER_ROLES",
        "decide",
    ),
    "nucsec.service": (
        "analyses",
        "analysis_methods",
        "attachments",
        "documents",
        "files",
        "guard",
        "incident_search",
        "incident_tables",
        "incidents",
        "kinds",
        "labelled",
        "registry",
        "trail",
        "users",
        "views",
    ),
    "nucsec.store": (
        "blobs",
        "db",
        "immutable",
        "labels",
        "migrate",
        "records",
        "schema",
    ),
    "nucsec.web": (
        "access",
        "api",
        "app",
        "audit_view",
        "auth",
        "banners",
        "deps",
        "errors",
        "pages",
        "passwords",
        "security",
        "server",
        "tables",
        "tokens",
        "views",
    ),
    "nucsec.web.api": (
        "accounts",
        "attachments",
        "audit",
        "common",
        "documents",
        "forensics",
        "incidents",
        "markings",
        "record_schemas",
        "schemas",
    ),
    "nucsec.web.pages": (
        "admin",
        "attachments",
        "charts",
        "common",
        "documents",
        "forensics",
        "incidents",
        "picker",
        "session",
        "worldmap",
    ),
}


def _packages() -> list[str]:
    root = SRC / "nucsec"
    found = []
    for init in sorted(root.rglob("__init__.py")):
        parts = init.relative_to(SRC).parts[:-1]
        if "migrations" not in parts:
            found.append(".".join(parts))
    return found


def test_every_package_is_pinned() -> None:
    assert sorted(SURFACE) == _packages()


@pytest.mark.parametrize("package", sorted(SURFACE))
def test_public_surface(package: str) -> None:
    module = importlib.import_module(package)
    assert tuple(sorted(module.__all__)) == SURFACE[package]
    for name in module.__all__:
        if not hasattr(module, name):  # a public submodule
            importlib.import_module(f"{package}.{name}")
        assert hasattr(module, name), f"{package}.{name}"
