"""Fixtures of the archive tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.archive._support import archive_folder


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of simulated spectra and three real files (shared by a module)."""
    return archive_folder(tmp_path_factory.mktemp("archive"))
