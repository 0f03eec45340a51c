"""Shared fixtures of the library tests: seeded synthetic libraries and their indexes."""

from __future__ import annotations

import numpy as np
import pytest

from nucsec.forensics.library.index import LibraryIndex
from nucsec.forensics.library.synthetic import SyntheticLibrary, generate_library


@pytest.fixture(scope="session")
def complete_library() -> tuple[SyntheticLibrary, LibraryIndex]:
    """1,500 fully characterised production lines (seed 11)."""
    lib = generate_library(np.random.default_rng(11), 1500, complete=True)
    return lib, LibraryIndex.from_columns(lib.columns)


@pytest.fixture(scope="session")
def realistic_library() -> tuple[SyntheticLibrary, LibraryIndex]:
    """1,500 production lines with realistic missing data (seed 12)."""
    lib = generate_library(np.random.default_rng(12), 1500)
    return lib, LibraryIndex.from_columns(lib.columns)
