"""Trend charts as server-rendered SVG (no script, no library): stacked bars by year and
ITDB group, horizontal bars for one dimension. Labels carry English and Japanese names.

Only presentation attributes are used (the CSP forbids inline styles), every chart has a
``<title>`` and ``role="img"``, and the pages print the same numbers as tables.

>>> svg = bar_chart_svg("By type", [("theft", "theft", "盗取", 2), ("loss", "loss", "紛失", 1)])
>>> svg.count("<rect") >= 2 and "盗取" in svg
True
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from html import escape

__all__ = ["GROUP_COLOURS", "Bar", "bar_chart_svg", "linked", "stacked_years_svg"]

#: ITDB groups I, II, III (colour-blind-safe: vermilion, orange, blue)
GROUP_COLOURS = ("#d55e00", "#e69f00", "#0072b2")
BAR_COLOUR = "#0b4f8a"
#: one bar: code, English name, Japanese name, count
Bar = tuple[str, str, str, int]


def linked(shape: str, url: str | None, name: str) -> str:
    """``shape`` wrapped in a link to ``url`` named ``name`` (drill down to the filtered
    list), or ``shape`` itself without a URL.

    >>> linked("<rect/>", "/incidents?type=theft", "theft: 2")
    '<a href="/incidents?type=theft" aria-label="theft: 2"><rect/></a>'
    """
    if not url:
        return shape
    return f'<a href="{escape(url)}" aria-label="{escape(name)}">{shape}</a>'


def _role(link: object) -> str:
    """``img`` for a picture; ``group`` for a chart of links (an image's children are
    presentational: a link inside one would be hidden from assistive technology)."""
    return "group" if link else "img"


def _nice_step(top: int) -> int:
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000):
        if top / step <= 6:
            return step
    return max(1, top // 5)


def bar_chart_svg(
    title: str,
    bars: Sequence[Bar],
    *,
    width: int = 720,
    link: Callable[[str], str | None] | None = None,
) -> str:
    """Horizontal bars, one per value, labelled ``English / 日本語`` with the count; each
    bar links to ``link(code)`` when given (the list filtered on that value)."""
    row, left, top = 34, 300, 30
    height = top + row * max(len(bars), 1) + 30
    peak = max((b[3] for b in bars), default=0)
    scale = (width - left - 60) / peak if peak else 0.0
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="{_role(link)}" aria-label="{escape(title)}" class="chart" '
        'font-family="sans-serif" font-size="12">',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="16" font-size="14" font-weight="bold">{escape(title)}</text>',
    ]
    for i, (code, en, ja, n) in enumerate(bars):
        y = top + i * row
        w = n * scale
        out.append(
            f'<text x="{left - 8}" y="{y + 12}" text-anchor="end">{escape(_short(en))}</text>'
            f'<text x="{left - 8}" y="{y + 26}" text-anchor="end" fill="#57606a" lang="ja">'
            f"{escape(_short(ja, 22))}</text>"
            + linked(
                f'<rect x="{left}" y="{y + 4}" width="{w:.1f}" height="22" '
                f'fill="{BAR_COLOUR}" data-code="{escape(code)}" data-count="{n}">'
                f"<title>{escape(en)}: {n}</title></rect>",
                link(code) if link else None,
                f"{en}: {n}",
            )
            + f'<text x="{left + w + 6:.1f}" y="{y + 20}">{n}</text>'
        )
    out.append(
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{height - 30}" stroke="#57606a"/></svg>'
    )
    return "".join(out)


def _short(text: str, limit: int = 44) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def stacked_years_svg(
    title: str,
    by_year_and_group: Mapping[str, Mapping[str, int]],
    groups: Sequence[tuple[str, str, str]],
    *,
    width: int = 720,
    link: Callable[[str, str], str | None] | None = None,
) -> str:
    """Vertical bars per year, stacked by ITDB group (``groups``: code, English, Japanese);
    each part links to ``link(year, group)`` when given."""
    years = sorted(by_year_and_group)
    left, right, top, bottom = 50, 10, 30, 40
    legend = 34 * len(groups) + 10
    height = 300 + legend
    plot_h = height - top - bottom - legend
    totals = [sum(by_year_and_group[y].values()) for y in years]
    peak = max(totals, default=0)
    step = _nice_step(peak)
    y_max = max(step, -(-peak // step) * step)
    slot = (width - left - right) / max(len(years), 1)
    bar_w = max(2.0, min(40.0, slot * 0.7))

    def py(v: float) -> float:
        return top + plot_h - v / y_max * plot_h

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="{_role(link)}" aria-label="{escape(title)}" class="chart" '
        'font-family="sans-serif" font-size="12">',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="16" font-size="14" font-weight="bold">{escape(title)}</text>',
    ]
    for v in range(0, y_max + 1, step):
        out.append(
            f'<line x1="{left}" x2="{width - right}" y1="{py(v):.1f}" y2="{py(v):.1f}" '
            f'stroke="#d0d7de"/><text x="{left - 6}" y="{py(v) + 4:.1f}" text-anchor="end">'
            f"{v}</text>"
        )
    label_every = max(1, -(-len(years) // 15))
    for i, year in enumerate(years):
        x = left + i * slot + (slot - bar_w) / 2
        base = 0
        for (code, en, _), colour in zip(groups, GROUP_COLOURS, strict=False):
            n = int(by_year_and_group[year].get(code, 0))
            if n:
                rect = (
                    f'<rect x="{x:.1f}" y="{py(base + n):.1f}" width="{bar_w:.1f}" '
                    f'height="{py(base) - py(base + n):.1f}" fill="{colour}" data-year="{year}" '
                    f'data-group="{code}" data-count="{n}"><title>{year} {escape(en)}: {n}'
                    "</title></rect>"
                )
                url = link(year, code) if link else None
                out.append(linked(rect, url, f"{year} {en}: {n}"))
            base += n
        if i % label_every == 0:
            out.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h + 16}" '
                f'text-anchor="middle">{year}</text>'
            )
    y0 = height - legend
    for j, ((_, en, ja), colour) in enumerate(zip(groups, GROUP_COLOURS, strict=False)):
        y = y0 + j * 34
        out.append(
            f'<rect x="{left}" y="{y}" width="14" height="14" fill="{colour}"/>'
            f'<text x="{left + 20}" y="{y + 12}">{escape(_short(en, 80))}</text>'
            f'<text x="{left + 20}" y="{y + 27}" fill="#57606a" lang="ja">{escape(ja)}</text>'
        )
    out.append("</svg>")
    return "".join(out)
