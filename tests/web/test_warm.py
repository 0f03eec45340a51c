"""A server process loads at start-up what the first requests would otherwise load."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest
from fastapi.testclient import TestClient

from nucsec.node import Node
from nucsec.web import server, warm
from nucsec.web.app import create_app

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
from nucsec.forensics.spectra import _kernels
assert _kernels.levmar_regions.signatures, "the fit kernel is not loaded"
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
    monkeypatch.setattr(warm, "_state", ["idle"])
    assert TestClient(create_app(fresh_node)).get("/api/health").json()["warming"] == "idle"
    monkeypatch.setattr(warm, "warm", lambda: calls.append(True) or {})
    with monkeypatch.context() as synchronous:  # not for TestClient's own threads below
        synchronous.setattr(warm.threading.Thread, "start", lambda self: self.run())
        app = server.serving_app(fresh_node)
    assert calls == [True]
    body = TestClient(app).get("/api/health").json()
    assert body["warming"] == "done"
    assert body["worker"] == warm.worker_id()


def test_health_says_while_warming_and_when_it_failed(
    fresh_node: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bench waits for ``done`` in every worker; a failed warming is reported, not hidden."""
    monkeypatch.setattr(warm, "_state", ["idle"])
    client = TestClient(create_app(fresh_node))
    release = threading.Event()
    monkeypatch.setattr(warm, "warm", lambda: release.wait(30) and {})
    thread = warm.warm_in_background()
    assert client.get("/api/health").json()["warming"] == "running"
    release.set()
    thread.join(30)
    assert client.get("/api/health").json()["warming"] == "done"

    def broken() -> dict[str, float]:
        raise OSError("reference data unreadable")

    monkeypatch.setattr(warm, "warm", broken)
    warm.warm_in_background().join(30)
    body = client.get("/api/health").json()
    assert (body["status"], body["warming"]) == ("ok", "failed")
