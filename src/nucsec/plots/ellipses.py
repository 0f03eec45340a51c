"""Two isotope ratios of a sample against candidate materials, each point with its k=1 and
k=2 uncertainty ellipses drawn from its covariance matrix, as SVG.

For a bivariate normal estimate with covariance ``C``, the k-ellipse is the set of points
``d`` with ``dᵀ C⁻¹ d = k²``. In two dimensions it covers 39.3 % (k=1) and 86.5 % (k=2) of
the probability (not 68 % and 95 % as an interval does); the legend says k, not a
percentage. The ellipse is computed in pixel space (the covariance scaled by the two axes'
pixels per unit), so it is exact whatever the aspect ratio.

>>> svg = ratio_ellipses_svg(
...     Estimate2D("sample", 0.0072, 5.4e-5, 1e-10, 0.0, 1e-12),
...     [Estimate2D("CRM", 0.00725, 5.5e-5, 4e-10, 0.0, 4e-12)],
...     x_label="n(U-235)/n(U-238)", y_label="n(U-234)/n(U-238)")
>>> svg.count("<ellipse")
4
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape
from typing import NamedTuple

from nucsec.plots.errors import PlotError
from nucsec.plots.svg import PALETTE, Axis, axes, check_finite, document, legend, num

__all__ = ["Estimate2D", "ellipse_axes", "ratio_ellipses_svg"]


class Estimate2D(NamedTuple):
    """A 2-D estimate: name, values and the covariance matrix ``[[xx, xy], [xy, yy]]``
    (standard uncertainties squared, k=1)."""

    name: str
    x: float
    y: float
    cov_xx: float
    cov_xy: float
    cov_yy: float


def _checked(e: Estimate2D, field: str) -> Estimate2D:
    vals = [check_finite(v, field) for v in e[1:]]
    _, _, cxx, cxy, cyy = vals
    tol = 1e-9 * max(cxx * cyy, 1e-300)
    if cxx < 0 or cyy < 0 or cxy * cxy > cxx * cyy + tol:
        raise PlotError(
            f"{e.name}: the covariance matrix is not positive semi-definite", field=field
        )
    return Estimate2D(str(e.name), *vals)


def ellipse_axes(cxx: float, cxy: float, cyy: float, k: float) -> tuple[float, float, float]:
    """Semi-axes and rotation of the k-ellipse of a covariance: ``(a, b, angle_deg)``, ``a``
    along the direction ``angle_deg`` from the x axis (towards +y), ``a >= b``."""
    half_trace, half_diff = (cxx + cyy) / 2, (cxx - cyy) / 2
    root = math.hypot(half_diff, cxy)
    big, small = half_trace + root, max(half_trace - root, 0.0)
    angle = 0.5 * math.degrees(math.atan2(2 * cxy, cxx - cyy))
    return k * math.sqrt(big), k * math.sqrt(small), angle


def ratio_ellipses_svg(
    sample: Estimate2D,
    candidates: Sequence[Estimate2D] = (),
    *,
    x_label: str,
    y_label: str,
    title: str = "isotope ratios (ellipses k=1, k=2)",
    width: int = 640,
    height: int = 480,
) -> str:
    """The sample and each candidate as a point with k=1 (solid) and k=2 (dashed)
    ellipses; the axes cover every k=2 ellipse."""
    points = [_checked(sample, "sample")] + [
        _checked(c, f"candidates[{i}]") for i, c in enumerate(candidates)
    ]
    xs = [v for p in points for v in (p.x - 2 * math.sqrt(p.cov_xx), p.x + 2 * math.sqrt(p.cov_xx))]
    ys = [v for p in points for v in (p.y - 2 * math.sqrt(p.cov_yy), p.y + 2 * math.sqrt(p.cov_yy))]
    left, right, top, bottom = 90, 170, 30, 50
    x = Axis.around(xs, left, width - right, pad=0.08)
    y = Axis.around(ys, height - bottom, top, pad=0.08)
    body = axes(x, y, x_label, y_label)
    entries = []
    for n, p in enumerate(points):
        colour = "#000000" if n == 0 else PALETTE[(n - 1) % (len(PALETTE) - 1)]
        entries.append((colour, p.name))
        # covariance in pixels: C_px = S C S with S = diag(x.scale, y.scale)
        pxx, pyy = p.cov_xx * x.scale**2, p.cov_yy * y.scale**2
        pxy = p.cov_xy * x.scale * y.scale
        cx, cy = num(x(p.x)), num(y(p.y))
        shapes = []
        for k, dash in ((1, ""), (2, ' stroke-dasharray="5,3"')):
            a, b, angle = ellipse_axes(pxx, pxy, pyy, k)
            shapes.append(
                f'<ellipse class="k{k}" cx="{cx}" cy="{cy}" rx="{a:.3f}" ry="{b:.3f}" '
                f'transform="rotate({angle:.4f} {cx} {cy})" fill="none" stroke="{colour}"'
                f"{dash}/>"
            )
        role = "sample" if n == 0 else "candidate"
        body.append(
            f'<g class="estimate" data-name="{escape(p.name)}" data-role="{role}">'
            + "".join(shapes)
            + f'<circle cx="{cx}" cy="{cy}" r="3" fill="{colour}"><title>{escape(p.name)}: '
            f"{p.x:.6g}, {p.y:.6g}</title></circle></g>"
        )
    body += legend(entries, width - right + 12, top + 10)
    body.append(
        f'<text x="{width - right + 12}" y="{height - bottom}" font-size="10">'
        "solid k=1, dashed k=2</text>"
    )
    return document(width, height, title, body)
