"""Load at start-up what the first requests would otherwise load (issue 18: the first page
that needed decay correction took 2.1 s, the first incident 3.7 s; warm, 0.1–0.2 s).

Each entry of :data:`WARMERS` is a loader that caches its result for the life of the
process; :func:`warm` calls them all once. A server process runs it in a background thread
as it starts (:func:`warm_in_background`, from :func:`nucsec.web.server.serving_app`): the
server answers at once, and a request that needs a table while it is still loading waits
for that one load, as it would have without warming.

Whether this process has finished warming is :func:`warming_state` (``/api/health``
reports it with :func:`worker_id`): warming holds the interpreter for seconds (SymPy's
import), so whoever measures a server's speed waits until every worker says ``done``
(``benchmarks/bench_web.py``).
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
import time
from collections.abc import Callable
from typing import Literal

from nucsec.forensics.chronometry import load_half_life_set
from nucsec.forensics.library.match import warm_up as load_library_kernels
from nucsec.forensics.spectra.fitting import warm_up as load_fit_kernel
from nucsec.forensics.spectra.nucdata import load_library
from nucsec.incidents.countries import load_countries
from nucsec.incidents.decay import load_half_lives
from nucsec.incidents.reference import load_reference

__all__ = ["WARMERS", "WarmingState", "warm", "warm_in_background", "warming_state", "worker_id"]

log = logging.getLogger(__name__)

#: what a server process loads before its first request, by name
WARMERS: dict[str, Callable[[], object]] = {
    # radioactivedecay's data set (imports SymPy): incidents' decay correction
    "incident half-lives": load_half_lives,
    "incident reference data": load_reference,
    "countries": load_countries,
    "gamma line library": load_library,
    "chronometry half-lives": load_half_life_set,
    # the compiled spectrum kernels, fit and identification scoring (numba's cache;
    # compiled on a machine's first run)
    "spectrum fit kernel": load_fit_kernel,
    "library match kernels": load_library_kernels,
}


def warm() -> dict[str, float]:
    """Call every loader of :data:`WARMERS` once; the seconds each took, by name."""
    took: dict[str, float] = {}
    for name, load in WARMERS.items():
        start = time.perf_counter()
        load()
        took[name] = time.perf_counter() - start
    log.info("warmed: %s", ", ".join(f"{n} {s:.2f} s" for n, s in took.items()))
    return took


#: ``idle``: this process never started warming (an app built without :func:`serving_app
#: <nucsec.web.server.serving_app>`, as in tests); then ``running``, ``done`` or ``failed``
WarmingState = Literal["idle", "running", "done", "failed"]

_state: list[WarmingState] = ["idle"]
_workers: dict[int, str] = {}


def warming_state() -> WarmingState:
    """Where this process's warming is (see :data:`WarmingState`)."""
    return _state[0]


def worker_id() -> str:
    """An opaque name of this server process, random per process (not its pid), so that a
    client polling ``/api/health`` can tell the workers behind one port apart."""
    pid = os.getpid()
    if pid not in _workers:
        _workers[pid] = secrets.token_hex(6)
    return _workers[pid]


def _warm_and_record() -> None:
    try:
        warm()
    except Exception:  # a table that failed to load loads (or fails) again on first use
        _state[0] = "failed"
        log.exception("warming failed; the first requests load what they need")
        return
    _state[0] = "done"


def warm_in_background() -> threading.Thread:
    """Start :func:`warm` in a daemon thread (:func:`warming_state` follows it); the
    thread."""
    _state[0] = "running"
    thread = threading.Thread(target=_warm_and_record, name="nucsec-warm", daemon=True)
    thread.start()
    return thread
