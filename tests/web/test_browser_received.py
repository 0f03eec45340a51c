"""In a real browser (Debian's chromium, Playwright) against a real ``nucsec serve``: an
analysis as a hostile partner could have stored it, with ``</script>`` and markup (a
phishing form, a meta refresh) in a peak label of its plot and result, is shown with the
label as text: no element of the label exists in the page, the page stays where it is,
and the plot script draws the plot from the data. Screenshot in ``test-artifacts/web/``."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from nucsec.node import Node
from tests.web.stored import INJECTION, spectrum_portions, store_analysis
from tests.web.test_browser import (  # noqa: F401 - the fixtures are used by name
    CHROMIUM,
    _shot,
    _sign_in_with_keyboard,
    browser,
    served,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium"),
]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A served node holding the hostile analysis: (base URL, analysis id)."""
    made: list[str] = []

    def prepare(node: Node) -> None:
        result, plot = spectrum_portions()
        plot["peaks"][0]["label"] = INJECTION
        result["peaks"][0]["label"] = INJECTION
        made.append(store_analysis(node, result, plot, title="Partner analysis"))

    with served(tmp_path_factory.mktemp("hostile"), prepare) as root:
        yield root, made[0]


def test_markup_in_a_stored_plot_label_stays_text(
    hostile: tuple[str, str],
    browser: object,  # noqa: F811
) -> None:
    root, analysis_id = hostile
    page = browser.new_page(viewport={"width": 1366, "height": 900})  # type: ignore[attr-defined]
    page.set_default_timeout(60_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _sign_in_with_keyboard(page, root, "doe.analyst")
    url = f"{root}/analyses/{analysis_id}"
    page.goto(url, wait_until="domcontentloaded")
    assert page.locator("#phish").count() == 0
    assert page.locator('meta[http-equiv="refresh"]').count() == 0
    assert page.locator('input[name="password"]').count() == 0
    page.wait_for_selector(".plot-area svg.plot-svg")  # spectrum.js parsed the data
    assert INJECTION in (page.locator("table.peaks").text_content() or "")  # as text
    time.sleep(1.5)  # a meta refresh of 0 s would have navigated by now
    assert page.url == url
    _shot(page, "15-hostile-analysis")
    assert errors == [], errors
    page.close()
