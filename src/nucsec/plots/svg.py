"""The drawing primitives every plot shares: axes (linear or log), ticks, the SVG document
and its title, polylines with gaps, a legend.

Every plot of :mod:`nucsec.plots` is a pure function from numbers to an SVG string built
from these pieces, so the web pages, the CLI and the reports draw with one code path.
Only presentation attributes are used (a strict CSP forbids inline styles), every
document has a ``<title>`` and ``role="img"``, and text is escaped. Ticks carry their value
in ``data-value`` so tests (and a person reading the SVG) can map pixels back to data.

>>> ax = Axis(0.0, 10.0, 100.0, 300.0)
>>> ax(5.0), ax.ticks()[:3]
(200.0, [0.0, 2.0, 4.0])
>>> Axis(1.0, 1000.0, 300.0, 0.0, log=True).ticks()
[1.0, 10.0, 100.0, 1000.0]
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape

from nucsec.plots.errors import PlotError

__all__ = [
    "PALETTE",
    "Axis",
    "axes",
    "check_finite",
    "document",
    "legend",
    "num",
    "polyline",
]

#: Okabe-Ito colours (colour-blind safe): blue, vermilion, bluish green, orange, purple,
#: sky blue, yellow, black
PALETTE = ("#0072b2", "#d55e00", "#009e73", "#e69f00", "#cc79a7", "#56b4e9", "#f0e442", "#000000")
INK = "#24292f"
GRID = "#d0d7de"


def num(value: float) -> str:
    """A coordinate as short text (two decimals, no trailing zeros)."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def check_finite(value: float, field: str) -> float:
    """``value`` as a float, or :class:`PlotError` naming ``field`` if it is not finite."""
    try:
        out = float(value)
    except (TypeError, ValueError) as exc:
        raise PlotError(f"{field} must be a number", field=field, value=value) from exc
    if not math.isfinite(out):
        raise PlotError(f"{field} must be finite, got {out}", field=field, value=out)
    return out


@dataclass(frozen=True)
class Axis:
    """Maps data values in ``[lo, hi]`` onto pixels ``[pixel_lo, pixel_hi]`` (a y axis runs
    from the bottom pixel to the top one); ``log`` maps ``log10`` of the value."""

    lo: float
    hi: float
    pixel_lo: float
    pixel_hi: float
    log: bool = False

    def __post_init__(self) -> None:
        if not (math.isfinite(self.lo) and math.isfinite(self.hi) and self.hi > self.lo):
            raise PlotError(f"empty axis range [{self.lo}, {self.hi}]", field="axis")
        if self.log and self.lo <= 0:
            raise PlotError("a log axis needs positive values", field="axis", value=self.lo)

    def _t(self, value: float) -> float:
        return math.log10(value) if self.log else value

    @property
    def scale(self) -> float:
        """Pixels per data unit (per decade on a log axis); negative for a y axis."""
        return (self.pixel_hi - self.pixel_lo) / (self._t(self.hi) - self._t(self.lo))

    def __call__(self, value: float) -> float:
        return self.pixel_lo + (self._t(value) - self._t(self.lo)) * self.scale

    def ticks(self, target: int = 6) -> list[float]:
        """Round values inside the range: 1-2-5 steps, or decades on a log axis."""
        if self.log:
            first, last = math.ceil(math.log10(self.lo) - 1e-9), math.floor(math.log10(self.hi))
            return [10.0**e for e in range(first, last + 1)]
        raw = (self.hi - self.lo) / target
        step = 10.0 ** math.floor(math.log10(raw))
        for mult in (1, 2, 5, 10):
            if raw <= step * mult:
                step *= mult
                break
        first_i = math.ceil(self.lo / step - 1e-9)
        last_i = math.floor(self.hi / step + 1e-9)
        return [round(i * step, 12) for i in range(first_i, last_i + 1)]

    @classmethod
    def around(
        cls,
        values: Iterable[float],
        pixel_lo: float,
        pixel_hi: float,
        *,
        pad: float = 0.05,
        log: bool = False,
    ) -> Axis:
        """An axis covering ``values`` with a margin of ``pad`` of the span on each side
        (a factor on a log axis); a single value gets a range around it."""
        vals = [v for v in values if math.isfinite(v) and (v > 0 or not log)]
        if not vals:
            raise PlotError("nothing to plot", field="values")
        lo, hi = min(vals), max(vals)
        if log:
            span = max(math.log10(hi / lo), 1.0)
            return cls(lo / 10 ** (pad * span), hi * 10 ** (pad * span), pixel_lo, pixel_hi, True)
        span = hi - lo if hi > lo else max(abs(hi) * 0.1, 1.0)
        return cls(lo - pad * span, hi + pad * span, pixel_lo, pixel_hi)


