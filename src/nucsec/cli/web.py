"""``nucsec serve`` and ``nucsec token ...``: the web service and API tokens."""

from __future__ import annotations

import click

from nucsec.cli._common import emit, json_option

__all__ = ["serve_cmd", "token_group"]


@click.command("serve")
@click.option("--host", default=None, help="address to listen on (default: setting `host`)")
@click.option("--port", default=None, type=int, help="port (default: setting `port`, 8700)")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64))
@click.option(
    "--log-level",
    default="info",
    show_default=True,
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
)
def serve_cmd(host: str | None, port: int | None, workers: int, log_level: str) -> None:
    """Serve the web UI and REST API of the node in $NUCSEC_HOME."""
    from nucsec.cli._node import node
    from nucsec.web.server import serve, startup_lines

    n = node()
    for line in startup_lines(n, host or n.settings.host, port or n.settings.port):
        click.echo(line)
    serve(n, host=host, port=port, workers=workers, log_level=log_level)


@click.group("token")
def token_group() -> None:
    """API tokens (sent as `Authorization: Bearer TOKEN`)."""


def _token_line(t: dict[str, object]) -> str:
    state = f"revoked {t['revoked_at']}" if t.get("revoked_at") else "valid"
    return (
        f"{t['id']}  {t['prefix']}…  {t.get('user', t['user_id'])}  "
        f"{' '.join(t['scopes'])}  {state}"  # type: ignore[arg-type]
    )


@token_group.command("create")
@click.option("--user", "username", required=True, help="the user the token acts as")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    type=click.Choice(["read", "write", "admin"]),
    help="repeat for several (default: read and write; admin is never implied)",
)
@click.option("--name", default="", help="what the token is for")
@click.option("--expires-days", type=float, default=None, help="lifetime (default: no expiry)")
@json_option
def create_cmd(
    username: str, scopes: tuple[str, ...], name: str, expires_days: float | None, as_json: bool
) -> None:
    """Issue a token for USER and print it (shown once; an audited admin act)."""
    from nucsec.cli._node import node
    from nucsec.service.users import get_user
    from nucsec.web.tokens import issue_token

    n = node()
    try:
        with n.engine.begin() as conn:
            user = get_user(conn, username)
            secret, info = issue_token(
                n,
                conn,
                user,
                scopes=list(scopes),
                name=name,
                expires_days=expires_days,
                actor="operator",
            )
    finally:
        n.close()
    data = {"token": secret, **info.to_dict(), "user": user.username}
    emit(
        data,
        as_json,
        lambda d: (
            f"{d['token']}\n(token {d['id']} for {d['user']}, scopes "
            f"{' '.join(d['scopes'])}; shown once - store it now)"
        ),
    )


@token_group.command("list")
@click.option("--user", "username", default=None, help="only this user's tokens")
@json_option
def list_cmd(username: str | None, as_json: bool) -> None:
    """List API tokens (never their secrets)."""
    from nucsec.cli._node import node
    from nucsec.service.users import get_user, list_users
    from nucsec.web.tokens import list_tokens

    n = node()
    try:
        with n.engine.connect() as conn:
            names = {u.id: u.username for u in list_users(conn)}
            user_id = get_user(conn, username).id if username else None
            tokens = [
                {**t.to_dict(), "user": names.get(t.user_id)} for t in list_tokens(conn, user_id)
            ]
    finally:
        n.close()
    emit(tokens, as_json, lambda ts: "\n".join(_token_line(t) for t in ts) or "(no tokens)")


@token_group.command("revoke")
@click.argument("token_id")
@json_option
def revoke_cmd(token_id: str, as_json: bool) -> None:
    """Revoke a token at once (audited)."""
    from nucsec.cli._node import node
    from nucsec.web.tokens import revoke_token

    n = node()
    try:
        with n.engine.begin() as conn:
            info = revoke_token(n, conn, token_id, actor="operator")
    finally:
        n.close()
    emit(info.to_dict(), as_json, lambda t: f"revoked {t['id']} at {t['revoked_at']}")
