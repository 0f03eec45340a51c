"""The report document model: frozen value objects, every block with its own portion label.

A :class:`Report` has a title (itself a portion), the blocks of its title page (``front``)
and :class:`Section` objects (a heading, itself a portion, and blocks). Blocks are
:class:`Paragraph`, :class:`Table`, :class:`Figure` (SVG), :class:`KeyValues` and
:class:`Citation` (a record cited by reference only: its id and title, never its content).
Each carries a :class:`~nucsec.markings.Label`; banners are computed from them
(:mod:`nucsec.reports.banners`), never typed.

Portions are named by position (:meth:`Report.portions`): ``title``, ``front.0``,
``s2`` (heading of the third section), ``s2.b0`` (its first block). The renderers put the
name on the element (``data-portion``), which is how the PDF renderer learns which portions
landed on which page.

All portions of a report share one classifying authority, as the portions of any record do
(:func:`nucsec.markings.rollup`); :meth:`Report.check` says so before anything renders.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from nucsec.markings import Label, MarkingContext, rollup
from nucsec.reports.errors import ReportError
from nucsec.reports.figures import safe_svg

if TYPE_CHECKING:
    pass

__all__ = [
    "Block",
    "Citation",
    "Figure",
    "KeyValues",
    "Paragraph",
    "Portion",
    "Report",
    "Section",
    "Table",
]

_MAX_TEXT = 200_000


def _text(value: object, field: str, *, empty: bool = False) -> str:
    if not isinstance(value, str):
        raise ReportError(f"{field} must be text", field=field)
    if not empty and not value.strip():
        raise ReportError(f"{field} must not be empty", field=field)
    if len(value) > _MAX_TEXT:
        raise ReportError(f"{field} is longer than {_MAX_TEXT} characters", field=field)
    return value


def _label(value: object, field: str) -> Label:
    if not isinstance(value, Label):
        raise ReportError(f"{field} must be a Label", field=field)
    return value


def _cell(value: object, field: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ReportError(f"{field}: a table cell is text or a number", field=field)
    return value if isinstance(value, str) else str(value)


class _Frozen:
    """Normalising frozen dataclasses: ``_set`` replaces a field inside ``__post_init__``."""

    def _set(self, name: str, value: object) -> None:
        object.__setattr__(self, name, value)


@dataclass(frozen=True)
class Paragraph(_Frozen):
    """A paragraph of text; ``lang`` (``"ja"``, ``"en"``) when it differs from the report's."""

    text: str
    label: Label
    lang: str | None = None
    kind: ClassVar[str] = "paragraph"

    def __post_init__(self) -> None:
        _text(self.text, "paragraph.text")
        _label(self.label, "paragraph.label")
        if self.lang is not None and self.lang not in ("en", "ja"):
            raise ReportError("lang is 'en' or 'ja'", field="paragraph.lang", value=self.lang)


