"""Asking a partner's forensics library between two national nodes as real processes.

Node USA asks node JPN (served behind a recording proxy) whether samples are consistent
with JPN's holdings. JPN answers over the entries its policy releases to USA (not its
NOFORN lines), with the conclusion and per-signature verdicts only; both nodes audit the
query and the answer; USA keeps the answer as a labelled record citing the query. Then the
wire and USA's whole database are searched for every id, text and value of JPN's library:
nothing of it crossed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from nucsec.assembly import metadata
from nucsec.node import Node
from nucsec.service.library import list_entries
from nucsec.service.users import principal_of
from tests.federation.conftest import peer, process_nodes
from tests.federation.nodes import NodeProcess
from tests.federation.proxy import Faults, faulty_proxy

REL_SAMPLE = "SECRET//FORENSICS//REL TO USA, JPN"


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Any, Faults]]:
    root = tmp_path_factory.mktemp("libq")
    with process_nodes(root) as make:
        usa, jpn = make("USA", demo=True), make("JPN", name="jpn", demo=True)
        for each in (usa, jpn):  # the demo library, as `make demo` loads it
            _seed_library(each)
        jpn.start()
        with faulty_proxy(jpn.port) as (url, faults):
            result = usa.cli(
                "peer", "add", "jpn", "--nation", "JPN", "--url", url,
                "--public-key", str(jpn.public_key()), "--json",
            )  # fmt: skip
            assert result.code == 0, result.err
            peer(jpn, usa, "usa")
            yield usa, jpn, faults


def _seed_library(node: NodeProcess) -> None:
    from nucsec.demo import seed_library

    n = node.open()
    try:
        seed_library(n, {n.nation})
    finally:
        n.close()


def _held(node: NodeProcess, user: str) -> list[dict[str, Any]]:
    """Every entry of ``node`` that ``user`` may read, with its banner and record id."""
    from nucsec.service.library import get_entry

    n = node.open()
    try:
        who = principal_of(n, user)
        return [
            {**get_entry(n, who, s.id).entry, "record": s.id, "banner": s.banner}
            for s in list_entries(n, who)
            if s.library == "national"
        ]
    finally:
        n.close()


def _sample(entry: dict[str, Any], shift: float) -> dict[str, Any]:
    """A batch measured on ``entry``'s line: each value moved by ``shift`` spreads."""
    sigs = []
    for s in entry["signatures"]:
        if "value" not in s or s["name"] == "chemical form":
            continue
        spread = s.get("spread") or s.get("u") or abs(s["value"]) * 1e-3
        value = s["value"] + shift * spread
        sigs.append({"name": s["name"], "value": value, "u": spread / 2, "unit": s["unit"]})
    return {"id": "SEIZED-1", "material_type": entry["material_type"], "signatures": sigs}


def _texts(entries: list[dict[str, Any]]) -> set[str]:
    """What must not cross: ids, record ids, texts and every value and spread (as JSON
    writes them)."""
    out: set[str] = set()
    for e in entries:
        out |= {e["id"], e["record"]}
        out |= {e[k] for k in ("description", "production_site") if e.get(k)}
        for s in e["signatures"]:
            for key in ("value", "spread", "below"):
                v = s.get(key)
                if isinstance(v, float) and len(repr(v)) >= 7:
                    out.add(json.dumps(v))
    return out


def _database_text(node: NodeProcess) -> str:
    n: Node = node.open()
    try:
        with n.engine.connect() as conn:
            return "\n".join(repr(conn.execute(select(t)).all()) for t in metadata().sorted_tables)
    finally:
        n.close()


def _events(node: NodeProcess, ref: str) -> list[tuple[str, str]]:
    from nucsec.audit.queries import query_events

    n = node.open()
    try:
        with n.engine.connect() as conn:
            logged, _ = query_events(conn, limit=100_000)
    finally:
        n.close()
    return [(e.event.action, e.event.actor) for e in logged if e.event.object_ref == ref]