def tick_text(value: float) -> str:
    """A tick label: plain for magnitudes from 0.001 to 99,999, else ``1e-05`` style."""
    if value == 0 or 1e-3 <= abs(value) < 1e5:
        return f"{value:g}"
    return f"{value:.2g}"


def document(width: int, height: int, title: str, body: Iterable[str]) -> str:
    """A standalone SVG document with ``<title>``, ``role="img"`` and a white background."""
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
        f'font-family="sans-serif" font-size="12">'
        f"<title>{escape(title)}</title>"
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="white"/>'
        f'<text x="{width / 2:g}" y="18" text-anchor="middle" font-size="14">{escape(title)}</text>'
    )
    return head + "".join(body) + "</svg>"


def axes(
    x: Axis, y: Axis, x_label: str, y_label: str, *, x_ticks: bool = True, y_ticks: bool = True
) -> list[str]:
    """Frame, ticks with ``data-value``, light grid lines and axis titles."""
    left, right = min(x.pixel_lo, x.pixel_hi), max(x.pixel_lo, x.pixel_hi)
    top, bottom = min(y.pixel_lo, y.pixel_hi), max(y.pixel_lo, y.pixel_hi)
    out = [
        f'<rect x="{num(left)}" y="{num(top)}" width="{num(right - left)}" '
        f'height="{num(bottom - top)}" fill="none" stroke="{INK}"/>'
    ]
    for v in x.ticks() if x_ticks else []:
        px = num(x(v))
        out.append(
            f'<line class="tick-x" data-value="{v!r}" x1="{px}" y1="{num(bottom)}" x2="{px}" '
            f'y2="{num(bottom + 5)}" stroke="{INK}"/>'
            f'<text x="{px}" y="{num(bottom + 18)}" text-anchor="middle">{tick_text(v)}</text>'
        )
    for v in y.ticks() if y_ticks else []:
        py = num(y(v))
        out.append(
            f'<line x1="{num(left)}" y1="{py}" x2="{num(right)}" y2="{py}" stroke="{GRID}" '
            'stroke-width="0.5"/>'
            f'<line class="tick-y" data-value="{v!r}" x1="{num(left - 5)}" y1="{py}" '
            f'x2="{num(left)}" y2="{py}" stroke="{INK}"/>'
            f'<text x="{num(left - 8)}" y="{num(y(v) + 4)}" text-anchor="end">{tick_text(v)}</text>'
        )
    mid_y = num((top + bottom) / 2)
    out.append(
        f'<text x="{num((left + right) / 2)}" y="{num(bottom + 36)}" text-anchor="middle">'
        f"{escape(x_label)}</text>"
        f'<text x="16" y="{mid_y}" text-anchor="middle" transform="rotate(-90 16 {mid_y})">'
        f"{escape(y_label)}</text>"
    )
    return out


def polyline(points: Sequence[tuple[float, float] | None], colour: str, **attrs: str) -> str:
    """Polylines through ``points``; ``None`` breaks the line (a gap, e.g. a missing value).
    Keyword attributes: ``stroke_width="2"`` -> ``stroke-width``, ``class_`` -> ``class``."""
    extra = "".join(f' {k.rstrip("_").replace("_", "-")}="{escape(v)}"' for k, v in attrs.items())
    runs: list[list[str]] = [[]]
    for p in points:
        if p is None:
            runs.append([])
        else:
            runs[-1].append(f"{num(p[0])},{num(p[1])}")
    return "".join(
        f'<polyline fill="none" stroke="{colour}"{extra} points="{" ".join(run)}"/>'
        for run in runs
        if len(run) > 1
    )


def legend(entries: Sequence[tuple[str, str]], x: float, y: float, *, row: float = 16) -> list[str]:
    """A legend of ``(colour, text)`` rows starting at ``(x, y)``."""
    out = []
    for i, (colour, text) in enumerate(entries):
        yy = y + i * row
        out.append(
            f'<g class="legend-entry"><rect x="{num(x)}" y="{num(yy - 9)}" width="14" '
            f'height="10" fill="{colour}"/><text x="{num(x + 20)}" y="{num(yy)}">'
            f"{escape(text)}</text></g>"
        )
    return out
