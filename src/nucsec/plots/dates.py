"""A model age against the production dates of candidate materials, as SVG.

Radiochronometry dates the last purification of a material; its model age, counted back
from the measurement (reference) date, is a calendar date with an uncertainty. A candidate
source (a library entry, a facility campaign) was produced over a range of dates. The plot
shows the model date with its k=1 and k=2 intervals as vertical bands across one row per
candidate, each candidate's production range as a bar, and marks which candidates the k=2
interval reaches (``data-consistent``: ``k1``, ``k2`` or ``no``).

>>> svg = model_date_svg(2024.5, 12.0, 0.4, [("Plant A 2010-2014", 2010.0, 2014.0)])
>>> 'data-consistent="k1"' in svg
True
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from nucsec.plots.errors import PlotError
from nucsec.plots.svg import INK, Axis, axes, check_finite, document, num

__all__ = ["Candidate", "consistency", "model_date_svg"]

#: one candidate: name, first and last production date (decimal years, e.g. 2012.5)
Candidate = tuple[str, float, float]

K1_FILL, K2_FILL, DATE_COLOUR = "#0072b2", "#56b4e9", "#d55e00"
HIT_FILL, MISS_FILL = "#009e73", "#8c959f"


def consistency(start: float, end: float, k1: tuple[float, float], k2: tuple[float, float]) -> str:
    """``k1`` if the production range meets the k=1 interval, ``k2`` if only the k=2 one,
    else ``no``."""
    if start <= k1[1] and end >= k1[0]:
        return "k1"
    if start <= k2[1] and end >= k2[0]:
        return "k2"
    return "no"


def model_date_svg(
    reference_year: float,
    age_years: float,
    u_age_years: float,
    candidates: Sequence[Candidate],
    *,
    interval_k2_years: tuple[float, float] | None = None,
    title: str = "model date against candidate production dates",
    width: int = 720,
) -> str:
    """Model date (``reference_year - age_years``) with k=1 and k=2 bands against
    candidate production ranges.

    Parameters
    ----------
    reference_year
        Decimal year the age is counted back from (the measurement or reference date).
    age_years, u_age_years
        Model age and its standard uncertainty (k=1), in years.
    candidates
        ``(name, first_year, last_year)`` production ranges.
    interval_k2_years
        The age interval at k=2 when it is not ``age ± 2u`` (e.g. an asymmetric Monte
        Carlo interval), in years of age.
    """
    ref = check_finite(reference_year, "reference_year")
    age = check_finite(age_years, "age_years")
    u = check_finite(u_age_years, "u_age_years")
    if u < 0:
        raise PlotError("u_age_years must not be negative", field="u_age_years", value=u)
    lo_age, hi_age = interval_k2_years if interval_k2_years else (age - 2 * u, age + 2 * u)
    lo_age, hi_age = (
        check_finite(lo_age, "interval_k2_years"),
        check_finite(hi_age, "interval_k2_years"),
    )
    if not lo_age <= age <= hi_age:
        raise PlotError("the k=2 interval must contain the age", field="interval_k2_years")
    date = ref - age
    k1 = (date - u, date + u)
    k2 = (ref - hi_age, ref - lo_age)
    rows: list[Candidate] = []
    for i, (name, start, end) in enumerate(candidates):
        s, e = check_finite(start, f"candidates[{i}]"), check_finite(end, f"candidates[{i}]")
        if e < s:
            raise PlotError("a production range ends before it starts", field=f"candidates[{i}]")
        rows.append((str(name), s, e))
    left, right, top, row_h = 200, 20, 44, 26
    plot_bottom = top + row_h * max(len(rows), 1) + 10
    height = plot_bottom + 50
    x = Axis.around([k2[0], k2[1], *(v for r in rows for v in r[1:])], left, width - right)
    y = Axis(0.0, 1.0, plot_bottom, top)
    body = [
        _band(x, k2, top, plot_bottom, K2_FILL, "k2", "model date interval (k=2)"),
        _band(x, k1, top, plot_bottom, K1_FILL, "k1", "model date ± u (k=1)"),
    ]
    body += axes(x, y, "production / purification date (year)", "", y_ticks=False)
    for i, (name, s, e) in enumerate(rows):
        yy = top + 6 + i * row_h
        verdict = consistency(s, e, k1, k2)
        fill = HIT_FILL if verdict != "no" else MISS_FILL
        bar_w = max(x(e) - x(s), 2.0)
        body.append(
            f'<g class="candidate" data-consistent="{verdict}" data-start="{s!r}" '
            f'data-end="{e!r}"><text x="{left - 8}" y="{num(yy + 13)}" text-anchor="end">'
            f'{escape(name)}</text><rect x="{num(x(s))}" y="{num(yy + 2)}" '
            f'width="{num(bar_w)}" height="{row_h - 10}" fill="{fill}"><title>'
            f"{escape(name)}: {s:g} to {e:g}</title></rect></g>"
        )
    px = num(x(date))
    body.append(
        f'<line class="model-date" data-value="{date!r}" x1="{px}" y1="{top}" x2="{px}" '
        f'y2="{plot_bottom}" stroke="{DATE_COLOUR}" stroke-width="2"/>'
        f'<text x="{left}" y="{top - 6}" fill="{INK}">model date {date:.1f} '
        f"(age {age:.3g} ± {u:.2g} y, k=1; band k=2)</text>"
    )
    return document(width, height, title, body)


def _band(
    x: Axis, span: tuple[float, float], top: float, bottom: float, fill: str, cls: str, tip: str
) -> str:
    lo, hi = max(span[0], x.lo), min(span[1], x.hi)
    return (
        f'<rect class="band-{cls}" data-lo="{span[0]!r}" data-hi="{span[1]!r}" x="{num(x(lo))}" '
        f'y="{num(top)}" width="{num(max(x(hi) - x(lo), 1.0))}" height="{num(bottom - top)}" '
        f'fill="{fill}" fill-opacity="0.3"><title>{escape(tip)}</title></rect>'
    )
