"""Plots as SVG strings, from numbers: one drawing path for the web pages, the CLI and the
reports.

Pure functions (no I/O, no plotting library): each takes numbers and returns a standalone
SVG document with a ``<title>``, ``role="img"`` and presentation attributes only (no inline
styles or scripts), so it can be inlined under a strict CSP and in a PDF.

- :func:`spectrum_svg` — gamma spectrum, fitted model, identified lines;
- :func:`model_date_svg` — model age (k=1, k=2) against candidates' production dates;
- :func:`ree_pattern_svg` — chondrite-normalised REE pattern (log), sample vs candidates;
- :func:`ratio_ellipses_svg` — two isotope ratios with k=1 and k=2 covariance ellipses;
- :func:`score_trend_svg` — a facility's overall scores (0-100) over its assessments.
"""

from nucsec.plots.dates import Candidate, model_date_svg
from nucsec.plots.ellipses import Estimate2D, ellipse_axes, ratio_ellipses_svg
from nucsec.plots.errors import PlotError
from nucsec.plots.ree import REE_ORDER, ree_pattern_svg
from nucsec.plots.scores import score_trend_svg
from nucsec.plots.spectrum import spectrum_svg

__all__ = [
    "REE_ORDER",
    "Candidate",
    "Estimate2D",
    "PlotError",
    "ellipse_axes",
    "model_date_svg",
    "ratio_ellipses_svg",
    "ree_pattern_svg",
    "score_trend_svg",
    "spectrum_svg",
]
