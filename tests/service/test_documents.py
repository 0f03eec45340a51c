"""Document services: one transaction each, policy-guarded, audited, versioned."""

from __future__ import annotations

import pytest

from nucsec.errors import AccessDenied, InputError, NotFoundError
from nucsec.markings import parse_banner
from nucsec.policy import Resource, decide
from nucsec.service.documents import (
    DocumentInput,
    count_documents,
    create_document,
    get_document,
    history,
    list_documents,
    update_document,
)
from nucsec.service.users import get_user
from nucsec.store.labels import load_label
from nucsec.store.records import RecordStore


def user(node, name):
    with node.engine.connect() as conn:
        return get_user(conn, name).principal


def doc_input(node, banner, title="T", body="B", body_banner=None):
    label = parse_banner(banner, node.ctx)
    body_label = parse_banner(body_banner, node.ctx) if body_banner else label
    return DocumentInput(title, body, label, body_label)


def test_create_and_read_across_nations(demo_node):
    node = demo_node
    doc = create_document(
        node,
        user(node, "doe.analyst"),
        doc_input(node, "SECRET//REL TO USA, JPN", "Seizure survey"),
    )
    seen = get_document(node, user(node, "npa.analyst"), doc["id"])
    assert seen["banner"] == "SECRET//REL TO USA, JPN"
    assert seen["banner_ja"] == "極秘//REL TO USA, JPN"
    assert seen["portions"]["title"]["portion"] == "(S//REL TO USA, JPN)"
    assert seen["label"]["originator"] == "USA.DOE"
    with pytest.raises(NotFoundError) as hidden:
        get_document(node, user(node, "mext.analyst"), doc["id"])  # HI < SECRET
    with pytest.raises(NotFoundError) as absent:
        get_document(node, user(node, "mext.analyst"), "00000000-0000-0000-0000-000000000000")
    assert type(hidden.value) is type(absent.value)
    assert hidden.value.code == absent.value.code


def test_create_above_clearance_is_refused_with_reasons(demo_node):
    node = demo_node
    with pytest.raises(AccessDenied) as err:
        create_document(node, user(node, "dhs.analyst"), doc_input(node, "SECRET//NOFORN"))
    assert "exceeds" in err.value.message


def test_portion_labels_roll_up_to_the_banner(demo_node):
    node = demo_node
    doc = create_document(
        node,
        user(node, "doe.analyst"),
        doc_input(node, "UNCLASSIFIED", body_banner="SECRET//REL TO USA, JPN"),
    )
    assert doc["banner"] == "SECRET//REL TO USA, JPN"
    assert doc["portions"]["title"]["portion"] == "(U)"


def test_listing_equals_the_monitor_for_every_demo_user(demo_node):
    node = demo_node
    with node.engine.connect() as conn:
        store = RecordStore(conn, node.ctx)
        from sqlalchemy import select

        from nucsec.store.schema import records

        all_ids = [
            r[0] for r in conn.execute(select(records.c.id).where(records.c.kind == "document"))
        ]
        rows = {i: store.get("document", i) for i in all_ids}
        labels = {i: load_label(conn, r.label_id) for i, r in rows.items() if r}
        from nucsec.service.users import list_users

        people = list_users(conn)
    assert len(all_ids) == 12
    for person in people:
        p = person.principal
        listed = {d["id"] for d in list_documents(node, p, limit=100)["items"]}
        allowed = {
            i for i, lb in labels.items() if decide(p, "read", Resource(lb), node.ctx).allowed
        }
        assert listed == allowed, person.username
        assert count_documents(node, p) == len(allowed)


