"""The holder's officer approves (or refuses) a partner's library query before it is answered.

Node JPN runs with ``library_approval = true``: USA's query is held as pending (USA keeps
an answer record that says pending), JPN's officer lists the queue, approves one query and
refuses another; USA fetches each outcome by polling over the same signed endpoint. Both
nodes audit every step, and nothing of JPN's library crosses beyond the answer.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from nucsec.service.users import principal_of
from tests.federation.conftest import peer, process_nodes
from tests.federation.nodes import NodeProcess
from tests.federation.proxy import Faults, faulty_proxy
from tests.federation.test_library_query import (
    REL_SAMPLE,
    _database_text,
    _events,
    _held,
    _sample,
    _seed_library,
    _texts,
)

OFFICER = "npa.chief"


@pytest.fixture(scope="module")
def gated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Any, Faults]]:
    root = tmp_path_factory.mktemp("libapprove")
    with process_nodes(root) as make:
        usa, jpn = make("USA", demo=True), make("JPN", name="jpn", demo=True)
        for each in (usa, jpn):
            _seed_library(each)
        toml = jpn.home / "node.toml"
        text = toml.read_text(encoding="utf-8")
        assert "[settings]\n" in text
        toml.write_text(text.replace("[settings]\n", "[settings]\nlibrary_approval = true\n", 1))
        jpn.start()
        with faulty_proxy(jpn.port) as (url, faults):
            result = usa.cli(
                "peer", "add", "jpn", "--nation", "JPN", "--url", url,
                "--public-key", str(jpn.public_key()), "--json",
            )  # fmt: skip
            assert result.code == 0, result.err
            peer(jpn, usa, "usa")
            yield usa, jpn, faults


def _ask(usa: NodeProcess, tmp_path: Any, entry: dict[str, Any], name: str) -> dict[str, Any]:
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(_sample(entry, 0.5)))
    asked = usa.cli(
        "library", "query", str(path), "--peer", "jpn", "--as", "doe.analyst",
        "--label", REL_SAMPLE, "--json",
    )  # fmt: skip
    assert asked.code == 0, asked.err
    data: dict[str, Any] = asked.json
    return data


def _queue(jpn: NodeProcess, *extra: str) -> list[dict[str, Any]]:
    listed = jpn.cli("library", "queue", "--as", OFFICER, "--json", *extra)
    assert listed.code == 0, listed.err
    items: list[dict[str, Any]] = listed.json
    return items


def test_answers_wait_for_the_officer_and_nothing_else_crosses(
    gated: tuple[NodeProcess, NodeProcess, Faults], tmp_path: Any
) -> None:
    usa, jpn, faults = gated
    held = _held(jpn, "npa.analyst")
    released = [e for e in held if "REL TO" in e["banner"]]
    before = _database_text(usa)
    shown = released[-1]  # the entry the officer will release by name
    secrets = {t for t in _texts(held) if t not in before} - _texts([shown])
    assert len(secrets) > 10 * (len(held) - 1)
    assert shown["id"] not in before

    # the query is held: USA's kept answer says pending; JPN's officer sees it queued
    first = _ask(usa, tmp_path, released[0], "first")
    assert first["status"] == "pending" and "conclusion" not in first, first
    second = _ask(usa, tmp_path, released[0], "second")
    assert second["status"] == "pending"
    queued = {i["query"]: i for i in _queue(jpn)}
    assert set(queued) >= {first["query"], second["query"]}
    assert queued[first["query"]]["peer"] == "usa" and queued[first["query"]]["state"] == "pending"
    # an analyst may not decide
    denied = jpn.cli("library", "approve", first["query"], "--as", "npa.analyst", "--json")
    assert denied.code == 3, denied.err
    # polling before a decision: still pending, nothing written
    still = usa.cli("library", "poll", first["record"], "--as", "doe.analyst", "--json")
    assert still.code == 0, still.err
    assert still.json["status"] == "pending"

    # the officer approves the first and refuses the second
    bad = jpn.cli("library", "approve", first["query"], "--as", OFFICER, "--release", "NOPE")
    assert bad.code == 2, bad.err  # no such releasable entry: nothing decided
    ok = jpn.cli(
        "library", "approve", first["query"], "--as", OFFICER, "--release", shown["id"], "--json"
    )
    assert ok.code == 0, ok.err
    assert ok.json["state"] == "approved" and ok.json["released"] == [shown["id"]]
    no = jpn.cli(
        "library", "refuse", second["query"], "--as", OFFICER, "--reason", "not now", "--json"
    )
    assert no.code == 0, no.err
    assert no.json["state"] == "refused"
    assert {i["query"] for i in _queue(jpn)}.isdisjoint({first["query"], second["query"]})
    again = jpn.cli("library", "approve", second["query"], "--as", OFFICER, "--json")
    assert again.code == 2, again.err  # already refused

    # USA fetches the outcomes; its answer records now say so
    got = usa.cli("library", "poll", first["record"], "--as", "doe.analyst", "--json")
    assert got.code == 0, got.err
    assert got.json["status"] == "answered"
    assert got.json["conclusion"] == "consistent", got.json
    assert {s["verdict"] for s in got.json["signatures"]} <= {"consistent", "inconclusive"}
    assert [e["id"] for e in got.json["released"]] == [shown["id"]]
    assert got.json["released"][0]["signatures"]  # the named entry's values crossed
    refused = usa.cli("library", "poll", second["record"], "--as", "doe.analyst", "--json")
    assert refused.code == 0, refused.err
    assert refused.json["status"] == "refused" and refused.json["reason"] == "not now"
    n = usa.open()
    try:
        from nucsec.service.library_queries import get_answer

        kept = get_answer(n, principal_of(n, "doe.analyst"), first["record"])
        assert kept.answer["conclusion"] == "consistent" and kept.version == 2
        assert kept.query["id"] == first["query"]
    finally:
        n.close()

    # audited on both nodes
    ref = f"library_query:{first['query']}"
    asker = [a for a, _ in _events(usa, ref)]
    assert asker.count("release.send") == 3 and asker.count("exchange.receive") == 3
    holder = _events(jpn, ref)
    assert ("exchange.receive", "peer:usa") in holder
    assert "release.approve" in {a for a, _ in holder}
    assert ("library_entry", shown["record"]) in _reads(jpn)  # the officer's read of it
    assert "release.decide" in {a for a, _ in _events(jpn, f"library_query:{second['query']}")}

    # nothing of JPN's library crossed: not on the wire, not in USA's database
    wire = b"\n".join(faults.wire).decode("utf-8", "replace")
    assert "library-queries" in wire and shown["id"] in wire
    assert [t for t in secrets if t in wire] == []
    after = _database_text(usa)
    assert [t for t in secrets if t in after] == []


def _reads(node: NodeProcess) -> set[tuple[str, str]]:
    """(kind, record id) of every audited record read on ``node``."""
    from nucsec.audit.queries import query_events

    n = node.open()
    try:
        with n.engine.connect() as conn:
            logged, _ = query_events(conn, limit=100_000)
    finally:
        n.close()
    refs = [e.event.object_ref or "" for e in logged if e.event.action == "record.read"]
    return {(r.split(":")[0], r.split(":", 1)[-1].split("#")[0]) for r in refs if ":" in r}
