"""The report model: typed errors for bad blocks, the safe SVG subset, portion ids, and the
marking checks (fail closed) before anything renders."""

from __future__ import annotations

import doctest
import importlib
from typing import Any

import pytest

from nucsec.markings import Label, LabelError
from nucsec.reports import (
    Citation,
    Figure,
    KeyValues,
    Paragraph,
    Report,
    ReportError,
    Section,
    Table,
    safe_svg,
)
from tests.reports._build import CTX, S_REL, U, label, multipage_report

SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">{}</svg>'


@pytest.mark.parametrize(
    ("inner", "why"),
    [
        ("<script>alert(1)</script>", "element <script>"),
        ('<rect onload="alert(1)"/>', "'onload'"),
        ('<rect ONCLICK="x"/>', "'ONCLICK'"),
        ('<rect style="fill:red"/>', "'style'"),
        ('<a href="https://example.org"><rect/></a>', "element <a>"),
        ('<image href="file:///etc/passwd"/>', "element <image>"),
        ('<rect fill="url(https://example.org/x)"/>', "refers to a resource"),
        ("<foreignObject><p>x</p></foreignObject>", "element <foreignObject>"),
        ('<use xmlns:x="http://www.w3.org/1999/xlink" x:href="#a"/>', "element <use>"),
        ('<rect xmlns:x="http://www.w3.org/1999/xlink" x:href="#a"/>', "is not allowed"),
    ],
)
def test_unsafe_svg_is_refused(inner: str, why: str) -> None:
    with pytest.raises(ReportError) as err:
        Figure(SVG.format(inner), "caption", U)
    assert err.value.field == "svg" and why in err.value.message


@pytest.mark.parametrize(
    "text",
    [
        '<!DOCTYPE svg [<!ENTITY x "y">]><svg xmlns="http://www.w3.org/2000/svg">&x;</svg>',
        '<svg xmlns="http://www.w3.org/2000/svg"><![CDATA[<script>]]></svg>',
        '<svg xmlns="http://www.w3.org/2000/svg"><!-- a comment --></svg>',
        "<svg><rect/></svg>",  # no SVG namespace
        '<svg xmlns="http://www.w3.org/2000/svg"><rect>',
        "",
    ],
)
def test_malformed_or_declared_svg_is_refused(text: str) -> None:
    with pytest.raises(ReportError):
        safe_svg(text)


def test_safe_svg_reserialises_what_it_checked() -> None:
    text = SVG.format('<text x="1" data-value="2">a &lt;b&gt; &amp; "c"</text>\n')
    out = safe_svg(text)
    assert out == (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">'
        '<text x="1" data-value="2">a &lt;b&gt; &amp; "c"</text>\n</svg>'
    )
    assert safe_svg(out) == out


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: Paragraph("", U), "paragraph.text"),
        (lambda: Paragraph("x", "SECRET"), "paragraph.label"),
        (lambda: Paragraph("x", U, lang="fr"), "paragraph.lang"),
        (lambda: Table(("a", "b"), [("1",)], U), "table.rows[0]"),
        (lambda: Table((), [], U), "table.columns"),
        (lambda: Table(("a",), [(True,)], U), "table.rows[0]"),
        (lambda: KeyValues((), U), "items"),
        (lambda: KeyValues((("k", "v", "x"),), U), "items[0]"),
        (lambda: Citation("", "t", U), "citation.ref"),
        (lambda: Section("h", U, ("not a block",)), "section.blocks[0]"),
        (lambda: Section("h", U, level=3), "section.level"),
        (lambda: Report("t", U, sections=("x",)), "sections[0]"),
    ],
)
def test_bad_blocks_raise_typed_errors(make: Any, field: str) -> None:
    with pytest.raises(ReportError) as err:
        make()
    assert err.value.field == field
    assert isinstance(err.value, ValueError)  # an InputError: exit 2, HTTP 422


def test_table_cells_are_text_and_rows_are_tuples() -> None:
    t = Table(["a", "b"], [["x", 1], ["y", 2.5]], U)  # type: ignore[arg-type]
    assert t.rows == (("x", "1"), ("y", "2.5")) and t.columns == ("a", "b")


def test_portions_are_named_by_position_in_document_order() -> None:
    report, _, _ = multipage_report(table_rows=2)
    ids = [p.id for p in report.portions()]
    assert ids[:4] == ["title", "front.0", "front.1", "s0"]
    assert ids[4:7] == ["s0.b0", "s0.b1", "s1"]
    assert len(ids) == len(set(ids)) == 3 + sum(1 + len(s.blocks) for s in report.sections)


def test_unknown_markings_and_mixed_authorities_are_refused_before_rendering() -> None:
    unknown = Label.create(authority="USA", level="ULTRA")
    with pytest.raises(LabelError):
        Report("t", U, front=(Paragraph("x", unknown),)).check(CTX)
    japanese = label("GOKUHI//REL TO JPN, USA")
    with pytest.raises(LabelError) as err:
        Report("t", S_REL, front=(Paragraph("x", japanese),)).check(CTX)
    assert err.value.field == "authority"


def test_banner_label_is_the_rollup_of_every_portion() -> None:
    report, _, _ = multipage_report(table_rows=2)
    assert report.banner_label(CTX) == label("SECRET//FORENSICS//NOFORN")


@pytest.mark.parametrize(
    "name",
    [
        "nucsec.plots.svg",
        "nucsec.plots.spectrum",
        "nucsec.plots.dates",
        "nucsec.plots.ree",
        "nucsec.plots.ellipses",
        "nucsec.reports.figures",
        "nucsec.reports.banners",
        "nucsec.reports.pdf",
    ],
)
def test_doctests(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
