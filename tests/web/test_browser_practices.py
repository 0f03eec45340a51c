"""In a real browser (Debian's chromium, Playwright) against a real ``nucsec serve``, at
390 px and 1440 px: an NPA analyst searches the practice catalogue in Japanese, narrows
it with a facet, opens a practice whose Markdown body tries to run a script (it shows as
text, nothing runs), and reads a facility with its computed category, scores and the
score-over-time chart; a NOFORN practice and facility are nowhere and answer "not found".
Every page fits the width and carries its banners."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from nucsec.markings import parse_banner
from nucsec.node import Node
from nucsec.service.assessments import assess_facility, assessment_questions
from nucsec.service.facilities import add_facility
from nucsec.service.practices import add_practice
from nucsec.service.users import principal_of
from tests.web.test_browser import (  # noqa: F401 - the fixtures are used by name
    CHROMIUM,
    _banners,
    _shot,
    _sign_in_with_keyboard,
    browser,
    served,
)
from tests.web.test_browser_cases import fits

ABSENT = "00000000-0000-4000-8000-000000000000"
EVIL = (
    'Two-person rule.\n\n<script>window.pwned = 1</script>\n\n<img src=x onerror="window.pwned=2">'
)
IDS: dict[str, str] = {}
pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium"),
]


def _prepare(node: Node) -> None:
    doe = principal_of(node, "doe.analyst")
    shared = parse_banner("SECRET//REL TO USA, JPN", node.ctx)
    noforn = parse_banner("SECRET//NOFORN", node.ctx)
    IDS["practice"] = add_practice(
        node, doe,
        {"id": "BP-1", "title": "核物質の二人規則", "summary": "Insiders.", "body": EVIL,
         "topic": "insider_threat", "applicability": ["cat:I"]}, shared,
    ).id  # fmt: skip
    IDS["hidden_practice"] = add_practice(
        node, doe, {"id": "BP-2", "title": "NOFORN insider files", "summary": "S.",
                    "topic": "sabotage"}, noforn,
    ).id  # fmt: skip
    reactor = {
        "id": "FAC-B-1", "name": "Browser research reactor", "operator": "U", "nation": "USA",
        "type": "research_reactor", "holdings": [{"area": "vault", "items": [
            {"kind": "material", "material": "U", "mass_g": 7000, "enrichment_pct": 93}]}],
    }  # fmt: skip
    fac = add_facility(node, doe, reactor, shared)
    IDS["facility"] = fac.id
    for on, value in (("2025-03-01", "1"), ("2026-03-01", "3")):
        questions = assessment_questions(node, doe, fac.id, dt.date.fromisoformat(on))
        answers = [{"question": q, "value": value} for q in questions]
        assess_facility(node, doe, fac.id, {"assessed_on": on, "answers": answers}, shared)
    hidden = {**reactor, "id": "FAC-B-2", "name": "NOFORN site"}
    IDS["hidden_facility"] = add_facility(node, doe, hidden, noforn).id


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with served(tmp_path_factory.mktemp("served-practices"), _prepare) as root:
        yield root


@pytest.mark.parametrize("width", [390, 1440])
def test_practices_and_facilities_in_the_browser(server: str, browser: Any, width: int) -> None:  # noqa: F811
    from playwright.sync_api import expect

    root = server
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.set_default_timeout(60_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _sign_in_with_keyboard(page, root, "npa.analyst")
    page.goto(f"{root}/practices")
    page.fill("#q", "核物質")
    page.keyboard.press("Enter")
    page.wait_for_url("**/practices?q=*")
    expect(page.locator("#practices li")).to_have_count(1)
    expect(page.locator('[data-testid="practice-total"]')).to_contain_text("1 practice")
    fits(page, width)
    page.goto(f"{root}/practices")
    assert "NOFORN insider files" not in page.content()
    assert page.locator('[data-facet="topic"] [data-value="sabotage"]').count() == 0
    page.locator('[data-facet="topic"] [data-value="insider_threat"]').click()
    expect(page.locator("#practices li")).to_have_count(1)
    _shot(page, f"40-practices-{width}")
    page.get_by_role("link", name="核物質の二人規則").click()
    expect(page.locator('[data-testid="practice-body"]')).to_contain_text("<script>")
    assert page.evaluate("window.pwned === undefined")  # the body ran nothing
    assert _banners(page)[0][0] == ("ja", "極秘//REL TO USA, JPN")
    fits(page, width)
    _shot(page, f"41-practice-{width}")
    for kind, key in (("practices", "hidden_practice"), ("facilities", "hidden_facility")):
        hidden = page.goto(f"{root}/{kind}/{IDS[key]}")
        absent = page.goto(f"{root}/{kind}/{ABSENT}")
        assert hidden is not None and absent is not None and hidden.status == absent.status == 404

    page.goto(f"{root}/facilities")
    assert "NOFORN site" not in page.content()
    fits(page, width)
    page.get_by_role("link", name="Browser research reactor (research reactor)").click()
    expect(page.locator('[data-testid="material-categories"]')).to_have_text("I")
    expect(page.locator("#score-chart svg .point-maturity")).to_have_count(2)
    assert page.locator("#score-chart svg").is_visible()
    fits(page, width)
    _shot(page, f"42-facility-{width}")
    assert errors == [], errors
    page.close()
