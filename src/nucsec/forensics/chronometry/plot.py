"""Ingrowth curve (ratio vs time) as JSON-able points and as a hand-written SVG.

The SVG shows the model curve, the measured ratio with its k=2 band, the age interval
(k=2) and the measured point. No plotting library is needed.
"""

from __future__ import annotations

import html
import math
from typing import Any

import numpy as np

from nucsec.forensics.chronometry.chronometers import Chronometer, get_chronometer
from nucsec.forensics.chronometry.errors import ChronometryError
from nucsec.forensics.chronometry.halflives import HalfLifeSet, load_half_life_set
from nucsec.forensics.chronometry.measurement import RatioModel
from nucsec.forensics.chronometry.model_age import AgeResult, json_safe

__all__ = ["ingrowth_curve", "ingrowth_svg"]

_W, _H = 640, 400
_LEFT, _RIGHT, _TOP, _BOTTOM = 80, 20, 40, 50


def ingrowth_curve(
    chronometer: str | Chronometer | None = None,
    *,
    result: AgeResult | None = None,
    half_lives: HalfLifeSet | str | None = None,
    kind: str = "atom",
    t_max_years: float | None = None,
    n_points: int = 200,
) -> dict[str, Any]:
    """Ratio vs time from 0 to ``t_max_years`` (default: around the measured age).

    Give either a chronometer (with ``half_lives`` and ``kind``) or an :class:`AgeResult`,
    whose chronometer, data set and kind are then used and whose point is included.
    """
    if result is not None:
        chrono, hl, kind = result.chronometer, result.half_life_set, result.ratio_kind
    elif chronometer is not None:
        chrono = get_chronometer(chronometer)
        hl = (
            half_lives
            if isinstance(half_lives, HalfLifeSet)
            else load_half_life_set(half_lives or "nubase2020")
        )
    else:
        raise ChronometryError("give a chronometer or a result", field="chronometer")
    if not isinstance(n_points, int) or not 2 <= n_points <= 10_000:
        raise ChronometryError(
            "n_points must be an integer from 2 to 10000", field="n_points", value=n_points
        )
    model = RatioModel(chrono, hl, kind)
    t_max = _t_max(model, result) if t_max_years is None else float(t_max_years)
    if not (math.isfinite(t_max) and t_max > 0):
        raise ChronometryError(
            "t_max_years must be positive", field="t_max_years", value=t_max_years
        )
    t = np.linspace(0.0, t_max, n_points)
    out: dict[str, Any] = {
        "chronometer": chrono.name,
        "ratio_kind": kind,
        "half_life_set": hl.name,
        "t_years": t.tolist(),
        "ratio": model.ratio(t).tolist(),
        "equilibrium_ratio": model.equilibrium_ratio()
        if math.isfinite(model.equilibrium_ratio())
        else None,
    }
    if result is not None:
        out["measured"] = {
            "age_years": result.age_years,
            "u_age_years": result.u_age_years,
            "interval_years_k2": list(result.interval_k2_years),
            "ratio": result.ratio,
            "u_ratio": result.u_ratio,
            "ratio_band_k2": [result.ratio - 2 * result.u_ratio, result.ratio + 2 * result.u_ratio],
        }
    return dict(json_safe(out))


def _t_max(model: RatioModel, result: AgeResult | None) -> float:
    if result is not None and math.isfinite(result.age_years):
        hi = result.interval_k2_years[1]
        span = hi if math.isfinite(hi) else 2 * result.age_years
        return max(1.5 * span, 1.2 * result.age_years, 1e-3)
    # otherwise: three half-lives of the fastest-decaying member (reach near equilibrium)
    return 3.0 * min(model.half_lives_y)