def test_noforn_is_invisible_to_partner_everywhere(demo_node):
    node = demo_node
    doe = user(node, "doe.chief")
    doc = create_document(node, doe, doc_input(node, "SECRET//NOFORN", "Canary NOFORN zebra"))
    npa = user(node, "npa.chief")
    assert doc["id"] not in {d["id"] for d in list_documents(node, npa, limit=100)["items"]}
    assert list_documents(node, npa, query="zebra")["items"] == []
    assert count_documents(node, npa, "zebra") == 0
    assert count_documents(node, doe, "zebra") == 1
    with pytest.raises(NotFoundError):
        get_document(node, npa, doc["id"])
    with pytest.raises(NotFoundError):
        history(node, npa, doc["id"])
    with pytest.raises(InputError):  # a hidden record is not a usable page cursor
        list_documents(node, npa, after=doc["id"])


def test_versions_are_immutable_and_history_is_filtered(demo_node):
    node = demo_node
    doe = user(node, "doe.analyst")
    doc = create_document(node, doe, doc_input(node, "SECRET//REL TO USA, JPN", "Draft"))
    v2 = update_document(
        node, doe, doc["id"], doc_input(node, "CONFIDENTIAL//REL TO USA, JPN", "Release version")
    )
    assert v2["version"] == 2 and v2["banner"] == "CONFIDENTIAL//REL TO USA, JPN"
    full = history(node, doe, doc["id"])
    assert [v["version"] for v in full] == [1, 2]
    low = history(node, user(node, "mext.analyst"), doc["id"])  # HI = CONFIDENTIAL
    assert [v["version"] for v in low] == [2]
    from sqlalchemy import text

    with pytest.raises(Exception, match="append-only"), node.engine.begin() as conn:
        conn.execute(text("UPDATE record_versions SET note = 'tampered'"))


def test_update_by_other_agency_is_denied(demo_node):
    node = demo_node
    doc = create_document(
        node, user(node, "doe.analyst"), doc_input(node, "SECRET//REL TO USA, JPN")
    )
    with pytest.raises(AccessDenied) as err:
        update_document(
            node,
            user(node, "dhs.chief"),
            doc["id"],
            doc_input(node, "SECRET//REL TO USA, JPN", "edited"),
        )
    assert "originator" in err.value.message
    with pytest.raises(NotFoundError):  # cannot even see it: not found, not forbidden
        update_document(
            node, user(node, "mext.analyst"), doc["id"], doc_input(node, "UNCLASSIFIED")
        )


def test_an_update_from_a_stale_version_is_refused_and_loses_nothing(demo_node):
    """An edit made from version 1 after someone saved version 2 is a ConflictError (409):
    version 2 stays current, no version 3 is written; without a base version the edit
    replaces the current one as before."""
    from nucsec.errors import ConflictError

    node = demo_node
    doe = user(node, "doe.analyst")
    doc = create_document(node, doe, doc_input(node, "UNCLASSIFIED", "v1"))
    update_document(node, doe, doc["id"], doc_input(node, "UNCLASSIFIED", "v2"), base_version=1)
    with pytest.raises(ConflictError, match="version 2, not 1") as err:
        update_document(
            node, doe, doc["id"], doc_input(node, "UNCLASSIFIED", "v2 bis"), base_version=1
        )
    assert err.value.field == "base_version"
    now = get_document(node, doe, doc["id"])
    assert (now["version"], now["title"]) == (2, "v2")
    assert len(history(node, doe, doc["id"])) == 2
    later = update_document(node, doe, doc["id"], doc_input(node, "UNCLASSIFIED", "v3"))
    assert later["version"] == 3


def test_a_marking_of_the_partners_scheme_says_what_is_missing(demo_node):
    """A US author who marks under Japan's scheme (no originator of Japan) is told that
    the scheme needs a Japanese originator, not that a stored label needs one; nothing
    is written."""
    node = demo_node
    doe = user(node, "doe.analyst")
    before = count_documents(node, doe)
    with pytest.raises(InputError) as err:
        create_document(node, doe, doc_input(node, "極秘//REL TO USA, JPN", "Scheme"))
    assert err.value.field == "originator"
    assert "JPN's scheme" in err.value.message and "USA.DOE" in err.value.message
    assert count_documents(node, doe) == before
