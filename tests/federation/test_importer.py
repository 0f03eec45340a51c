"""The receiving side: fail closed on anything unknown or not receivable, import once."""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from nucsec.audit.tables import audit_events
from nucsec.federation import stix
from nucsec.federation.importer import PageResult, local_id
from nucsec.federation.peers import add_peer
from nucsec.federation.tables import exchange_rejections
from nucsec.markings import parse_banner
from nucsec.node import Node
from nucsec.store.schema import records
from tests.federation.conftest import definitions, local_nodes, outbox_objects, pin, receive


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    with local_nodes(tmp_path_factory.mktemp("importer")) as make:
        usa, jpn = make("USA"), make("JPN")
        pin(usa, jpn, "jpn")
        pin(jpn, usa, "usa")
        with jpn.engine.begin() as conn:
            add_peer(
                jpn,
                conn,
                name="feed",
                nation="USA",
                url="http://127.0.0.1:9",
                public_key=None,
                kind="taxii",
            )
        objects = outbox_objects(usa, "jpn")
        yield {"usa": usa, "jpn": jpn, "objects": objects}


def a_document(objects: list[Any], title_part: str = "Gamma survey") -> dict[str, Any]:
    return copy.deepcopy(next(o for o in objects if title_part in o.get("title", "")))


def fresh(obj: dict[str, Any]) -> dict[str, Any]:
    return {**obj, "id": f"x-nucsec-document--{uuid.uuid4()}"}


def reasons(result: PageResult) -> list[str]:
    return [r["reason"] for r in result.rejected]


def test_a_page_is_imported_once(nodes: dict[str, Any]) -> None:
    jpn, objects = nodes["jpn"], nodes["objects"]
    first = receive(jpn, "usa", objects)
    kinds = [ref.partition(":")[0] for ref in first.records]
    assert (kinds.count("document"), kinds.count("incident")) == (4, 6) and not first.rejected
    again = receive(jpn, "usa", objects)
    assert again.records == [] and again.accepted == [] and len(again.unchanged) == len(objects)
    with jpn.engine.connect() as conn:
        n = conn.execute(
            select(func.count()).select_from(records).where(records.c.origin == "usa")
        ).scalar()
    assert n == 10


def _marking(jpn: Node, banner: str, authority_originator: str = "USA.DOE") -> dict[str, Any]:
    label = parse_banner(banner, jpn.ctx).with_(
        originator=authority_originator, legal_basis=jpn.ctx.default_basis
    )
    return stix.label_marking(label, jpn.ctx, "identity--8d954f37-b7c6-44cb-9293-7338fd92c294")


