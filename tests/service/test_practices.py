"""Practices as labelled records: search (Japanese and English), filters, facets and the
monitor, endorsement as a new version, typed errors with nothing written. Runs on SQLite
and, when the run targets it, PostgreSQL (the search SQL differs; the answers must not)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from nucsec.errors import AccessDenied, InputError, NotFoundError
from nucsec.markings import parse_banner
from nucsec.practices import LifecycleError, Officer, PracticeError
from nucsec.service import labelled
from nucsec.service.practice_search import PracticeFilter, search_practices
from nucsec.service.practices import (
    PRACTICE,
    add_practice,
    endorse_practice,
    get_practice,
    propose_practice,
)
from nucsec.service.users import principal_of
from nucsec.store.schema import records

REL = "SECRET//REL TO USA, JPN"
NOFORN = "SECRET//NOFORN"


def _add(node, user, banner, **record):
    record.setdefault("summary", "A summary.")
    record.setdefault("body", "")
    record.setdefault("topic", "insider_threat")
    return add_practice(node, principal_of(node, user), record, parse_banner(banner, node.ctx))


@pytest.fixture
def catalogue(demo_node):
    node = demo_node
    made = {
        "insider": _add(
            node,
            "doe.analyst",
            REL,
            id="BP-1",
            title="Two-person rule for vault access",
            summary="Insiders are deterred when no one is alone with material.",
            applicability=["cat:I", "theft"],
        ),
        "japanese": _add(
            node,
            "npa.analyst",
            "極秘//REL TO USA, JPN",
            id="BP-2",
            title="核物質防護の強化",
            summary="施設内の核物質を内部脅威から守るための二人規則。",
            topic="physical_protection",
            applicability=["cat:II", "theft"],
        ),
        "hidden": _add(
            node,
            "doe.analyst",
            NOFORN,
            id="BP-3",
            title="Insider vetting of vault staff",
            summary="Hidden from Japan: insider screening details.",
            topic="sabotage",
            applicability=["cat:III", "sabotage"],
        ),
    }
    return node, made


def _search(node, user, **kw):
    return search_practices(node, principal_of(node, user), PracticeFilter(**kw))


def test_english_insider_finds_prefix_matches_ranked(catalogue):
    node, made = catalogue
    found = _search(node, "doe.analyst", query="insider")
    ids = [i.id for i in found.items]
    assert set(ids) == {made["insider"].id, made["hidden"].id} and found.total == 2
    assert ids[0] == made["hidden"].id  # in the title ranks above in the summary only


def test_japanese_words_are_found_inside_longer_runs(catalogue):
    node, made = catalogue
    for query in ("核物質", "核物質防護", "二人規則", "施設内"):
        found = _search(node, "npa.analyst", query=query)
        assert [i.id for i in found.items] == [made["japanese"].id], query
    # the topic's Japanese label is indexed: 内部脅威 (insider threat) also finds the
    # English practice filed under that topic, below the one that says it in its summary
    both = _search(node, "npa.analyst", query="内部脅威")
    assert [i.id for i in both.items] == [made["japanese"].id, made["insider"].id]
    assert _search(node, "npa.analyst", query="防護核物質").total == 0  # order matters
    assert _search(node, "npa.analyst", query="ｉｎｓｉｄｅｒ").total == 1  # full width


def test_hidden_practice_is_absent_from_items_total_and_facets(catalogue):
    node, made = catalogue
    seen_us = _search(node, "doe.analyst")
    seen_jp = _search(node, "npa.analyst")
    assert seen_us.total == 3 and seen_jp.total == 2
    assert made["hidden"].id not in [i.id for i in seen_jp.items]
    assert "sabotage" not in seen_jp.facets["topic"]
    assert "cat:III" not in seen_jp.facets["applicability"]
    assert seen_us.facets["topic"]["sabotage"] == 1
    assert seen_jp.facets["status"] == {"draft": 2}
    found = _search(node, "npa.analyst", query="insider")
    assert [i.id for i in found.items] == [made["insider"].id] and found.total == 1
    assert found.facets["applicability"] == {"cat:I": 1, "theft": 1}
    assert _search(node, "npa.analyst", query="vetting").total == 0
    with pytest.raises(NotFoundError):
        get_practice(node, principal_of(node, "npa.analyst"), made["hidden"].id)
    assert labelled.count(node, principal_of(node, "npa.analyst"), PRACTICE) == 2


def test_filters_by_topic_applicability_and_status(catalogue):
    node, made = catalogue
    assert [i.id for i in _search(node, "doe.analyst", topic="physical_protection").items] == [
        made["japanese"].id
    ]
    by_tag = _search(node, "doe.analyst", applicability=("theft",))
    assert {i.id for i in by_tag.items} == {made["insider"].id, made["japanese"].id}
    both = _search(node, "doe.analyst", applicability=("theft", "cat:I"))
    assert [i.id for i in both.items] == [made["insider"].id]
    assert _search(node, "doe.analyst", status="endorsed").total == 0
    for bad, field in (
        ({"topic": "gardening"}, "topic"),
        ({"applicability": ("cat:IV",)}, "applicability[0]"),
        ({"status": "approved"}, "status"),
        ({"query": "!!!"}, "query"),
    ):
        with pytest.raises(InputError) as err:
            _search(node, "doe.analyst", **bad)
        assert err.value.field == field


def test_endorsement_is_a_new_version_with_an_officer_of_each_nation(catalogue):
    node, made = catalogue
    chief = principal_of(node, "doe.chief")
    pid = made["insider"].id
    officers = (Officer("JPN", "MEXT", "mext.chief"),)
    with pytest.raises(LifecycleError):  # a draft is not endorsed
        endorse_practice(
            node,
            chief,
            pid,
            meeting="M1",
            on=date(2011, 6, 1),
            officers=officers,
            officer_name="doe.chief",
        )
    assert propose_practice(node, chief, pid).status == "proposed"
    with pytest.raises(PracticeError) as missing:
        endorse_practice(
            node,
            chief,
            pid,
            meeting="M1",
            on=date(2011, 6, 1),
            officers=(),
            officer_name="doe.chief",
        )
    assert missing.value.field == "endorsement.officers"
    with pytest.raises(AccessDenied):  # an analyst records no endorsement
        endorse_practice(
            node,
            principal_of(node, "doe.analyst"),
            pid,
            meeting="M1",
            on=date(2011, 6, 1),
            officers=officers,
            officer_name="doe.analyst",
        )
    done = endorse_practice(
        node,
        chief,
        pid,
        meeting="NSWG 3",
        on=date(2011, 6, 1),
        officers=officers,
        officer_name="doe.chief",
    )
    assert done.status == "endorsed" and done.version == 3
    assert {o["nation"] for o in done.endorsement["officers"]} == {"USA", "JPN"}
    assert _search(node, "npa.analyst", status="endorsed").total == 1
    history = labelled.versions(node, chief, PRACTICE, pid)
    assert [v.status for v, _ in history] == ["draft", "proposed", "endorsed"]


def test_bad_practice_names_the_field_and_writes_nothing(demo_node):
    node = demo_node
    with node.engine.connect() as conn:
        before = conn.execute(select(func.count()).select_from(records)).scalar()
    for record, field in (
        ({"id": "BP-9", "title": "T", "topic": "gardening"}, "topic"),
        ({"id": "BP-9", "title": "T", "applicability": ["cat:IV"]}, "applicability[0]"),
        ({"id": "BP-9", "title": "T", "nodes": ["nti-index:99.9"]}, "nodes[0]"),
        ({"id": "BP-9", "title": "", "topic": "insider_threat"}, "title"),
    ):
        with pytest.raises(InputError) as err:
            _add(node, "doe.analyst", REL, **record)
        assert err.value.field == field
    with node.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(records)).scalar() == before


def test_body_is_rendered_safely(demo_node):
    made = _add(
        demo_node,
        "doe.analyst",
        REL,
        id="BP-7",
        title="Safe body",
        body="**bold** <script>alert(1)</script>",
    )
    assert "<strong>bold</strong>" in made.body_html and "<script>" not in made.body_html


def test_a_transition_built_on_a_stale_read_is_a_conflict(catalogue, monkeypatch):
    """Two chiefs act on the same draft: the second's transition was built from version 1
    after the first saved version 2, so it is refused (ConflictError) instead of writing
    a version 3 that silently drops version 2."""
    from nucsec.errors import ConflictError
    from nucsec.service import practices

    node, made = catalogue
    chief = principal_of(node, "doe.chief")
    pid = made["insider"].id
    stale = practices.get_practice(node, chief, pid)
    assert propose_practice(node, chief, pid).version == 2
    monkeypatch.setattr(practices, "get_practice", lambda *_: stale)  # read before the save
    with pytest.raises(ConflictError, match="version 2, not 1"):
        propose_practice(node, chief, pid)
    history = labelled.versions(node, chief, PRACTICE, pid)
    assert [v.status for v, _ in history] == ["draft", "proposed"]
