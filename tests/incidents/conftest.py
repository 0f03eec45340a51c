"""Shared fixtures of the incident tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from nucsec.incidents.reference import ReferenceData, load_reference

DATA = Path(__file__).resolve().parents[1] / "data" / "incidents"


@pytest.fixture(scope="session")
def ref() -> ReferenceData:
    return load_reference()


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA
