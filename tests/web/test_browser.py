"""In a real browser (Debian's chromium driven by Playwright) against a real ``nucsec serve``
process: sign in, create a SECRET//REL TO USA, JPN document as a DOE analyst with the
label picker, read it as an NPA analyst under the Japanese banner, check that a NOFORN
document stays invisible to the NPA analyst everywhere, sign out. Screenshots are saved
under ``test-artifacts/web/``."""

from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from nucsec.demo import DEMO_PASSWORD
from nucsec.node import Node
from tests.web.conftest import fresh_db_url, make_demo_node

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "web"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian chromium (apt-get install chromium)"
    ),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def served(base: Path, prepare: Callable[[Node], None] | None = None) -> Iterator[str]:
    """A demo node in ``base`` (``prepare(node)`` runs on it first), served by ``nucsec
    serve`` in its own process; yields its base URL."""
    with fresh_db_url(base) as url:
        node = make_demo_node(base / "home", url)
        if prepare is not None:
            prepare(node)
        node.close()
        port = _free_port()
        env = {**os.environ, "NUCSEC_HOME": str(base / "home"), "NUCSEC_DATABASE_URL": url}
        log = (base / "serve.log").open("w")
        proc = subprocess.Popen(
            [sys.executable, "-m", "nucsec", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        root = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120  # start-up is slow on a shared, loaded machine
            while True:
                try:
                    if httpx.get(f"{root}/api/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((base / "serve.log").read_text())
                time.sleep(0.2)
            yield root
        finally:
            proc.terminate()
            proc.wait(timeout=10)
            log.close()
        printed = (base / "serve.log").read_text()
        assert f"serving at http://127.0.0.1:{port}/" in printed
        assert DEMO_PASSWORD in printed, "a demo node prints its logins"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A demo node served by ``nucsec serve`` in its own process; yields its base URL."""
    with served(tmp_path_factory.mktemp("served")) as root:
        yield root


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    sync_api = pytest.importorskip("playwright.sync_api")
    sync_api.expect.set_options(timeout=20_000)  # shared CI machines are slow
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


def _shot(page: object, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def _sign_in_with_keyboard(page: object, root: str, username: str) -> None:
    p = page  # type: ignore[assignment]
    p.goto(f"{root}/login")  # type: ignore[attr-defined]
    p.locator("#username").focus()  # it has autofocus; made sure of on a loaded machine  # type: ignore[attr-defined]
    p.keyboard.type(username)  # type: ignore[attr-defined]
    p.keyboard.press("Tab")  # type: ignore[attr-defined]
    p.keyboard.type(DEMO_PASSWORD)  # type: ignore[attr-defined]
    p.keyboard.press("Enter")  # type: ignore[attr-defined]
    p.wait_for_url(f"{root}/")  # type: ignore[attr-defined]


def _sign_out(page: object, root: str) -> None:
    page.click("#sign-out")  # type: ignore[attr-defined]
    page.wait_for_url(re.compile(r".*/login$"))  # type: ignore[attr-defined]


def _banners(page: object) -> list[list[tuple[str, str]]]:
    out = []
    for where in ("top", "bottom"):
        spans = page.locator(f'[data-testid="banner-{where}"] .marking')  # type: ignore[attr-defined]
        out.append([(s.get_attribute("lang") or "", s.inner_text().strip()) for s in spans.all()])
    return out


def _create(page: object, root: str, title: str, dissem: str, rel: list[str]) -> str:
    p = page
    p.goto(f"{root}/documents/new")  # type: ignore[attr-defined]
    p.fill("#title", title)  # type: ignore[attr-defined]
    p.fill("#body", "Measured at the DOE laboratory; see attached spectrum.")  # type: ignore[attr-defined]
    p.select_option("#body_level", "SECRET")  # type: ignore[attr-defined]
    p.check(f'input[name="body_dissem"][value="{dissem}"]')  # type: ignore[attr-defined]
    for entry in rel:
        p.check(f'input[name="body_rel"][value="{entry}"]')  # type: ignore[attr-defined]
    return str(p.url)  # type: ignore[attr-defined]


def test_rel_to_jpn_reaches_npa_and_noforn_does_not(server: str, browser: object) -> None:
    from playwright.sync_api import expect

    root = server
    page = browser.new_page(viewport={"width": 1366, "height": 800})  # type: ignore[attr-defined]
    page.set_default_timeout(60_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    # 1. a DOE analyst signs in (keyboard only) and writes a SECRET//REL TO USA, JPN report
    _sign_in_with_keyboard(page, root, "doe.analyst")
    _shot(page, "01-doe-home")
    shared = f"Gamma results for NPA {secrets.token_hex(3)}"
    _create(page, root, shared, "relto", ["JPN"])
    preview = page.locator("#preview-banner .marking")
    expect(preview.first).to_have_text("SECRET//REL TO USA, JPN")  # the live banner
    assert [s.inner_text() for s in preview.all()] == [
        "SECRET//REL TO USA, JPN",
        "極秘//REL TO USA, JPN",
    ]
    _shot(page, "02-doe-label-picker")
    page.click("#save")
    page.wait_for_url(re.compile(r".*/documents/[0-9a-f-]{36}$"))
    shared_url = page.url
    assert (
        _banners(page) == [[("en", "SECRET//REL TO USA, JPN"), ("ja", "極秘//REL TO USA, JPN")]] * 2
    )
    assert page.locator("#doc-title .portion").inner_text() == "(S//REL TO USA, JPN)"
    _shot(page, "03-doe-document")

    # 2. and a SECRET//NOFORN one
    hidden = f"Domestic sensor placement {secrets.token_hex(3)}"
    _create(page, root, hidden, "noforn", [])
    expect(page.locator("#preview-banner .marking").first).to_have_text("SECRET//NOFORN")
    page.click("#save")
    page.wait_for_url(re.compile(r".*/documents/[0-9a-f-]{36}$"))
    hidden_url = page.url
    assert _banners(page)[0][0] == ("en", "SECRET//NOFORN")
    _sign_out(page, root)
    _shot(page, "04-signed-out")

    # 3. an NPA analyst reads the shared report under the Japanese banner
    _sign_in_with_keyboard(page, root, "npa.analyst")
    home_count = int(page.locator('[data-testid="visible-count"]').inner_text())
    page.goto(f"{root}/documents")
    assert page.get_by_role("link", name=shared).count() == 1
    assert page.get_by_role("link", name=hidden).count() == 0
    _shot(page, "05-npa-documents")
    page.get_by_role("link", name=shared).click()
    page.wait_for_url(shared_url)
    top, bottom = _banners(page)
    assert top[0] == ("ja", "極秘//REL TO USA, JPN")
    assert top == bottom
    _shot(page, "06-npa-document-japanese-banner")

    # 4. the NOFORN document is nowhere for the NPA analyst: list, search, counts, URL
    page.goto(f"{root}/documents?q={hidden.split()[-1]}")
    assert page.locator('[data-testid="result-count"]').inner_text().startswith("0 documents")
    page.goto(f"{root}/documents?limit=200")
    assert hidden not in page.content()
    response = page.goto(hidden_url)
    assert response is not None and response.status == 404
    assert page.locator('[data-testid="error-message"]').inner_text().endswith("not found")
    assert hidden not in page.content()
    _shot(page, "07-npa-noforn-not-found")
    page.goto(f"{root}/")
    assert int(page.locator('[data-testid="visible-count"]').inner_text()) == home_count

    # 5. sign out: the pages are closed again
    _sign_out(page, root)
    page.goto(shared_url)
    page.wait_for_url(re.compile(r".*/login\?next=.*"))
    assert page.locator("#username").is_visible()
    _shot(page, "08-npa-signed-out")
    # the only console error is the 404 of the hidden document's URL, which we asked for
    assert [e for e in errors if "status of 404" not in e] == [], errors
    page.close()


def test_the_skip_link_is_the_first_tab_stop(server: str, browser: object) -> None:
    page = browser.new_page()  # type: ignore[attr-defined]
    page.set_default_timeout(60_000)
    _sign_in_with_keyboard(page, server, "usa.security")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused.strip() == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"
    page.close()
