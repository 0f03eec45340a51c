"""CSV import and export of a library, one typed row per part of an entry.

Columns: ``entry`` (the entry id) and ``record``, then the fields of the record's kind:

- ``entry``: material_type, description, holder_agency, production_site, provenance;
- ``step``: step, site, start, end (ISO dates; empty = open);
- ``signature``: name, value *or* below, u, spread, unit, method, laboratory, date, status
  (categorical values: forms separated by ``;``);
- ``member``: member (batch id), name, value (one row per batch and signature);
- ``correlation``: name, b, r (within-source correlation of signatures ``name`` and ``b``).

Rows of one entry may come in any order. Every problem names its file line and field; one
bad value means nothing is imported (:class:`~nucsec.forensics.library.errors.LibraryImportError`
lists them all). On export a text cell a spreadsheet would evaluate as a formula gets a
leading apostrophe (:func:`nucsec.incidents.csvio.guard_cell`), removed again on import.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from typing import Any

from nucsec.forensics.library.errors import LibraryImportError, Problem
from nucsec.forensics.library.model import Entry
from nucsec.forensics.library.parse import Collector, parse_entry
from nucsec.incidents.csvio import guard_cell, unguard_cell

__all__ = ["COLUMNS", "library_to_csv", "read_library_csv"]

_ENTRY_FIELDS = ("material_type", "description", "holder_agency", "production_site", "provenance")
_SIGNATURE_FIELDS = (
    "name",
    "value",
    "below",
    "u",
    "spread",
    "unit",
    "method",
    "laboratory",
    "date",
    "status",
)
COLUMNS: tuple[str, ...] = (
    "entry",
    "record",
    *_ENTRY_FIELDS,
    "step",
    "site",
    "start",
    "end",
    *_SIGNATURE_FIELDS,
    "member",
    "b",
    "r",
)
_KINDS = {
    "entry": set(_ENTRY_FIELDS),
    "step": {"step", "site", "start", "end"},
    "signature": set(_SIGNATURE_FIELDS),
    "member": {"member", "name", "value"},
    "correlation": {"name", "b", "r"},
}
_LIST_PATH = re.compile(r"^(signatures|history|members|correlations)\[(\d+)\]")


class _Draft:
    """One entry's rows gathered into its JSON shape, with the line of each part."""

    def __init__(self, entry_id: str) -> None:
        self.data: dict[str, Any] = {"id": entry_id, "signatures": [], "history": []}
        self.lines: dict[str, int] = {}
        self.members: dict[str, dict[str, Any]] = {}

    def add(self, kind: str, cells: dict[str, str], line: int) -> None:
        if kind == "entry":
            self.lines["entry"] = line
            self.data.update(cells)
        elif kind == "step":
            self._append("history", cells, line)
        elif kind == "signature":
            if ";" in cells.get("value", "") or cells.get("name", "").strip() == "chemical form":
                cells["value"] = [v.strip() for v in cells["value"].split(";") if v.strip()]  # type: ignore[assignment]
            self._append("signatures", cells, line)
        elif kind == "member":
            member = self.members.setdefault(cells.get("member", ""), {"values": {}})
            member.setdefault("line", line)
            member["values"][cells.get("name", "")] = cells.get("value", "")
        else:
            item = {"a": cells.get("name"), "b": cells.get("b"), "r": cells.get("r")}
            self._append("correlations", item, line)

    def _append(self, key: str, item: dict[str, Any], line: int) -> None:
        items = self.data.setdefault(key, [])
        self.lines[f"{key}[{len(items)}]"] = line
        items.append(item)

    def finish(self) -> dict[str, Any]:
        if self.members:
            self.data["members"] = []
            for k, (mid, m) in enumerate(self.members.items()):
                self.lines[f"members[{k}]"] = m["line"]
                self.data["members"].append({"id": mid, "values": m["values"]})
        return self.data

    def line_of(self, path: str | None) -> int:
        hit = _LIST_PATH.match(path or "")
        key = hit.group(0) if hit else "entry"
        return self.lines.get(key, self.lines.get("entry", 0))


def read_library_csv(text: str) -> list[Entry]:
    """Entries of a library CSV (see the module docstring), or one error listing all problems."""
    reader = csv.DictReader(io.StringIO(text))
    missing = {"entry", "record"} - set(reader.fieldnames or ())
    if missing:
        raise LibraryImportError([Problem("line 1", "", "header", f"missing {sorted(missing)}")])
    problems: list[Problem] = []
    drafts: dict[str, _Draft] = {}
    for row in reader:
        line = reader.line_num
        entry_id = unguard_cell((row.get("entry") or "").strip())
        kind = (row.get("record") or "").strip()
        cells = {k: unguard_cell(v) for k, v in row.items() if k and v not in (None, "")}
        where = f"line {line}"
        if not entry_id or kind not in _KINDS:
            problems.append(
                Problem(
                    where,
                    entry_id,
                    "record" if entry_id else "entry",
                    f"needs an entry id and a record in {sorted(_KINDS)}",
                )
            )
            continue
        stray = sorted(set(cells) - _KINDS[kind] - {"entry", "record"})
        for name in stray:  # reported; the row's own cells are still read
            problems.append(Problem(where, entry_id, name, f"not a field of a {kind} row"))
        drafts.setdefault(entry_id, _Draft(entry_id)).add(
            kind, {k: v for k, v in cells.items() if k in _KINDS[kind]}, line
        )
    entries = []
    for entry_id, draft in drafts.items():
        col = Collector(entry=entry_id)
        entry = parse_entry(draft.finish(), col)
        for problem, _ in col.problems:
            line = draft.line_of(problem.field)
            problems.append(
                Problem(f"line {line}", entry_id, problem.field, problem.message, problem.value)
            )
        if "entry" not in draft.lines:
            problems.append(Problem("file", entry_id, "record", "no entry row for this id"))
        if entry is not None:
            entries.append(entry)
    if problems:
        raise LibraryImportError(sorted(problems, key=lambda p: _line_key(p.where)))
    return entries


def _line_key(where: str) -> int:
    return int(where[5:]) if where.startswith("line ") else 0


def _rows(entry: Entry) -> list[dict[str, Any]]:
    head: dict[str, Any] = {"entry": entry.id}
    rows = [
        {
            **head,
            "record": "entry",
            "material_type": entry.material_type,
            "description": entry.description,
            "holder_agency": entry.holder_agency,
            "production_site": entry.production_site,
            "provenance": entry.provenance,
        }
    ]
    rows += [{**head, "record": "step", **s.to_dict()} for s in entry.history]
    for m in entry.signatures:
        item = m.to_dict(spread=True)
        if isinstance(item.get("value"), list):
            item["value"] = ";".join(item["value"])
        rows.append({**head, "record": "signature", **item})
    for member in entry.members:
        rows += [
            {**head, "record": "member", "member": member.id, "name": n, "value": v}
            for n, v in member.values
        ]
    rows += [
        {**head, "record": "correlation", "name": c.a, "b": c.b, "r": c.r}
        for c in entry.correlations
    ]
    return rows


def library_to_csv(entries: Sequence[Entry]) -> str:
    """The CSV text of ``entries`` (header first); :func:`read_library_csv` reads it back."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for entry in entries:
        for row in _rows(entry):
            writer.writerow(
                {
                    k: guard_cell(v) if isinstance(v, str) else ("" if v is None else repr(v))
                    for k, v in row.items()
                }
            )
    return out.getvalue()
