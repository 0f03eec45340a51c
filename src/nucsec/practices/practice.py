"""Best practices: the value object, its citations of guidance, and its endorsement.

A :class:`Practice` is valid on creation (title, summary, Markdown body, topic from the
fixed vocabulary, applicability tags, framework nodes it helps meet, citations, owner
agency ``NATION.AGENCY``, status and, once endorsed, its :class:`Endorsement`). What needs
outside data - that its nodes exist in the loaded frameworks and its agency is a member
of the working group - is checked by :func:`check_references`.

A :class:`Citation` names a guidance document of ``guidance.csv`` by id, plus a section
(``"§4.2"``, ``"measure TH-I-03 (local label)"``): it carries the document's title and
its verification status, never its text.

>>> p = Practice("BP-1", "Two-person rule", "Two people for vault access.", "", "insider_threat",
...              owner_agency="USA.DOE", citations=(Citation("NSS-13", "TH-I-03"),))
>>> p.citations[0].title[:33], p.status
('Nuclear Security Recommendations ', 'draft')
>>> Practice("BP-1", "T", "S", "", "gardening", owner_agency="USA.DOE")
Traceback (most recent call last):
...
nucsec.practices.errors.PracticeError: unknown topic 'gardening' (use ...)
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from nucsec.practices.applicability import ANY, Applicability
from nucsec.practices.errors import PracticeError, check_text
from nucsec.practices.framework import Framework, NodeRef
from nucsec.practices.render import render_markdown
from nucsec.practices.vocabulary import read_data_csv, topics

__all__ = [
    "PRACTICE_STATUSES",
    "Citation",
    "Endorsement",
    "GuidanceDocument",
    "Officer",
    "Practice",
    "check_references",
    "guidance_documents",
    "membership_from_context",
]

PRACTICE_STATUSES = ("draft", "proposed", "endorsed", "superseded")
_AGENCY = re.compile(r"^[A-Z]{3}\.[A-Z][A-Z0-9]{1,15}$")
_LIMITS = {"title": 200, "summary": 1_000, "body": 50_000}

#: nation -> agency codes of the working group (see :func:`membership_from_context`)
Membership = Mapping[str, Collection[str]]


@dataclass(frozen=True)
class GuidanceDocument:
    """A guidance document that can be cited (a row of ``guidance.csv``)."""

    id: str
    title: str
    series: str
    year: str
    topic: str
    status: str

    @property
    def verified(self) -> bool:
        """False when the row's status mentions anything unverified."""
        return "unverified" not in self.status


@functools.lru_cache(maxsize=1)
def guidance_documents() -> dict[str, GuidanceDocument]:
    """Citable guidance by id (``guidance.csv``, a copy of the shared topics list)."""
    return {
        r["id"]: GuidanceDocument(
            r["id"], r["title"], r["series"], r["year"], r["topic"], r["status"]
        )
        for r in read_data_csv("guidance.csv")
    }


def _text(value: object, where: str, limit: int, *, required: bool = True) -> str:
    return check_text(value, where, limit, required=required, error=PracticeError)


@dataclass(frozen=True)
class Citation:
    """A guidance document by id and a section; title and status come from the registry."""

    doc: str
    section: str = ""

    def __post_init__(self) -> None:
        if self.doc not in guidance_documents():
            raise PracticeError(
                f"unknown guidance document {self.doc!r}", field="doc", value=self.doc
            )
        _text(self.section, "section", 120, required=False)

    @property
    def document(self) -> GuidanceDocument:
        return guidance_documents()[self.doc]

    @property
    def title(self) -> str:
        return self.document.title

    def to_dict(self) -> dict[str, Any]:
        d = self.document
        return {
            "doc": self.doc,
            "title": d.title,
            "series": d.series,
            "year": d.year,
            "section": self.section,
            "status": d.status,
            "verified": d.verified,
        }


@dataclass(frozen=True)
class Officer:
    """An officer who endorsed: nation, agency code and name (or user id)."""

    nation: str
    agency: str
    name: str

    def to_dict(self) -> dict[str, str]:
        return {"nation": self.nation, "agency": self.agency, "name": self.name}


