"""An offline world map of counts by country: a choropleth SVG rendered on the server.

The geometry is Natural Earth's 1:110m countries as TopoJSON (npm ``world-atlas`` 2.0.2,
shipped in ``nucsec/data/geo``; see its PROVENANCE.md). No tile server, no script: the map
is plain SVG, equirectangular, cut at 60° S and 85° N. Each Natural Earth geometry carries
the ISO 3166-1 numeric code, joined to our alpha-2 codes through ``countries.csv``.

>>> svg = choropleth_svg({"JP": 3, "US": 1}, title="Incidents by country")
>>> svg.startswith("<svg") and 'data-country="JP"' in svg
True
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from html import escape
from importlib import resources
from typing import Any

__all__ = ["COLOURS", "choropleth_svg", "country_names_ja", "country_paths", "legend_bins"]

WIDTH = 960.0
LAT_TOP, LAT_BOTTOM = 85.0, -60.0
HEIGHT = WIDTH * (LAT_TOP - LAT_BOTTOM) / 360.0
#: no incident, then five classes of increasing counts (colour-blind-safe blues)
COLOURS = ("#eceff1", "#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c")
_DATA = "nucsec.data.geo"


@dataclass(frozen=True)
class _Topo:
    arcs: list[list[tuple[float, float]]]
    geometries: list[dict[str, Any]]


@lru_cache(maxsize=1)
def _topology() -> _Topo:
    text = resources.files(_DATA).joinpath("countries-110m.json").read_text("utf-8")
    topo = json.loads(text)
    (sx, sy), (tx, ty) = topo["transform"]["scale"], topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return _Topo(arcs, topo["objects"]["countries"]["geometries"])


@lru_cache(maxsize=1)
def _codes() -> dict[str, tuple[str, str]]:
    """ISO numeric -> (alpha-2, Japanese name)."""
    text = resources.files(_DATA).joinpath("countries.csv").read_text("utf-8")
    return {
        row["numeric"]: (row["alpha2"], row["name_ja"])
        for row in csv.DictReader(text.splitlines())
        if row["numeric"]
    }


@lru_cache(maxsize=1)
def country_names_ja() -> dict[str, str]:
    """Alpha-2 -> Japanese name (CLDR)."""
    return {alpha2: ja for alpha2, ja in _codes().values()}


def _ring(indices: list[int], arcs: list[list[tuple[float, float]]]) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for i in indices:
        arc = arcs[i] if i >= 0 else arcs[~i][::-1]
        out.extend(arc if not out else arc[1:])
    return out


def _unwrap(ring: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Make longitudes continuous across the antimeridian (a ring may leave [-180, 180])."""
    out, shift, prev = [], 0.0, None
    for lon, lat in ring:
        if prev is not None and abs(lon + shift - prev) > 180:
            shift += -360.0 if lon + shift > prev else 360.0
        prev = lon + shift
        out.append((prev, lat))
    return out


def _path(ring: list[tuple[float, float]], offset: float) -> str:
    def xy(lon: float, lat: float) -> str:
        x = (lon + offset + 180.0) / 360.0 * WIDTH
        y = (LAT_TOP - lat) / (LAT_TOP - LAT_BOTTOM) * HEIGHT
        return f"{x:.1f},{y:.1f}"

    return "M" + "L".join(xy(lon, lat) for lon, lat in ring) + "Z"


def _polygons(geometry: dict[str, Any]) -> list[list[list[int]]]:
    if geometry.get("type") == "Polygon":
        return [geometry["arcs"]]
    if geometry.get("type") == "MultiPolygon":
        return list(geometry["arcs"])
    return []


