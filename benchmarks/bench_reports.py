"""Reports: rendering a 20-page labelled report to PDF with our engine (screening, HTML,
the layout, each page's portions and banner, the banners' margin boxes, PDF) against
rendering the same HTML with bare WeasyPrint (one layout, no banners, PDF), in the same run.

Goal (issue 14): a 20-page report in <= 3 s on this machine. The report mixes what a case
report holds: English and Japanese paragraphs under different labels, the four plots of
:mod:`nucsec.plots`, library-comparison tables and citations.

Bare WeasyPrint is WeasyPrint as installed: its own user-agent stylesheet, its own SVG text
drawing (letter by letter: the engine's one-run drawing, :mod:`nucsec.reports.svgtext`, is
switched off around the bare renders), a fresh ``FontConfiguration`` per render as ours.
Both are measured warm (imports, fonts and parsed stylesheets loaded by a first render), as
in the long-running server that renders reports.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from benchmarks._table import Table, best_time, fmt_s
from nucsec.markings import default_context, parse_banner
from nucsec.plots import (
    Estimate2D,
    model_date_svg,
    ratio_ellipses_svg,
    ree_pattern_svg,
    spectrum_svg,
)
from nucsec.policy import Principal
from nucsec.reports import (
    Citation,
    Figure,
    KeyValues,
    Paragraph,
    Report,
    Section,
    render_html,
    render_pdf,
    visible_to,
)
from nucsec.reports import (
    Table as ReportTable,
)
from nucsec.reports.html import page_markup
from nucsec.reports.pdf import PAGE_CSS, layout, parse
from nucsec.reports.svgtext import weasyprint_own_text

CTX = default_context()
READER = Principal.create(
    id="doe.analyst",
    nation="USA",
    agency="DOE",
    clearance="SECRET",
    compartments=["FORENSICS"],
    roles=["analyst"],
)
LABELS = [
    parse_banner(b, CTX)
    for b in (
        "UNCLASSIFIED",
        "CUI//REL TO USA, JPN",
        "SECRET//REL TO USA, JPN",
        "CONFIDENTIAL//NOFORN",
        "SECRET//FORENSICS//REL TO USA, JPN",
    )
]
EN = (
    "The questioned material is low-enriched uranium oxide; the gamma spectrum shows the "
    "185.7 keV line of U-235 and the 1001 keV line of Pa-234m, and the model age from the "
    "Th-230/U-234 chronometer is consistent with two of the library candidates. "
)
JA = (
    "押収された試料は低濃縮ウラン酸化物であり、"
    "ガンマ線スペクトルにはU-235の185.7 keVの線が見られる。"
)


def _figures() -> list[str]:
    e = np.linspace(20.0, 1500.0, 2000)
    counts = 200 * np.exp(-e / 400) + 5e3 * np.exp(-0.5 * ((e - 185.7) / 0.9) ** 2)
    ree = {"La": 120.0, "Ce": 100.0, "Pr": 80.0, "Nd": 70.0, "Sm": 40.0, "Eu": 10.0, "Lu": 9.0}
    return [
        spectrum_svg(e, counts, lines=[(185.7, "U-235"), (1001.0, "Pa-234m")], title="S-1"),
        model_date_svg(2024.5, 12.3, 0.4, [("Plant A", 2008.0, 2012.0), ("B", 1995, 1999)]),
        ree_pattern_svg(ree, {"UOC A": {"La": 100.0, "Ce": 90.0, "Lu": 8.0}}),
        ratio_ellipses_svg(
            Estimate2D("sample", 0.00725, 5.4e-5, 4e-11, 3e-14, 1e-12),
            [Estimate2D("CRM", 0.00726, 5.3e-5, 1e-10, -5e-14, 4e-12)],
            x_label="n(U-235)/n(U-238)",
            y_label="n(U-234)/n(U-238)",
        ),
    ]


def report(sections: int = 13) -> Report:
    """A report of about two pages per section."""
    figs = _figures()
    out = []
    for i in range(sections):
        lb = LABELS[i % len(LABELS)]
        rows = [(f"CRM-{j}", f"{3 + j / 50:.2f}", f"{0.8 + j / 100:.2f}", "k=1") for j in range(14)]
        out.append(
            Section(
                f"Analysis {i + 1} / 分析 {i + 1}",
                LABELS[0],
                (
                    Paragraph(EN * 3, lb),
                    Paragraph(JA * 3, LABELS[(i + 1) % len(LABELS)], lang="ja"),
                    Figure(figs[i % len(figs)], f"Figure {i + 1}", lb),
                    ReportTable(("candidate", "score", "distance", "u"), rows, LABELS[2]),
                    Citation(f"analysis:{i:04x}#v1", "Gamma spectrum (by reference)", LABELS[1]),
                ),
                new_page=i % 2 == 0,
            )
        )
    front = (KeyValues((("Case", "2024-17"), ("Stage", "interim")), LABELS[0]),)
    return Report("Forensic report 2024-17 / 核鑑識報告書", LABELS[1], front, tuple(out))


def _timed(fn: Callable[[], object]) -> tuple[float, float]:
    """(wall, process CPU) seconds of one call; CPU time is less sensitive to other jobs."""
    w0, c0 = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - w0, time.process_time() - c0


def run() -> Table:
    from weasyprint import CSS, HTML

    table = Table("reports: a 20-page labelled report")
    r = report()
    markup, _ = page_markup(visible_to(r, READER, CTX).check(CTX), CTX, READER, paged=True)

    def bare() -> bytes:
        with weasyprint_own_text():
            return bytes(HTML(string=markup).write_pdf(stylesheets=[CSS(string=PAGE_CSS)]))

    ours_pdf, _ = render_pdf(r, CTX, READER), bare()  # warm-up: imports, fonts
    n_pages = len(layout(parse(markup)).pages)
    ours, theirs = [], []
    for _ in range(3):  # interleaved, so both see the same load
        ours.append(_timed(lambda: render_pdf(r, CTX, READER)))
        theirs.append(_timed(bare))
    ours_s, ours_cpu = (min(t[i] for t in ours) for i in (0, 1))
    bare_s, bare_cpu = (min(t[i] for t in theirs) for i in (0, 1))
    html_s = best_time(lambda: render_html(r, CTX, READER), repeat=5)
    pages = f"{n_pages} A4 pages, {len(ours_pdf) // 1024} KiB"
    baseline = "bare WeasyPrint, same HTML (1 layout)"
    table.add(
        "PDF with per-page banners (wall)",
        fmt_s(ours_s),
        baseline,
        fmt_s(bare_s),
        "<= 3 s",
        f"{pages}; ratio {ours_s / bare_s:.2f}; best of 3, interleaved",
    )
    table.add(
        "PDF with per-page banners (CPU)",
        fmt_s(ours_cpu),
        baseline,
        fmt_s(bare_cpu),
        "",
        f"process time: less sensitive to other jobs; ratio {ours_cpu / bare_cpu:.2f}",
    )
    table.add("HTML, one page, banner", fmt_s(html_s), "", "", "", "screening + Jinja2")
    return table
