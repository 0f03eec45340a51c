"""Library entries as labelled records: add, import (all or nothing), list, show, export and
match, each through the reference monitor and audited; the demo library seeded."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from nucsec.audit.queries import query_events
from nucsec.errors import AccessDenied, ConflictError, NotFoundError
from nucsec.forensics.library import (
    LibraryImportError,
    UnknownSignatureError,
    demo_library,
    library_to_csv,
    library_to_json,
    sample_from_dict,
)
from nucsec.markings import parse_banner
from nucsec.service.library import (
    LIBRARY_ENTRY,
    add_entry,
    export_entries,
    get_entry,
    import_entries,
    list_entries,
    match_sample,
)
from nucsec.service.users import get_user
from nucsec.store.schema import records
from tests.library.samples import UCLO_SAMPLE as UCLO


@pytest.fixture
def lib_node(demo_node):
    """The joint demo node with the demo library loaded (as ``make demo`` loads it)."""
    from nucsec.demo import seed_library

    seed_library(demo_node, set(demo_node.ctx.nations))
    return demo_node


def user(node, name):
    with node.engine.connect() as conn:
        return get_user(conn, name).principal


def count_records(node):
    with node.engine.connect() as conn:
        q = select(func.count()).where(records.c.kind == LIBRARY_ENTRY.name)
        return conn.execute(q).scalar()


def events(node, action):
    with node.engine.connect() as conn:
        logged, _ = query_events(conn, limit=100_000)
    return [e.event for e in logged if e.event.action == action]


def test_lib_node_holds_the_demo_library(lib_node):
    doe = user(lib_node, "doe.analyst")
    seen = {s.entry: s for s in list_entries(lib_node, doe)}
    crm = {e.id for e in demo_library()}
    assert crm <= set(seen)
    assert {seen[c].library for c in crm} == {"crm"}
    # the NOFORN Japanese lines are hidden from a US analyst; the US ones are visible
    assert any(k.startswith("USA-") for k in seen)
    assert not any(k.startswith("JPN-") and "NOFORN" in seen[k].banner for k in seen)
    # a user without the FORENSICS compartment sees the public CRMs only
    dhs = user(lib_node, "dhs.analyst")
    assert {s.entry for s in list_entries(lib_node, dhs)} == crm


def test_show_gives_the_sample_shape_plus_spread_and_hides_alike(lib_node):
    doe = user(lib_node, "doe.analyst")
    view = get_entry(lib_node, doe, "UCLO-1")
    assert view.entry["id"] == "UCLO-1" and view.library == "crm"
    sig = view.entry["signatures"][0]
    assert {"name", "value", "u", "unit", "spread"} <= set(sig)
    assert get_entry(lib_node, doe, view.id).entry == view.entry  # by record id too
    hidden = next(s for s in list_entries(lib_node, doe) if "NOFORN" in s.banner)
    mext = user(lib_node, "mext.chief")
    with pytest.raises(NotFoundError) as a:
        get_entry(lib_node, mext, hidden.id)
    with pytest.raises(NotFoundError) as b:
        get_entry(lib_node, mext, "no-such-record")
    assert type(a.value) is type(b.value)


def test_match_uses_only_the_entries_the_user_may_read(lib_node):
    doe = user(lib_node, "doe.analyst")
    sample = sample_from_dict(UCLO)
    out = match_sample(lib_node, doe, sample, library="crm")
    assert out["conclusion"] == "consistent"
    assert out["candidates"][0]["entry"] == "UCLO-1"
    assert {x["entry"] for x in out["excluded"]} == {"UCHI-1"}
    assert out["entries_compared"] == 2
    found = [e for e in events(lib_node, "record.search") if e.details.get("view") == "match"]
    assert found and found[-1].details["conclusion"] == "consistent"
    assert len(found[-1].details["ids"]) == 2
    # a user who may read no national line compares with the CRMs only
    dhs = user(lib_node, "dhs.analyst")
    all_visible = match_sample(lib_node, dhs, sample)
    assert all_visible["entries_compared"] == len(demo_library())


def test_add_validates_and_refuses_duplicates(lib_node):
    doe = user(lib_node, "doe.analyst")
    label = parse_banner("SECRET//FORENSICS//NOFORN", lib_node.ctx)
    entry = demo_library()[0].to_dict() | {"id": "NEW-1"}
    view = add_entry(lib_node, doe, entry, label, library="test")
    assert view.banner.startswith("SECRET")
    with pytest.raises(ConflictError):
        add_entry(lib_node, doe, entry, label, library="test")
    bad = entry | {"id": "NEW-2"}
    bad["signatures"] = [dict(bad["signatures"][0], name="n(999U)/n(238U)")]
    with pytest.raises(UnknownSignatureError) as err:
        add_entry(lib_node, doe, bad, label, library="test")
    assert err.value.field and "signatures" in err.value.field
    # a label the writer may not create under
    dhs = user(lib_node, "dhs.analyst")
    with pytest.raises(AccessDenied):
        add_entry(lib_node, dhs, entry | {"id": "NEW-3"}, label, library="test")


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_import_is_all_or_nothing_and_names_row_and_field(lib_node, fmt):
    doe = user(lib_node, "doe.analyst")
    label = parse_banner("SECRET//FORENSICS//REL TO USA, JPN", lib_node.ctx)
    good = [e.to_dict() | {"id": f"IMP-{i}"} for i, e in enumerate(demo_library())]
    from nucsec.forensics.library import entries_from_list

    entries = entries_from_list(good)
    text = library_to_json(entries) if fmt == "json" else library_to_csv(entries)
    if fmt == "json":
        doc = json.loads(text)
        doc["entries"][1]["signatures"][0]["u"] = -1
        bad = json.dumps(doc)
    else:
        lines = text.splitlines()
        i = next(n for n, line in enumerate(lines) if "IMP-1" in line and "signature" in line)
        lines[i] = lines[i].replace("mol/mol", "furlongs")
        bad = "\n".join(lines) + "\n"
    before = count_records(lib_node)
    with pytest.raises(LibraryImportError) as err:
        import_entries(lib_node, doe, bad, label, library="imp", fmt=fmt)
    problem = err.value.to_dict()["problems"][0]
    assert problem["entry"] == "IMP-1" and problem["field"]
    assert ("line" in problem["where"]) if fmt == "csv" else ("entries[1]" in problem["where"])
    assert count_records(lib_node) == before
    result = import_entries(lib_node, doe, text, label, library="imp", fmt=fmt)
    assert result.entries == ("IMP-0", "IMP-1") and len(result.created) == 2
    assert count_records(lib_node) == before + 2
    # importing again clashes on the ids: nothing written
    with pytest.raises(ConflictError):
        import_entries(lib_node, doe, text, label, library="imp", fmt=fmt)
    assert count_records(lib_node) == before + 2
    # a label the importer may not write: nothing written, the refusal audited
    dhs = user(lib_node, "dhs.analyst")
    with pytest.raises(AccessDenied):
        import_entries(lib_node, dhs, text, label, library="imp2", fmt=fmt)
    assert count_records(lib_node) == before + 2


def test_export_round_trips_visible_entries_only(lib_node):
    doe = user(lib_node, "doe.analyst")
    text = export_entries(lib_node, doe, library="crm")
    assert {e["id"] for e in json.loads(text)["entries"]} == {e.id for e in demo_library()}
    dhs = user(lib_node, "dhs.analyst")
    national = export_entries(lib_node, dhs, library="national", fmt="csv")
    assert "USA-" not in national and "JPN-" not in national
    assert events(lib_node, "record.export")


def test_a_listing_of_a_large_library_is_audited_by_count_and_digest(lib_node, monkeypatch):
    from nucsec.service import library

    doe = user(lib_node, "doe.analyst")
    monkeypatch.setattr(library, "MAX_LOGGED_IDS", 1)
    listed = list_entries(lib_node, doe)
    last = events(lib_node, "record.list")[-1].details
    assert "ids" not in last and last["ids_count"] == len(listed) > 1
    assert last["ids_sha256"].startswith("sha256:")
