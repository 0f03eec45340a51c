"""Every page fits screens from a phone (390 px) to a desktop (1440 px), and the banners
frame what is visible: the top banner at the top of the viewport and the bottom banner at
its bottom, also after scrolling (issue 18) — in English and in Japanese, whose words are
of other widths. Screenshots under ``test-artifacts/web/``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.web.test_browser import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    _sign_in_with_keyboard,
    served,
)
from tests.web.test_release_pages import with_peer

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium"),
]

#: (user, path): every page of the demo node a user of that role works in
PAGES = [
    ("npa.chief", "/"),
    ("npa.chief", "/documents"),
    ("npa.chief", "/documents?nation=JPN&sort=title"),  # the filter bar, filled in
    ("npa.chief", "/documents?level=ULTRA"),  # a typed error, in the reader's language
    ("npa.chief", "/documents/new"),
    ("npa.chief", "/incidents"),
    ("npa.chief", "/incidents?level=SECRET&date_from=2000-01-01"),
    ("npa.chief", "/incidents/new"),
    ("npa.chief", "/incidents/import"),
    ("npa.chief", "/incidents/trends"),
    ("npa.chief", "/incidents/map"),
    ("npa.chief", "/spectra"),
    ("npa.chief", "/age"),
    ("npa.chief", "/analyses"),
    ("npa.chief", "/account"),
    ("npa.chief", "/cases"),
    ("npa.chief", "/cases/new"),
    ("npa.chief", "/practices"),
    ("npa.chief", "/practices?q=insider"),
    ("npa.chief", "/practices?nation=JPN"),
    ("npa.chief", "/facilities"),
    ("jpn.security", "/admin/users"),
    ("jpn.security", "/admin/users/new"),
    ("jpn.security", "/admin/users/npa.analyst"),
    ("jpn.security", "/admin/users/npa.analyst?done=saved"),  # the confirmation
    ("jpn.security", "/admin/compartments"),
    ("jpn.security", "/admin/equivalence"),
    ("jpn.auditor", "/audit"),
    ("npa.chief", "/release"),
    ("jpn.security", "/release"),
    ("jpn.security", "/peers"),
]
WIDTHS = (390, 1440)
LANGUAGES = ("en", "ja")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with served(tmp_path_factory.mktemp("widths"), with_peer) as root:  # a partner: /peers
        yield root


@pytest.fixture(scope="module")
def pages(server: str) -> Iterator[dict[tuple[str, int], object]]:
    """One signed-in page per (user, width)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        out: dict[tuple[str, int], object] = {}
        for user in sorted({u for u, _ in PAGES}):
            for width in WIDTHS:
                page = browser.new_page(viewport={"width": width, "height": 760})
                page.set_default_timeout(60_000)
                _sign_in_with_keyboard(page, server, user)
                out[(user, width)] = page
        yield out
        browser.close()


FRAME = """() => {
  const top = document.querySelector('[data-testid="banner-top"]').getBoundingClientRect();
  const bottom = document.querySelector('[data-testid="banner-bottom"]').getBoundingClientRect();
  return {wide: document.documentElement.scrollWidth, top: top.top, topBottom: top.bottom,
          bottomTop: bottom.top, bottom: bottom.bottom, height: innerHeight,
          topWidth: top.width, bottomWidth: bottom.width};
}"""


def _use_language(page: object, server: str, language: str) -> None:
    """Choose the interface language with the switch's own request (stored on the user)."""
    csrf = page.evaluate(  # type: ignore[attr-defined]
        "() => document.querySelector('meta[name=csrf-token]').content"
    )
    response = page.request.post(  # type: ignore[attr-defined]
        f"{server}/language",
        form={"language": language, "csrf_token": csrf, "next": "/"},
        max_redirects=0,
    )
    assert response.status == 303, response.status


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(("user", "path"), PAGES, ids=[p for _, p in PAGES])
def test_the_page_fits_and_the_banners_frame_the_view(
    server: str,
    pages: dict[tuple[str, int], object],
    user: str,
    path: str,
    width: int,
    language: str,
) -> None:
    page = pages[(user, width)]
    _use_language(page, server, language)
    page.goto(f"{server}{path}")  # type: ignore[attr-defined]
    assert page.evaluate("document.documentElement.lang") == language  # type: ignore[attr-defined]
    for where in ("top", "middle", "end"):
        if where != "top":
            page.evaluate(  # type: ignore[attr-defined]
                "w => scrollTo(0, w === 'end' ? document.documentElement.scrollHeight"
                " : document.documentElement.scrollHeight / 2)",
                where,
            )
        f = page.evaluate(FRAME)  # type: ignore[attr-defined]
        assert f["wide"] <= width, f"{path} is {f['wide']} px wide at {width} px"
        assert f["top"] == 0 and f["topBottom"] > 0, (where, f)  # top banner at the top
        assert abs(f["bottom"] - f["height"]) <= 1, (where, f)  # bottom banner at the bottom
        assert f["topWidth"] == f["bottomWidth"] == width, (where, f)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    name = path.strip("/").replace("/", "-").replace("?", "_").replace("&", "_") or "home"
    page.screenshot(path=str(ARTIFACTS / f"width-{width}-{language}-{name}.png"))  # type: ignore[attr-defined]
