"""The static spectrum SVG (pages without JavaScript, reports) never piles line labels up."""

from __future__ import annotations

import itertools
import re

import numpy as np

from nucsec.plots.spectrum import spectrum_svg


def test_crowded_low_energy_labels_are_thinned_but_every_line_is_drawn() -> None:
    e = np.linspace(0, 3000, 3000)
    lines = [(30.0 + 0.5 * i, f"X-{i}") for i in range(40)] + [(1332.5, "Co-60")]
    svg = spectrum_svg(e, 100 + 0 * e, lines=lines)
    assert svg.count('<g class="line"') == len(lines)
    xs = sorted(float(x) for x in re.findall(r'<text x="([\d.]+)" y="\d+" font-size="9"', svg))
    assert 1 < len(xs) < len(lines) and "Co-60" in svg
    assert all(b - a >= 11.0 for a, b in itertools.pairwise(xs))
