"""Refuse spectrum files that are not whole (cut-off uploads and copies, empty files).

SpecUtils reads what it can: a cut-off N42 or RadiaCode XML gives the records (and channels)
before the cut, a cut-off SPE, TKA or CSV gives the first channels. Analysing that would be a
silent partial analysis. Each check below uses what the format itself declares, before the
file is parsed:

- empty input;
- XML (N42, RadiaCode): the document must end with the closing tag of its root element;
- ORTEC/IAEA SPE: ``$DATA:`` declares the first and last channel; that many counts must
  follow;
- ORTEC CHN: the header declares the channel count; the counts must all be there;
- Canberra CNF (CAM): the file header declares the file size;
- GADRAS PCF: the file is made of 256-byte records;
- text made of lines of numbers (TKA, CSV, TXT): nothing declares a length, so the last
  line must be complete (end with a line break); a file cut at a line break cannot be told
  from a whole one.

Every refusal is a :class:`~nucsec.forensics.spectra.model.TruncatedSpectrumError`, which
says what was declared and what was found.
"""

from __future__ import annotations

import re

from nucsec.forensics.spectra.model import TruncatedSpectrumError

__all__ = ["check_whole"]

_XML_ROOT = re.compile(rb"\s*<([A-Za-z_][\w.:-]*)[\s/>]")
_SKIP = re.compile(rb"\s*(?:<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>]*>)", re.S)


def check_whole(data: bytes, name: str) -> None:
    """Raise :class:`TruncatedSpectrumError` when ``data`` is visibly not a whole file."""
    label = name or "the spectrum"
    if not data:
        raise TruncatedSpectrumError(
            f"{label} is empty (0 bytes): the upload or copy did not complete",
            field="size_bytes",
            value=0,
        )
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        _check_xml(head, label)
    elif data[:2] == b"\xff\xff" and len(data) >= 32:
        _check_chn(data, label)
    elif data[:2] == b"\x00\x04" and len(data) >= 14:
        _check_cnf(data, label)
    elif data[2:5] == b"DHS":
        _check_records(data, label, 256, "GADRAS PCF")
    elif b"\x00" not in data[:4096]:
        text = data.decode("latin-1")
        if re.search(r"^\$DATA:", text, re.M):
            _check_spe(text, label)
        elif _numeric_text(text) and text[-1] not in "\r\n":
            raise TruncatedSpectrumError(
                f"{label} ends in the middle of a line: the file is cut off",
                field="file",
                value=name or None,
            )


_NUMBERS = re.compile(r"^\s*[-+0-9.eE]+(\s*[,;\t ]\s*[-+0-9.eE]+)*\s*$")


def _numeric_text(text: str) -> bool:
    """Text made of lines of numbers (TKA, CSV, TXT counts), a header line or two allowed:
    the formats whose only sign of a cut is an incomplete last line."""
    lines = [line for line in text.splitlines()[:200] if line.strip()]
    numeric = sum(bool(_NUMBERS.match(line)) for line in lines)
    return len(lines) >= 8 and numeric >= 0.8 * len(lines)


def _check_xml(head: bytes, label: str) -> None:
    pos = 0
    while m := _SKIP.match(head, pos):
        if m.end() == pos:
            break
        pos = m.end()
    root = _XML_ROOT.match(head, pos)
    if root is None:
        return
    tag = root.group(1)
    tail = head[-4096:].rstrip()
    while tail.endswith(b"-->") and b"<!--" in tail:
        tail = tail[: tail.rindex(b"<!--")].rstrip()
    closed = re.search(rb"</\s*" + re.escape(tag) + rb"\s*>$", tail) is not None
    if not closed and not re.search(rb"<" + re.escape(tag) + rb"[^>]*/>$", tail):
        name = tag.decode("ascii", "replace")
        raise TruncatedSpectrumError(
            f"{label} ends before the closing </{name}> tag of its XML document: the file "
            "is cut off",
            field="file",
            value=label,
        )


def _check_spe(text: str, label: str) -> None:
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("$DATA:"))
    try:
        first, last = (int(v) for v in lines[at + 1].split()[:2])
    except (IndexError, ValueError):
        return  # a malformed header is the parser's to refuse
    declared = last - first + 1
    found = 0
    for line in lines[at + 2 :]:
        if line.startswith("$"):
            break
        found += len(line.split())
    if found < declared:
        raise TruncatedSpectrumError(
            f"{label} declares {declared} channels ($DATA: {first} {last}) but holds "
            f"{found}: the file is cut off",
            field="channels",
            value=found,
        )


def _check_chn(data: bytes, label: str) -> None:
    channels = int.from_bytes(data[30:32], "little")
    need = 32 + 4 * channels
    if channels and len(data) < need:
        raise TruncatedSpectrumError(
            f"{label} (ORTEC CHN) declares {channels} channels ({need} bytes) but has "
            f"{len(data)} bytes: the file is cut off",
            field="size_bytes",
            value=len(data),
        )


def _check_cnf(data: bytes, label: str) -> None:
    declared = int.from_bytes(data[10:14], "little")
    if 512 <= declared <= 1 << 30 and len(data) < declared:
        raise TruncatedSpectrumError(
            f"{label} (Canberra CNF) declares {declared} bytes but has {len(data)}: the "
            "file is cut off",
            field="size_bytes",
            value=len(data),
        )


def _check_records(data: bytes, label: str, record: int, kind: str) -> None:
    if len(data) % record:
        raise TruncatedSpectrumError(
            f"{label} ({kind}) is {len(data)} bytes, not a whole number of {record}-byte "
            "records: the file is cut off",
            field="size_bytes",
            value=len(data),
        )