def _marked(obj: dict[str, Any], marking: dict[str, Any]) -> dict[str, Any]:
    obj = fresh(obj)
    obj["object_marking_refs"] = [marking["id"]]
    obj["granular_markings"] = [
        {"marking_ref": marking["id"], "selectors": [f]} for f in ("title", "body")
    ]
    return obj


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        pytest.param(
            lambda jpn, objs: [
                dict(
                    fresh(a_document(objs)),
                    object_marking_refs=[
                        "marking-definition--6f1c2a9e-3b7d-4c1e-9a2b-0c4d5e6f7a8b"
                    ],
                )
            ],
            "unknown marking",
            id="unknown-marking",
        ),
        pytest.param(
            lambda jpn, objs: [
                {**objs[1], "id": "extension-definition--6f1c2a9e-3b7d-4c1e-9a2b-0c4d5e6f7a8b"}
            ],
            "unknown extension definition",
            id="unknown-extension-definition",
        ),
        pytest.param(
            lambda jpn, objs: [
                {"type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid4()}"}
            ],
            "unknown object type",
            id="unknown-type",
        ),
        pytest.param(
            lambda jpn, objs: [
                {
                    **_marking(jpn, "CONFIDENTIAL//REL TO USA, JPN", "USA.DOS"),
                    "name": "UNCLASSIFIED",
                },
            ],
            "cannot be interpreted",
            id="marking-name-lies",
        ),
        pytest.param(
            lambda jpn, objs: [m := _marking(jpn, "SECRET//NOFORN"), _marked(a_document(objs), m)],
            "NOFORN",
            id="noforn-smuggled",
        ),
        pytest.param(
            lambda jpn, objs: [
                m := _marking(jpn, "//JPN SECRET//REL TO JPN, USA", "JPN.NPA"),
                _marked(a_document(objs), m),
            ],
            "third party",
            id="third-party-material",
        ),
        pytest.param(
            lambda jpn, objs: [
                m := _marking(jpn, "SECRET//ORCON/REL TO USA, JPN"),
                _marked(a_document(objs), m),
            ],
            "ORCON",
            id="orcon-without-approval",
        ),
        pytest.param(
            lambda jpn, objs: [
                m := _marking(jpn, "SECRET//REL TO USA, JPN"),
                c := _marking(jpn, "CONFIDENTIAL//REL TO USA, JPN"),
                dict(_marked(a_document(objs), c), object_marking_refs=[m["id"]]),
            ],
            "roll-up",
            id="banner-not-the-roll-up",
        ),
        pytest.param(
            lambda jpn, objs: [dict(fresh(a_document(objs)), x_note="hi")],
            "unknown property",
            id="unknown-property",
        ),
    ],
)
def test_what_cannot_be_interpreted_or_received_is_refused_with_its_reason(
    nodes: dict[str, Any], make: Any, reason: str
) -> None:
    jpn = nodes["jpn"]
    receive(jpn, "usa", definitions(nodes["objects"]))
    page = make(jpn, nodes["objects"])
    with jpn.engine.connect() as conn:
        before = conn.execute(select(func.count()).select_from(records)).scalar()
    result = receive(jpn, "usa", page)
    assert result.records == []
    assert any(reason in r for r in reasons(result)), reasons(result)
    with jpn.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(records)).scalar() == before
        logged = conn.execute(
            select(exchange_rejections.c.reason).where(
                exchange_rejections.c.bundle_id == result.bundle_id
            )
        ).scalars()
        assert any(reason in r for r in logged)
        events = [
            json.loads(b)
            for b in conn.execute(
                select(audit_events.c.body).where(
                    audit_events.c.action == "exchange.receive", audit_events.c.outcome == "denied"
                )
            ).scalars()
        ]
        assert any(
            e["details"]["bundle"] == result.bundle_id and reason in e["details"]["reason"]
            for e in events
        )


def test_a_record_id_of_another_origin_never_touches_that_record(nodes: dict[str, Any]) -> None:
    """A peer's object whose id is a local record's id: the local record is untouched and
    the peer's record is stored under an id of its own (found later by origin and id)."""
    jpn, objects = nodes["jpn"], nodes["objects"]
    with jpn.engine.connect() as conn:
        local, head = conn.execute(
            select(records.c.id, records.c.head_version).where(records.c.origin.is_(None)).limit(1)
        ).one()
    obj = dict(a_document(objects), id=f"x-nucsec-document--{local}", record_version=9)
    result = receive(jpn, "usa", [*definitions(objects), obj])
    assert not result.rejected and result.records == [f"document:{local_id('usa', local)}#v1"]
    with jpn.engine.connect() as conn:
        after = conn.execute(
            select(records.c.head_version, records.c.origin).where(records.c.id == local)
        ).one()
    assert tuple(after) == (head, None)
    again = receive(jpn, "usa", [dict(obj, record_version=10, modified="2030-01-01T00:00:00.000Z")])
    assert again.records == [f"document:{local_id('usa', local)}#v2"], again.rejected


def test_a_revocation_of_an_unknown_record_changes_nothing(nodes: dict[str, Any]) -> None:
    jpn, objects = nodes["jpn"], nodes["objects"]
    doc = fresh(a_document(objects))
    revocation = {k: v for k, v in doc.items() if k not in ("title", "body", "granular_markings")}
    result = receive(jpn, "usa", [{**revocation, "revoked": True, "record_version": 2}])
    assert result.records == [] and result.recalled == [] and not result.rejected


def test_from_an_unsigned_source_only_tlp_clear_is_accepted(nodes: dict[str, Any]) -> None:
    jpn, objects = nodes["jpn"], nodes["objects"]
    clear = a_document(objects, "Working group meeting minutes")
    secret = a_document(objects, "Gamma survey")
    page = [o for o in definitions(objects) if o["type"] == "marking-definition"] + [
        fresh(clear),
        fresh(secret),
    ]
    result = receive(jpn, "feed", page)
    assert len(result.records) == 1
    assert any("TLP:CLEAR" in r for r in reasons(result))
