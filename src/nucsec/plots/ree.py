"""A rare-earth (REE) pattern: chondrite-normalised abundances on a log axis, a sample
against candidate materials, as SVG.

Values are already normalised (mass fraction divided by the CI chondrite value of the
same element; the reference set is named on the axis), as
:mod:`nucsec.forensics.library` computes them. The x axis is the lanthanide series in
atomic order without Pm; an element a series lacks leaves a gap in its line. The sample's
standard uncertainties (k=1), when given, are drawn as k=2 error bars.

>>> svg = ree_pattern_svg({"La": 100.0, "Ce": 80.0, "Lu": 5.0}, {"CRM A": {"La": 90.0}})
>>> svg.count('class="series"')
2
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

from nucsec.plots.errors import PlotError
from nucsec.plots.svg import PALETTE, Axis, axes, check_finite, document, legend, num, polyline

__all__ = ["REE_ORDER", "ree_pattern_svg"]

#: lanthanides in atomic order, without promethium (no stable isotope)
REE_ORDER = ("La", "Ce", "Pr", "Nd", "Sm", "Eu", "Gd", "Tb", "Dy", "Ho", "Er", "Tm", "Yb", "Lu")
SAMPLE_COLOUR = "#000000"


def _series(name: str, values: Mapping[str, float]) -> dict[str, float]:
    out = {}
    for element, value in values.items():
        if element not in REE_ORDER:
            raise PlotError(f"{element!r} is not a rare-earth element", field=name, value=element)
        v = check_finite(value, f"{name}.{element}")
        if v <= 0:
            raise PlotError(
                f"{name}: {element} must be positive on a log axis", field=name, value=v
            )
        out[element] = v
    return out


def ree_pattern_svg(
    sample: Mapping[str, float],
    candidates: Mapping[str, Mapping[str, float]] | None = None,
    *,
    sample_u: Mapping[str, float] | None = None,
    sample_name: str = "sample",
    reference_set: str = "CI chondrite",
    title: str = "REE pattern",
    width: int = 720,
    height: int = 420,
) -> str:
    """Chondrite-normalised REE pattern of ``sample`` (thick black line) and of each
    candidate (coloured lines), log y axis.

    Parameters
    ----------
    sample, candidates
        Element symbol (``"La"``) -> normalised abundance (dimensionless, > 0).
    sample_u
        Standard uncertainties (k=1) of the sample's normalised values; bars show ± 2u.
    reference_set
        Name of the chondrite normalising set, shown on the y axis.
    """
    rows = {sample_name: _series("sample", sample)}
    for cname, values in (candidates or {}).items():
        rows[str(cname)] = _series(str(cname), values)
    bars = {}
    for element, u in (sample_u or {}).items():
        uu = check_finite(u, f"sample_u.{element}")
        if element in rows[sample_name] and uu > 0:
            bars[element] = uu
    lows = [
        v - 2 * bars[el] for el, v in rows[sample_name].items() if el in bars and v > 2 * bars[el]
    ]
    highs = [v + 2 * u for el, u in bars.items() for v in [rows[sample_name][el]]]
    everything = [v for r in rows.values() for v in r.values()] + lows + highs
    left, right, top, bottom = 70, 170, 30, 50
    x = Axis(-0.5, len(REE_ORDER) - 0.5, left, width - right)
    y = Axis.around(everything, height - bottom, top, log=True)
    body = axes(x, y, "", f"abundance / {reference_set}", x_ticks=False)
    for i, element in enumerate(REE_ORDER):
        body.append(
            f'<text x="{num(x(i))}" y="{height - bottom + 18}" text-anchor="middle">'
            f"{element}</text>"
        )
    entries = []
    for n, (name, values) in enumerate(rows.items()):
        is_sample = n == 0
        colour = SAMPLE_COLOUR if is_sample else PALETTE[(n - 1) % (len(PALETTE) - 1)]
        points = [(x(i), y(values[el])) if el in values else None for i, el in enumerate(REE_ORDER)]
        marks = "".join(
            f'<circle cx="{num(p[0])}" cy="{num(p[1])}" r="{3 if is_sample else 2}" '
            f'fill="{colour}"/>'
            for p in points
            if p is not None
        )
        body.append(
            f'<g class="series" data-name="{escape(name)}" data-role='
            f'"{"sample" if is_sample else "candidate"}">'
            + polyline(points, colour, stroke_width="2.5" if is_sample else "1.2")
            + marks
            + "</g>"
        )
        entries.append((colour, name))
    for element, u in bars.items():
        i, v = REE_ORDER.index(element), rows[sample_name][element]
        lo = max(v - 2 * u, y.lo)
        body.append(
            f'<line class="error-bar" data-element="{element}" x1="{num(x(i))}" '
            f'y1="{num(y(lo))}" x2="{num(x(i))}" y2="{num(y(min(v + 2 * u, y.hi)))}" '
            f'stroke="{SAMPLE_COLOUR}"><title>{element}: {v:.3g} ± {2 * u:.2g} (k=2)</title></line>'
        )
    body += legend(entries, width - right + 12, top + 10)
    return document(width, height, title, body)
