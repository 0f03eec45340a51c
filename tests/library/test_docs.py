"""docs/library.md holds the vocabulary table of the data file, and the public surface."""

from __future__ import annotations

import re
from pathlib import Path

import nucsec.forensics.library as library
from nucsec.forensics.library.vocabulary import signatures

DOC = Path(__file__).resolve().parents[2] / "docs" / "library.md"


def test_docs_table_lists_every_signature_as_the_data_file_does() -> None:
    rows = re.findall(
        r"^\| `([^`]+)` \| (\w+) \| ([^|]+) \| (\w+) \| (yes|no) \|", DOC.read_text(), re.M
    )
    expected = [
        (s.name, s.kind, s.unit or "—", s.transform, "yes" if s.compositional else "no")
        for s in signatures()
    ]
    assert [(n, k, u.strip(), t, c) for n, k, u, t, c in rows] == expected


def test_public_surface_is_pinned() -> None:
    assert sorted(library.__all__) == sorted(
        name for name in dir(library) if not name.startswith("_") and name in library.__all__
    )
    assert {
        "match",
        "answer_for_partner",
        "LibraryIndex",
        "sample_from_dict",
        "Entry",
        "read_library_csv",
        "generate_library",
        "demo_library",
    } <= set(library.__all__)
    for name in library.__all__:
        assert getattr(library, name) is not None


def test_no_placeholder_left_in_the_docs() -> None:
    text = DOC.read_text()
    assert "BENCH_RATES" not in text and "BENCH_TABLE" not in text
