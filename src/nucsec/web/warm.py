"""Load at start-up what the first requests would otherwise load (issue 18: the first page
that needed decay correction took 2.1 s, the first incident 3.7 s; warm, 0.1–0.2 s).

Each entry of :data:`WARMERS` is a loader that caches its result for the life of the
process; :func:`warm` calls them all once. A server process runs it in a background thread
as it starts (:func:`warm_in_background`, from :func:`nucsec.web.server.serving_app`): the
server answers at once, and a request that needs a table while it is still loading waits
for that one load, as it would have without warming.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from nucsec.forensics.chronometry import load_half_life_set
from nucsec.forensics.spectra.nucdata import load_library
from nucsec.incidents.countries import load_countries
from nucsec.incidents.decay import load_half_lives
from nucsec.incidents.reference import load_reference

__all__ = ["WARMERS", "warm", "warm_in_background"]

log = logging.getLogger(__name__)

#: what a server process loads before its first request, by name
WARMERS: dict[str, Callable[[], object]] = {
    # radioactivedecay's data set (imports SymPy): incidents' decay correction
    "incident half-lives": load_half_lives,
    "incident reference data": load_reference,
    "countries": load_countries,
    "gamma line library": load_library,
    "chronometry half-lives": load_half_life_set,
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


def warm_in_background() -> threading.Thread:
    """Start :func:`warm` in a daemon thread; the thread."""
    thread = threading.Thread(target=warm, name="nucsec-warm", daemon=True)
    thread.start()
    return thread
