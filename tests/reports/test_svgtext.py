"""SVG texts drawn as one run (:mod:`nucsec.reports.svgtext`): the words of a report's
figures land where WeasyPrint's own letter-by-letter function puts them, and a text that
places letters one by one is still drawn by WeasyPrint's function."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from nucsec.reports import Report, Section, render_pdf, svgtext
from tests.reports._build import CTX, US_READER, U, figures

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs Debian poppler-utils"),
]
WORD = re.compile(
    r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>'
)


def _words(pdf: bytes, tmp_path: Path, name: str) -> list[tuple[str, float, float, float]]:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(
        ["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return [(w, float(x0), float(y0), float(x1)) for x0, y0, x1, _, w in WORD.findall(out)]


def test_figure_words_land_where_weasyprint_puts_them(tmp_path: Path) -> None:
    import weasyprint.svg as svg_module

    report = Report("Figures", U, sections=(Section("Plots", U, tuple(figures())),))
    assert svgtext.install()  # the pinned WeasyPrint: the fast path is in use
    ours = _words(render_pdf(report, CTX, US_READER), tmp_path, "ours")
    with svgtext.weasyprint_own_text():
        assert svg_module.TAGS["text"] is svgtext._original()
        theirs = _words(render_pdf(report, CTX, US_READER), tmp_path, "theirs")
    assert svg_module.TAGS["text"] is svg_module.text is svgtext.run_text  # restored
    assert [w[0] for w in ours] == [w[0] for w in theirs]
    assert {"Plant", "sample", "n(U-235)/n(U-238)"} <= {w[0] for w in ours}
    for a, b in zip(ours, theirs, strict=True):
        # same start; the end may move by kerning, which one run applies and letters do not
        assert a[1] == pytest.approx(b[1], abs=0.3), a
        assert a[2] == pytest.approx(b[2], abs=0.3), a
        assert a[3] == pytest.approx(b[3], abs=1.0), a


def test_letters_placed_one_by_one_go_to_weasyprints_function(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from nucsec.reports import Figure

    drawn: list[str] = []
    original = svgtext._original()

    def spy(svg: Any, node: Any, font_size: float) -> None:
        drawn.append(node.text or "")
        original(svg, node, font_size)

    monkeypatch.setattr(svgtext, "_original", lambda: spy)
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="60" viewBox="0 0 200 60">'
        '<title>t</title><text x="10" y="20">one run</text>'
        '<text x="10 20 30" y="40">xyz</text><text x="10" y="55" dx="2">shifted</text></svg>'
    )
    report = Report("Figures", U, sections=(Section("S", U, (Figure(svg, "c", U),)),))
    words = [w[0] for w in _words(render_pdf(report, CTX, US_READER), tmp_path, "spy")]
    assert drawn == ["xyz", "shifted"]
    assert {"one", "run", "shifted"} <= set(words)
