"""Three nations: JPN, USA and a third nation (KOR) added by marking data only — a nation
entry, a scheme file and an agreement column, no code. Every node pulls from every other;
afterwards each database holds exactly what its nation may receive."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nucsec.audit.keys import public_key_pem
from nucsec.federation.outbox import backfill
from nucsec.federation.peers import add_peer
from nucsec.federation.sync import sync_peer
from nucsec.markings import parse_banner, render_in
from nucsec.service.documents import DocumentInput, create_document
from nucsec.service.users import principal_of
from tests.federation.conftest import process_nodes
from tests.federation.nodes import KOR_SCHEME, NodeProcess, add_agreement_column, markings_with
from tests.federation.scan import assert_nothing_forbidden

KOR_LEVELS = ["PYEONGMUN", "DAEWOI BI", "III-GEUP BIMIL", "II-GEUP BIMIL", "I-GEUP BIMIL"]
NAMES = {"USA": "usa", "JPN": "jpn", "KOR": "kor"}


def _pin(node: NodeProcess, other: NodeProcess) -> None:
    n, o = node.open(), other.open()
    try:
        with n.engine.begin() as conn:
            peer = add_peer(
                n, conn, name=NAMES[other.nation], nation=other.nation, url=other.url,
                public_key=public_key_pem(o.key.public_key()),
            )  # fmt: skip
            backfill(n, conn, peer)
    finally:
        n.close()
        o.close()


def _write(node: NodeProcess, user: str, title: str, banner: str) -> str:
    n = node.open()
    try:
        label = parse_banner(banner, n.ctx)
        made = create_document(n, principal_of(n, user), DocumentInput(title, "b", label, label))
        return str(made["id"])
    finally:
        n.close()


@pytest.fixture(scope="module")
def three(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, NodeProcess]]:
    root: Path = tmp_path_factory.mktemp("three")
    markings = markings_with(root, "KOR", KOR_SCHEME, "NIS")
    add_agreement_column(markings, "KOR", KOR_LEVELS)
    with process_nodes(root) as make:
        # KOR has no demo users (and the demo seeds only USA and JPN material)
        nodes = {
            nation: make(nation, markings_dir=markings, start=True, demo=nation != "KOR")
            for nation in NAMES
        }
        _write(nodes["USA"], "doe.analyst", "to JPN only", "SECRET//REL TO USA, JPN")
        _write(nodes["USA"], "doe.analyst", "to KOR only", "SECRET//REL TO USA, KOR")
        _write(nodes["USA"], "doe.analyst", "to both", "SECRET//REL TO USA, JPN, KOR")
        _write(nodes["JPN"], "npa.analyst", "from JPN to KOR", "GOKUHI//REL TO JPN, KOR")
        for node in nodes.values():
            for other in nodes.values():
                if other is not node:
                    _pin(node, other)
        for node in nodes.values():
            n = node.open()
            try:
                for other in nodes.values():
                    if other is not node:
                        result = sync_peer(n, NAMES[other.nation])
                        assert result.complete, result.error
            finally:
                n.close()
        yield nodes


def test_each_node_holds_only_what_its_nation_may_receive(three: dict[str, NodeProcess]) -> None:
    origins = {name: nation for nation, name in NAMES.items()}
    held = {nation: assert_nothing_forbidden(node, origins) for nation, node in three.items()}
    titles = {nation: {r.title for r in recs.values()} for nation, recs in held.items()}
    assert {"to JPN only", "to both"} <= titles["JPN"] and "to KOR only" not in titles["JPN"]
    assert {"to KOR only", "to both", "from JPN to KOR"} <= titles["KOR"]
    assert "to JPN only" not in titles["KOR"]
    # the demo's public minutes reach every agreement nation; NOFORN material none
    assert "Working group meeting minutes, November 2010" in titles["KOR"]
    assert not any("Talking points" in t for t in titles["KOR"] | titles["JPN"])


def test_a_third_nation_sees_its_equivalent_level(three: dict[str, NodeProcess]) -> None:
    n = three["KOR"].open()
    try:
        label = parse_banner("SECRET//REL TO USA, JPN, KOR", n.ctx)
        assert render_in(label, n.ctx, "KOR", "en") == "II-GEUP BIMIL//REL TO USA, JPN, KOR"
    finally:
        n.close()


def test_nothing_is_passed_on_to_a_third_nation(three: dict[str, Any]) -> None:
    """JPN received 'to both' from USA; it must not offer it to KOR (third-party rule)."""
    jpn = three["JPN"].open()
    try:
        from sqlalchemy import select

        from nucsec.federation.tables import exchange_outbox
        from nucsec.store.schema import records

        with jpn.engine.connect() as conn:
            received_ids = set(
                conn.execute(select(records.c.id).where(records.c.origin.is_not(None))).scalars()
            )
            offered = set(
                conn.execute(
                    select(exchange_outbox.c.record_id).where(
                        exchange_outbox.c.record_id.is_not(None)
                    )
                ).scalars()
            )
    finally:
        jpn.close()
    assert received_ids and not received_ids & offered
