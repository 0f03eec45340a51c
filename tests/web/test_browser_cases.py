"""In a real browser (Debian's chromium, Playwright) against a real ``nucsec serve``: a DOE
section chief opens a forensic case with the label picker, adds a sample, signs a custody
hand-over, adds an assessment on the verbal scale and issues the preliminary report, then
reads it; an NPA analyst does not see a NOFORN case in the list and gets "not found" for
it like an absent id. At 390 px and 1440 px every case page fits the width (wide tables
scroll in their own box) and carries its banner at top and bottom. Screenshots go to
``test-artifacts/web/``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from nucsec.markings import parse_banner
from nucsec.node import Node
from nucsec.service.cases import open_case
from nucsec.service.users import principal_of
from tests.web.test_browser import (  # noqa: F401 - the fixtures are used by name
    CHROMIUM,
    _banners,
    _shot,
    _sign_in_with_keyboard,
    _sign_out,
    browser,
    served,
)

ABSENT = "00000000-0000-4000-8000-000000000000"
HIDDEN_TITLE = "NOFORN seizure at the border"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium"),
]


def _hidden_case(node: Node) -> None:
    chief = principal_of(node, "doe.chief")
    open_case(node, chief, HIDDEN_TITLE, parse_banner("SECRET//NOFORN", node.ctx))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with served(tmp_path_factory.mktemp("served-cases"), _hidden_case) as root:
        yield root


def fits(page: Any, width: int) -> None:
    """The page is no wider than the viewport, and banners are at the top and bottom."""
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{page.url}: {scroll} px wide at {width} px"
    assert page.locator('[data-testid="banner-top"]').is_visible()
    assert page.locator('[data-testid="banner-bottom"]').count() == 1


@pytest.mark.parametrize("width", [390, 1440])
def test_case_workflow_in_the_browser(server: str, browser: Any, width: int) -> None:  # noqa: F811
    from playwright.sync_api import expect

    root = server
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.set_default_timeout(60_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _sign_in_with_keyboard(page, root, "doe.chief")
    page.goto(f"{root}/cases")
    fits(page, width)
    page.click("#open-case")
    title = f"Seized pellet, browser {width}"
    page.fill("#title", title)
    page.select_option("#part_level", "SECRET")
    page.check('input[name="part_rel"][value="JPN"]')
    expect(page.locator("#preview-banner .marking").first).to_have_text("SECRET//REL TO USA, JPN")
    fits(page, width)
    page.click("#case-submit")
    page.wait_for_url(re.compile(r".*/cases/[0-9a-f-]{36}$"))
    case_url = page.url
    assert _banners(page)[0][0] == ("en", "SECRET//REL TO USA, JPN")

    page.click("#add-sample")
    for field, value in (
        ("#sample_id", "P-1"),
        ("#description", "ceramic pellet"),
        ("#mass_g", "5.1"),
        ("#container", "lead pig"),
        ("#where", "port"),
    ):
        page.fill(field, value)  # fmt: skip
    page.select_option("#part_level", "SECRET")
    page.check('input[name="part_rel"][value="JPN"]')
    page.click("#case-submit")
    page.wait_for_url(case_url)
    page.fill("#where-1", "DOE laboratory")
    page.get_by_role("button", name=re.compile("I received P-1")).click()
    page.wait_for_url(case_url)
    expect(page.locator('[data-sample="P-1"] table.custody tbody tr')).to_have_count(2)
    assert "doe.chief" in page.locator('[data-sample="P-1"] table.custody').inner_text()

    page.click("#add-assessment")
    page.fill("#finding", "Fresh LEU fuel pellet.")
    page.select_option("#confidence", "strong")
    page.select_option("#part_level", "SECRET")
    page.check('input[name="part_rel"][value="JPN"]')
    page.click("#case-submit")
    page.wait_for_url(case_url)
    expect(page.locator(".confidence")).to_contain_text("strong support (LR 1,000 to 10,000)")
    page.click("#issue-report")
    page.wait_for_url(case_url)
    expect(page.locator('[data-testid="stage"]')).to_contain_text("interim")
    fits(page, width)
    _shot(page, f"30-case-{width}")
    page.click('[data-testid="report-html-preliminary"]')
    expect(page.locator("body")).to_contain_text("ceramic pellet")
    assert errors == [], errors

    page.goto(f"{root}/cases?sort=title")
    expect(page.get_by_role("link", name=title)).to_have_count(1)
    assert HIDDEN_TITLE in page.content()  # the chief may read the NOFORN case
    fits(page, width)
    _shot(page, f"31-cases-{width}")
    _sign_out(page, root)

    _sign_in_with_keyboard(page, root, "npa.analyst")
    page.goto(f"{root}/cases")
    expect(page.get_by_role("link", name=title)).to_have_count(1)
    assert HIDDEN_TITLE not in page.content()
    hidden = page.goto(f"{root}/cases?sort=updated")
    assert hidden is not None and hidden.status == 200
    fits(page, width)
    absent = page.goto(f"{root}/cases/{ABSENT}")
    assert absent is not None and absent.status == 404
    _sign_out(page, root)
    page.close()
