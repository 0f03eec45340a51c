"""Best practices: validation per field, safe rendering, lifecycle, the seed catalogue."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from html.parser import HTMLParser
from typing import Any

import pytest

from nucsec.practices import (
    Applicability,
    Citation,
    Endorsement,
    LifecycleError,
    NodeRef,
    Officer,
    Practice,
    PracticeError,
    check_references,
    default_membership,
    endorse,
    guidance_documents,
    load_catalogue,
    practice_from_dict,
    propose,
    render_markdown,
    revise,
    shipped_frameworks,
    supersede,
    topics,
    withdraw,
)
from nucsec.practices.lifecycle import TRANSITIONS
from nucsec.practices.render import ALLOWED_TAGS

MEMBERS = {"USA": {"DOE", "DHS", "DOS"}, "JPN": {"MEXT", "MOFA", "NPA", "NISA"}}
BOTH = Endorsement(
    "NSWG plenary 2",
    date(2011, 6, 1),
    (Officer("USA", "DOE", "A. Smith"), Officer("JPN", "MEXT", "B. Sato")),
)


def draft(**kw: Any) -> Practice:
    base: dict[str, Any] = {
        "id": "BP-X",
        "title": "Two-person rule",
        "summary": "Two people.",
        "body": "",
        "topic": "insider_threat",
        "owner_agency": "USA.DOE",
    }
    return Practice(**{**base, **kw})


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"summary": " "}, "summary"),
        ({"body": "x" * 50_001}, "body"),
        ({"topic": "gardening"}, "topic"),
        ({"owner_agency": "DOE"}, "owner_agency"),
        ({"status": "approved"}, "status"),
        ({"status": "endorsed"}, "endorsement"),
        ({"endorsement": BOTH}, "endorsement"),
        ({"superseded_by": "BP-9"}, "superseded_by"),
        ({"id": ""}, "id"),
    ],
)
def test_bad_practice_names_the_field(kw: dict[str, Any], field: str) -> None:
    with pytest.raises(PracticeError) as info:
        draft(**kw)
    assert info.value.field == field


def test_citation_carries_title_and_status_never_text() -> None:
    c = Citation("NSS-7", "culture model")
    d = c.to_dict()
    assert d["title"] == "Nuclear Security Culture" and d["verified"] is False
    assert set(d) == {"doc", "title", "series", "year", "section", "status", "verified"}
    assert Citation("NSS-13").to_dict()["verified"] is True
    with pytest.raises(PracticeError) as info:
        Citation("NSS-999")
    assert info.value.field == "doc"


def test_record_round_trip_and_field_paths() -> None:
    p = load_catalogue()[0]
    assert practice_from_dict(p.to_dict()) == p
    raw = p.to_dict()
    raw["citations"][1]["doc"] = "NOPE"
    with pytest.raises(PracticeError) as info:
        practice_from_dict(raw)
    assert info.value.field == "citations[1].doc"
    raw = {**p.to_dict(), "colour": "red"}
    with pytest.raises(PracticeError) as info:
        practice_from_dict(raw)
    assert info.value.field == "colour"
    raw = {**p.to_dict(), "applicability": ["cat:I", "cat:IV"]}
    with pytest.raises(PracticeError) as info:
        practice_from_dict(raw)
    assert info.value.field == "applicability[1]"


def test_references_checked_against_frameworks_and_membership() -> None:
    fws = shipped_frameworks()
    ok = draft(nodes=(NodeRef("nucsec-facility", "TH-I-03"),))
    check_references(ok, fws, MEMBERS)
    with pytest.raises(PracticeError) as info:
        check_references(draft(nodes=(NodeRef("nucsec-facility", "TH-I-99"),)), fws, MEMBERS)
    assert info.value.field == "nodes[0]"
    with pytest.raises(PracticeError) as info:
        check_references(draft(owner_agency="USA.FBI"), fws, MEMBERS)
    assert info.value.field == "owner_agency"
    assert default_membership()["JPN"] >= {"MEXT", "NPA"}


@pytest.mark.parametrize(
    "attack",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "[a](javascript:alert(1))",
        '<a href="javascript:alert(1)">a</a>',
        "[a](data:text/html;base64,PHNjcmlwdD4=)",
        "<iframe src=//evil></iframe>",
        '<svg onload="alert(1)">',
        "[x](vbscript:msgbox(1))",
        "<style>body{display:none}</style>",
        '<p style="background:url(x)">p</p>',
    ],
)
def test_rendering_is_safe(attack: str) -> None:
    html = render_markdown(f"Intro\n\n{attack}\n\n**bold**")
    parser = _Elements()
    parser.feed(html)
    assert parser.tags <= ALLOWED_TAGS
    for tag, name, value in parser.attrs:
        assert not name.startswith("on"), (tag, name)
        if name == "href":
            assert value.split(":")[0] in ("http", "https", "mailto"), value
        if name == "style":
            assert value.startswith("text-align"), value
    assert {"script", "img", "iframe", "svg", "style"}.isdisjoint(parser.tags)
    assert "<strong>bold</strong>" in html


class _Elements(HTMLParser):
    """Every element and attribute of a fragment, as a browser's tokenizer sees them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attrs: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attrs += [(tag, k, v or "") for k, v in attrs]


