"""The demo case's staged reports: every PDF page non-blank, each page's text beginning and
ending with the roll-up banner of the portion marks printed on it, NOFORN never in the
partner's version, and the HTML and PDF rendered only for a reader of the case.

The expected banner of a page is computed here from the portion marks ``pdftotext`` finds
on that page and the labels the frozen report gives those marks
(:func:`nucsec.markings.rollup`), not from the engine's page mapping.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from nucsec.audit.tables import audit_events
from nucsec.demo import seed_case
from nucsec.errors import NotFoundError
from nucsec.federation.peers import peer_principal
from nucsec.markings import Label, render_in, render_portion, rollup
from nucsec.node import Node
from nucsec.service.case_reports import frozen_report, render_report
from nucsec.service.cases import get_case
from nucsec.service.users import principal_of
from tests.reports.test_pdf import POPPLER, _check_not_blank, _page_count, _squash

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not POPPLER, reason="needs Debian poppler-utils"),
]

LIAISON = "liaison reporting"  # words of the demo's NOFORN assessment


def _text(path: Path, n: int) -> str:
    args = ["pdftotext", "-f", str(n), "-l", str(n), str(path), "-"]
    return _squash(subprocess.run(args, capture_output=True, text=True, check=True).stdout)


def _expected(node: Node, labels: list[Label]) -> str:
    top = rollup(labels, node.ctx)
    return f"{render_in(top, node.ctx, 'USA', 'en')} / {render_in(top, node.ctx, 'JPN', 'ja')}"


@pytest.fixture
def demo_case(demo_node: Node) -> tuple[Node, str]:
    case_id = seed_case(demo_node)
    assert case_id is not None
    return demo_node, case_id


def test_three_staged_reports_render_with_page_banners(
    demo_case: tuple[Node, str], tmp_path: Path
) -> None:
    node, case_id = demo_case
    chief = principal_of(node, "doe.chief")
    view = get_case(node, chief, case_id)
    assert [r["stage"] for r in view.reports] == ["preliminary", "interim", "final"]
    assert len({r["sha256"] for r in view.reports}) == 3  # each stage's content differs
    for stage in ("preliminary", "interim", "final"):
        _, report = frozen_report(view, stage)
        marks = {render_portion(p.label, node.ctx): p.label for p in report.portions()}
        path = tmp_path / f"{stage}.pdf"
        path.write_bytes(render_report(node, chief, case_id, "pdf", stage=stage))
        _check_not_blank(path, tmp_path)
        pages = _page_count(path)
        assert pages >= 4  # title page, findings, samples, an analysis, methods
        for n in range(1, pages + 1):
            text = _text(path, n)
            on_page = [label for mark, label in marks.items() if mark in text]
            assert on_page, f"{stage} page {n} has no portion mark"
            want = _expected(node, on_page)
            assert text.startswith(want), f"{stage} p{n} begins {text[:90]!r}, want {want!r}"
            assert text.endswith(want), f"{stage} p{n} ends {text[-90:]!r}, want {want!r}"
        whole = " ".join(_text(path, n) for n in range(1, pages + 1))
        assert (LIAISON in whole) == (stage != "preliminary")  # added after the first


def test_noforn_never_reaches_the_partner_version(
    demo_case: tuple[Node, str], tmp_path: Path
) -> None:
    node, case_id = demo_case
    chief = principal_of(node, "doe.chief")
    peer = peer_principal(node, "JPN", "jpn")
    home = tmp_path / "home.pdf"
    home.write_bytes(render_report(node, chief, case_id, "pdf"))
    released = tmp_path / "released.pdf"
    released.write_bytes(render_report(node, chief, case_id, "pdf", partner=peer))
    home_text = " ".join(_text(home, n) for n in range(1, _page_count(home) + 1))
    out_text = " ".join(_text(released, n) for n in range(1, _page_count(released) + 1))
    assert LIAISON in home_text and "NOFORN" in home_text
    assert LIAISON not in out_text and "NOFORN" not in out_text and "(C//NF)" not in out_text
    assert "Sample S-1 contains uranium" in out_text  # the releasable findings remain
    html = render_report(node, chief, case_id, "html", partner=peer).decode()
    assert LIAISON not in html and "NOFORN" not in html
    with node.engine.connect() as conn:
        query = select(audit_events.c.body).where(audit_events.c.action == "record.report")
        details = [json.loads(b)["details"] for b in conn.execute(query).scalars()]
    withheld = [d["withheld"] for d in details if d["for"] == peer.id]
    assert withheld and all(w for w in withheld)  # the partner's renderings withheld portions


def test_a_reader_who_cannot_read_the_case_gets_not_found(demo_case: tuple[Node, str]) -> None:
    node, case_id = demo_case
    npa = principal_of(node, "npa.analyst")  # the case rolls up to NOFORN
    with pytest.raises(NotFoundError):
        render_report(node, npa, case_id, "html")


def test_a_tampered_frozen_report_is_refused(demo_case: tuple[Node, str]) -> None:
    from nucsec.errors import InputError
    from nucsec.service.cases import CASE

    node, case_id = demo_case
    chief = principal_of(node, "doe.chief")
    view = get_case(node, chief, case_id)
    entry = dict(view.portions["report.0"].value)
    body = dict(entry["report"])
    body["title"] = "Something else"
    entry["report"] = body
    CASE.check({**{n: p.value for n, p in view.portions.items()}, "report.0": entry})
    portions = {
        **view.portions,
        "report.0": type(view.portions["report.0"])(
            value=entry,
            portion=view.portions["report.0"].portion,
            label=view.portions["report.0"].label,
        ),
    }
    from dataclasses import replace

    forged = replace(view, portions=portions)
    with pytest.raises(InputError, match="content hash"):
        frozen_report(forged, "preliminary")
    assert re.fullmatch(r"[0-9a-f]{64}", view.reports[0]["sha256"])
