"""The release and correlation pages in Chromium (issue 18): an incident's page with its
related incidents and its release page fit 390 and 1440 px in English and Japanese with the
banners framing the view (the check of ``test_browser_widths``, on pages whose address
holds a record id), and a recall is not posted without its confirmation. The pages with a
fixed address (``/release``, ``/peers``) are in ``test_browser_widths.PAGES``."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from nucsec.incidents.convert import incident_from_record
from nucsec.markings import parse_banner
from nucsec.node import Node
from nucsec.service.incidents import add_incident
from nucsec.service.users import get_user
from nucsec.web.pages.release import STATES
from tests.web.test_browser import CHROMIUM, CHROMIUM_ARGS, _sign_in_with_keyboard, served
from tests.web.test_browser_widths import (
    LANGUAGES,
    WIDTHS,
)
from tests.web.test_browser_widths import (
    test_the_page_fits_and_the_banners_frame_the_view as assert_framed,
)
from tests.web.test_release_pages import with_peer

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium"),
]

CHIEF = "npa.chief"  # originates the demo's Japanese incidents
ANCHOR = "DEMO-JP-2024-001"  # HI//REL TO JPN, USA; a Co-60 teletherapy head
SHARED = "HI//REL TO JPN, USA"


def _prepare(node: Node) -> None:
    """A partner to release to, and an incident sharing the anchor's nuclide."""
    with_peer(node)
    with node.engine.connect() as conn:
        principal = get_user(conn, CHIEF).principal
    record = {
        "reference": "DEMO-JP-2024-777",
        "report_date": "2024-06-01",
        "country": "JP",
        "incident_type": "unauthorized_possession",
        "itdb_group": "II",
        "items": [{"kind": "source", "nuclide": "Co-60", "activity": "2 TBq"}],
        "narrative": [{"label": SHARED, "text": "Fictional: shares the Co-60."}],
    }
    add_incident(node, principal, incident_from_record(record), parse_banner(SHARED, node.ctx))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with served(tmp_path_factory.mktemp("release"), _prepare) as root:
        yield root


@pytest.fixture(scope="module")
def pages(server: str) -> Iterator[dict[tuple[str, int], object]]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        out: dict[tuple[str, int], object] = {}
        for width in WIDTHS:
            page = browser.new_page(viewport={"width": width, "height": 760})
            page.set_default_timeout(60_000)
            _sign_in_with_keyboard(page, server, CHIEF)
            out[(CHIEF, width)] = page
        yield out
        browser.close()


def _anchor_id(page: object, server: str) -> str:
    page.goto(f"{server}/incidents?q={ANCHOR}")  # type: ignore[attr-defined]
    href = page.locator("main a[href^='/incidents/']").filter(has_text=ANCHOR).first  # type: ignore[attr-defined]
    found = re.fullmatch(r"/incidents/([0-9a-f-]{36})", href.get_attribute("href") or "")
    assert found, href.get_attribute("href")
    return found.group(1)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("width", WIDTHS)
def test_incident_and_release_pages_fit_and_are_framed(
    server: str, pages: dict[tuple[str, int], object], width: int, language: str
) -> None:
    page = pages[(CHIEF, width)]
    incident = _anchor_id(page, server)
    for path in (f"/incidents/{incident}", f"/incidents/{incident}/release"):
        assert_framed(server, pages, CHIEF, path, width, language)
    page.goto(f"{server}/incidents/{incident}")  # type: ignore[attr-defined]
    related = page.locator("#related-incidents tbody tr")  # type: ignore[attr-defined]
    assert "DEMO-JP-2024-777" in related.first.inner_text()
    page.goto(f"{server}/incidents/{incident}/release")  # type: ignore[attr-defined]
    peer = page.locator('section[data-peer="jpn"]')  # type: ignore[attr-defined]
    assert peer.get_attribute("data-state") in STATES  # which one: test_release_pages


def test_recall_is_refused_by_the_browser_without_the_confirmation(
    server: str, pages: dict[tuple[str, int], object]
) -> None:
    page = pages[(CHIEF, 1440)]
    incident = _anchor_id(page, server)
    page.goto(f"{server}/incidents/{incident}/release")  # type: ignore[attr-defined]
    page.locator("#recall button[type=submit]").click()  # type: ignore[attr-defined]
    # the required box is not ticked: the browser does not post; the record is still there
    assert page.url.endswith(f"/incidents/{incident}/release")  # type: ignore[attr-defined]
    assert page.goto(f"{server}/incidents/{incident}").status == 200  # type: ignore[attr-defined]
