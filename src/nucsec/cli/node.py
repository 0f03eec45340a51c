"""``nucsec init`` and ``nucsec node ...``: create a node, show its identity and key."""

from __future__ import annotations

import click

from nucsec.cli._common import emit, json_option

__all__ = ["init_cmd", "node_group"]


@click.command("init")
@click.option("--nation", default=None, help="nation of this node (ISO 3166 alpha-3)")
@click.option("--demo", is_flag=True, help="seed the demo working group (demo logins)")
@json_option
def init_cmd(nation: str | None, demo: bool, as_json: bool) -> None:
    """Create the node in $NUCSEC_HOME: key, identity, database (and demo data).

    Without --nation, a demo node is a joint working-group node hosting the users of
    every nation of the agreement; with --nation it hosts that nation's users only.
    """
    from nucsec import settings
    from nucsec.assembly import init_node

    joint = nation is None
    with init_node(settings.load(), nation or "USA", demo=demo, joint=joint) as node:
        result: dict[str, object] = {
            "home": str(node.settings.home),
            "nation": node.nation,
            "origin": node.origin,
            "database": node.settings.db_url.split("@")[-1],
            "joint": joint,
        }
        from nucsec.service.trail import emit as audit

        with node.engine.begin() as conn:
            audit(
                node,
                conn,
                actor="system",
                action="node.init",
                obj=f"node:{node.name}",
                details={"nation": node.nation, "demo": demo},
            )
            audit(
                node,
                conn,
                actor="system",
                action="key.generate",
                obj=f"node:{node.name}",
                details={"origin": node.origin},
            )
        if demo:
            from nucsec.demo import DEMO_PASSWORD, seed
            from nucsec.web.passwords import hash_password

            result["seeded"] = seed(node, password_hash=hash_password(DEMO_PASSWORD))
    emit(result, as_json, lambda r: "\n".join(f"{k}: {v}" for k, v in r.items()))


@click.group("node")
def node_group() -> None:
    """This node's identity."""


@node_group.command("public-key")
def public_key_cmd() -> None:
    """Print the node's Ed25519 public key (PEM) for partners to pin."""
    from nucsec.cli._node import node

    with node() as n:
        click.echo(n.public_key_pem().decode(), nl=False)


@node_group.command("info")
@json_option
def info_cmd(as_json: bool) -> None:
    """Nation, origin, database and key id of this node."""
    from nucsec.cli._node import node

    with node() as n:
        info = {
            "nation": n.nation,
            "name": n.name,
            "origin": n.origin,
            "home": str(n.settings.home),
            "database": n.settings.db_url.split("@")[-1],
            "joint": n.joint,
            "demo": n.demo,
        }
    emit(info, as_json, lambda r: "\n".join(f"{k}: {v}" for k, v in r.items()))
