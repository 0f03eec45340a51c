"""In a real browser (Debian's chromium, Playwright) against a real ``nucsec serve``: a DOE
analyst uploads a real HPGe spectrum (curie's Eu-152 calibration source, see
tests/data/spectra/MANIFEST.md), sees the identified nuclides and the interactive plot
(zoom, log/linear with the keyboard), shares the analysis as SECRET//REL TO USA, JPN with
the label picker, and an NPA analyst reads it under the Japanese banner. Screenshots go
to ``test-artifacts/web/``."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

from tests.web.test_browser import (  # noqa: F401 - the fixtures are used by name
    CHROMIUM,
    _banners,
    _shot,
    _sign_in_with_keyboard,
    _sign_out,
    browser,
    server,
)

SPECTRUM = Path(__file__).resolve().parents[1] / "data" / "spectra" / "curie_hpge_eu152_7cm.spe"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium"),
]


def test_upload_a_spectrum_see_the_plot_and_share_it(server: str, browser: object) -> None:  # noqa: F811
    from playwright.sync_api import expect

    root = server
    page = browser.new_page(viewport={"width": 1366, "height": 900})  # type: ignore[attr-defined]
    page.set_default_timeout(60_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    _sign_in_with_keyboard(page, root, "doe.analyst")
    page.goto(f"{root}/spectra")
    page.set_input_files("#spectrum-file", str(SPECTRUM))
    page.click("#analyse")
    page.wait_for_selector("#nuclides")
    expect(page.locator('tr[data-nuclide="Eu-152"]')).to_have_count(1)
    assert "Eu-152" in page.locator('tr[data-nuclide="Eu-152"]').inner_text()
    plot = page.locator(".plot-area svg.plot-svg")  # drawn by spectrum.js from the data
    expect(plot).to_have_count(1)
    assert page.locator(".plot-area svg .nuclide-line").count() > 20
    # 85 peaks: the strongest are labelled, and no two labels pile up (issue 18)
    xs = sorted(
        float(x)
        for x in page.locator(".plot-area svg .peak-label").evaluate_all(
            "ts => ts.map(t => t.getAttribute('x'))"
        )
    )
    assert 0 < len(xs) < 85 and all(b - a >= 12 for a, b in itertools.pairwise(xs)), xs
    # the mouse wheel scrolls the page; only with Ctrl held does it zoom the plot
    title = page.locator(".plot-area svg > title")
    before, scrolled = title.text_content(), page.evaluate("scrollY")
    page.locator(".plot-area").hover()
    page.mouse.wheel(0, 300)
    page.wait_for_timeout(300)
    assert title.text_content() == before and page.evaluate("scrollY") > scrolled
    page.locator(".plot-area").hover()
    page.keyboard.down("Control")
    page.mouse.wheel(0, -200)
    page.keyboard.up("Control")
    expect(title).not_to_have_text(before or "")
    page.locator(".plot-area").focus()
    page.keyboard.press("0")  # reset the view
    _shot(page, "10-spectrum-uploaded")

    # keyboard: zoom in three times, switch to linear counts
    page.locator(".plot-area").focus()
    for key in ("+", "+", "+", "l"):
        page.keyboard.press(key)
    title = page.locator(".plot-area svg > title").text_content() or ""
    lo, hi = (float(x) for x in re.findall(r"([\d.]+)[–-]([\d.]+) keV", title)[0])
    assert hi - lo < 600 and "linear" in title
    expect(page.locator("#plot-log")).to_have_attribute("aria-pressed", "false")
    assert page.locator(".plot-area svg .peak-label").count() > 0  # few peaks in view: labelled
    _shot(page, "11-spectrum-zoomed-linear")

    # share under SECRET//REL TO USA, JPN with the label picker (live banner)
    page.select_option("#share_level", "SECRET")
    page.check('input[name="share_rel"][value="JPN"]')
    expect(page.locator("#share #preview-banner .marking").first).to_have_text(
        "SECRET//REL TO USA, JPN"
    )
    page.fill("#title", "Eu-152 check source, browser test")
    _shot(page, "12-spectrum-share")
    page.click("#share-submit")
    page.wait_for_url(re.compile(r".*/analyses/[0-9a-f-]{36}$"))
    analysis_url = page.url
    assert _banners(page)[0][0] == ("en", "SECRET//REL TO USA, JPN")
    expect(page.locator('tr[data-nuclide="Eu-152"]')).to_have_count(1)
    expect(page.locator(".plot-area svg.plot-svg")).to_have_count(1)
    _shot(page, "13-analysis-shared")
    _sign_out(page, root)

    # the NPA analyst reads it under the Japanese banner
    _sign_in_with_keyboard(page, root, "npa.analyst")
    page.goto(f"{root}/analyses")
    page.get_by_role("link", name="Eu-152 check source, browser test").click()
    page.wait_for_url(analysis_url)
    assert _banners(page)[0][0] == ("ja", "極秘//REL TO USA, JPN")
    _shot(page, "14-analysis-npa")
    assert errors == [], errors
    page.close()
