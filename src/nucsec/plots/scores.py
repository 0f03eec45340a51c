"""Score-over-time chart of a facility's self-assessments: overall maturity and
compliance (0-100) against the assessment date, drawn with the shared SVG primitives of
:mod:`nucsec.plots.svg` (the same path as the report figures)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from nucsec.plots.svg import PALETTE, Axis, axes, document, legend, num, polyline

__all__ = ["decimal_year", "score_trend_svg"]


def decimal_year(day: dt.date) -> float:
    """A date as a decimal year (2025-07-02 -> about 2025.5)."""
    start = dt.date(day.year, 1, 1)
    days = (dt.date(day.year + 1, 1, 1) - start).days
    return day.year + (day - start).days / days


def score_trend_svg(
    points: Sequence[tuple[dt.date, float | None, float | None]], title: str
) -> str:
    """Overall maturity and compliance (0-100) of each assessment, oldest first.

    A ``None`` score (nothing scored) breaks its line. Each point is a circle carrying
    its date and value (``data-date``, ``data-value``) so a test or a reader can check it.
    """
    years = [decimal_year(d) for d, _, _ in points]
    x = Axis.around(years or [2000.0], 70.0, 560.0, pad=0.08)
    y = Axis(0.0, 100.0, 250.0, 40.0)
    body = axes(x, y, "assessment date (year)", "score (0-100)")
    entries = []
    for i, (name, index) in enumerate((("maturity", 1), ("compliance", 2))):
        colour = PALETTE[i]
        xy = [
            None if p[index] is None else (x(yr), y(float(p[index])))  # type: ignore[arg-type]
            for yr, p in zip(years, points, strict=True)
        ]
        body.append(polyline(xy, colour, stroke_width="2", class_=f"line-{name}"))
        for (day, *_), at, p in zip(points, xy, points, strict=True):
            if at is not None:
                body.append(
                    f'<circle class="point-{name}" data-date="{day.isoformat()}" '
                    f'data-value="{float(p[index]):.1f}" cx="{num(at[0])}" cy="{num(at[1])}" '  # type: ignore[arg-type]
                    f'r="4" fill="{colour}"/>'
                )
        entries.append((colour, f"overall {name}"))
    body += legend(entries, 575.0, 60.0)
    return document(760, 300, title, body)
