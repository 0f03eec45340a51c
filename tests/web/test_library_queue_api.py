"""REST API of the officer's approval queue: list, approve, refuse (a held partner query)."""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from nucsec.federation.peers import add_peer, peer_principal
from nucsec.forensics.library import sample_from_dict
from nucsec.markings import parse_label
from nucsec.service.library_approvals import hold_query
from tests.library.samples import UCLO_SAMPLE as SAMPLE


def _hold(node: Any, query_id: str) -> None:
    label = parse_label("SECRET//FORENSICS//REL TO USA, JPN", node.ctx)
    sample = sample_from_dict(SAMPLE)
    with node.engine.begin() as conn:
        who = peer_principal(node, "JPN", "jpn")
        hold_query(node, conn, who, "jpn", {"query": query_id}, sample, label, 0.01)


def test_officer_lists_approves_and_refuses(api_of, demo_node) -> None:  # type: ignore[no-untyped-def]
    from nucsec.demo import seed_library

    seed_library(demo_node, set(demo_node.ctx.nations))
    key = (
        Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    )
    with demo_node.engine.begin() as conn:
        add_peer(
            demo_node, conn, name="jpn", nation="JPN", url="http://127.0.0.1:9", public_key=key
        )
    _hold(demo_node, "q-approve")
    _hold(demo_node, "q-refuse")
    client, headers = api_of("doe.chief")
    listed = client.get("/api/v1/library-queue", headers=headers)
    assert listed.status_code == 200, listed.text
    items = {i["query"]: i for i in listed.json()["items"]}
    assert set(items) == {"q-approve", "q-refuse"}
    assert items["q-approve"]["state"] == "pending" and items["q-approve"]["peer"] == "jpn"
    # an analyst may not decide; an unknown id is 404
    analyst, analyst_headers = api_of("doe.analyst")
    url = "/api/v1/library-queue/q-approve/approve"
    assert analyst.post(url, headers=analyst_headers).status_code == 403
    assert client.post("/api/v1/library-queue/nope/approve", headers=headers).status_code == 404
    assert client.post(url + "?release=NO-SUCH", headers=headers).status_code == 422
    ok = client.post(url + "?release=UCLO-1", headers=headers)
    assert ok.status_code == 200, ok.text
    assert ok.json()["state"] == "approved" and ok.json()["released"] == ["UCLO-1"]
    body = {"reason": "not releasable now"}
    no = client.post("/api/v1/library-queue/q-refuse/refuse", json=body, headers=headers)
    assert no.status_code == 200, no.text
    assert no.json()["reason"] == "not releasable now"
    assert client.post(url, headers=headers).status_code == 422  # already approved
    assert client.get("/api/v1/library-queue", headers=headers).json()["items"] == []
    every = client.get("/api/v1/library-queue?state=all", headers=headers).json()["items"]
    assert {i["state"] for i in every} == {"approved", "refused"}
    # the approved answer is a partner answer: conclusion and verdicts, no entry ids
    from nucsec.service.library_approvals import held_answer

    with demo_node.engine.connect() as conn:
        answer = held_answer(demo_node, conn, "jpn", "q-approve")
        refused = held_answer(demo_node, conn, "jpn", "q-refuse")
    assert answer is not None
    assert set(answer) == {"conclusion", "false_exclusion_rate", "signatures", "released"}
    assert answer["conclusion"] == "consistent"  # UCLO-1 is REL TO JPN in the demo
    assert [e["id"] for e in answer["released"]] == ["UCLO-1"]  # the one named entry
    assert "UCHI-1" not in repr(answer)
    assert refused == {"status": "refused", "reason": "not releasable now"}
