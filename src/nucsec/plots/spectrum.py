"""A gamma spectrum with its fitted model and identified lines, as SVG.

The numbers come from :mod:`nucsec.forensics.spectra` (``plot_svg`` there bins an analysis
and calls :func:`spectrum_svg`); the same drawing serves the web page, the CLI and the
reports.

>>> import numpy as np
>>> e = np.linspace(0, 1500, 1500)
>>> svg = spectrum_svg(e, 100 + 1e4 * np.exp(-((e - 661.7) / 2) ** 2), lines=[(661.7, "Cs-137")])
>>> "Cs-137" in svg and svg.count("<polyline") >= 1
True
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

import numpy as np
import numpy.typing as npt

from nucsec.plots.errors import PlotError
from nucsec.plots.svg import Axis, axes, document, num, polyline

__all__ = ["spectrum_svg"]

COUNTS_COLOUR = "#1f4e9c"
FIT_COLOUR = "#d1495b"
LINE_COLOUR = "#2a9d8f"
LABEL_GAP = 11.0  # svg units between two rotated line labels (a 9-unit text line)


def _points(
    x: Axis, y: Axis, xs: npt.NDArray[np.float64], ys: npt.NDArray[np.float64], log: bool
) -> list[tuple[float, float] | None]:
    out: list[tuple[float, float] | None] = []
    for xv, yv in zip(xs, ys, strict=True):
        if not (np.isfinite(xv) and np.isfinite(yv)):
            out.append(None)
        else:
            out.append((x(float(xv)), y(max(float(yv), 0.5) if log else float(yv))))
    return out


def spectrum_svg(
    energy_kev: npt.ArrayLike,
    counts: npt.ArrayLike,
    *,
    fit: npt.ArrayLike | None = None,
    lines: Sequence[tuple[float, str]] = (),
    log: bool = True,
    title: str = "spectrum",
    width: int = 1000,
    height: int = 420,
) -> str:
    """Counts against energy, the fitted model (NaN outside fitted regions) and a dashed
    vertical line at each identified line's energy, labelled unless the label would
    overlap one already drawn (earlier lines first).

    Parameters
    ----------
    energy_kev, counts
        Channel (or bin) centre energies and counts, same length.
    fit
        Fitted model per channel, NaN where nothing was fitted.
    lines
        ``(energy_kev, label)`` of identified peaks or nuclide lines.
    log
        Log count axis (counts below 0.5 are drawn at 0.5).
    """
    e = np.asarray(energy_kev, dtype=float)
    c = np.asarray(counts, dtype=float)
    if e.ndim != 1 or e.shape != c.shape or e.size < 2:
        raise PlotError("energy_kev and counts must be 1-D and of equal length", field="counts")
    left, right, top, bottom = 70, 15, 30, 50
    x = Axis.around(e, left, width - right, pad=0.0)
    finite = c[np.isfinite(c)]
    if log:
        peak = max(float(finite.max()) if finite.size else 1.0, 1.0)
        y = Axis(0.5, peak * 2, height - bottom, top, log=True)
    else:
        y = Axis.around([0.0, *finite.tolist()], height - bottom, top)
    body = axes(x, y, "energy (keV)", "counts (log scale)" if log else "counts")
    body.append(
        polyline(_points(x, y, e, c, log), COUNTS_COLOUR, stroke_width="1", class_="counts")
    )
    if fit is not None:
        f = np.asarray(fit, dtype=float)
        if f.shape != e.shape:
            raise PlotError("fit must have one value per channel", field="fit")
        body.append(
            polyline(_points(x, y, e, f, log), FIT_COLOUR, stroke_width="1.2", class_="fit")
        )
    labelled_at: list[float] = []
    for energy, label in lines:
        if not x.lo <= energy <= x.hi:
            continue
        px = num(x(energy))
        text = ""
        if all(abs(x(energy) - at) >= LABEL_GAP for at in labelled_at):  # never piled up
            labelled_at.append(x(energy))
            text = (
                f'<text x="{num(x(energy) + 3)}" y="{top + 10}" font-size="9" '
                f'fill="{LINE_COLOUR}" transform="rotate(90 {num(x(energy) + 3)} {top + 10})">'
                f"{escape(label)}</text>"
            )
        body.append(
            f'<g class="line" data-energy-kev="{energy!r}"><line x1="{px}" y1="{top}" x2="{px}" '
            f'y2="{height - bottom}" stroke="{LINE_COLOUR}" stroke-dasharray="2,3" '
            f'stroke-width="0.7"/>{text}</g>'
        )
    return document(width, height, title, body)
