"""The PDF: every page non-blank, each page's text beginning and ending with the banner of
the portions placed on it, and no NOFORN text in the partner's version.

The expected banners come from the test's own knowledge of where it put each block (every
section starts a page and fits on it; the last one is a table running over the remaining
pages), rolled up with :func:`nucsec.markings.rollup`, not from the engine's page mapping.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nucsec.markings import Label
from nucsec.reports import ReportError, page_banner, released_to, render_html, render_pdf
from nucsec.reports import pdf as pdf_module
from nucsec.reports.html import page_markup
from tests.reports._build import (
    C_REL,
    CTX,
    JAPANESE_TEXT,
    JP_READER,
    JPN_PEER,
    NOFORN_TEXT,
    S_REL,
    US_READER,
    expected_banner,
    multipage_report,
)

POPPLER = all(shutil.which(t) for t in ("pdftotext", "pdftoppm", "pdfinfo", "pdffonts"))
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not POPPLER,
        reason="needs Debian poppler-utils (pdftotext, pdftoppm, pdfinfo, pdffonts)",
    ),
]


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _page_count(path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    return int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.M).group(1))  # type: ignore[union-attr]


def _page_text(path: Path, n: int) -> str:
    args = ["pdftotext", "-layout", "-f", str(n), "-l", str(n), str(path), "-"]
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


def _expected_pages(one_page: list[list[Label]], total: int) -> list[list[Label]]:
    """One-page parts, then the long table: its first page with the section heading."""
    table_pages = total - len(one_page)
    assert table_pages >= 2, "the long table must run over at least two pages"
    return [*one_page, [S_REL, C_REL], *([[C_REL]] * (table_pages - 1))]


def _check_banners(path: Path, one_page: list[list[Label]], nation: str) -> list[str]:
    total = _page_count(path)
    texts = []
    for n, labels in enumerate(_expected_pages(one_page, total), 1):
        text = _squash(_page_text(path, n))
        want = expected_banner(labels, nation)
        assert text.startswith(want), f"page {n} begins {text[:80]!r}, expected {want!r}"
        assert text.endswith(want), f"page {n} ends {text[-80:]!r}, expected {want!r}"
        texts.append(text)
    return texts


def _check_not_blank(path: Path, tmp_path: Path) -> None:
    prefix = tmp_path / path.stem
    subprocess.run(["pdftoppm", "-gray", "-r", "50", str(path), str(prefix)], check=True)
    images = sorted(tmp_path.glob(f"{path.stem}-*.pgm"))
    assert len(images) == _page_count(path)
    for image in images:
        pixels = np.asarray(Image.open(image), dtype=np.uint8)
        body = pixels[50:-50, :]  # inside the top and bottom margins (50 px = 25 mm at 50 dpi)
        inked_rows = int((body < 128).any(axis=1).sum())
        # at 50 dpi a line of 10 pt text is about 5 px high: at least one line of ink
        assert inked_rows >= 5, f"{image.name}: page body is blank ({inked_rows} inked rows)"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    report, _, _ = multipage_report()
    out = tmp_path_factory.mktemp("pdf")
    paths = {"home": out / "home.pdf", "partner": out / "partner.pdf"}
    paths["home"].write_bytes(render_pdf(report, CTX, US_READER))
    released = released_to(report, JPN_PEER, CTX, custodian="USA")
    paths["partner"].write_bytes(render_pdf(released, CTX, JP_READER))
    return paths


def test_each_page_carries_the_banner_of_its_own_portions(rendered: dict[str, Path]) -> None:
    _, one_page, _ = multipage_report()
    texts = _check_banners(rendered["home"], one_page, "USA")
    assert any("NOFORN" in t for t in texts)
    # pages differ: the banner is per page, not the whole report's (SECRET//FORENSICS//NOFORN)
    assert len({t.split(" / ")[0] for t in texts}) >= 5
    assert not texts[0].startswith("SECRET")
    assert JAPANESE_TEXT in "".join(t.replace(" ", "") for t in texts)
    fonts = subprocess.run(["pdffonts", str(rendered["home"])], capture_output=True, text=True)
    assert re.search(r"Noto-?Sans-?CJK-?JP", fonts.stdout)  # the CJK font, not a fallback


def test_every_page_is_not_blank(rendered: dict[str, Path], tmp_path: Path) -> None:
    for path in rendered.values():
        _check_not_blank(path, tmp_path)


def test_partner_version_has_no_noforn_text_and_banners_recomputed(
    rendered: dict[str, Path],
) -> None:
    _, one_page, _ = multipage_report()
    without_noforn = [labels for labels in one_page if not any(lb.noforn for lb in labels)]
    texts = _check_banners(rendered["partner"], without_noforn, "JPN")
    whole = "\n".join(texts)
    assert "NOFORN" not in whole and "NOFORN-SENTINEL" not in whole
    assert texts[1].startswith("極秘//REL TO USA, JPN / SECRET//REL TO USA, JPN")  # reader's first
    assert _page_count(rendered["partner"]) == _page_count(rendered["home"]) - 1


def test_partner_html_has_no_noforn_text() -> None:
    report, _, _ = multipage_report(table_rows=3)
    released = released_to(report, JPN_PEER, CTX, custodian="USA")
    html = render_html(released, CTX, JP_READER)
    assert "NOFORN" not in html and NOFORN_TEXT not in html
    assert NOFORN_TEXT in render_html(report, CTX, US_READER)


def test_banners_that_do_not_match_the_pages_are_refused() -> None:
    from weasyprint.text.fonts import FontConfiguration

    report, _, _ = multipage_report(table_rows=3)
    markup, labels = page_markup(report.check(CTX), CTX, US_READER, paged=True)
    fonts = FontConfiguration()
    document = pdf_module.layout(pdf_module.parse(markup), fonts=fonts)
    pages = pdf_module.portions_by_page(document)
    assert len(pages) >= 3 and set().union(*pages) == set(labels)
    banners = [page_banner([labels[i] for i in ids], CTX, "USA") for ids in pages]
    with pytest.raises(ReportError) as err:
        pdf_module.stamp_banners(document, banners[:-1], fonts)  # one page short
    assert err.value.field == "layout"


def test_outside_resources_are_never_fetched(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("x")
    markup = f'<html><body><p>a</p><img src="file://{secret}"></body></html>'
    with pytest.raises(ReportError):
        pdf_module.layout(pdf_module.parse(markup))
