"""Release pages (issue 18): a record's release to each partner with the reasons of
``release explain``, the ORCON approval queue with approval through the CLI's function
(CSRF, audited), recall, and the partner nodes' status — each for the roles the issue
names, and a record the viewer may not read answering exactly like an absent one."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import insert, select

from nucsec.audit.keys import public_key_pem
from nucsec.audit.tables import audit_events
from nucsec.federation.explain import explain_release
from nucsec.federation.outbox import backfill
from nucsec.federation.peers import add_peer
from nucsec.federation.tables import exchange_outbox, exchange_rejections
from nucsec.node import Node
from tests.web.conftest import TestClient, client_of, fresh_db_url, make_demo_node, sign_in

ABSENT = "00000000-0000-4000-8000-000000000000"
ORCON_DOC = "Uranium enrichment measurement, sample Q-17"  # SECRET//ORCON/REL TO USA, JPN (DOE)
NOFORN_DOC = "Reactor-grade plutonium signatures"  # TOP SECRET//FORENSICS//NOFORN (DOE)
PUBLIC_DOC = "Working group meeting minutes"  # UNCLASSIFIED (DHS)


def with_peer(node: Node) -> None:
    """Pin a JPN partner (a fresh key) and fill its outbox, as ``nucsec peer add`` does."""
    key = Ed25519PrivateKey.generate().public_key()
    with node.engine.begin() as conn:
        peer = add_peer(
            node,
            conn,
            name="jpn",
            nation="JPN",
            url="http://127.0.0.1:9",
            public_key=public_key_pem(key),
        )
        backfill(node, conn, peer)


@pytest.fixture
def node(tmp_path: Path) -> Iterator[Node]:
    with fresh_db_url(tmp_path) as url:
        n = make_demo_node(tmp_path / "home", url)
        with_peer(n)
        yield n
        n.close()


def signed_in(node: Node, username: str) -> tuple[TestClient, str]:
    client = client_of(node)
    return client, sign_in(client, username)


def doc_id(node: Node, title: str) -> str:
    from nucsec.store.schema import records

    with node.engine.connect() as conn:
        found = conn.execute(
            select(records.c.id).where(
                records.c.title.startswith(title), records.c.kind == "document"
            )
        ).scalar()
    assert found is not None, title
    return str(found)


def events(node: Node, action: str) -> list[tuple[str, str | None, str, dict[str, object]]]:
    with node.engine.connect() as conn:
        rows = conn.execute(
            select(
                audit_events.c.actor,
                audit_events.c.object_ref,
                audit_events.c.outcome,
                audit_events.c.body,
            ).where(audit_events.c.action == action)
        ).all()
    return [(r[0], r[1], r[2], json.loads(r[3])["details"]) for r in rows]


def user_id(node: Node, username: str) -> str:
    from nucsec.service.users import get_user

    with node.engine.connect() as conn:
        return get_user(conn, username).id


def state_of(page: str, peer: str = "jpn") -> str:
    found = re.search(rf'data-peer="{peer}" data-state="([a-z]+)"', page)
    assert found, page[:2000]
    return found.group(1)


def test_orcon_record_is_withheld_until_its_originator_approves(node: Node) -> None:
    doc = doc_id(node, ORCON_DOC)
    chief, csrf = signed_in(node, "doe.chief")
    page = chief.get(f"/documents/{doc}").text
    assert f'href="/documents/{doc}/release"' in page  # the record page links to it
    r = chief.get(f"/documents/{doc}/release")
    assert r.status_code == 200
    assert state_of(r.text) == "withheld"
    expected = explain_release(node, doc, "jpn")  # the CLI's answer: same reasons shown
    assert not expected["monitor"]["allowed"]
    for reason in expected["monitor"]["reasons"]:
        assert reason.replace("'", "&#39;") in r.text
    assert "Approve ORCON release to JPN" in r.text
    assert user_id(node, "doe.chief") in {a for a, *_ in events(node, "policy.explain")}

    queue = chief.get("/release").text
    assert f'/documents/{doc}/release"' in queue

    # no anti-forgery token: refused, nothing approved
    refused = chief.post(f"/documents/{doc}/release/approve", data={"peer": "jpn"})
    assert refused.status_code == 403
    assert not [e for e in events(node, "release.approve") if e[2] == "success"]

    done = chief.post(
        f"/documents/{doc}/release/approve",
        data={"peer": "jpn", "csrf_token": csrf, "next": "/release"},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/release?done=approved"
    approved = [e for e in events(node, "release.approve") if e[2] == "success"]
    assert [(a, d["nation"]) for a, _, _, d in approved] == [(user_id(node, "doe.chief"), "JPN")]
    after = chief.get(f"/documents/{doc}/release").text
    assert state_of(after) == "pending"
    assert "Approve ORCON release to JPN" not in after
    assert f'/documents/{doc}/release"' not in chief.get("/release").text  # left the queue


def test_only_the_originator_approves_and_only_chiefs_and_officers_see_release(
    node: Node,
) -> None:
    doc = doc_id(node, ORCON_DOC)
    dhs, csrf = signed_in(node, "dhs.chief")  # may read it; DHS is not the originator
    assert dhs.get(f"/documents/{doc}").status_code == 200
    assert f'href="/documents/{doc}/release"' not in dhs.get(f"/documents/{doc}").text
    assert dhs.get(f"/documents/{doc}/release").status_code == 403
    denied = dhs.post(f"/documents/{doc}/release/approve", data={"peer": "jpn", "csrf_token": csrf})
    assert denied.status_code == 403
    assert f'/documents/{doc}/release"' not in dhs.get("/release").text  # not DHS's to approve
    analyst, _ = signed_in(node, "doe.analyst")
    assert analyst.get(f"/documents/{doc}/release").status_code == 403
    assert analyst.get("/release").status_code == 403
    assert analyst.get("/peers").status_code == 403
    assert dhs.get("/peers").status_code == 403
    with node.engine.connect() as conn:
        held = conn.execute(select(exchange_outbox.c.seq).where(exchange_outbox.c.record_id == doc))
        assert held.first() is None  # nothing left for the partner


def test_a_hidden_record_answers_like_an_absent_one(node: Node) -> None:
    hidden = doc_id(node, NOFORN_DOC)
    for user in ("npa.chief", "jpn.security"):
        client, csrf = signed_in(node, user)
        for path in (f"/documents/{hidden}/release", f"/documents/{ABSENT}/release"):
            r = client.get(path)
            assert r.status_code == 404, (user, path)
        a = client.get(f"/documents/{hidden}/release").text.replace(hidden, "ID")
        b = client.get(f"/documents/{ABSENT}/release").text.replace(ABSENT, "ID")
        assert a == b
        post = client.post(
            f"/documents/{hidden}/release/approve", data={"peer": "jpn", "csrf_token": csrf}
        )
        assert post.status_code == 404
    chief, _ = signed_in(node, "doe.chief")  # the originator sees why it stays home
    page = chief.get(f"/documents/{hidden}/release").text
    assert state_of(page) == "withheld" and "NOFORN" in page
    # a kind that never leaves the node has no release page
    assert chief.get(f"/cases/{ABSENT}/release").status_code == 404


def test_released_record_is_pending_until_the_partner_acknowledges(node: Node) -> None:
    doc = doc_id(node, PUBLIC_DOC)
    officer, _ = signed_in(node, "usa.security")
    assert state_of(officer.get(f"/documents/{doc}/release").text) == "pending"
    from nucsec.store.schema import records  # noqa: F401  (the outbox row of this record)

    with node.engine.begin() as conn:
        conn.execute(
            exchange_outbox.update()
            .where(exchange_outbox.c.record_id == doc)
            .values(acked_at=node.clock())
        )
    assert state_of(officer.get(f"/documents/{doc}/release").text) == "sent"


def test_recall_needs_confirmation_and_then_hides_the_record(node: Node) -> None:
    doc = doc_id(node, PUBLIC_DOC)
    chief, csrf = signed_in(node, "dhs.chief")  # DHS originated the minutes
    page = chief.get(f"/documents/{doc}/release").text
    assert 'action="/documents/' + doc + '/release/recall"' in page
    unconfirmed = chief.post(f"/documents/{doc}/release/recall", data={"csrf_token": csrf})
    assert unconfirmed.status_code == 422
    assert chief.get(f"/documents/{doc}").status_code == 200  # nothing happened
    done = chief.post(
        f"/documents/{doc}/release/recall",
        data={"csrf_token": csrf, "confirm": "yes"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert "Recalled" in chief.get(done.headers["location"]).text
    assert chief.get(f"/documents/{doc}").status_code == 404
    assert [o for _, o, _, _ in events(node, "record.recall") if o and doc in o]
    with node.engine.connect() as conn:
        revoked = conn.execute(
            select(exchange_outbox.c.revoked).where(exchange_outbox.c.record_id == doc)
        ).all()
    assert revoked[-1][0] is True  # a revocation waits for the partner


def test_peer_page_shows_what_waits_errors_and_exchanges(node: Node) -> None:
    with node.engine.begin() as conn:
        conn.execute(
            insert(exchange_rejections).values(
                peer="jpn", stix_id=None, reason="sync interrupted: test refusal", at=node.clock()
            )
        )
        waiting = conn.execute(
            select(exchange_outbox.c.seq).where(
                exchange_outbox.c.peer == "jpn", exchange_outbox.c.record_id.is_not(None)
            )
        ).all()
    assert waiting
    officer, _ = signed_in(node, "usa.security")
    r = officer.get("/peers")
    assert r.status_code == 200
    assert 'data-peer="jpn"' in r.text
    assert "sync interrupted: test refusal" in r.text
    listed = re.findall(r"<li>(\d+) × <code>([a-z-]+)</code>", r.text)
    assert sum(int(n) for n, _ in listed) == len(waiting)
    assert "No exchange yet." in r.text
    with node.engine.begin() as conn:  # the partner acknowledges everything
        conn.execute(
            exchange_outbox.update()
            .where(exchange_outbox.c.peer == "jpn")
            .values(acked_at=node.clock())
        )
    after = officer.get("/peers").text
    assert "Nothing waits" in after and "out: acknowledged by the partner" in after
    assert [d for a, _, _, d in events(node, "record.list") if d.get("kind") == "peer"]
