"""How CLI commands reach the node and the acting user."""

from __future__ import annotations

from nucsec.assembly import open_node
from nucsec.node import Node
from nucsec.policy import Principal
from nucsec.service.users import principal_of

__all__ = ["acting", "node"]


def node() -> Node:
    """The node in ``$NUCSEC_HOME`` (ConfigurationError if there is none)."""
    return open_node()


def acting(n: Node, username: str) -> Principal:
    """The principal for ``--as USER`` (NotFoundError if no such active user)."""
    return principal_of(n, username)
