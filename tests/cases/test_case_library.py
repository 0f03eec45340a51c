"""A library match kept with a case appears in its report: the comparison table, the
per-signature verdicts and the figures, each under the roll-up of the match's label and the
entries' labels; the partner's version cites a NOFORN entry by reference only (none of its
values in the HTML or the PDF text)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from nucsec.errors import InputError
from nucsec.federation.peers import peer_principal
from nucsec.forensics.library import sample_from_dict
from nucsec.markings import Label, parse_banner, render_banner
from nucsec.node import Node
from nucsec.service import cases, library
from nucsec.service.case_reports import frozen_report, issue_report, render_report
from nucsec.service.users import principal_of
from tests.reports.test_pdf import POPPLER


def _entry(entry_id: str, la: float, r235: float, start: str) -> dict[str, object]:
    ree = {"La": la, "Ce": la * 1.7, "Nd": la * 0.9, "Sm": la * 0.21, "Eu": la * 0.03}
    return {
        "id": entry_id,
        "material_type": "uoc",
        "signatures": [
            *(
                {"name": f"w({el})", "value": v, "u": v * 0.05, "unit": "µg/g U"}
                for el, v in ree.items()
            ),
            {"name": "n(235U)/n(238U)", "value": r235, "u": 2e-6, "unit": "mol/mol"},
            {"name": "n(234U)/n(238U)", "value": 5.47e-5, "u": 2e-7, "unit": "mol/mol"},
        ],
        "history": [{"step": "milling", "start": start, "end": start[:4] + "-12-31"}],
    }


# the NOFORN entry's distinctive numbers: none may reach the partner
SECRET_LA = 87.6543
SECRET_R235 = 0.00723917

SAMPLE = {
    "id": "Q-7",
    "material_type": "uoc",
    "signatures": [
        *(
            {"name": f"w({el})", "value": v, "u": v * 0.05, "unit": "µg/g U"}
            for el, v in {"La": 88.0, "Ce": 150.0, "Nd": 79.0, "Sm": 18.4, "Eu": 2.6}.items()
        ),
        {"name": "n(235U)/n(238U)", "value": 0.0072392, "u": 3e-6, "unit": "mol/mol"},
        {"name": "n(234U)/n(238U)", "value": 5.47e-5, "u": 3e-7, "unit": "mol/mol"},
        {"name": "model date", "value": 2011.4, "u": 0.6, "unit": "year CE"},
    ],
}


@pytest.fixture
def matched_case(demo_node: Node) -> tuple[Node, str]:
    node = demo_node
    chief = principal_of(node, "doe.chief")
    rel = parse_banner("CUI//REL TO USA, JPN", node.ctx)
    nf = parse_banner("CUI//NOFORN", node.ctx)
    library.add_entry(node, chief, _entry("MILL-REL", 88.3, 0.0072394, "2009-01-01"), rel)
    library.add_entry(node, chief, _entry("MILL-NF", SECRET_LA, SECRET_R235, "2010-01-01"), nf)
    answer = library.match_sample(node, chief, sample_from_dict(SAMPLE), max_candidates=5)
    assert {c["entry"] for c in answer["candidates"]} >= {"MILL-NF", "MILL-REL"}
    case = cases.open_case(node, chief, "Seized drum", rel)
    cases.attach_match(node, chief, case.id, SAMPLE, answer, rel)
    issue_report(node, chief, case.id, "preliminary")
    return node, case.id


def test_match_section_has_table_signatures_and_figures(matched_case: tuple[Node, str]) -> None:
    node, case_id = matched_case
    chief = principal_of(node, "doe.chief")
    view = cases.get_case(node, chief, case_id)
    assert len(view.matches) == 1
    # the answer quotes the NOFORN entry: stored under a label covering it
    stored = Label.from_dict(view.portions["match.0"].label)
    assert "NOFORN" in render_banner(stored, node.ctx)
    _, report = frozen_report(view)
    section = next(s for s in report.sections if s.heading.startswith("Library comparison"))
    kinds = [b.kind for b in section.blocks]
    assert kinds.count("citation") >= 1 and "table" in kinds
    captions = [b.caption for b in section.blocks if b.kind == "figure"]  # type: ignore[union-attr]
    assert any("REE" in c for c in captions)
    assert any("ellipses" in c for c in captions)
    assert any("production" in c for c in captions)
    for b in section.blocks:
        if b.kind not in ("table", "figure"):
            continue
        # a block showing values of the NOFORN entry carries NOFORN; the per-signature table
        # of the released entry carries only the link's and that entry's labels
        releasable = b.caption == "Signatures of the sample against MILL-REL"  # type: ignore[union-attr]
        assert ("NOFORN" in render_banner(b.label, node.ctx)) is not releasable
    html = render_report(node, chief, case_id, "html").decode()
    assert "Library comparison" in html and "MILL-NF" in html
    assert "87.6543" in html  # the entry's La value in a per-signature reason
    assert "excluded (" in html  # the conclusion, under the answer's label


def test_partner_version_cites_noforn_entry_by_reference_only(
    matched_case: tuple[Node, str], tmp_path: Path
) -> None:
    node, case_id = matched_case
    chief = principal_of(node, "doe.chief")
    peer = peer_principal(node, "JPN", "jpn")
    html = render_report(node, chief, case_id, "html", partner=peer).decode()
    assert "library_entry:" in html and "MILL-NF" in html  # cited
    for secret in (
        "87.6543",
        "0.00723917",
        "7.23917e-03",
        "Signatures of the sample against MILL-NF",
        "excluded (",
    ):
        assert secret not in html
    # the entry released to the partner keeps its own per-signature table (its own portion)
    answer = cases.get_case(node, chief, case_id).portions["match.0"].value["match"]
    assert "MILL-REL" in [c["entry"] for c in answer["candidates"]]
    assert "Signatures of the sample against MILL-REL" in html
    if not POPPLER:
        pytest.skip("needs Debian poppler-utils for the PDF text")
    pdf = tmp_path / "partner.pdf"
    pdf.write_bytes(render_report(node, chief, case_id, "pdf", partner=peer))
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "MILL-NF" in text
    for secret in ("87.6543", "0.00723917", "Signatures of the sample against MILL-NF"):
        assert secret not in text


def test_attach_match_refuses_a_malformed_answer(demo_node: Node) -> None:
    chief = principal_of(demo_node, "doe.chief")
    rel = parse_banner("CUI//REL TO USA, JPN", demo_node.ctx)
    case = cases.open_case(demo_node, chief, "Seized drum", rel)
    with pytest.raises(InputError) as err:
        cases.attach_match(demo_node, chief, case.id, SAMPLE, {"conclusion": "x"}, rel)
    assert err.value.field == "match.0.match"
    assert cases.get_case(demo_node, chief, case.id).version == case.version  # nothing written