@lru_cache(maxsize=1)
def country_paths() -> tuple[tuple[str, str, str], ...]:
    """``(alpha-2 or "", Natural Earth name, SVG path data)`` of every country shape."""
    topo, codes = _topology(), _codes()
    out = []
    for geometry in topo.geometries:
        alpha2 = codes.get(str(geometry.get("id", "")), ("", ""))[0]
        parts = []
        for polygon in _polygons(geometry):
            for indices in polygon:
                ring = _unwrap(_ring(indices, topo.arcs))
                lons = [p[0] for p in ring]
                parts.append(_path(ring, 0.0))
                if max(lons) > 180.0:
                    parts.append(_path(ring, -360.0))
                if min(lons) < -180.0:
                    parts.append(_path(ring, 360.0))
        out.append((alpha2, str(geometry.get("properties", {}).get("name", "")), "".join(parts)))
    return tuple(out)


def legend_bins(top: int) -> list[tuple[int, int]]:
    """Five count classes ``(low, high)`` (inclusive) up to ``top``: 1, 2-3, 4-7, ... or
    linear steps when the counts are small."""
    if top <= 0:
        return []
    if top <= 5:
        return [(n, n) for n in range(1, top + 1)]
    edges = [math.ceil(top ** (k / 5)) for k in range(6)]
    bins, low = [], 1
    for high in edges[1:]:
        if high >= low:
            bins.append((low, high))
            low = high + 1
    return bins


def _colour(count: int, bins: list[tuple[int, int]]) -> str:
    if count <= 0:
        return COLOURS[0]
    for i, (low, high) in enumerate(bins):
        if low <= count <= high:
            return COLOURS[min(i + 1 + (5 - len(bins)), 5)]
    return COLOURS[5]


def choropleth_svg(
    counts: Mapping[str, int],
    *,
    title: str,
    names: Mapping[str, str] | None = None,
    link: Callable[[str], str | None] | None = None,
) -> str:
    """An SVG world map: each country filled by its count (``counts``: alpha-2 -> n).

    Countries without a count are drawn in the lightest colour; each shape has a
    ``<title>`` (name and count) for pointer users; the page gives the same numbers as a
    table for everyone else. With ``link``, a country with a count links to
    ``link(alpha2)`` (the incident list filtered on it).
    """
    names = names or {}
    bins = legend_bins(max(counts.values(), default=0))
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH:.0f} {HEIGHT + 40:.0f}" '
        f'role="{"group" if link else "img"}" aria-labelledby="map-title" class="worldmap" '
        'font-family="sans-serif">',
        f'<title id="map-title">{escape(title)}</title>',
        f'<clipPath id="map-clip"><rect width="{WIDTH:.0f}" height="{HEIGHT:.1f}"/></clipPath>',
        f'<rect width="{WIDTH:.0f}" height="{HEIGHT:.1f}" fill="#f8fbff" stroke="#c8d0d8"/>',
        '<g clip-path="url(#map-clip)" stroke="#ffffff" stroke-width="0.5">',
    ]
    for alpha2, ne_name, d in country_paths():
        n = counts.get(alpha2, 0) if alpha2 else 0
        name = names.get(alpha2, ne_name)
        label = f"{name}: {n} incident{'s' if n != 1 else ''}" if alpha2 else ne_name
        shape = (
            f'<path d="{d}" fill="{_colour(n, bins)}" data-country="{alpha2}" '
            f'data-count="{n}"><title>{escape(label)}</title></path>'
        )
        url = link(alpha2) if link and alpha2 and n else None
        out.append(
            f'<a href="{escape(url)}" aria-label="{escape(label)}">{shape}</a>' if url else shape
        )
    out.append("</g>")
    out += _legend(bins)
    out.append("</svg>")
    return "".join(out)


def _legend(bins: list[tuple[int, int]]) -> list[str]:
    y = HEIGHT + 12
    items = [("0", COLOURS[0])] + [
        (f"{lo}" if lo == hi else f"{lo}–{hi}", _colour(lo, bins)) for lo, hi in bins
    ]
    out = []
    for i, (text, colour) in enumerate(items):
        x = 10 + i * 90
        out.append(
            f'<rect x="{x}" y="{y:.0f}" width="18" height="14" fill="{colour}" stroke="#888"/>'
            f'<text x="{x + 24}" y="{y + 11:.0f}" font-size="12">{escape(text)}</text>'
        )
    return out
