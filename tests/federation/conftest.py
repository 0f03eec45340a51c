"""Fixtures of the federation tests: national nodes as real processes, peered by keys."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest

from nucsec.node import Node
from tests.federation.nodes import NodeProcess, database

MakeNode = Callable[..., NodeProcess]


@contextmanager
def process_nodes(root: Path) -> Iterator[MakeNode]:
    """``make("USA", name="a", demo=True, markings_dir=None, start=False)``: an initialised
    node in ``root/name`` with its own database; every server is stopped at the end."""
    made: list[NodeProcess] = []
    with ExitStack() as stack:

        def make(
            nation: str,
            *,
            name: str | None = None,
            demo: bool = True,
            markings_dir: Path | None = None,
            start: bool = False,
        ) -> NodeProcess:
            name = name or nation.lower()
            directory = root / f"{name}-db"
            directory.mkdir()
            url = stack.enter_context(database(directory))
            node = NodeProcess(nation, root / name, url, markings_dir)
            made.append(node)
            args = ["init", "--nation", nation, "--json"] + (["--demo"] if demo else [])
            result = node.cli(*args)
            assert result.code == 0, result.err
            if start:
                node.start()
            return node

        try:
            yield make
        finally:
            for node in made:
                node.stop()


@pytest.fixture
def make_node(tmp_path: Path) -> Iterator[MakeNode]:
    """Nodes as real processes for one test (see :func:`process_nodes`)."""
    with process_nodes(tmp_path) as make:
        yield make


def peer(a: NodeProcess, b: NodeProcess, name: str) -> dict[str, object]:
    """``a`` pins ``b``'s key as peer ``name`` (through the CLI, as an operator would)."""
    result = a.cli(
        "peer", "add", name, "--nation", b.nation, "--url", b.url,
        "--public-key", str(b.public_key()), "--json",
    )  # fmt: skip
    assert result.code == 0, result.err
    data: dict[str, object] = result.json
    return data


@functools.cache
def _demo_hash() -> str:
    from nucsec.demo import DEMO_PASSWORD
    from nucsec.web.passwords import hash_password

    return hash_password(DEMO_PASSWORD)


@contextmanager
def local_nodes(root: Path) -> Iterator[Callable[..., Node]]:
    """Nodes in this process (no server): ``make("USA")`` -> Node, each with its own
    database under ``root``; closed at the end."""
    from nucsec import settings
    from nucsec.assembly import init_node
    from nucsec.demo import seed

    made: list[Node] = []
    with ExitStack() as stack:

        def make(nation: str, *, name: str | None = None, demo: bool = True) -> Node:
            directory = root / (name or nation.lower())
            directory.mkdir()
            url = stack.enter_context(database(directory))
            node = init_node(
                settings.load(env={}, home=directory, database_url=url), nation, demo=demo
            )
            if demo:
                seed(node, password_hash=_demo_hash())
            made.append(node)
            return node

        try:
            yield make
        finally:
            for node in made:
                node.close()


def pin(node: Node, other: Node, name: str) -> Any:
    """In-process ``peer add``: ``node`` pins ``other``'s key (and backfills its outbox)."""
    from nucsec.audit.keys import public_key_pem
    from nucsec.federation.outbox import backfill
    from nucsec.federation.peers import add_peer

    with node.engine.begin() as conn:
        peer = add_peer(
            node,
            conn,
            name=name,
            nation=other.nation,
            url="http://127.0.0.1:9",
            public_key=public_key_pem(other.key.public_key()),
        )
        return peer, backfill(node, conn, peer)


def outbox_objects(node: Node, peer: str) -> list[dict[str, Any]]:
    """The STIX objects queued for ``peer`` in ``node``'s outbox, in order."""
    import json

    from sqlalchemy import select

    from nucsec.federation.tables import exchange_outbox

    o = exchange_outbox.c
    with node.engine.connect() as conn:
        bodies = conn.execute(select(o.body).where(o.peer == peer).order_by(o.seq)).scalars()
        return [json.loads(b) for b in bodies]


def receive(node: Node, peer: str, objects: list[Any]) -> Any:
    """Import ``objects`` as one verified page from ``peer`` (the importer's PageResult)."""
    import hashlib
    import uuid

    from nucsec.federation.importer import Importer
    from nucsec.federation.jws import canonical_json
    from nucsec.federation.peers import get_peer

    digests = [hashlib.sha256(canonical_json(o)).hexdigest() for o in objects]
    with node.engine.begin() as conn:
        p = get_peer(conn, peer)
        if p is None:
            raise LookupError(peer)
        return Importer(node, conn, p).import_page(objects, f"bundle--{uuid.uuid4()}", digests)


def definitions(objects: list[Any]) -> list[Any]:
    """The definitions (identities, extensions, markings) among STIX objects."""
    return [o for o in objects if "record_version" not in o]
