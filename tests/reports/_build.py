"""Shared material for the report tests: labels, readers, a partner peer, and a report
whose pagination the tests know without asking the engine (every section starts a page and
fits on it, except the last, a long table that runs over several pages)."""

from __future__ import annotations

from nucsec.markings import Label, default_context, parse_banner, render_in, rollup
from nucsec.plots import Estimate2D, model_date_svg, ratio_ellipses_svg, ree_pattern_svg
from nucsec.policy import Principal
from nucsec.reports import Citation, Figure, KeyValues, Paragraph, Report, Section, Table

CTX = default_context()


def label(banner: str) -> Label:
    return parse_banner(banner, CTX)


U = label("UNCLASSIFIED")
CUI_REL = label("CUI//REL TO USA, JPN")
C_REL = label("CONFIDENTIAL//REL TO USA, JPN")
C_NF = label("CONFIDENTIAL//NOFORN")
S_REL = label("SECRET//REL TO USA, JPN")
S_FOR_REL = label("SECRET//FORENSICS//REL TO USA, JPN")

US_READER = Principal.create(
    id="doe.analyst",
    nation="USA",
    agency="DOE",
    clearance="SECRET",
    compartments=["FORENSICS"],
    roles=["analyst"],
)
JP_READER = Principal.create(
    id="npa.analyst",
    nation="JPN",
    agency="NPA",
    clearance="GOKUHI",
    compartments=["FORENSICS"],
    roles=["analyst"],
)
#: the partner node as the monitor sees it when releasing (as exchange.peers.peer_principal)
JPN_PEER = Principal.create(
    id="peer:jpn",
    nation="JPN",
    agency=None,
    clearance=CTX.schemes["JPN"].levels[-1].name,
    compartments=CTX.compartments,
    roles=["peer"],
    kind="peer",
)

NOFORN_TEXT = "NOFORN-SENTINEL liaison source named here"
JAPANESE_TEXT = "核鑑識の結果、押収された試料は低濃縮ウランであると判断した。"
SCRIPT_TEXT = "<script>alert('x')</script> & <b>bold</b>"


def expected_banner(labels: list[Label], reader_nation: str) -> str:
    """The banner of a page with these portions, straight from the marking machinery:
    reader's scheme first, then the partner's."""
    top = rollup(labels, CTX)
    order = [reader_nation] + [n for n in ("USA", "JPN") if n != reader_nation]
    return " / ".join(render_in(top, CTX, n, "ja" if n == "JPN" else "en") for n in order)


def figures() -> list[Figure]:
    return [
        Figure(
            model_date_svg(2024.5, 12.3, 0.4, [("Plant A", 2008.0, 2012.0), ("B", 1995, 1999)]),
            "Model date against candidate production dates",
            U,
        ),
        Figure(
            ree_pattern_svg({"La": 120.0, "Ce": 100.0, "Nd": 70.0, "Eu": 10.0, "Lu": 9.0}),
            "REE pattern",
            U,
        ),
        Figure(
            ratio_ellipses_svg(
                Estimate2D("sample", 0.00725, 5.4e-5, 4e-11, 3e-14, 1e-12),
                [Estimate2D("CRM", 0.00726, 5.3e-5, 1e-10, -5e-14, 4e-12)],
                x_label="n(U-235)/n(U-238)",
                y_label="n(U-234)/n(U-238)",
            ),
            "Isotope ratios",
            U,
        ),
    ]


def multipage_report(table_rows: int = 110) -> tuple[Report, list[list[Label]], int]:
    """The report, the labels on each of its one-page parts (title page, then one page per
    short section), and the index of the section whose long table runs over pages."""
    fig = figures()
    sections = [
        Section(
            "Findings / 所見",
            U,
            (Paragraph(JAPANESE_TEXT, S_REL, lang="ja"), Paragraph("Summary in English.", U)),
            new_page=True,
        ),
        Section("Source", U, (Paragraph(NOFORN_TEXT, C_NF),), new_page=True),
        Section(
            "Methods",
            U,
            (Paragraph("Gamma spectrometry and model ages.", U), fig[0]),
            new_page=True,
        ),
        Section(
            "Compartmented",
            CUI_REL,
            (Paragraph("Library comparison detail.", S_FOR_REL), fig[1]),
            new_page=True,
        ),
        Section("Escaping", U, (Paragraph(SCRIPT_TEXT, CUI_REL), fig[2]), new_page=True),
    ]
    one_page = [[U, S_REL, U], [U, C_NF], [U, U, U], [CUI_REL, S_FOR_REL, U], [U, CUI_REL, U]]
    rows = [(f"S-{i}", f"{3 + i / 100:.2f}", "0.01") for i in range(table_rows)]
    sections.append(
        Section(
            "Library comparison",
            S_REL,
            (Table(("sample", "U-235 (atom %)", "u (k=1)"), rows, C_REL, caption="Enrichment"),),
            new_page=True,
        )
    )
    report = Report(
        "Forensic report 2024-17 / 核鑑識報告書",
        CUI_REL,
        front=(
            KeyValues((("Case", "2024-17"), ("Stage", "preliminary")), U),
            Citation("analysis:3f2a#v2", "Gamma spectrum of S-1", CUI_REL),
        ),
        sections=tuple(sections),
        ref="case:2024-17/report:preliminary#v1",
    )
    title_page = [CUI_REL, U, CUI_REL]
    return report, [title_page, *one_page], len(sections) - 1