def test_partner_query_answers_conclusions_only_and_nothing_else_crosses(
    pair: tuple[NodeProcess, NodeProcess, Faults], tmp_path: Any
) -> None:
    usa, jpn, faults = pair
    held = _held(jpn, "npa.analyst")
    released = [e for e in held if "REL TO" in e["banner"]]
    noforn = [e for e in held if "NOFORN" in e["banner"]]
    assert released and noforn
    before = _database_text(usa)
    # what only JPN holds (generic texts such as "synthetic mill line" both nodes have)
    secrets = {t for t in _texts(held) if t not in before}
    assert {e["id"] for e in held} | {e["record"] for e in held} <= secrets
    assert len(secrets) > 10 * len(held)  # the values and spreads too

    # a sample from a line JPN may use for USA: consistent, never "none"
    path = tmp_path / "rel.json"
    path.write_text(json.dumps(_sample(released[0], 0.5)))
    asked = usa.cli(
        "library", "query", str(path), "--peer", "jpn", "--as", "doe.analyst",
        "--label", REL_SAMPLE, "--json",
    )  # fmt: skip
    assert asked.code == 0, asked.err
    answer = asked.json
    assert answer["conclusion"] == "consistent", answer
    assert {s["verdict"] for s in answer["signatures"]} <= {"consistent", "inconclusive"}
    names = {s["name"] for s in json.loads(path.read_text())["signatures"]}
    assert {s["name"] for s in answer["signatures"]} <= names | {"chemical form"}

    # a sample from a NOFORN line: JPN's own analyst finds it, USA's query does not
    local = jpn.cli("library", "match", str(_write(tmp_path, noforn[0])), "--as", "npa.analyst",
                    "--library", "national", "--json")  # fmt: skip
    assert local.code == 0, local.err
    assert noforn[0]["id"] in {c["entry"] for c in local.json["candidates"]}
    hidden = usa.cli(
        "library", "query", str(_write(tmp_path, noforn[0])), "--peer", "jpn",
        "--as", "doe.analyst", "--label", REL_SAMPLE, "--json",
    )  # fmt: skip
    assert hidden.code == 0, hidden.err
    assert hidden.json["conclusion"] == "none", hidden.json

    # the answer is a labelled record on USA citing the query; both nodes audited it
    n = usa.open()
    try:
        from nucsec.service.library_queries import get_answer

        kept = get_answer(n, principal_of(n, "doe.analyst"), answer["record"])
        assert kept.query["id"] == answer["query"] and kept.query["peer"] == "jpn"
        assert kept.answer["conclusion"] == "consistent"
        assert kept.banner.startswith("SECRET")
    finally:
        n.close()
    ref = f"library_query:{answer['query']}"
    asker = dict(_events(usa, ref))
    assert asker["exchange.receive"] == "peer:jpn"
    assert asker["release.send"] != "peer:jpn"  # sent by the analyst
    assert {a for a, _ in _events(jpn, ref)} >= {"exchange.receive", "release.send"}

    # nothing of JPN's library crossed: not on the wire, not in USA's database
    wire = b"\n".join(faults.wire).decode("utf-8", "replace")
    assert "library-queries" in wire
    assert [t for t in secrets if t in wire] == []
    after = _database_text(usa)
    assert [t for t in secrets if t in after] == []


def _write(tmp_path: Any, entry: dict[str, Any]) -> Any:
    path = tmp_path / f"{entry['id']}.json"
    path.write_text(json.dumps(_sample(entry, 0.5)))
    return path


def test_a_sample_not_releasable_to_the_partner_never_leaves(
    pair: tuple[NodeProcess, NodeProcess, Faults], tmp_path: Any
) -> None:
    usa, jpn, faults = pair
    entry = _held(jpn, "npa.analyst")[0]
    seen = len(faults.wire)
    refused = usa.cli(
        "library", "query", str(_write(tmp_path, entry)), "--peer", "jpn",
        "--as", "doe.analyst", "--label", "SECRET//FORENSICS//NOFORN", "--json",
    )  # fmt: skip
    assert refused.code == 3, refused.err
    assert len(faults.wire) == seen  # no request was made