def ingrowth_svg(curve: dict[str, Any], *, title: str | None = None) -> str:
    """Render :func:`ingrowth_curve` output as a standalone SVG document."""
    t = np.asarray(curve["t_years"], dtype=float)
    r = np.asarray(curve["ratio"], dtype=float)
    measured = curve.get("measured")
    y_hi = float(np.nanmax(r)) if np.any(np.isfinite(r)) else 0.0
    if measured:
        band_hi = measured["ratio_band_k2"][1]
        cap = 2.0 * max(y_hi, measured["ratio"])  # keep a huge band from flattening the curve
        y_hi = max(y_hi, min(band_hi if band_hi is not None else cap, cap))
    y_hi = y_hi * 1.05 if math.isfinite(y_hi) and y_hi > 0 else 1.0
    x_hi = float(t[-1])
    if not (math.isfinite(x_hi) and x_hi > 0):
        raise ChronometryError("the curve must end at a positive time", field="t_years")

    def px(x: float) -> float:
        return _LEFT + (x / x_hi) * (_W - _LEFT - _RIGHT)

    def py(y: float) -> float:
        return _H - _BOTTOM - (y / y_hi) * (_H - _TOP - _BOTTOM)

    kind = curve["ratio_kind"]
    heading = title or f"{curve['chronometer']} ingrowth ({curve['half_life_set']})"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{_H}" '
        f'viewBox="0 0 {_W} {_H}" font-family="sans-serif" font-size="12">',
        f"<title>{html.escape(heading)}</title>",
        f'<rect x="0" y="0" width="{_W}" height="{_H}" fill="white"/>',
        f'<text x="{_W / 2}" y="20" text-anchor="middle" font-size="14">{html.escape(heading)}'
        "</text>",
    ]
    if measured:
        parts += _measured_marks(measured, px, py, x_hi, y_hi)
    points = " ".join(
        f"{px(x):.2f},{py(y):.2f}"
        for x, y in zip(t, r, strict=True)
        if math.isfinite(y) and y <= y_hi
    )
    parts.append(f'<polyline fill="none" stroke="#1f4e9c" stroke-width="2" points="{points}"/>')
    parts += _axes(px, py, x_hi, y_hi, f"{kind} ratio {curve['chronometer']}")
    parts.append("</svg>")
    return "\n".join(parts)


def _measured_marks(m: dict[str, Any], px: Any, py: Any, x_hi: float, y_hi: float) -> list[str]:
    lo_r, hi_r = (y_hi if v is None else min(max(v, 0.0), y_hi) for v in m["ratio_band_k2"])
    lo_t, hi_t = (x_hi if v is None else min(max(v, 0.0), x_hi) for v in m["interval_years_k2"])
    x0, y0 = px(min(m["age_years"], x_hi)), py(min(m["ratio"], y_hi))
    return [
        f'<rect x="{px(0):.2f}" y="{py(hi_r):.2f}" width="{px(x_hi) - px(0):.2f}" '
        f'height="{py(lo_r) - py(hi_r):.2f}" fill="#e8a33d" fill-opacity="0.25">'
        "<title>measured ratio ± 2u (k=2)</title></rect>",
        f'<rect x="{px(lo_t):.2f}" y="{py(y_hi):.2f}" width="{px(hi_t) - px(lo_t):.2f}" '
        f'height="{py(0) - py(y_hi):.2f}" fill="#3d9ee8" fill-opacity="0.15">'
        "<title>model age interval (k=2)</title></rect>",
        f'<circle cx="{x0:.2f}" cy="{y0:.2f}" r="4" fill="#c0392b">'
        f"<title>measured: {m['ratio']:.6g} ± {m['u_ratio']:.2g} (k=1); age "
        f"{m['age_years']:.6g} ± {_g(m['u_age_years'])} y (k=1)</title></circle>",
    ]


def _g(x: float | None) -> str:
    return "inf" if x is None else f"{x:.2g}"


def _ticks(hi: float) -> list[float]:
    step = 10 ** math.floor(math.log10(hi / 5)) if hi > 0 else 1.0
    for mult in (1, 2, 5, 10):
        if hi / (step * mult) <= 6:
            step *= mult
            break
    return [i * step for i in range(int(hi / step) + 1)]


def _axes(px: Any, py: Any, x_hi: float, y_hi: float, y_label: str) -> list[str]:
    x0, y0 = px(0), py(0)
    out = [
        f'<line x1="{x0}" y1="{y0}" x2="{px(x_hi)}" y2="{y0}" stroke="black"/>',
        f'<line x1="{x0}" y1="{y0}" x2="{x0}" y2="{py(y_hi)}" stroke="black"/>',
    ]
    for x in _ticks(x_hi):
        out.append(
            f'<line x1="{px(x):.2f}" y1="{y0}" x2="{px(x):.2f}" y2="{y0 + 5}" stroke="black"/>'
        )
        out.append(f'<text x="{px(x):.2f}" y="{y0 + 18}" text-anchor="middle">{x:g}</text>')
    for y in _ticks(y_hi):
        out.append(
            f'<line x1="{x0 - 5}" y1="{py(y):.2f}" x2="{x0}" y2="{py(y):.2f}" stroke="black"/>'
        )
        out.append(f'<text x="{x0 - 8}" y="{py(y) + 4:.2f}" text-anchor="end">{y:.3g}</text>')
    out.append(
        f'<text x="{(x0 + px(x_hi)) / 2}" y="{_H - 12}" text-anchor="middle">'
        "time since purification (years)</text>"
    )
    out.append(
        f'<text x="16" y="{(y0 + py(y_hi)) / 2}" text-anchor="middle" '
        f'transform="rotate(-90 16 {(y0 + py(y_hi)) / 2})">{html.escape(y_label)}</text>'
    )
    return out
