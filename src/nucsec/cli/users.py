"""``nucsec user ...``: the node's users, clearances and roles (operator commands)."""

from __future__ import annotations

import click

from nucsec.cli._common import emit, json_option

__all__ = ["user_group"]


def _table(users: list[dict[str, object]]) -> str:
    lines = [f"{'username':16} {'nation':6} {'agency':6} {'clearance':16} roles / compartments"]
    for u in users:
        lines.append(
            f"{u['username']!s:16} {u['nation']!s:6} {u['agency']!s:6} {u['clearance']!s:16} "
            f"{','.join(u['roles'])} / {','.join(u['compartments']) or '-'}"  # type: ignore[arg-type]
        )
    return "\n".join(lines)


@click.group("user")
def user_group() -> None:
    """Users, clearances, compartments and roles."""


@user_group.command("list")
@json_option
def list_cmd(as_json: bool) -> None:
    """List users with nation, agency, roles, clearance and compartments."""
    from nucsec.cli._node import node
    from nucsec.service.users import list_users

    with node() as n, n.engine.connect() as conn:
        users = [u.to_dict() for u in list_users(conn)]
    emit(users, as_json, _table)


@user_group.command("add")
@click.option("--username", required=True)
@click.option("--display-name", default=None)
@click.option("--nation", required=True)
@click.option("--agency", required=True)
@click.option("--clearance", required=True, help="level name in any known scheme")
@click.option("--compartment", "compartments", multiple=True)
@click.option("--role", "roles", multiple=True, required=True)
@click.option("--password-stdin", is_flag=True, help="read the user's password from stdin")
@json_option
def add_cmd(
    username: str,
    display_name: str | None,
    nation: str,
    agency: str,
    clearance: str,
    compartments: tuple[str, ...],
    roles: tuple[str, ...],
    password_stdin: bool,
    as_json: bool,
) -> None:
    """Create a user (audited). Passwords are read from stdin, never from arguments."""
    import sys

    from nucsec.cli._node import node
    from nucsec.errors import InputError
    from nucsec.service.users import create_user
    from nucsec.web.passwords import hash_password

    password_hash = None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
        if len(password) < 12:
            raise InputError("a password needs at least 12 characters", field="password")
        password_hash = hash_password(password)
    with node() as n:
        spec = {
            "username": username,
            "display_name": display_name,
            "nation": nation,
            "agency": agency,
            "clearance": clearance,
            "compartments": list(compartments),
            "roles": list(roles),
        }
        with n.engine.begin() as conn:
            user = create_user(n, conn, spec, actor="operator", password_hash=password_hash)
    emit(user.to_dict(), as_json, lambda u: f"created {u['username']} ({u['id']})")
