"""A server process loads at start-up what the first requests would otherwise load."""

from __future__ import annotations

import subprocess
import sys

import pytest

from nucsec.node import Node
from nucsec.web import server, warm

PROBE = """
import sys
from nucsec.web.warm import WARMERS, warm
assert "radioactivedecay" not in sys.modules, "imported before warming"
took = warm()
assert set(took) == set(WARMERS)
assert "radioactivedecay" in sys.modules
from nucsec.forensics.chronometry import halflives
caches = {n: getattr(f, "cache_info", halflives._load_one.cache_info) for n, f in WARMERS.items()}
for name, info in caches.items():
    assert info().currsize >= 1, name  # cached: the first request pays nothing
print("ok")
"""


def test_warm_loads_every_lazily_loaded_table_once() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_the_serving_app_is_warmed(fresh_node: Node, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[bool] = []
    monkeypatch.setattr(warm, "warm", lambda: calls.append(True) or {})
    monkeypatch.setattr(warm.threading.Thread, "start", lambda self: self.run())
    server.serving_app(fresh_node)
    assert calls == [True]
