"""The package's public surface and the doctests of its modules."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
from pathlib import Path

import pytest

import nucsec.practices as practices

MODULES = sorted(m.name for m in pkgutil.iter_modules(practices.__path__))


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str) -> None:
    module = importlib.import_module(f"nucsec.practices.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_public_surface_is_pinned() -> None:
    assert len(practices.__all__) == 64
    assert sorted(set(practices.__all__)) == sorted(practices.__all__)
    for name in practices.__all__:
        assert getattr(practices, name) is not None


def test_pure_core_imports_no_adapter() -> None:
    """No database, network, clock or random generator in the core's source."""
    for name in MODULES:
        src = importlib.import_module(f"nucsec.practices.{name}").__spec__.origin or ""
        text = Path(src).read_text(encoding="utf-8")
        for banned in (
            "sqlalchemy",
            "nucsec.store",
            "nucsec.service",
            "nucsec.web",
            "httpx",
            "datetime.now",
            "date.today",
            "import random",
            "time.time(",
        ):
            assert banned not in text, (name, banned)
