"""Run the ``nucsec`` command in-process (fast) with its own NUCSEC_HOME."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from nucsec.cli import main


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def json(self) -> Any:
        return json.loads(self.out)


@pytest.fixture
def nucsec(tmp_path, db_url, monkeypatch, capsys):  # type: ignore[no-untyped-def]
    """``nucsec("document", "list", ...)`` -> Result, against a node in tmp_path."""
    monkeypatch.setenv("NUCSEC_HOME", str(tmp_path / "home"))
    if db_url.startswith("postgresql"):
        monkeypatch.setenv("NUCSEC_DATABASE_URL", db_url)
    else:
        monkeypatch.delenv("NUCSEC_DATABASE_URL", raising=False)

    def run(*args: str) -> Result:
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


@pytest.fixture
def demo(nucsec):  # type: ignore[no-untyped-def]
    result = nucsec("init", "--demo", "--json")
    assert result.code == 0, result.err
    return nucsec
