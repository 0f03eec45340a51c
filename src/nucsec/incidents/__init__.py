"""Incident register: ITDB-style incidents, IAEA categories, CSV, trends (pure core).

- :mod:`~nucsec.incidents.model`, :mod:`~nucsec.incidents.items` — the incident and its
  items, valid on creation; :mod:`~nucsec.incidents.convert` — plain records to and from.
- :mod:`~nucsec.incidents.categorize` — IAEA source category 1–5 from the sum of A/D;
  :mod:`~nucsec.incidents.batch` the same on arrays; :mod:`~nucsec.incidents.material` —
  INFCIRC/225/Rev.5 category I/II/III and the weapons-usable flag.
- :mod:`~nucsec.incidents.reference` (IAEA tables), :mod:`~nucsec.incidents.decay`
  (half-lives), :mod:`~nucsec.incidents.units` (activity units).
- :mod:`~nucsec.incidents.csvio` — CSV import/export; :mod:`~nucsec.incidents.stats` —
  counts for trends; :mod:`~nucsec.incidents.demo` — demo incidents.
"""

from nucsec.incidents.assess import assess_incident
from nucsec.incidents.batch import BatchResult, categorize_batch
from nucsec.incidents.categorize import SourceCategorization, categorize_sources
from nucsec.incidents.convert import incident_from_record, incident_to_record, source_from_spec
from nucsec.incidents.csvio import (
    ImportResult,
    incidents_to_csv,
    read_incidents_csv,
    write_incidents_csv,
)
from nucsec.incidents.errors import CsvImportError, IncidentError, RowError, UnitError
from nucsec.incidents.items import MaterialItem, SourceItem
from nucsec.incidents.material import MaterialCategorization, categorize_material, is_weapons_usable
from nucsec.incidents.model import (
    Attachment,
    Incident,
    Link,
    Portion,
    SupportRequest,
    check_not_future,
)
from nucsec.incidents.reference import ReferenceData, load_reference
from nucsec.incidents.stats import (
    IncidentStats,
    incident_stats,
    incident_stats_columns,
    incident_stats_from_counts,
    stats_row,
)
from nucsec.incidents.units import parse_activity

__all__ = [
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
]
