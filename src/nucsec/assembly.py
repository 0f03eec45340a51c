"""Where a node is put together: its record kinds, the subscribers to its writes, its tables.

The layers below never name the ones above them (see ``docs/architecture.md``): the
record services do not know federation, the store does not know which subsystems keep
tables. This module, above all of them, joins them explicitly:

- :func:`open_node` and :func:`init_node` build a :class:`~nucsec.node.Node` with the
  record kinds of :data:`~nucsec.service.registry.RECORD_KINDS` and :data:`SUBSCRIBERS`
  (federation's outbox, told of every version written in the writing transaction);
- :func:`metadata` is every table a node has (what the migrations must produce).

Every face (the CLI, the web server, the demo) opens its node here.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from typing import TYPE_CHECKING

from sqlalchemy import MetaData

from nucsec import node as _node
from nucsec.audit import keys
from nucsec.node import Node
from nucsec.service.registry import RECORD_KINDS
from nucsec.settings import Settings, load
from nucsec.store.db import make_engine

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from nucsec.markings import Label
    from nucsec.store.records import RecordRow

__all__ = ["SUBSCRIBERS", "init_node", "metadata", "open_node"]


def publish(node: Node, conn: Connection, kind: str, row: RecordRow, banner: Label) -> None:
    """Federation's subscriber: queue a version for every peer the policy releases it to
    (:func:`nucsec.federation.outbox.on_version_written`, loaded on the first write)."""
    from nucsec.federation.outbox import on_version_written

    on_version_written(node, conn, kind, row, banner)


#: told of every version written, in order
SUBSCRIBERS: tuple[_node.Subscriber, ...] = (publish,)


def open_node(settings: Settings | None = None) -> Node:
    """Open the node in ``settings.home`` (``NUCSEC_HOME``)."""
    settings = settings or load()
    identity = _node.read_identity(settings)
    return Node(
        settings=settings,
        engine=make_engine(settings.db_url),
        nation=identity["nation"],
        name=identity["name"],
        origin=identity["origin"],
        key=keys.load_private_key(settings.home / "keys"),
        ctx=_node.marking_context(settings),
        kinds=RECORD_KINDS,
        subscribers=SUBSCRIBERS,
        joint=bool(identity.get("joint", False)),
    )


def init_node(settings: Settings, nation: str, *, demo: bool = False, joint: bool = False) -> Node:
    """Create a node: directories, signing key, identity file, database schema.

    Seeding the demo data is :func:`nucsec.demo.seed`'s job; ``demo`` here only marks the
    node as a demo node (demo logins allowed and printed).
    """
    from nucsec.store.migrate import upgrade

    identity, key, ctx = _node.create_home(settings, nation, demo=demo, joint=joint)
    settings = replace(settings, demo=demo)
    engine = make_engine(settings.db_url)
    upgrade(engine)
    return Node(
        settings,
        engine,
        identity["nation"],
        identity["name"],
        identity["origin"],
        key,
        ctx,
        kinds=RECORD_KINDS,
        subscribers=SUBSCRIBERS,
        joint=joint,
    )


def metadata() -> MetaData:
    """Every table of a node: the store's and those of audit, web, federation, the
    incident register and the practice catalogue (each subsystem defines its own on
    ``Base.metadata``)."""
    from nucsec.audit import tables as _audit
    from nucsec.federation import tables as _federation
    from nucsec.service import incident_tables as _incidents
    from nucsec.service import practice_tables as _practices
    from nucsec.store import schema as _store
    from nucsec.store.db import Base
    from nucsec.web import tables as _web

    del _audit, _federation, _incidents, _practices, _store, _web  # imported for tables
    return Base.metadata


def _new_revision(message: str) -> None:  # pragma: no cover - developer tool
    """Autogenerate a migration from the difference between :func:`metadata` and a
    scratch database at head (``python -m nucsec.assembly revision MESSAGE``)."""
    from nucsec.store.migrate import new_revision

    new_revision(message, metadata())


if __name__ == "__main__":  # pragma: no cover
    if len(sys.argv) == 3 and sys.argv[1] == "revision":
        _new_revision(sys.argv[2])
    else:
        print("usage: python -m nucsec.assembly revision MESSAGE")
        sys.exit(2)
