"""CSV import and export of incidents, one typed row per part.

Every row has ``reference`` (the incident) and ``record``: ``incident`` (one per
reference), ``portion`` (narrative paragraph with its label), ``link``, ``source``,
``material``, ``attachment`` (file metadata; the bytes live in the blob store) or
``request`` (forensic support request); only the columns of its kind may be filled. Rows of
one incident may come in any order. Activities carry their unit (``555 TBq``); Pu isotopics
are written ``Pu-239=93.8;Pu-240=5.9``. On export, a text cell that a spreadsheet would
evaluate as a formula (``=``, ``+``, ``-``, ``@``, tab or CR first) gets a leading
apostrophe, which import removes again.

The unit of import is the incident. Every bad row is reported with each of its problems
(file line, reference, field, message: every cell that is wrong on its own, see
:mod:`~nucsec.incidents.csv_cells`, else the first check across cells); without
``partial`` one bad row means nothing is imported
(:class:`~nucsec.incidents.errors.CsvImportError`), with ``partial`` exactly the
incidents without a bad row are returned, beside the errors.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TextIO

from nucsec.errors import InputError
from nucsec.incidents.convert import incident_from_record, item_from_record, parse_date
from nucsec.incidents.csv_cells import Check, cell_errors, parse_bool, parse_isotopics, parse_number
from nucsec.incidents.errors import CsvImportError, IncidentError, RowError
from nucsec.incidents.items import Item, SourceItem
from nucsec.incidents.model import (
    Attachment,
    Incident,
    Link,
    Portion,
    SupportRequest,
    check_not_future,
)
from nucsec.incidents.units import parse_activity

__all__ = [
    "COLUMNS",
    "FORMULA_START",
    "ImportResult",
    "guard_cell",
    "incident_lines",
    "incidents_to_csv",
    "read_incidents_csv",
    "unguard_cell",
    "write_incidents_csv",
]

_INCIDENT = (
    "incident_date", "incident_date_precision", "discovery_date", "report_date", "country",
    "place", "incident_type", "itdb_group", "detection_mode", "status", "material_class",
)  # fmt: skip
_SOURCE = (
    "nuclide", "activity", "activity_unc", "activity_reference_date", "form", "sealed", "holding",
)  # fmt: skip
_MATERIAL = (
    "material", "mass_g", "mass_unc_g", "enrichment_pct", "enrichment_unc_pct", "pu_isotopics",
    "chemical_form", "physical_form", "irradiated",
)  # fmt: skip
KIND_COLUMNS: dict[str, tuple[str, ...]] = {
    "incident": _INCIDENT,
    "portion": ("label", "text"),
    "link": ("linked_reference", "relation"),
    "source": (*_SOURCE, "description"),
    "material": (*_MATERIAL, "description"),
    "attachment": ("name", "sha256", "size_bytes", "media_type", "description"),
    "request": ("to_party", "requested_on", "question", "request_status", "answered_on"),
}
_PART_KEY = {"portion": "narrative", "link": "links", "attachment": "attachments"}
_PART_KEY |= {"request": "support_requests", "source": "items", "material": "items"}
COLUMNS: tuple[str, ...] = (
    "reference",
    "record",
    *dict.fromkeys(c for v in KIND_COLUMNS.values() for c in v),
)


@dataclass(frozen=True)
class ImportResult:
    """The incidents read (all, or the good ones with ``partial``) and every bad row."""

    incidents: tuple[Incident, ...]
    errors: tuple[RowError, ...] = ()


@dataclass
class _Group:
    """The rows of one reference while reading."""

    incident: tuple[int, dict[str, str]] | None = None
    parts: list[tuple[int, str, dict[str, str]]] = field(default_factory=list)
    bad: bool = False


def _item(kind: str, row: dict[str, str]) -> Item:
    text = {k: v for k, v in row.items() if v.strip()}
    if kind == "source":
        rec: dict[str, Any] = {"kind": "source", "nuclide": text.get("nuclide")}
        if "activity" not in text:
            raise IncidentError("activity is required (with its unit)", field="activity")
        rec["activity"] = text["activity"]
        if "activity_unc" in text:
            rec["activity_unc_bq"] = parse_activity(
                text["activity_unc"], field="activity_unc"
            ).value_bq
        rec["reference_date"] = parse_date(
            text.get("activity_reference_date"), "activity_reference_date"
        )
        rec |= {k: row.get(k, "") for k in ("form", "holding", "description")}
        rec["sealed"] = parse_bool(row.get("sealed", ""), "sealed")
        return item_from_record(rec)
    rec = {"kind": "material", "material": text.get("material")}
    for name in ("mass_g", "mass_unc_g", "enrichment_pct", "enrichment_unc_pct"):
        rec[name] = parse_number(text.get(name, ""), name)
    rec["pu_isotopics_pct"] = parse_isotopics(text.get("pu_isotopics", ""))
    rec |= {k: row.get(k, "") for k in ("chemical_form", "physical_form", "description")}
    rec["irradiated"] = bool(parse_bool(row.get("irradiated", ""), "irradiated"))
    return item_from_record(rec)


def _size(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise IncidentError(f"size_bytes is not an integer: {text!r}", field="size_bytes") from None


def _part(kind: str, row: dict[str, str]) -> Portion | Link | Attachment | SupportRequest | Item:
    get = row.get
    if kind == "portion":
        return Portion(get("label", ""), get("text", ""))
    if kind == "link":
        return Link(get("linked_reference", ""), get("relation", "") or "related")
    if kind == "attachment":
        media = get("media_type", "") or "application/octet-stream"
        size = _size(get("size_bytes", ""))
        return Attachment(get("name", ""), get("sha256", ""), size, media, get("description", ""))
    if kind == "request":
        requested = parse_date(get("requested_on"), "requested_on")
        if requested is None:
            raise IncidentError("requested_on is required", field="requested_on")
        answered = parse_date(get("answered_on"), "answered_on")
        status = get("request_status", "") or "requested"
        return SupportRequest(get("to_party", ""), requested, get("question", ""), status, answered)
    return _item(kind, row)


def _error(line: int, ref: str, exc: InputError) -> RowError:
    return RowError(line, ref, exc.field, exc.message, exc.value)


def _numbered(reader: Any, errors: list[RowError]) -> Iterable[tuple[int, list[str]]]:
    """(first file line, cells) of each row; a CSV syntax error ends the import."""
    line = reader.line_num + 1
    try:
        for cells in reader:
            yield line, cells
            line = reader.line_num + 1
    except csv.Error as exc:
        raise CsvImportError(
            [*errors, RowError(line, "", None, f"unreadable CSV: {exc}")]
        ) from None


def incident_lines(text: str) -> dict[str, int]:
    """The file line of each reference's incident row (header = line 1; a cell holding
    line breaks counts its lines, as the import's own error reports do)."""
    reader = csv.reader(io.StringIO(text))
    header = [h.lstrip("\ufeff").strip() for h in next(reader, [])]
    if "reference" not in header or "record" not in header:
        return {}
    ref_at, kind_at = header.index("reference"), header.index("record")
    out: dict[str, int] = {}
    try:
        for line, raw in _numbered(reader, []):
            cells = [unguard_cell(c) for c in raw]
            if len(cells) > max(ref_at, kind_at) and cells[kind_at].strip().lower() == "incident":
                out.setdefault(cells[ref_at].strip(), line)
    except CsvImportError:  # unreadable from here on: the import has reported it
        pass
    return out