@dataclass(frozen=True)
class Table(_Frozen):
    """A table: column headings and rows of cells (numbers are shown with ``str``)."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    label: Label
    caption: str = ""
    kind: ClassVar[str] = "table"

    def __post_init__(self) -> None:
        columns = tuple(_text(c, "table.columns") for c in self.columns)
        if not columns:
            raise ReportError("a table needs at least one column", field="table.columns")
        rows = []
        for i, row in enumerate(self.rows):
            cells = tuple(_cell(c, f"table.rows[{i}]") for c in row)
            if len(cells) != len(columns):
                raise ReportError(
                    f"table row {i} has {len(cells)} cells for {len(columns)} columns",
                    field=f"table.rows[{i}]",
                )
            rows.append(cells)
        self._set("columns", columns)
        self._set("rows", tuple(rows))
        _label(self.label, "table.label")
        _text(self.caption, "table.caption", empty=True)


@dataclass(frozen=True)
class Figure(_Frozen):
    """An SVG figure (e.g. from :mod:`nucsec.plots`) and its caption. The SVG is checked
    against the safe subset and stored re-serialised (:func:`~.figures.safe_svg`)."""

    svg: str
    caption: str
    label: Label
    kind: ClassVar[str] = "figure"

    def __post_init__(self) -> None:
        self._set("svg", safe_svg(self.svg))
        _text(self.caption, "figure.caption")
        _label(self.label, "figure.label")


@dataclass(frozen=True)
class KeyValues(_Frozen):
    """A list of ``(key, value)`` pairs (case number, stage, dates, authors...)."""

    items: tuple[tuple[str, str], ...]
    label: Label
    caption: str = ""
    kind: ClassVar[str] = "keyvalues"

    def __post_init__(self) -> None:
        items = []
        for i, pair in enumerate(self.items):
            if len(pair) != 2:
                raise ReportError("an item is a (key, value) pair", field=f"items[{i}]")
            items.append((_text(pair[0], f"items[{i}]"), _cell(pair[1], f"items[{i}]")))
        if not items:
            raise ReportError("a key-value list needs at least one item", field="items")
        self._set("items", tuple(items))
        _label(self.label, "keyvalues.label")
        _text(self.caption, "keyvalues.caption", empty=True)


@dataclass(frozen=True)
class Citation(_Frozen):
    """A record cited by reference only (``analysis:3f2a#v2``) with a title; its content
    stays where it is."""

    ref: str
    title: str
    label: Label
    note: str = ""
    kind: ClassVar[str] = "citation"

    def __post_init__(self) -> None:
        _text(self.ref, "citation.ref")
        _text(self.title, "citation.title")
        _label(self.label, "citation.label")
        _text(self.note, "citation.note", empty=True)


Block = Paragraph | Table | Figure | KeyValues | Citation
_BLOCK_TYPES = (Paragraph, Table, Figure, KeyValues, Citation)


def _blocks(values: Iterable[object], field: str) -> tuple[Block, ...]:
    out = tuple(values)
    for i, b in enumerate(out):
        if not isinstance(b, _BLOCK_TYPES):
            raise ReportError(f"{field}[{i}] is not a report block", field=f"{field}[{i}]")
    return out  # type: ignore[return-value]


@dataclass(frozen=True)
class Section(_Frozen):
    """A heading (a portion of its own) and its blocks. ``level`` 1 or 2; ``new_page``
    starts the section on a new page in the PDF."""

    heading: str
    label: Label
    blocks: tuple[Block, ...] = ()
    level: int = 1
    new_page: bool = False

    def __post_init__(self) -> None:
        _text(self.heading, "section.heading")
        _label(self.label, "section.label")
        self._set("blocks", _blocks(self.blocks, "section.blocks"))
        if self.level not in (1, 2):
            raise ReportError("a section level is 1 or 2", field="section.level", value=self.level)


@dataclass(frozen=True)
class Portion:
    """One labelled part of a report, named by position."""

    id: str
    label: Label
    block: Block | Section | None  # None: the title


@dataclass(frozen=True)
class Report(_Frozen):
    """A labelled report: title (a portion), title-page blocks, sections.

    ``ref`` names the report in audit events (``case:…/report:final#v1``); ``lang`` is the
    language of its text (``en`` or ``ja``; paragraphs may say otherwise).
    """

    title: str
    label: Label
    front: tuple[Block, ...] = ()
    sections: tuple[Section, ...] = ()
    ref: str | None = None
    lang: str = "en"
    _portions: list[Portion] = field(default_factory=list, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _text(self.title, "report.title")
        _label(self.label, "report.label")
        self._set("front", _blocks(self.front, "report.front"))
        sections = tuple(self.sections)
        for i, s in enumerate(sections):
            if not isinstance(s, Section):
                raise ReportError(f"sections[{i}] is not a Section", field=f"sections[{i}]")
        self._set("sections", sections)
        if self.lang not in ("en", "ja"):
            raise ReportError("lang is 'en' or 'ja'", field="report.lang", value=self.lang)

    def portions(self) -> list[Portion]:
        """Every portion in document order: title, title-page blocks, then each section's
        heading and blocks."""
        if not self._portions:
            out = [Portion("title", self.label, None)]
            out += [Portion(f"front.{i}", b.label, b) for i, b in enumerate(self.front)]
            for i, s in enumerate(self.sections):
                out.append(Portion(f"s{i}", s.label, s))
                out += [Portion(f"s{i}.b{j}", b.label, b) for j, b in enumerate(s.blocks)]
            self._portions.extend(out)
        return list(self._portions)

    def check(self, ctx: MarkingContext) -> Report:
        """Validate every portion label against ``ctx`` (unknown markings are refused) and
        that the portions roll up (one classifying authority, a common reader)."""
        portions = self.portions()
        for p in portions:
            p.label.validate(ctx)
        rollup([p.label for p in portions], ctx)
        return self

    def banner_label(self, ctx: MarkingContext) -> Label:
        """The roll-up of every portion: the banner of the whole report."""
        return rollup([p.label for p in self.portions()], ctx)
