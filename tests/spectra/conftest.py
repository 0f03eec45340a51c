"""Shared helpers for the spectra tests: test-data paths and the MANIFEST truth table."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1] / "data" / "spectra"
NATURAL = frozenset({"K-40", "Th-232", "Ra-226", "U-238", "Pb-210"})


@dataclass(frozen=True)
class Truth:
    filename: str
    expected: tuple[frozenset[str], ...]  # each entry: any of these names satisfies it
    allowed: frozenset[str]
    known: bool
    collection: int = 1  # 1: the first shared set; 2: the second (copied for issue 12)


def load_truth() -> dict[str, Truth]:
    """Parse the expected/allowed columns of tests/data/spectra/MANIFEST.md."""
    out: dict[str, Truth] = {}
    collection = 1
    for line in (DATA / "MANIFEST.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("## Second collection"):
            collection = 2
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 8 or cells[0] in ("file", "---") or not (DATA / cells[0]).exists():
            continue
        expected_cell, allowed_cell = cells[6], cells[7]
        known = expected_cell != "unknown"
        expected = tuple(
            frozenset(n.strip() for n in item.split(" or "))
            for item in expected_cell.split(";")
            if item.strip() and known
        )
        allowed: set[str] = set()
        for name in (n.strip() for n in allowed_cell.split(",")):
            if name == "NATURAL":
                allowed |= NATURAL
            elif name:
                allowed.add(name)
        out[cells[0]] = Truth(cells[0], expected, frozenset(allowed), known, collection)
    return out


def spectrum_files() -> list[Path]:
    return sorted(p for p in DATA.iterdir() if p.is_file() and p.suffix.lower() != ".md")


@pytest.fixture(scope="session")
def truth() -> dict[str, Truth]:
    return load_truth()