def _read_rows(stream: TextIO, errors: list[RowError]) -> dict[str, _Group]:
    reader = csv.reader(stream)
    header = [h.lstrip("\ufeff").strip() for h in next(reader, [])]
    unknown = [h for h in header if h not in COLUMNS]
    if (
        unknown
        or "reference" not in header
        or "record" not in header
        or len(set(header)) < len(header)
    ):
        what = (
            f"unknown column(s) {unknown}"
            if unknown
            else "needs 'reference' and 'record', once each"
        )
        raise CsvImportError([RowError(1, "", "header", f"bad header: {what}")])
    groups: dict[str, _Group] = {}
    for start, raw in _numbered(reader, errors):
        cells = [unguard_cell(c) for c in raw]
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(header):
            errors.append(RowError(start, "", None, "more cells than header columns"))
            continue
        row = dict(zip(header, cells, strict=False)) | {h: "" for h in header[len(cells) :]}
        ref, kind = row["reference"].strip(), row["record"].strip().lower()
        if kind not in KIND_COLUMNS:
            errors.append(RowError(start, ref, "record", f"unknown record kind {kind!r}", kind))
            groups.setdefault(ref, _Group()).bad = True
            continue
        stray = [
            c
            for c, v in row.items()
            if v.strip() and c not in (*KIND_COLUMNS[kind], "reference", "record")
        ]
        group = groups.setdefault(ref, _Group())
        if stray:  # each one, and the row's cells are still checked
            errors += [RowError(start, ref, c, f"column not used by a {kind} row") for c in stray]
            group.bad = True
        if kind == "incident" and group.incident is not None:
            errors.append(
                RowError(
                    start,
                    ref,
                    "reference",
                    f"second incident row (first on line {group.incident[0]})",
                )
            )
            group.bad = True
        elif kind == "incident":
            group.incident = (start, row)
        else:
            group.parts.append((start, kind, row))
    return groups


