"""Practices from plain records (TOML/JSON), and the seed catalogue shipped with nucsec.

:func:`practice_from_dict` is the one reader of a practice record (the seed file, an
import, a REST body): unknown keys are refused and every error names its field, prefixed
with the record's place (``practice[3].citations[1].doc``). :func:`load_catalogue` reads
``catalogue.toml`` and checks ids are unique, nodes exist in the shipped frameworks and
owner agencies belong to the working group.

>>> cat = load_catalogue()
>>> len(cat) >= 30, cat[0].id, cat[0].status
(True, 'BP-001', 'proposed')
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Mapping
from datetime import date
from importlib import resources
from typing import Any

from nucsec.errors import InputError
from nucsec.incidents.items import field_prefix
from nucsec.practices._fields import as_date, as_list, as_table
from nucsec.practices.applicability import Applicability
from nucsec.practices.errors import PracticeError
from nucsec.practices.framework import Framework, NodeRef
from nucsec.practices.loader import shipped_frameworks
from nucsec.practices.practice import (
    Citation,
    Endorsement,
    Membership,
    Officer,
    Practice,
    check_references,
    membership_from_context,
)
from nucsec.practices.vocabulary import DATA

__all__ = ["default_membership", "load_catalogue", "practice_from_dict"]

_KEYS = {
    "id",
    "title",
    "summary",
    "body",
    "topic",
    "applicability",
    "nodes",
    "citations",
    "owner_agency",
    "status",
    "endorsement",
    "superseded_by",
}


def _keys(raw: object, keys: set[str], where: str) -> Mapping[str, Any]:
    return as_table(raw, keys, where, PracticeError)


def _date(value: object, where: str) -> date:
    return as_date(value, where, PracticeError)


def _endorsement(raw: object) -> Endorsement | None:
    if raw is None:
        return None
    t = _keys(raw, {"meeting", "on", "officers"}, "endorsement")
    officers = []
    for i, o in enumerate(t.get("officers") or []):
        ot = _keys(o, {"nation", "agency", "name"}, f"endorsement.officers[{i}]")
        officers.append(
            Officer(str(ot.get("nation", "")), str(ot.get("agency", "")), ot.get("name", ""))
        )
    return Endorsement(t.get("meeting", ""), _date(t.get("on"), "endorsement.on"), tuple(officers))


def _list(value: object, where: str) -> list[Any]:
    return as_list(value, where, PracticeError)


def practice_from_dict(raw: object) -> Practice:
    """A validated :class:`Practice` from its record (the shape of ``Practice.to_dict``,
    where citations may omit the title: it comes from the guidance registry)."""
    t = _keys(raw, _KEYS, "")
    citations = []
    for i, c in enumerate(_list(t.get("citations"), "citations")):
        ct = _keys(
            c,
            {"doc", "section", "title", "series", "year", "status", "verified"},
            f"citations[{i}]",
        )
        with field_prefix(f"citations[{i}]"):
            citations.append(Citation(ct.get("doc", ""), ct.get("section", "")))
    nodes = tuple(
        NodeRef.parse(n, where=f"nodes[{i}]", default_framework="nucsec-facility")
        for i, n in enumerate(_list(t.get("nodes"), "nodes"))
    )
    return Practice(
        id=t.get("id", ""),
        title=t.get("title", ""),
        summary=t.get("summary", ""),
        body=t.get("body", ""),
        topic=t.get("topic", ""),
        applicability=Applicability.parse(t.get("applicability"), error=PracticeError),
        nodes=nodes,
        citations=tuple(citations),
        owner_agency=t.get("owner_agency", ""),
        status=t.get("status", "draft"),
        endorsement=_endorsement(t.get("endorsement")),
        superseded_by=t.get("superseded_by") or "",
    )


def default_membership() -> dict[str, frozenset[str]]:
    """Nations and agencies of the packaged marking data (``data/markings/nations.toml``)."""
    from nucsec.markings import default_context

    return membership_from_context(default_context())


@functools.lru_cache(maxsize=1)
def _shipped() -> tuple[Practice, ...]:
    text = resources.files(DATA).joinpath("catalogue.toml").read_text(encoding="utf-8")
    return load_catalogue(text)


def load_catalogue(
    text: str | None = None,
    *,
    frameworks: Mapping[str, Framework] | None = None,
    membership: Membership | None = None,
) -> tuple[Practice, ...]:
    """Practices of a catalogue file (default: the shipped seed), fully checked."""
    if text is None:
        return _shipped()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PracticeError(f"not valid TOML: {exc}", field="file") from None
    fws = shipped_frameworks() if frameworks is None else frameworks
    members = default_membership() if membership is None else membership
    out: list[Practice] = []
    seen: set[str] = set()
    for i, raw in enumerate(_list(data.get("practice"), "practice")):
        try:
            p = practice_from_dict(raw)
            check_references(p, fws, members)
        except InputError as exc:
            exc.field = f"practice[{i}].{exc.field}" if exc.field else f"practice[{i}]"
            raise
        if p.id in seen:
            raise PracticeError(
                f"practice id {p.id!r} twice", field=f"practice[{i}].id", value=p.id
            )
        seen.add(p.id)
        out.append(p)
    return tuple(out)
