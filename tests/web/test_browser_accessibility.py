"""Accessibility (issue 18): axe-core, vendored (``tests/web/vendor/axe-core``, see its
PROVENANCE.md), runs in Debian's chromium on every page of the width test's ``PAGES`` list
(pages added there are checked here too), in English and in Japanese, at 1440 and 390 px,
and on the sign-in page. No violation of impact "serious" or "critical" may remain; a
failure names each rule, its impact, the elements (CSS selectors) and axe's help page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.web.test_browser import CHROMIUM, CHROMIUM_ARGS, _sign_in_with_keyboard, served
from tests.web.test_browser_widths import LANGUAGES, PAGES, _use_language

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium"),
]

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
WIDTHS = (1440, 390)
#: the impacts that fail the test (axe's scale: minor, moderate, serious, critical)
FAILING = ("serious", "critical")

#: axe.run over the whole document, WCAG 2.x A/AA and axe's best practices; only
#: violations come back (with every node's selectors), not passes
RUN = """async () => {
  const result = await axe.run(document, {
    runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']},
    resultTypes: ['violations'],
  });
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    targets: v.nodes.map(n => n.target.join(' ')),
    summary: v.nodes.length ? v.nodes[0].failureSummary : '',
  }));
}"""


def describe(violations: list[dict[str, Any]]) -> str:
    """One paragraph per violation: rule id, impact, help URL, the first elements."""
    out = []
    for v in violations:
        targets = ", ".join(v["targets"][:8]) + (" ..." if len(v["targets"]) > 8 else "")
        out.append(
            f"{v['id']} ({v['impact']}): {v['help']} <{v['helpUrl']}>\n"
            f"    {len(v['targets'])} element(s): {targets}\n    {v['summary']}"
        )
    return "\n".join(out)


def serious(violations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [v for v in violations if v["impact"] in FAILING]


def audit(page: Any) -> list[dict[str, Any]]:
    """Inject axe into the loaded page (never served by the node) and run it. The page's
    context bypasses the node's CSP (``script-src 'self'``), which would refuse the
    injected script: the test's pages only, the node's headers are unchanged."""
    page.add_script_tag(path=str(AXE))
    violations: list[dict[str, Any]] = page.evaluate(RUN)
    return violations


def test_describe_names_rule_impact_targets_and_help() -> None:
    text = describe(
        [
            {
                "id": "color-contrast",
                "impact": "serious",
                "help": "Elements must meet minimum color contrast ratio thresholds",
                "helpUrl": "https://dequeuniversity.com/rules/axe/4.14/color-contrast",
                "targets": ["#banner-top > span"],
                "summary": "Fix any of the following: ...",
            }
        ]
    )
    assert "color-contrast (serious)" in text
    assert "#banner-top > span" in text
    assert "dequeuniversity.com/rules/axe/4.14/color-contrast" in text
    assert serious([{"impact": "moderate"}, {"impact": "critical"}]) == [{"impact": "critical"}]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with served(tmp_path_factory.mktemp("axe")) as root:
        yield root


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def pages(server: str, browser: Any) -> dict[tuple[str, int], Any]:
    """One signed-in page per (user, width)."""
    out: dict[tuple[str, int], Any] = {}
    for user in sorted({u for u, _ in PAGES}):
        for width in WIDTHS:
            page = browser.new_page(viewport={"width": width, "height": 900}, bypass_csp=True)
            page.set_default_timeout(60_000)
            _sign_in_with_keyboard(page, server, user)
            out[(user, width)] = page
    return out


def test_axe_finds_a_planted_violation(server: str, pages: dict[tuple[str, int], Any]) -> None:
    """The check can fail: an unlabelled input and low-contrast text added to a real page
    are reported as serious or critical."""
    page = pages[("npa.chief", 1440)]
    page.goto(f"{server}/account")
    page.evaluate(
        """() => {
          const main = document.querySelector('main');
          const i = document.createElement('input'); i.type = 'text'; i.id = 'planted-input';
          const p = document.createElement('p'); p.id = 'planted-text';
          p.textContent = 'faint'; p.style.color = '#eeeeee'; p.style.background = '#ffffff';
          main.append(i, p);
        }"""
    )
    found = {v["id"]: v for v in serious(audit(page))}
    assert "label" in found and "#planted-input" in found["label"]["targets"], describe(
        list(found.values())
    )
    assert "color-contrast" in found and "#planted-text" in found["color-contrast"]["targets"]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_sign_in_page_has_no_serious_violation(
    server: str, browser: Any, language: str, width: int
) -> None:
    context = browser.new_context(
        viewport={"width": width, "height": 900},
        locale="ja-JP" if language == "ja" else "en-US",
        bypass_csp=True,
    )
    context.add_cookies([{"name": "nucsec_lang", "value": language, "url": server}])
    page = context.new_page()
    try:
        page.goto(f"{server}/login")
        assert page.evaluate("document.documentElement.lang") == language
        bad = serious(audit(page))
        assert not bad, f"/login ({language}, {width} px):\n{describe(bad)}"
    finally:
        context.close()


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("user", "path"), PAGES, ids=[p for _, p in PAGES])
def test_the_page_has_no_serious_accessibility_violation(
    server: str,
    pages: dict[tuple[str, int], Any],
    user: str,
    path: str,
    language: str,
    width: int,
) -> None:
    page = pages[(user, width)]
    _use_language(page, server, language)
    page.goto(f"{server}{path}")
    assert page.evaluate("document.documentElement.lang") == language
    bad = serious(audit(page))
    assert not bad, f"{path} as {user} ({language}, {width} px):\n{describe(bad)}"


#: an import with a row of three bad cells and a good row (the result page's table)
IMPORT_CSV = (
    "reference,record,report_date,country,incident_type,itdb_group\r\n"
    "AX-1,incident,2023-02-30,Atlantis,loss,IX\r\n"
    "AX-2,incident,2023-05-01,JP,loss,III\r\n"
)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_import_result_with_every_problem_has_no_serious_violation(
    server: str, pages: dict[tuple[str, int], Any], width: int
) -> None:
    """The import's report (a state no GET shows): three problems of one row, one line
    each, then the good row imported with "partial"; checked by axe after each."""
    page = pages[("npa.chief", width)]
    _use_language(page, server, "ja")
    for partial in (False, True):
        page.goto(f"{server}/incidents/import")
        page.set_input_files(
            "#file",
            files=[{"name": "in.csv", "mimeType": "text/csv", "buffer": IMPORT_CSV.encode()}],
        )
        page.select_option("#facts_level", index=1)
        page.check('input[name="facts_dissem"][value="none"]')
        if partial:
            page.check("#partial")
        with page.expect_navigation():
            page.click("#import")
        error = page.locator("#form-error")
        assert page.locator("#import-result").count() == 1, (
            error.inner_text() if error.count() else page.content()[:2000]
        )
        assert page.locator("#row-errors tbody tr").count() == 3
        bad = serious(audit(page))
        assert not bad, f"import result ({width} px, partial={partial}):\n{describe(bad)}"
    done = '[data-testid="import-created"] a, [data-testid="import-updated"] a'  # 2nd width
    assert page.locator(done).all_inner_texts() == ["AX-2"]