def _build(
    ref: str,
    group: _Group,
    today: date | None,
    errors: list[RowError],
    check_label: Check | None = None,
) -> Incident | None:
    """The incident of one reference's rows, or None after adding every problem of each
    of its rows to ``errors`` (cells first, see :mod:`~nucsec.incidents.csv_cells`)."""
    found: list[RowError] = []
    if group.incident is None:
        found += [
            RowError(n, ref, "reference", f"no incident row for {ref!r}") for n, _, _ in group.parts
        ]
    else:
        found += cell_errors("incident", group.incident[1], group.incident[0], ref, today=today)
    parts: dict[str, list[Any]] = {key: [] for key in _PART_KEY.values()}
    item_lines: list[int] = []
    for part_line, kind, part_row in group.parts:
        bad = cell_errors(kind, part_row, part_line, ref, today=today, check_label=check_label)
        part = None
        if not bad:
            try:
                part = _part(kind, part_row)
            except InputError as exc:
                bad = [_error(part_line, ref, exc)]
        found += bad
        if part is None:
            continue
        key = _PART_KEY[kind]
        parts[key].append(part)
        if key == "items":
            item_lines.append(part_line)
    errors += found
    if found or group.bad or group.incident is None:
        return None
    line, row = group.incident
    record: dict[str, Any] = {k: (row.get(k) or None) for k in _INCIDENT}
    record |= {"reference": ref, "place": row.get("place", ""), **parts}
    try:
        incident = incident_from_record(record)
        if today is not None:
            check_not_future(incident, today)
    except InputError as exc:
        where = line
        if exc.field and exc.field.startswith("items["):
            where = item_lines[int(exc.field[6 : exc.field.index("]")])]
        errors.append(_error(where, ref, exc))
        return None
    return incident


def read_incidents_csv(
    source: str | TextIO,
    *,
    today: date | None = None,
    partial: bool = False,
    check_label: Check | None = None,
) -> ImportResult:
    """Read incidents from CSV text or a text stream.

    Parameters
    ----------
    today
        If given, dates after it are errors ("future date").
    partial
        Return the good incidents and the errors instead of raising.
    check_label
        Parses a narrative portion's ``label`` cell (the importing node's markings): a
        label it refuses is a bad row like any other; without it labels are not checked
        here.

    Raises
    ------
    CsvImportError
        A bad header, or (without ``partial``) any bad row; ``errors`` lists them all.
    """
    stream = io.StringIO(source, newline="") if isinstance(source, str) else source
    errors: list[RowError] = []
    groups = _read_rows(stream, errors)
    built = [_build(ref, g, today, errors, check_label) for ref, g in groups.items()]
    incidents = tuple(i for i in built if i is not None)
    errors.sort(key=lambda e: e.line)
    if errors and not partial:
        raise CsvImportError(errors)
    return ImportResult(incidents, tuple(errors))