def test_rendering_keeps_useful_markdown() -> None:
    html = render_markdown("# T\n\n- a\n- b\n\n[IAEA](https://www.iaea.org)\n\n| a |\n|---|\n| 1 |")
    assert "<h1>T</h1>" in html and "<li>a</li>" in html and "<table>" in html
    assert 'href="https://www.iaea.org"' in html and "noopener" in html


def test_lifecycle_happy_path_and_endorsement_rule() -> None:
    p = propose(draft())
    assert withdraw(p).status == "draft"
    e = endorse(p, BOTH, MEMBERS)
    assert e.status == "endorsed" and e.endorsement == BOTH
    s = supersede(e, "BP-Y")
    assert s.status == "superseded" and s.superseded_by == "BP-Y"
    assert s.to_dict()["endorsement"]["officers"][1]["nation"] == "JPN"


@pytest.mark.parametrize(
    ("officers", "field"),
    [
        ((Officer("USA", "DOE", "a"),), "endorsement.officers"),
        ((Officer("USA", "DOE", "a"), Officer("USA", "DOS", "b")), "endorsement.officers"),
        (
            (Officer("USA", "DOE", "a"), Officer("JPN", "FBI", "b")),
            "endorsement.officers[1].agency",
        ),
        (
            (Officer("USA", "DOE", "a"), Officer("KOR", "MOFA", "b")),
            "endorsement.officers[1].nation",
        ),
        ((), "endorsement.officers"),
    ],
)
def test_endorsement_needs_an_officer_of_each_nation(officers: Any, field: str) -> None:
    with pytest.raises(PracticeError) as info:
        endorse(propose(draft()), replace(BOTH, officers=officers), MEMBERS)
    assert info.value.field == field


def test_a_third_nation_joins_by_data_only() -> None:
    members = {**MEMBERS, "KOR": {"MOFA"}}
    with pytest.raises(PracticeError, match="missing: KOR"):
        endorse(propose(draft()), BOTH, members)
    three = replace(BOTH, officers=(*BOTH.officers, Officer("KOR", "MOFA", "C. Kim")))
    assert endorse(propose(draft()), three, members).status == "endorsed"


def test_wrong_state_is_a_conflict() -> None:
    d = draft()
    for step in (lambda p: endorse(p, BOTH, MEMBERS), withdraw, lambda p: supersede(p, "B")):
        with pytest.raises(LifecycleError) as info:
            step(d)
        assert (
            info.value.field == "status" and info.value.to_dict()["error"] == "invalid_transition"
        )
    with pytest.raises(LifecycleError):
        propose(propose(d))
    with pytest.raises(LifecycleError):
        revise(propose(d), title="New")
    assert revise(d, title="New").title == "New"
    with pytest.raises(PracticeError) as info:
        revise(d, status="endorsed")
    assert info.value.field == "status"
    with pytest.raises(PracticeError):
        revise(d, topic="gardening")
    assert len(TRANSITIONS) == 4


def test_seed_catalogue() -> None:
    cat = load_catalogue()
    assert len(cat) >= 30 and len({p.id for p in cat}) == len(cat)
    assert {p.status for p in cat} <= {"draft", "proposed"}  # no endorsement claimed
    docs = guidance_documents()
    assert all(p.citations and all(c.doc in docs for c in p.citations) for p in cat)
    assert all(p.nodes for p in cat) and len({p.topic for p in cat}) >= 12
    assert {p.owner_agency.split(".")[0] for p in cat} == {"USA", "JPN"}
    titles = {d.title.lower() for d in docs.values()}
    for p in cat:  # our words: no summary is a guidance title
        assert p.summary.lower() not in titles and len(p.summary) < 300
    assert all(isinstance(p.applicability, Applicability) for p in cat)


def test_catalogue_errors_name_the_entry() -> None:
    text = (
        '[[practice]]\nid = "A"\ntitle = "t"\nsummary = "s"\ntopic = "nope"\n'
        'owner_agency = "USA.DOE"\n'
    )
    with pytest.raises(PracticeError) as info:
        load_catalogue(text)
    assert info.value.field == "practice[0].topic"
    twice = text.replace("nope", "insider_threat") * 2
    with pytest.raises(PracticeError) as info:
        load_catalogue(twice)
    assert info.value.field == "practice[1].id"


def test_topics_cover_the_guidance_list() -> None:
    covered = {t for topic in topics().values() for t in topic.guidance_topics}
    assert {d.topic for d in guidance_documents().values()} <= covered
    assert all(t.label_ja for t in topics().values())
