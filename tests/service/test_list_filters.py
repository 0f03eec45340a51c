"""List filters by marking, nation, agency and dates, and sort orders: each filter selects
exactly what it names, in SQL beside the monitor's twin, so a record the viewer may not
read is absent from the filtered list AND from its count; unknown values are refused."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update

from nucsec.errors import InputError
from nucsec.markings import parse_banner
from nucsec.node import Node
from nucsec.service import labelled
from nucsec.service.documents import (
    DOCUMENT,
    DocumentInput,
    count_documents,
    create_document,
    list_documents,
)
from nucsec.service.users import principal_of
from nucsec.store.record_filter import RecordFilter
from nucsec.store.schema import records

BANNERS = {
    "us secret": ("doe.analyst", "SECRET//REL TO USA, JPN"),
    "us confidential": ("doe.analyst", "CONFIDENTIAL//REL TO USA, JPN"),
    "us noforn": ("doe.analyst", "SECRET//NOFORN"),
    "jp hi": ("npa.analyst", "HI//REL TO USA, JPN"),
}


@pytest.fixture
def made(demo_node: Node) -> dict[str, str]:
    ids = {}
    for title, (user, banner) in BANNERS.items():
        who = principal_of(demo_node, user)
        label = parse_banner(banner, demo_node.ctx)
        doc = DocumentInput(f"flt {title}", "x", label, label)
        ids[title] = create_document(demo_node, who, doc)["id"]
    old = dt.datetime(2020, 5, 1, 12, tzinfo=dt.UTC)
    with demo_node.engine.begin() as conn:
        conn.execute(update(records).where(records.c.id == ids["us secret"]).values(updated_at=old))
    return ids


def _titles(node: Node, user: str, flt: RecordFilter, sort: str | None = None) -> list[str]:
    who = principal_of(node, user)
    page = list_documents(node, who, query="flt ", limit=500, flt=flt, sort=sort)
    return [i["title"].removeprefix("flt ") for i in page["items"]]


def _count(node: Node, user: str, flt: RecordFilter) -> int:
    return count_documents(node, principal_of(node, user), "flt ", flt)


def test_each_filter_selects_what_it_names(demo_node: Node, made: dict[str, str]) -> None:
    doe = "doe.analyst"
    assert _titles(demo_node, doe, RecordFilter(level="SECRET")) == ["us noforn", "us secret"]
    assert _titles(demo_node, doe, RecordFilter(level="HI")) == ["jp hi"]
    assert _titles(demo_node, doe, RecordFilter(nation="JPN")) == ["jp hi"]
    assert set(_titles(demo_node, doe, RecordFilter(nation="USA"))) == {
        "us secret",
        "us confidential",
        "us noforn",
    }
    assert _titles(demo_node, doe, RecordFilter(date_to="2020-05-01")) == ["us secret"]
    assert _titles(demo_node, doe, RecordFilter(date_from="2020-05-02", date_to="2020-12-31")) == []
    assert "us secret" not in _titles(demo_node, doe, RecordFilter(date_from="2020-05-02"))


def test_hidden_record_absent_from_filtered_list_and_count(
    demo_node: Node, made: dict[str, str]
) -> None:
    flt = RecordFilter(nation="USA", level="SECRET")
    assert _titles(demo_node, "doe.analyst", flt) == ["us noforn", "us secret"]
    assert _count(demo_node, "doe.analyst", flt) == 2
    # the Japanese analyst may not read the NOFORN document: not listed, not counted
    assert _titles(demo_node, "npa.analyst", flt) == ["us secret"]
    assert _count(demo_node, "npa.analyst", flt) == 1
    assert _count(demo_node, "npa.analyst", RecordFilter()) == 3


def test_agency_filter(demo_node: Node, made: dict[str, str]) -> None:
    """A label's originator is its author's agency (the monitor refuses any other)."""
    dhs = principal_of(demo_node, "dhs.chief")
    label = parse_banner("SECRET//REL TO USA, JPN", demo_node.ctx)
    create_document(demo_node, dhs, DocumentInput("flt dhs own", "x", label, label))
    assert _titles(demo_node, "doe.analyst", RecordFilter(agency="USA.DHS")) == ["dhs own"]
    assert set(_titles(demo_node, "doe.analyst", RecordFilter(agency="USA.DOE"))) == {
        "us secret",
        "us confidential",
        "us noforn",
    }
    assert _titles(demo_node, "doe.analyst", RecordFilter(agency="JPN.NPA")) == ["jp hi"]
    assert _count(demo_node, "npa.analyst", RecordFilter(agency="USA.DOE")) == 2  # no NOFORN


def test_sorts_page_through_everything(demo_node: Node, made: dict[str, str]) -> None:
    doe = principal_of(demo_node, "doe.analyst")
    newest = _titles(demo_node, "doe.analyst", RecordFilter())
    assert _titles(demo_node, "doe.analyst", RecordFilter(), "old") == newest[::-1]
    by_title = _titles(demo_node, "doe.analyst", RecordFilter(), "title")
    assert by_title == sorted(by_title)
    seen: list[str] = []
    after = None
    while True:  # keyset paging in title order, two at a time
        page = labelled.page(
            demo_node, doe, DOCUMENT, query="flt ", limit=2, after=after, sort="title"
        )
        seen += [i.title.removeprefix("flt ") for i in page.items]
        if (after := page.next) is None:
            break
    assert seen == by_title


@pytest.mark.parametrize(
    ("flt", "field"),
    [
        (RecordFilter(level="ULTRA"), "level"),
        (RecordFilter(nation="XXX"), "nation"),
        (RecordFilter(agency="USA.NOPE"), "agency"),
        (RecordFilter(date_from="2020-13-01"), "date_from"),
        (RecordFilter(date_from="2021-01-02", date_to="2021-01-01"), "date_from"),
    ],
)
def test_unknown_values_are_refused(demo_node: Node, flt: RecordFilter, field: str) -> None:
    with pytest.raises(InputError) as err:
        _titles(demo_node, "doe.analyst", flt)
    assert err.value.field == field
    with pytest.raises(InputError):
        _count(demo_node, "doe.analyst", flt)


def test_unknown_sort_is_refused(demo_node: Node) -> None:
    with pytest.raises(InputError) as err:
        _titles(demo_node, "doe.analyst", RecordFilter(), "random")
    assert err.value.field == "sort"


def _authority(node: Node, record_id: str) -> str:
    from sqlalchemy import select

    from nucsec.store.schema import labels

    with node.engine.connect() as conn:
        found = conn.execute(
            select(labels.c.authority)
            .select_from(records.join(labels, labels.c.id == records.c.label_id))
            .where(records.c.id == record_id)
        ).scalar()
    return str(found)


@pytest.mark.parametrize("user", ["doe.analyst", "npa.analyst"])
def test_incident_and_practice_searches_take_the_filter(demo_node: Node, user: str) -> None:
    """The incident and practice searches narrow by nation in SQL: every item listed is
    of that nation, the total counts exactly the listed items, and the nations' totals add
    up to the unfiltered total (nothing the reader may not read is in any of them)."""
    from nucsec.service.incident_search import IncidentFilter, search_incidents
    from nucsec.service.practice_search import PracticeFilter, search_practices
    from nucsec.service.practices import add_practice

    for author, banner, pid in (
        ("doe.analyst", "SECRET//REL TO USA, JPN", "BP-F1"),
        ("doe.analyst", "SECRET//NOFORN", "BP-F2"),  # hidden from the Japanese analyst
        ("npa.analyst", "極秘//REL TO USA, JPN", "BP-F3"),
    ):
        record = {"id": pid, "title": f"Filter {pid}", "summary": "s", "body": ""}
        record["topic"] = "insider_threat"
        label = parse_banner(banner, demo_node.ctx)
        add_practice(demo_node, principal_of(demo_node, author), record, label)
    who = principal_of(demo_node, user)
    for search, make in (
        (search_incidents, lambda f: IncidentFilter(records=f)),
        (search_practices, lambda f: PracticeFilter(records=f)),
    ):
        every = search(demo_node, who, make(None), limit=500)
        totals = 0
        for nation in ("USA", "JPN"):
            found = search(demo_node, who, make(RecordFilter(nation=nation)), limit=500)
            assert found.total == len(found.items)
            assert {_authority(demo_node, i.id) for i in found.items} <= {nation}
            totals += found.total
        assert every.total > 0 and totals == every.total
    seen = search_practices(demo_node, who, PracticeFilter(records=RecordFilter(nation="USA")))
    assert len(seen.items) == (2 if user == "doe.analyst" else 1)  # NOFORN: not for JPN
    with pytest.raises(InputError):
        search_incidents(demo_node, who, IncidentFilter(records=RecordFilter(level="NOPE")))