def _fmt(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return repr(value)
    return value.isoformat() if isinstance(value, date) else str(value)


def _activity(bq: float) -> str:
    """TBq when that reads back exactly, else Bq."""
    tbq = bq / 1e12
    return f"{tbq!r} TBq" if float(repr(tbq)) * 1e12 == bq else f"{bq!r} Bq"


def _item_row(item: Item) -> dict[str, str]:
    if isinstance(item, SourceItem):
        unc = item.activity_unc_bq
        return {
            "nuclide": item.nuclide, "activity": _activity(item.activity_bq),
            "activity_unc": "" if unc is None else _activity(unc),
            "activity_reference_date": _fmt(item.reference_date), "form": item.form,
            "sealed": _fmt(item.sealed), "holding": item.holding, "description": item.description,
        }  # fmt: skip
    iso = ";".join(f"{n}={p!r}" for n, p in item.pu_isotopics_pct)
    out = {k: _fmt(getattr(item, k)) for k in (*_MATERIAL, "description") if hasattr(item, k)}
    return out | {"pu_isotopics": iso}


def _rows(incident: Incident) -> Iterable[dict[str, str]]:
    ref = {"reference": incident.reference}
    yield ref | {"record": "incident"} | {k: _fmt(getattr(incident, k)) for k in _INCIDENT}
    for p in incident.narrative:
        yield ref | {"record": "portion", "label": p.label, "text": p.text}
    for link in incident.links:
        yield ref | {
            "record": "link",
            "linked_reference": link.reference,
            "relation": link.relation,
        }
    for item in incident.items:
        kind = "source" if isinstance(item, SourceItem) else "material"
        yield ref | {"record": kind} | _item_row(item)
    for a in incident.attachments:
        names = ("name", "sha256", "size_bytes", "media_type", "description")
        yield ref | {"record": "attachment"} | {k: _fmt(getattr(a, k)) for k in names}
    for r in incident.support_requests:
        yield ref | {
            "record": "request",
            "to_party": r.to_party,
            "requested_on": _fmt(r.requested_on),
            "question": r.question,
            "request_status": r.status,
            "answered_on": _fmt(r.answered_on),
        }


#: first characters that make a spreadsheet evaluate a cell as a formula (OWASP, "CSV
#: injection"): an exported narrative could otherwise run on the analyst's machine
FORMULA_START = frozenset("=+-@\t\r")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def guard_cell(value: str) -> str:
    """A cell as exported: text a spreadsheet would evaluate (it starts with a formula
    character, after any apostrophes) gets one more leading apostrophe; numbers such as
    ``-77.03`` stay as they are. :func:`unguard_cell` undoes it exactly."""
    if value.lstrip("'")[:1] in FORMULA_START and not _is_number(value):
        return "'" + value
    return value


def unguard_cell(cell: str) -> str:
    """A cell as imported: the apostrophe :func:`guard_cell` added is removed."""
    if cell[:1] == "'" and cell.lstrip("'")[:1] in FORMULA_START:
        return cell[1:]
    return cell


def write_incidents_csv(incidents: Iterable[Incident], out: TextIO) -> int:
    """Write incidents as CSV (header first); return the number of data rows. Cells a
    spreadsheet would run as formulas are guarded (:func:`guard_cell`)."""
    writer = csv.DictWriter(out, fieldnames=COLUMNS)  # CRLF: fields with CR or LF get quoted
    writer.writeheader()
    n = 0
    for incident in incidents:
        for row in _rows(incident):
            writer.writerow({k: guard_cell(v) for k, v in row.items()})
            n += 1
    return n


def incidents_to_csv(incidents: Iterable[Incident]) -> str:
    """The CSV text of :func:`write_incidents_csv`."""
    buffer = io.StringIO()
    write_incidents_csv(incidents, buffer)
    return buffer.getvalue()
