"""A report as JSON and back: how an issued report is frozen and rendered again later.

An issued report is stored as data, not as a rendered file, so that every later reader gets
it rendered in their own scheme and screened by the monitor for them (the partner's
version, a Japanese reader's banners). :func:`report_to_json` gives plain JSON (labels in
their structured form, :meth:`nucsec.markings.Label.to_dict`); :func:`report_from_json`
builds the report again through the model's own checks (a figure's SVG is checked against
the safe subset again), so a frozen report that was tampered with or received from a peer
is refused with :class:`~nucsec.reports.errors.ReportError` rather than rendered.
:func:`report_digest` is the SHA-256 of the canonical JSON: the content hash an issued
report is known by.

>>> from nucsec.markings import default_context, parse_banner
>>> u = parse_banner("UNCLASSIFIED", default_context())
>>> from nucsec.reports.model import Paragraph, Report, Section
>>> r = Report("Case 7", u, sections=(Section("Findings", u, (Paragraph("Text.", u),)),))
>>> report_from_json(report_to_json(r)) == r
True
>>> len(report_digest(r))
64
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from nucsec.markings import Label, LabelError
from nucsec.reports.errors import ReportError
from nucsec.reports.model import (
    Block,
    Citation,
    Figure,
    KeyValues,
    Paragraph,
    Report,
    Section,
    Table,
)

__all__ = ["report_digest", "report_from_json", "report_to_json"]

FORMAT = "nucsec-report/1"


def _block(b: Block) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": b.kind, "label": b.label.to_dict()}
    if isinstance(b, Paragraph):
        out.update(text=b.text, lang=b.lang)
    elif isinstance(b, Table):
        out.update(columns=list(b.columns), rows=[list(r) for r in b.rows], caption=b.caption)
    elif isinstance(b, Figure):
        out.update(svg=b.svg, caption=b.caption)
    elif isinstance(b, KeyValues):
        out.update(items=[list(i) for i in b.items], caption=b.caption)
    else:
        out.update(ref=b.ref, title=b.title, note=b.note)
    return out


def report_to_json(report: Report) -> dict[str, Any]:
    """The report as plain JSON data (inverse of :func:`report_from_json`)."""
    return {
        "format": FORMAT,
        "title": report.title,
        "label": report.label.to_dict(),
        "ref": report.ref,
        "lang": report.lang,
        "front": [_block(b) for b in report.front],
        "sections": [
            {
                "heading": s.heading,
                "label": s.label.to_dict(),
                "level": s.level,
                "new_page": s.new_page,
                "blocks": [_block(b) for b in s.blocks],
            }
            for s in report.sections
        ],
    }


def _label(data: Any, field: str) -> Label:
    try:
        return Label.from_dict(data)
    except LabelError as exc:
        raise ReportError(f"{field}: {exc.message}", field=field) from None


def _get(data: Any, key: str, field: str) -> Any:
    if not isinstance(data, Mapping) or key not in data:
        raise ReportError(f"{field} needs {key!r}", field=field)
    return data[key]


def _block_from(data: Any, field: str) -> Block:
    kind = _get(data, "kind", field)
    label = _label(_get(data, "label", field), f"{field}.label")
    try:
        if kind == "paragraph":
            return Paragraph(data["text"], label, data.get("lang"))
        if kind == "table":
            rows = tuple(tuple(r) for r in data["rows"])
            return Table(tuple(data["columns"]), rows, label, data.get("caption", ""))
        if kind == "figure":
            return Figure(data["svg"], data["caption"], label)
        if kind == "keyvalues":
            items = tuple((str(k), v) for k, v in data["items"])
            return KeyValues(items, label, data.get("caption", ""))
        if kind == "citation":
            return Citation(data["ref"], data["title"], label, data.get("note", ""))
    except (KeyError, TypeError, ValueError) as exc:
        raise ReportError(f"{field} is not a {kind} block ({exc})", field=field) from None
    raise ReportError(f"{field}: unknown block kind {kind!r}", field=field)


def report_from_json(data: Any) -> Report:
    """The report the JSON describes, checked by the model (ReportError otherwise)."""
    if _get(data, "format", "report") != FORMAT:
        raise ReportError(f"a frozen report has format {FORMAT}", field="format")
    sections = []
    for i, s in enumerate(_get(data, "sections", "report")):
        field = f"sections[{i}]"
        blocks = tuple(
            _block_from(b, f"{field}.blocks[{j}]") for j, b in enumerate(_get(s, "blocks", field))
        )
        sections.append(
            Section(
                _get(s, "heading", field),
                _label(_get(s, "label", field), f"{field}.label"),
                blocks,
                level=s.get("level", 1),
                new_page=bool(s.get("new_page", False)),
            )
        )
    front = tuple(_block_from(b, f"front[{i}]") for i, b in enumerate(data.get("front", [])))
    return Report(
        _get(data, "title", "report"),
        _label(_get(data, "label", "report"), "label"),
        front=front,
        sections=tuple(sections),
        ref=data.get("ref"),
        lang=data.get("lang", "en"),
    )


def report_digest(report: Report) -> str:
    """SHA-256 (hex) of the report's canonical JSON: its content hash."""
    text = json.dumps(report_to_json(report), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()
