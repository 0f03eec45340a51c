"""The shared SVG plots: parsed with xml.etree, elements and geometry checked."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from nucsec.plots import (
    REE_ORDER,
    Estimate2D,
    PlotError,
    ellipse_axes,
    model_date_svg,
    ratio_ellipses_svg,
    ree_pattern_svg,
    spectrum_svg,
)
from nucsec.reports import safe_svg

NS = {"s": "http://www.w3.org/2000/svg"}


def _parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("role") == "img" and root.find("s:title", NS) is not None
    assert "style=" not in svg and "<script" not in svg
    safe_svg(svg)  # every plot is inside the subset a report figure accepts
    return root


def _scale(root: ET.Element, axis: str, log: bool = False) -> tuple[float, float]:
    """(pixels per unit, pixel of value 0) of an axis, from its ticks' data-value; per
    decade and pixel of log10(value) = 0 on a log axis."""
    ticks = root.findall(f".//s:line[@class='tick-{axis}']", NS)
    coord = "x1" if axis == "x" else "y1"

    def value(t: ET.Element) -> float:
        v = float(t.get("data-value", ""))
        return math.log10(v) if log else v

    (v0, p0), (v1, p1) = [(value(t), float(t.get(coord, ""))) for t in ticks[:2]]
    per_unit = (p1 - p0) / (v1 - v0)
    return per_unit, p0 - v0 * per_unit


def test_spectrum_draws_counts_fit_and_identified_lines() -> None:
    e = np.linspace(0.0, 1500.0, 3000)
    counts = 50 + 5e3 * np.exp(-0.5 * ((e - 661.66) / 1.2) ** 2)
    fit = np.where(abs(e - 661.66) < 6, counts, np.nan)
    root = _parse(spectrum_svg(e, counts, fit=fit, lines=[(661.66, "Cs-137"), (9999.0, "off")]))
    assert root.findall(".//s:polyline[@class='counts']", NS)
    assert len(root.findall(".//s:polyline[@class='fit']", NS)) == 1  # NaN outside: one run
    lines = root.findall(".//s:g[@class='line']", NS)
    assert [g.get("data-energy-kev") for g in lines] == ["661.66"]  # off-scale line left out
    per_kev, zero = _scale(root, "x")
    x = float(lines[0].find("s:line", NS).get("x1"))  # type: ignore[union-attr]
    assert x == pytest.approx(zero + 661.66 * per_kev, abs=0.01)
    assert "Cs-137" in "".join(lines[0].itertext())


def test_model_date_marks_consistent_candidates() -> None:
    svg = model_date_svg(
        2024.5,
        12.0,
        0.5,
        [("inside k=1", 2012.0, 2013.0), ("only k=2", 2010.0, 2011.7), ("far", 1990.0, 1995.0)],
    )
    root = _parse(svg)
    verdicts = {
        "".join(g.find("s:text", NS).itertext()): g.get("data-consistent")  # type: ignore[union-attr]
        for g in root.findall(".//s:g[@class='candidate']", NS)
    }
    assert verdicts == {"inside k=1": "k1", "only k=2": "k2", "far": "no"}
    band = root.find(".//s:rect[@class='band-k2']", NS)
    assert band is not None
    assert float(band.get("data-lo", "")) == pytest.approx(2011.5)
    assert float(band.get("data-hi", "")) == pytest.approx(2013.5)
    date = root.find(".//s:line[@class='model-date']", NS)
    assert date is not None and float(date.get("data-value", "")) == pytest.approx(2012.5)


def test_model_date_uses_an_asymmetric_interval_when_given() -> None:
    root = _parse(model_date_svg(2020.0, 10.0, 1.0, [], interval_k2_years=(9.0, 14.0)))
    band = root.find(".//s:rect[@class='band-k2']", NS)
    assert band is not None
    assert (float(band.get("data-lo", "")), float(band.get("data-hi", ""))) == (2006.0, 2011.0)
    with pytest.raises(PlotError) as err:
        model_date_svg(2020.0, 10.0, 1.0, [], interval_k2_years=(11.0, 14.0))
    assert err.value.field == "interval_k2_years"


def test_ree_pattern_on_log_axis_with_gaps_and_error_bars() -> None:
    sample = {el: 10.0 ** (2 - i / 7) for i, el in enumerate(REE_ORDER)}
    candidate = {"La": 80.0, "Ce": 60.0, "Sm": 20.0}  # Pr, Nd missing: a gap after Ce
    root = _parse(ree_pattern_svg(sample, {"CRM A": candidate}, sample_u={"La": 5.0}))
    series = root.findall(".//s:g[@class='series']", NS)
    assert [g.get("data-role") for g in series] == ["sample", "candidate"]
    assert len(series[0].findall("s:polyline", NS)) == 1
    assert len(series[0].findall("s:circle", NS)) == len(REE_ORDER)
    assert len(series[1].findall("s:polyline", NS)) == 1  # La-Ce; Sm alone has no line
    assert len(series[1].findall("s:circle", NS)) == 3
    ticks = [float(t.get("data-value", "")) for t in root.findall(".//s:line[@class='tick-y']", NS)]
    assert all(math.log10(t).is_integer() for t in ticks) and len(ticks) >= 2  # decades
    per_decade, zero = _scale(root, "y", log=True)
    la = series[0].findall("s:circle", NS)[0]
    assert float(la.get("cy", "")) == pytest.approx(zero + math.log10(100.0) * per_decade, abs=0.02)
    bar = root.find(".//s:line[@class='error-bar']", NS)
    assert bar is not None and bar.get("data-element") == "La"


@pytest.mark.parametrize(
    ("sample", "field"),
    [({"La": -1.0}, "sample"), ({"La": float("nan")}, "sample.La"), ({"Xx": 1.0}, "sample")],
)
def test_ree_pattern_refuses_values_it_cannot_draw(sample: dict[str, float], field: str) -> None:
    with pytest.raises(PlotError) as err:
        ree_pattern_svg(sample)
    assert err.value.field == field


def test_ellipses_follow_the_covariance_in_pixel_space() -> None:
    sx, sy, rho = 2e-6, 3e-7, 0.6
    sample = Estimate2D("sample", 0.0072, 5.4e-5, sx**2, rho * sx * sy, sy**2)
    root = _parse(
        ratio_ellipses_svg(
            sample,
            [Estimate2D("CRM", 0.00721, 5.5e-5, 1e-12, 0.0, 1e-14)],
            x_label="n(U-235)/n(U-238)",
            y_label="n(U-234)/n(U-238)",
        )
    )
    kx, _ = _scale(root, "x")
    ky, _ = _scale(root, "y")
    group = root.find(".//s:g[@data-role='sample']", NS)
    assert group is not None
    for k in (1, 2):
        el = group.find(f"s:ellipse[@class='k{k}']", NS)
        assert el is not None
        a, b = float(el.get("rx", "")), float(el.get("ry", ""))
        angle = float(el.get("transform", "").split("(")[1].split()[0])
        # rebuild the pixel covariance from the drawn ellipse and compare with S C S / k^2
        c, s = math.cos(math.radians(angle)), math.sin(math.radians(angle))
        rot = np.array([[c, -s], [s, c]])
        rebuilt = rot @ np.diag([a * a, b * b]) @ rot.T
        cov = np.array([[sx * sx, rho * sx * sy], [rho * sx * sy, sy * sy]])
        scale = np.diag([kx, ky])
        expected = k * k * scale @ cov @ scale
        np.testing.assert_allclose(rebuilt, expected, rtol=1e-3, atol=1e-3 * abs(expected).max())


def test_ellipse_axes_of_a_diagonal_covariance() -> None:
    assert ellipse_axes(4.0, 0.0, 1.0, 2) == (4.0, 2.0, 0.0)
    a, b, angle = ellipse_axes(1.0, 0.0, 9.0, 1)
    assert (a, b, abs(angle)) == (3.0, 1.0, 90.0)


def test_a_covariance_that_is_not_positive_semidefinite_is_refused() -> None:
    with pytest.raises(PlotError) as err:
        ratio_ellipses_svg(Estimate2D("s", 1.0, 1.0, 1.0, 2.0, 1.0), x_label="x", y_label="y")
    assert err.value.field == "sample"


def test_text_in_plots_is_escaped() -> None:
    svg = model_date_svg(2020.0, 1.0, 0.1, [("<script>x</script>", 2018.0, 2019.5)])
    root = _parse(svg)
    assert root.find(".//s:script", NS) is None and "&lt;script&gt;" in svg
