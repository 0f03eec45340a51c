"""Practice search counts from the in-memory mirror of the index
(:mod:`nucsec.service.practice_mirror`). These tests check its answers against the
per-record path of the reference monitor (``get_practice``: hidden and absent alike are
"not found"), that it follows writes made through another engine (another server
process), and that an incrementally refreshed mirror equals a fresh load. Run on SQLite
and, when the run targets it, PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from nucsec.assembly import open_node
from nucsec.errors import NucsecError
from nucsec.markings import parse_banner
from nucsec.service import labelled
from nucsec.service import practice_search as search_module
from nucsec.service.kinds import Draft
from nucsec.service.practice_mirror import _EMPTY, _load, snapshot
from nucsec.service.practice_search import PracticeFilter, search_practices
from nucsec.service.practices import (
    PRACTICE,
    add_practice,
    get_practice,
    propose_practice,
)
from nucsec.service.users import principal_of

BANNERS = ("UNCLASSIFIED", "SECRET//REL TO USA, JPN", "SECRET//NOFORN")
TOPICS = ("insider_threat", "physical_protection", "sabotage", "transport_security")
CATS = ("cat:I", "cat:II", "cat:III")


def _record(i: int, *, word: bool, japanese: bool = False) -> dict[str, object]:
    summary = "施設の核物質防護を強化する。" if japanese else "A short summary."
    return {
        "id": f"BP-{200 + i}",
        "title": f"Practice {i}" + (" turnstile" if word else ""),
        "summary": summary,
        "body": "Plain text." + (" Turnstile checks at the gate." if word and i % 2 else ""),
        "topic": TOPICS[i % len(TOPICS)],
        "applicability": ["theft", CATS[i % 3]] if i % 4 else [CATS[i % 3]],
    }


def _add(node, i, *, word=True, japanese=False, banner=None):  # type: ignore[no-untyped-def]
    author = principal_of(node, "doe.analyst")
    label = parse_banner(banner or BANNERS[i % 3], node.ctx)
    view = add_practice(node, author, _record(i, word=word, japanese=japanese), label)
    if i % 5 == 0:
        view = propose_practice(node, author, view.id)
    return view


def _search(node, user, **kw):  # type: ignore[no-untyped-def]
    limit, offset = kw.pop("limit", 100), kw.pop("offset", 0)
    reader = principal_of(node, user)
    return search_practices(node, reader, PracticeFilter(**kw), limit=limit, offset=offset)


def _readable(node, user, made):  # type: ignore[no-untyped-def]
    """The practices of ``made`` the user may read, one at a time through the monitor's
    per-record path (a hidden one is "not found", like an absent one)."""
    reader = principal_of(node, user)
    seen = []
    for view in made:
        try:
            seen.append(get_practice(node, reader, view.id))
        except NucsecError:
            continue
    return seen


def _expected(readable, flt):  # type: ignore[no-untyped-def]
    """Ids and facets of the readable practices that pass the filter (what each says)."""
    seen = [
        p
        for p in readable
        if flt.get("topic") in (None, p.topic)
        and flt.get("status") in (None, p.status)
        and set(flt.get("applicability", ())) <= set(p.applicability)
    ]
    facets: dict[str, dict[str, int]] = {"topic": {}, "status": {}, "applicability": {}}
    for p in seen:
        for name, values in (
            ("topic", [p.topic]),
            ("status", [p.status]),
            ("applicability", p.applicability),
        ):
            for v in values:
                facets[name][v] = facets[name].get(v, 0) + 1
    return {p.id for p in seen}, {k: dict(sorted(v.items())) for k, v in facets.items()}


FILTERS = (
    {},
    {"topic": "sabotage"},
    {"status": "proposed"},
    {"applicability": ("theft",)},
    {"applicability": ("theft", "cat:II")},
    {"topic": "insider_threat", "applicability": ("cat:I",)},
    {"topic": "physical_protection", "status": "draft"},
)


def test_items_total_and_every_facet_match_the_per_record_decision(demo_node):
    node = demo_node
    made = [_add(node, i) for i in range(12)]
    made += [_add(node, i, word=False) for i in range(12, 15)]  # never match "turnstile"
    hidden = {}
    for user in ("npa.analyst", "doe.analyst", "dhs.analyst"):
        readable = _readable(node, user, made)
        hidden[user] = {m.id for m in made} - {p.id for p in readable}
        with_word = [p for p in readable if "turnstile" in p.title]
        for flt in FILTERS:
            ids, facets = _expected(with_word, flt)
            got = _search(node, user, query="turnstile", **flt)
            assert {i.id for i in got.items} == ids, (user, flt)
            assert got.total == len(ids) and got.facets == facets, (user, flt)
            whole = _search(node, user, **flt)  # no text: every practice (demo ones too)
            mine = {i.id for i in whole.items} & {m.id for m in made}
            assert mine == _expected(readable, flt)[0], (user, flt)
    noforn = hidden["npa.analyst"]
    assert noforn, "some practices must be hidden from the Japanese reader"
    japan = _search(node, "npa.analyst", query="turnstile")
    assert not noforn & {i.id for i in japan.items} and japan.total == 8


def test_the_mirror_follows_writes_made_through_another_engine(demo_node):
    node = demo_node
    other = open_node(node.settings)  # a second server process: its own engine
    assert other.engine is not node.engine
    try:
        assert _search(node, "npa.analyst", query="turnstile").total == 0  # mirror loaded
        rel = "SECRET//REL TO USA, JPN"
        made = _add(other, 1, banner=rel)  # created elsewhere
        found = _search(node, "npa.analyst", query="turnstile")
        assert [i.id for i in found.items] == [made.id] and found.total == 1
        assert found.facets["topic"] == {TOPICS[1]: 1}
        writer = principal_of(other, "doe.analyst")
        values = {name: p.value for name, p in made.portions.items()}
        values["meta"] = {**values["meta"], "topic": "sabotage", "applicability": ["cat:II"]}
        labels = {name: parse_banner(rel, node.ctx) for name in values}
        labelled.update(other, writer, PRACTICE, made.id, Draft(values=values, labels=labels))
        moved = _search(node, "npa.analyst", query="turnstile")
        assert moved.facets["topic"] == {"sabotage": 1}
        assert moved.facets["applicability"] == {"cat:II": 1}
        assert _search(node, "npa.analyst", query="turnstile", topic=TOPICS[1]).total == 0
        noforn = dict.fromkeys(values, parse_banner("SECRET//NOFORN", node.ctx))
        labelled.update(other, writer, PRACTICE, made.id, Draft(values=values, labels=noforn))
        hidden = _search(node, "npa.analyst", query="turnstile")
        assert hidden.total == 0 and hidden.items == () and hidden.facets["topic"] == {}
        assert _search(node, "doe.analyst", query="turnstile").total == 1
        labelled.update(
            other, writer, PRACTICE, made.id, Draft(values=values, labels=noforn), recalled=True
        )
        gone = _search(node, "doe.analyst", query="turnstile")
        assert gone.total == 0 and gone.facets["status"] == {}
        assert made.id not in {i.id for i in _search(node, "doe.analyst", limit=500).items}
    finally:
        other.close()


def test_an_incrementally_refreshed_mirror_equals_a_fresh_load(demo_node):
    node = demo_node
    made = [_add(node, i) for i in range(6)]
    with node.engine.connect() as conn:
        before = snapshot(node.engine, conn)
    writer = principal_of(node, "doe.analyst")
    propose_practice(node, writer, made[1].id)
    view = made[2]
    values = {name: p.value for name, p in view.portions.items()}
    values["meta"] = {**values["meta"], "applicability": ["facility:enrichment", "cat:I"]}
    labels = dict.fromkeys(values, parse_banner("UNCLASSIFIED", node.ctx))
    labelled.update(node, writer, PRACTICE, view.id, Draft(values=values, labels=labels))
    labelled.update(
        node, writer, PRACTICE, made[3].id, Draft(values=values, labels=labels), recalled=True
    )
    _add(node, 7)
    with node.engine.connect() as conn:
        after = snapshot(node.engine, conn)
        fresh = _load(conn, after.seq, None, _EMPTY)
    assert after.seq > before.seq and len(after.pk) == len(before.pk)  # one out, one in
    assert np.array_equal(after.pk, fresh.pk) and np.array_equal(after.label, fresh.label)
    assert [after.topics[c] for c in after.topic] == [fresh.topics[c] for c in fresh.topic]
    assert [after.statuses[c] for c in after.status] == [fresh.statuses[c] for c in fresh.status]
    tags_a = [{after.tag_names[j] for j in np.flatnonzero(row)} for row in after.tags]
    tags_f = [{fresh.tag_names[j] for j in np.flatnonzero(row)} for row in fresh.tags]
    assert tags_a == tags_f and "facility:enrichment" in after.tag_names


def test_japanese_search_counts_through_the_mirror(demo_node):
    node = demo_node
    made = [_add(node, i, word=False, japanese=True, banner=BANNERS[1]) for i in range(4)]
    _add(node, 9, word=False, japanese=False, banner=BANNERS[1])
    for query in ("核物質", "防護", "核物質防護"):
        got = _search(node, "npa.analyst", query=query)
        assert {i.id for i in got.items} >= {m.id for m in made}, query
        assert got.total == len(got.items) and sum(got.facets["topic"].values()) == got.total
    theft = _search(node, "npa.analyst", query="核物質", applicability=("theft",))
    assert {i.id for i in theft.items} & {m.id for m in made} == {
        m.id for m in made if "theft" in m.applicability
    }
    assert _search(node, "npa.analyst", query="質防護強化").total == 0  # not adjacent


@pytest.mark.parametrize(
    "flt", [{"topic": "computer_security"}, {"applicability": ("facility:reprocessing",)}]
)
def test_a_value_no_practice_has_matches_nothing(demo_node, flt):
    node = demo_node
    _add(node, 1)
    got = _search(node, "doe.analyst", query="turnstile", **flt)
    assert got.total == 0 and got.items == ()


def test_a_page_read_in_growing_steps_is_the_same_page(demo_node, monkeypatch):
    """SQLite reads FTS5's best ``k`` and grows ``k`` until enough visible ones are in
    it; with no head room at all (k starts at 1 row) the pages are the same as with it."""
    node = demo_node
    for i in range(9):  # NOFORN practices that say it in the title: they rank first
        _add(node, 30 + i, banner="SECRET//NOFORN")
    for i in range(6):
        _add(node, 50 + i, word=False, banner="UNCLASSIFIED")
    for i in range(6):  # visible to the Japanese reader, lower in the ranking (body only)
        view = _add(node, 70 + i, word=False, banner="UNCLASSIFIED")
        values = {name: p.value for name, p in view.portions.items()}
        values["body"] = "Turnstile turnstile at the gate." if i % 2 else "A turnstile."
        labels = dict.fromkeys(values, parse_banner("UNCLASSIFIED", node.ctx))
        writer = principal_of(node, "doe.analyst")
        labelled.update(node, writer, PRACTICE, view.id, Draft(values=values, labels=labels))
    pages = {}
    for roomy in (True, False):
        if not roomy:
            monkeypatch.setattr(search_module, "OVERFETCH", 0.0)
            monkeypatch.setattr(search_module, "SLACK", 1)
        pages[roomy] = [
            [i.id for i in _search(node, "npa.analyst", query="turnstile", limit=2, offset=o).items]
            for o in (0, 2, 4, 6)
        ]
    assert pages[True] == pages[False]
    assert [len(p) for p in pages[True]] == [2, 2, 2, 0]
    assert _search(node, "npa.analyst", query="turnstile").total == 6


def test_concurrent_writers_through_two_engines_lose_no_change(demo_node):
    """Two processes write practices at once: every write gets its own change number
    (a unique index would refuse a repeated one) and the mirror ends equal to a fresh
    load of the index."""
    node = demo_node
    other = open_node(node.settings)
    try:
        with node.engine.connect() as conn:
            snapshot(node.engine, conn)  # loaded before the writes
        jobs = [(node if i % 2 else other, 300 + i) for i in range(8)]
        with ThreadPoolExecutor(2) as pool:
            made = list(pool.map(lambda job: _add(job[0], job[1]), jobs))
        got = _search(node, "doe.analyst", query="turnstile")
        assert {m.id for m in made} <= {i.id for i in got.items} and got.total >= 8
        with node.engine.connect() as conn:
            after = snapshot(node.engine, conn)
            fresh = _load(conn, after.seq, None, _EMPTY)
        assert np.array_equal(after.pk, fresh.pk) and np.array_equal(after.label, fresh.label)
    finally:
        other.close()


def test_an_empty_mirror_selects_nothing():
    empty = _EMPTY
    chosen = empty.select(np.array([3, 5], np.int64), [1, 2], topic="sabotage")
    assert len(chosen.at) == 0 and empty.facets(chosen.rows)["topic"] == {}