@dataclass(frozen=True)
class Endorsement:
    """The working group's decision: meeting, date and the endorsing officers."""

    meeting: str
    on: date
    officers: tuple[Officer, ...]

    def __post_init__(self) -> None:
        _text(self.meeting, "endorsement.meeting", 200)
        if not isinstance(self.on, date):
            raise PracticeError("endorsement date must be a date", field="endorsement.on")
        object.__setattr__(self, "officers", tuple(self.officers))
        for i, o in enumerate(self.officers):
            if not isinstance(o, Officer):
                raise PracticeError(
                    "officers are Officer values", field=f"endorsement.officers[{i}]"
                )
            _text(o.name, f"endorsement.officers[{i}].name", 200)

    def to_dict(self) -> dict[str, Any]:
        return {
            "meeting": self.meeting,
            "on": self.on.isoformat(),
            "officers": [o.to_dict() for o in self.officers],
        }


@dataclass(frozen=True)
class Practice:
    """A best practice (see the module docstring)."""

    id: str
    title: str
    summary: str
    body: str
    topic: str
    applicability: Applicability = ANY
    nodes: tuple[NodeRef, ...] = ()
    citations: tuple[Citation, ...] = ()
    owner_agency: str = ""
    status: str = "draft"
    endorsement: Endorsement | None = None
    superseded_by: str = ""

    def __post_init__(self) -> None:
        _text(self.id, "id", 64)
        for key, limit in _LIMITS.items():
            _text(getattr(self, key), key, limit, required=key != "body")
        if self.topic not in topics():
            raise PracticeError(
                f"unknown topic {self.topic!r} (use {', '.join(topics())})",
                field="topic",
                value=self.topic,
            )
        if not isinstance(self.applicability, Applicability):
            raise PracticeError("applicability must be tags", field="applicability")
        object.__setattr__(self, "nodes", tuple(self.nodes))
        object.__setattr__(self, "citations", tuple(self.citations))
        if not isinstance(self.owner_agency, str) or not _AGENCY.match(self.owner_agency):
            raise PracticeError(
                "owner agency must read NATION.AGENCY (e.g. JPN.MEXT)",
                field="owner_agency",
                value=repr(self.owner_agency),
            )
        self._check_status()

    def _check_status(self) -> None:
        if self.status not in PRACTICE_STATUSES:
            raise PracticeError(
                f"unknown status {self.status!r} (use {', '.join(PRACTICE_STATUSES)})",
                field="status",
                value=self.status,
            )
        endorsed = self.status in ("endorsed", "superseded")
        if endorsed != (self.endorsement is not None):
            raise PracticeError(
                f"a {self.status} practice {'needs' if endorsed else 'has no'} endorsement",
                field="endorsement",
            )
        if (self.status == "superseded") != bool(self.superseded_by):
            raise PracticeError(
                "superseded_by is set exactly when superseded", field="superseded_by"
            )

    @property
    def body_html(self) -> str:
        """The body rendered safely (:func:`~nucsec.practices.render.render_markdown`)."""
        return render_markdown(self.body)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the record the service layer stores)."""
        return {
            "id": self.id,
            "title": self.title,
            "summary": self.summary,
            "body": self.body,
            "topic": self.topic,
            "applicability": self.applicability.to_list(),
            "nodes": [str(n) for n in self.nodes],
            "citations": [c.to_dict() for c in self.citations],
            "owner_agency": self.owner_agency,
            "status": self.status,
            "endorsement": None if self.endorsement is None else self.endorsement.to_dict(),
            "superseded_by": self.superseded_by or None,
        }


def membership_from_context(ctx: Any) -> dict[str, frozenset[str]]:
    """Nation -> agency codes from a :class:`~nucsec.markings.MarkingContext`."""
    return {code: frozenset(a.code for a in n.agencies) for code, n in ctx.nations.items()}


def check_references(
    practice: Practice, frameworks: Mapping[str, Framework], membership: Membership
) -> None:
    """Raise unless the practice's nodes exist and its owner agency is a member."""
    for i, ref in enumerate(practice.nodes):
        fw = frameworks.get(ref.framework)
        if fw is None or not fw.has(ref.code):
            raise PracticeError(
                f"{ref} is not a node of a loaded framework", field=f"nodes[{i}]", value=str(ref)
            )
    nation, _, agency = practice.owner_agency.partition(".")
    if agency not in membership.get(nation, ()):
        raise PracticeError(
            f"{practice.owner_agency} is not a working-group agency",
            field="owner_agency",
            value=practice.owner_agency,
        )
