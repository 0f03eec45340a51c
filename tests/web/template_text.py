"""The words of a template a reader sees, outside ``_()``/``{% trans %}``: for the lint.

Jinja's lexer splits a template into its own tokens and ``data`` (the HTML between them).
Every Jinja token is masked (same length, newlines kept) so that offsets and line numbers
stay those of the file, and a small HTML scanner then walks the masked text for what a
reader sees: text between tags (not in ``<script>``/``<style>`` or comments) and the
attributes a browser shows or reads aloud (``title``, ``placeholder``, ``aria-label``,
``alt``, ``label``). ``{% trans %}…{% endtrans %}`` blocks are masked whole. What is in
``<code>``/``<kbd>``/``<samp>`` is literal (commands, formats), not words to translate.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from jinja2 import Environment

MASK = "\x01"
#: the attributes whose values people see or hear
VISIBLE_ATTRIBUTES = frozenset({"title", "placeholder", "aria-label", "alt", "label"})
#: elements whose content is not words to translate (code) or not shown (script, style)
RAW_ELEMENTS = frozenset({"script", "style", "code", "kbd", "samp"})
_ATTR = re.compile(r"""([^\s=/>"']+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s>"']+))?""")


@dataclass(frozen=True)
class Piece:
    """A run of data text a reader sees: ``start``/``end`` offsets in the source."""

    start: int
    end: int
    line: int
    text: str


def masked(env: Environment, source: str) -> str:
    """``source`` with every Jinja token (and each trans block) masked."""
    out: list[str] = []
    in_trans = 0
    tokens = list(env.lex(source))
    # the lexer's tokens concatenate to the source (whitespace control aside): walk the
    # source by the token values, masking what is not data
    pos = 0
    pending_block: list[str] = []
    for _line, kind, value in tokens:
        start = source.find(value, pos) if value else pos
        if start < 0:  # pragma: no cover - the lexer changed a value
            raise ValueError(f"cannot place token {value!r}")
        out.append(_mask(source[pos:start]))  # delimiters and whitespace between tokens
        pos = start + len(value)
        if kind == "block_begin":
            pending_block = []
        elif kind == "name" and not pending_block:
            pending_block.append(value)
            if value == "trans" or value == "pluralize":
                in_trans += value == "trans"
            elif value == "endtrans":
                in_trans -= 1
        if kind == "data" and in_trans == 0:
            out.append(value)
        else:
            out.append(_mask(value))
    out.append(_mask(source[pos:]))
    result = "".join(out)
    assert len(result) == len(source)
    return result


def _mask(text: str) -> str:
    return "".join(c if c == "\n" else MASK for c in text)


def visible_spans(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of the text nodes and visible attribute values of masked HTML."""
    i, n = 0, len(text)
    raw_until: str | None = None
    while i < n:
        if raw_until is not None:
            j = text.lower().find(raw_until, i)
            i = n if j < 0 else j
            raw_until = None
            continue
        if text.startswith("<!--", i):
            j = text.find("-->", i)
            i = n if j < 0 else j + 3
            continue
        if text[i] == "<" and i + 1 < n and (text[i + 1].isalpha() or text[i + 1] in "/!"):
            j = i + 1
            quote = ""
            while j < n and (quote or text[j] != ">"):
                if quote and text[j] == quote:
                    quote = ""
                elif not quote and text[j] in "\"'":
                    quote = text[j]
                j += 1
            tag = text[i + 1 : j]
            name = re.match(r"/?([A-Za-z0-9-]*)", tag)
            tag_name = name.group(1).lower() if name else ""
            for m in _ATTR.finditer(tag, len(tag_name) + 1):
                if m.group(1).lower() in VISIBLE_ATTRIBUTES and m.group(2):
                    value = m.group(2)
                    inner = 1 if value[0] in "\"'" else 0
                    yield (i + 1 + m.start(2) + inner, i + 1 + m.end(2) - inner)
            if tag_name in RAW_ELEMENTS and not tag.startswith("/"):
                raw_until = f"</{tag_name}"
            i = j + 1
            continue
        j = i
        while j < n and not (
            text[j] == "<" and j + 1 < n and (text[j + 1].isalpha() or text[j + 1] in "/!")
        ):
            j += 1
        yield (i, j)
        i = j


def pieces(env: Environment, source: str) -> Iterator[Piece]:
    """The runs of plain data a reader sees, split at Jinja tokens (masked runs)."""
    text = masked(env, source)
    for start, end in visible_spans(text):
        for m in re.finditer(f"[^{MASK}]+", text[start:end]):
            s, e = start + m.start(), start + m.end()
            yield Piece(s, e, source.count("\n", 0, s) + 1, source[s:e])
