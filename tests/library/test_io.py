"""JSON and CSV import/export: round trips, every bad cell named by line, nothing half-imported."""

from __future__ import annotations

import numpy as np
import pytest

from nucsec.forensics.library.csvio import library_to_csv, read_library_csv
from nucsec.forensics.library.demo import demo_library
from nucsec.forensics.library.errors import LibraryImportError
from nucsec.forensics.library.jsonio import library_to_json, read_library_json
from nucsec.forensics.library.parse import entry_from_dict
from nucsec.forensics.library.synthetic import generate_library, to_entries
from tests.library.test_parse import ENTRY


def _entries() -> list:  # type: ignore[type-arg]
    lib = generate_library(np.random.default_rng(5), 25)
    formula = entry_from_dict({**ENTRY, "id": "=HYPERLINK()", "description": '+1 line, "quoted"'})
    return [*to_entries(lib), *demo_library(), entry_from_dict(ENTRY), formula]


def test_json_round_trip() -> None:
    entries = _entries()
    assert read_library_json(library_to_json(entries)) == entries


def test_csv_round_trip_with_members_correlations_history_and_formulas() -> None:
    entries = _entries()
    text = library_to_csv(entries)
    assert "'=HYPERLINK()" in text  # guarded against spreadsheet evaluation
    assert read_library_csv(text) == entries


def test_csv_rows_of_an_entry_may_come_in_any_order() -> None:
    entry = entry_from_dict(ENTRY)
    head, *rows = library_to_csv([entry]).splitlines()
    (back,) = read_library_csv("\n".join([head, *reversed(rows)]) + "\n")
    for key in ("signatures", "history", "members", "correlations"):
        assert sorted(map(repr, getattr(back, key))) == sorted(map(repr, getattr(entry, key)))
    assert (back.id, back.material_type, back.description) == (
        entry.id,
        entry.material_type,
        entry.description,
    )


def test_csv_problems_name_line_and_field_and_nothing_is_imported() -> None:
    text = library_to_csv([entry_from_dict(ENTRY), entry_from_dict({**ENTRY, "id": "OTHER"})])
    lines = text.splitlines()
    # line 3 is MILL-A's step row, line 4 its first signature (235U)
    lines[3] = lines[3].replace("0.00725", "seven")
    lines.append("OTHER,signature,,,,,,,,,,w(Qq),1,,0.1,,µg/g U,,,,,,,")
    lines.append("ORPHAN,step,,,,,,milling,,,,,,,,,,,,,,,,")
    lines.append("X,teleport,,,,,,,,,,,,,,,,,,,,,,")
    with pytest.raises(LibraryImportError) as err:
        read_library_csv("\n".join(lines) + "\n")
    found = [(p.where, p.entry, p.field) for p in err.value.problems]
    assert ("line 4", "MILL-A", "signatures[0].value") in found
    assert (f"line {len(lines) - 2}", "OTHER", "signatures[5].name") in found
    assert ("file", "ORPHAN", "record") in found  # a step without its entry row
    assert (f"line {len(lines)}", "X", "record") in found
    assert "nothing imported" in str(err.value)


def test_csv_cell_of_the_wrong_record_kind_is_refused() -> None:
    text = library_to_csv([entry_from_dict(ENTRY)])
    head, first, *rest = text.splitlines()
    cells = first.split(",")
    cells[head.split(",").index("r")] = "0.5"  # r belongs to correlation rows
    with pytest.raises(LibraryImportError) as err:
        read_library_csv("\n".join([head, ",".join(cells), *rest]) + "\n")
    assert err.value.problems[0].field == "r"
    assert err.value.problems[0].where == "line 2"


@pytest.mark.parametrize("text", ["", "not json", "[1, 2", '{"entries": 5}'])
def test_bad_json_documents(text: str) -> None:
    with pytest.raises(LibraryImportError):
        read_library_json(text)


def test_missing_csv_header_columns() -> None:
    with pytest.raises(LibraryImportError) as err:
        read_library_csv("id,name\nA,B\n")
    assert err.value.problems[0].field == "header"
