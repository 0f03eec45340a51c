"""Wire format 1.0 is immutable: what a node sends is pinned byte for byte.

The scenario of :mod:`tests.federation.wire_scenario` (every record kind under every
marking variety, updates, a tightening, recalls, an export bundle) is run on today's code
and each case's objects are compared with the golden files written from the code of
commit 11523fb. The golden objects are then received by a JPN node: what an unchanged
node sends is still accepted, in full.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nucsec import settings
from nucsec.node import Node
from tests.federation.conftest import receive
from tests.federation.nodes import database
from tests.federation.wire_scenario import GOLDEN, file_name, golden_node, lines, run

CASES = sorted(p.name for p in GOLDEN.iterdir())


@pytest.fixture(scope="module")
def wire(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, bytes]]:
    """Each case's bytes as today's code sends them."""
    root = tmp_path_factory.mktemp("wire")
    from tests.federation.wire_paths import init_node

    with database(root) as url, pytest.MonkeyPatch.context() as mp:

        def make() -> Node:
            env = settings.load(env={}, home=root / "usa", database_url=url)
            return init_node(env, "USA", demo=False)

        with golden_node(make, mp) as (node, clock):
            try:
                out = lines(run(node, clock))
            finally:
                node.close()
    yield {file_name(case): data for case, data in out.items()}


def test_every_golden_case_is_produced(wire: dict[str, bytes]) -> None:
    assert sorted(wire) == CASES


@pytest.mark.parametrize("case", CASES)
def test_wire_format_is_unchanged(wire: dict[str, bytes], case: str) -> None:
    golden = (GOLDEN / case).read_bytes()
    produced = wire.get(case, b"")
    if produced != golden:  # say which object differs, then fail on the bytes
        for i, (a, b) in enumerate(zip(produced.splitlines(), golden.splitlines(), strict=False)):
            assert a == b, f"{case} line {i + 1} differs"
    assert produced == golden


def _golden_objects() -> list[dict[str, Any]]:
    """Every object sent to the peer: the definitions, then the record versions in the
    order they were written (by ``modified``), each once."""
    objects: dict[tuple[str, Any], dict[str, Any]] = {}
    for case in ["definitions.jsonl", *(c for c in CASES if c.endswith(".jsonl"))]:
        for line in (GOLDEN / case).read_bytes().splitlines():
            obj = json.loads(line)
            objects.setdefault((obj["id"], obj.get("modified")), obj)
    found = list(objects.values())
    records = sorted((o for o in found if "record_version" in o), key=lambda o: o["modified"])
    return [o for o in found if "record_version" not in o] + records


def test_golden_objects_are_received_by_a_new_node(tmp_path: Path) -> None:
    from tests.federation.conftest import local_nodes
    from tests.federation.wire_paths import peer_add, read_as

    objects = _golden_objects()
    with local_nodes(tmp_path) as make:
        jpn = make("JPN", demo=False)
        peer_add(jpn, "usa", "USA")
        result = receive(jpn, "usa", objects)
        assert result.rejected == []
        assert result.unchanged == []
        assert len(result.accepted) == len(objects)
        last: dict[str, dict[str, Any]] = {}
        for obj in objects:
            if "record_version" in obj:
                last[str(obj["id"])] = obj
        assert len(last) == 14  # 9 documents, 3 incidents (the NOFORN one stays), 2 analyses
        for sid, obj in last.items():  # each record as a cleared JPN reader sees it
            kind, _, record_id = sid.partition("--")
            seen = read_as(jpn, kind.removeprefix("x-nucsec-"), record_id)
            if obj.get("revoked"):
                assert seen is None, sid
                continue
            assert seen is not None, sid
            if "portions" in obj:
                sent = {p["name"]: p["value"] for p in obj["portions"]}
            else:
                sent = {"title": obj["title"], "body": obj["body"]}
            assert {n: seen["portions"][n]["value"] for n in sent} == sent, sid
