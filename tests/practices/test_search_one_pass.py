"""Practice search reads the visible matches once: the page, the total and the facets come
from that one set. These tests hold the parts together (pages tile the ranked list, facets
sum to the total) and check that a practice relabelled out of a reader's reach leaves all
of them at once (the index's copy of the banner label moves with the version). Runs on
SQLite and, when the run targets it, PostgreSQL."""

from __future__ import annotations

from nucsec.markings import parse_banner
from nucsec.service import labelled
from nucsec.service.kinds import Draft
from nucsec.service.practice_search import PracticeFilter, search_practices
from nucsec.service.practices import PRACTICE, add_practice
from nucsec.service.users import principal_of

REL = "SECRET//REL TO USA, JPN"
NOFORN = "SECRET//NOFORN"
TOPICS = ("insider_threat", "physical_protection", "sabotage")


def _add(node, i, banner, where):
    """A practice that says 'badge' in its title, summary or body (``where``; None:
    nowhere)."""
    texts = {"title": f"Practice {i}", "summary": "A summary.", "body": "Plain text."}
    if where:
        texts[where] = f"{texts[where]} badge control {i}"
    record = {
        "id": f"BP-{100 + i}",
        **texts,
        "topic": TOPICS[i % 3],
        "applicability": ["theft", "cat:I" if i % 2 else "cat:III"],
    }
    reader = principal_of(node, "doe.analyst")
    return add_practice(node, reader, record, parse_banner(banner, node.ctx))


def _search(node, user, **kw):
    limit = kw.pop("limit", 25)
    offset = kw.pop("offset", 0)
    flt = PracticeFilter(**kw)
    return search_practices(node, principal_of(node, user), flt, limit=limit, offset=offset)


def test_pages_tile_the_ranked_list_and_facets_sum_to_the_total(demo_node):
    node = demo_node
    wheres = ("title", "body", "summary", "body", "title", "summary", "body", "title")
    made = [_add(node, i, REL, where) for i, where in enumerate(wheres)]
    other = _add(node, 50, REL, None)
    whole = _search(node, "npa.analyst", query="badge")
    assert whole.total == len(made) and other.id not in [i.id for i in whole.items]
    ranked = [i.id for i in whole.items]
    # title matches first, then summary, then body (bm25 / ts_rank weights)
    in_title = {m.id for m, w in zip(made, wheres, strict=True) if w == "title"}
    assert set(ranked[: len(in_title)]) == in_title
    pages = [_search(node, "npa.analyst", query="badge", limit=3, offset=o) for o in (0, 3, 6)]
    assert [i.id for p in pages for i in p.items] == ranked
    assert {p.total for p in pages} == {whole.total}
    assert all(p.facets == whole.facets for p in pages)
    assert sum(whole.facets["topic"].values()) == whole.total
    assert sum(whole.facets["status"].values()) == whole.total
    assert whole.facets["applicability"]["theft"] == whole.total
    cat1 = sum(1 for i in ranked if i in {m.id for m in made[1::2]})
    assert whole.facets["applicability"]["cat:I"] == cat1
    # filters narrow the same set: the topic facet of a topic filter is that topic only
    one = _search(node, "npa.analyst", query="badge", topic="sabotage")
    assert one.facets["topic"] == {"sabotage": one.total} and 0 < one.total < whole.total
    assert {i.topic for i in one.items} == {"sabotage"}


def test_a_practice_relabelled_noforn_leaves_items_total_and_facets(demo_node):
    node = demo_node
    kept = _add(node, 1, REL, "title")
    moved = _add(node, 2, REL, "title")  # topic sabotage, cat:III
    before = _search(node, "npa.analyst", query="badge")
    assert before.total == 2 and before.facets["topic"] == {
        "physical_protection": 1,
        "sabotage": 1,
    }
    values = {name: p.value for name, p in moved.portions.items()}
    noforn = parse_banner(NOFORN, node.ctx)
    labelled.update(
        node,
        principal_of(node, "doe.analyst"),
        PRACTICE,
        moved.id,
        Draft(values=values, labels=dict.fromkeys(values, noforn), note="now NOFORN"),
    )
    after = _search(node, "npa.analyst", query="badge")
    assert [i.id for i in after.items] == [kept.id] and after.total == 1
    assert after.facets["topic"] == {"physical_protection": 1}
    assert "cat:III" not in after.facets["applicability"]
    listing = _search(node, "npa.analyst")  # without a query: the same set rules
    assert moved.id not in [i.id for i in listing.items]
    assert "sabotage" not in listing.facets["topic"]
    us = _search(node, "doe.analyst", query="badge")
    assert us.total == 2 and us.facets["topic"]["sabotage"] == 1
