"""API tokens: issued to a user (an audited act), shown once, stored as SHA-256, scoped
(``read``, ``write``, ``admin``), optionally expiring, revocable at once. Sent only as
``Authorization: Bearer TOKEN``."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select, update

from nucsec.errors import InputError, NotFoundError
from nucsec.node import Node
from nucsec.service.trail import emit
from nucsec.service.users import USER_COLUMNS, User, user_from_row
from nucsec.store.schema import users
from nucsec.web.auth import SCOPES, Caller, secret_digest, utc
from nucsec.web.tables import api_tokens, web_sessions

__all__ = [
    "DEFAULT_SCOPES",
    "TokenInfo",
    "end_sign_ins",
    "ends_sign_ins",
    "issue_token",
    "list_tokens",
    "mark_used",
    "revoke_token",
    "token_caller",
]

#: scopes of a token when none are asked for (admin is never implied)
DEFAULT_SCOPES = ("read", "write")
TOKEN_PREFIX = "nsk_"  # noqa: S105 - a prefix, not a secret
#: audit action for a revoked token
TOKEN_REVOKED_ACTION = "auth.token_revoked"  # noqa: S105 - an audit action name


@dataclass(frozen=True)
class TokenInfo:
    """An API token as stored (never the secret)."""

    id: str
    user_id: str
    prefix: str
    scopes: tuple[str, ...]
    name: str
    created_at: datetime
    created_by: str
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        def iso(t: datetime | None) -> str | None:
            return t.isoformat(timespec="seconds") if t else None

        return {
            "id": self.id,
            "user_id": self.user_id,
            "prefix": self.prefix,
            "scopes": list(self.scopes),
            "name": self.name,
            "created_at": iso(self.created_at),
            "created_by": self.created_by,
            "expires_at": iso(self.expires_at),
            "revoked_at": iso(self.revoked_at),
            "last_used_at": iso(self.last_used_at),
        }


_TOKEN_COLUMNS = (
    api_tokens.c.id,
    api_tokens.c.user_id,
    api_tokens.c.prefix,
    api_tokens.c.scopes,
    api_tokens.c.name,
    api_tokens.c.created_at,
    api_tokens.c.created_by,
    api_tokens.c.expires_at,
    api_tokens.c.revoked_at,
    api_tokens.c.last_used_at,
)


def _token(r: Any) -> TokenInfo:
    created = utc(r[5])
    if created is None:  # pragma: no cover - NOT NULL column
        raise NotFoundError("token without creation time")
    return TokenInfo(
        r[0],
        r[1],
        r[2],
        tuple(r[3].split()),
        r[4],
        created,
        r[6],
        utc(r[7]),
        utc(r[8]),
        utc(r[9]),
    )


def _checked_scopes(scopes: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    wanted = set(scopes) if scopes else set(DEFAULT_SCOPES)
    unknown = sorted(wanted - set(SCOPES))
    if unknown:
        raise InputError(
            f"unknown scope(s): {', '.join(unknown)} (known: {', '.join(SCOPES)})",
            field="scope",
            value=unknown[0],
        )
    return tuple(s for s in SCOPES if s in wanted)


def issue_token(
    node: Node,
    conn: Connection,
    user: User,
    *,
    scopes: tuple[str, ...] | list[str] = (),
    name: str = "",
    expires_days: float | None = None,
    actor: str,
) -> tuple[str, TokenInfo]:
    """Create an API token for ``user`` (an audited act of ``actor``); return the secret
    (shown once) and the stored record."""
    checked = _checked_scopes(scopes)
    if "admin" in checked and "security_officer" not in user.roles:
        raise InputError(
            "the admin scope is for security officers only", field="scope", value="admin"
        )
    if expires_days is not None and not 0 < expires_days <= 3650:
        raise InputError("expiry must be between 0 and 3650 days", field="expires_days")
    if len(name) > 200:
        raise InputError("a token name has at most 200 characters", field="name")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = node.clock()
    token_id = str(uuid.uuid4())
    expires = now + timedelta(days=expires_days) if expires_days else None
    conn.execute(
        insert(api_tokens).values(
            id=token_id,
            user_id=user.id,
            token_hash=secret_digest(secret),
            prefix=secret[:10],
            scopes=" ".join(checked),
            name=name,
            created_at=now,
            created_by=actor,
            expires_at=expires,
        )
    )
    emit(
        node,
        conn,
        actor=actor,
        action="auth.token_issued",
        obj=f"user:{user.id}",
        details={"token": token_id, "scopes": list(checked), "expires": bool(expires)},
    )
    found = conn.execute(select(*_TOKEN_COLUMNS).where(api_tokens.c.id == token_id)).one()
    return secret, _token(found)


def revoke_token(node: Node, conn: Connection, token_id: str, *, actor: str) -> TokenInfo:
    """Revoke a token at once (audited); NotFoundError for an unknown id."""
    row = conn.execute(select(*_TOKEN_COLUMNS).where(api_tokens.c.id == token_id)).first()
    if row is None:
        raise NotFoundError(f"no API token {token_id!r}", field="token", value=token_id)
    info = _token(row)
    if info.revoked_at is None:
        conn.execute(
            update(api_tokens).where(api_tokens.c.id == token_id).values(revoked_at=node.clock())
        )
        emit(
            node,
            conn,
            actor=actor,
            action=TOKEN_REVOKED_ACTION,
            obj=f"user:{info.user_id}",
            details={"changed": ["api_token"], "token": token_id, "revoked": True},
        )
    return _token(conn.execute(select(*_TOKEN_COLUMNS).where(api_tokens.c.id == token_id)).one())


def list_tokens(conn: Connection, user_id: str | None = None) -> list[TokenInfo]:
    """Tokens (newest first), of one user or all."""
    query = select(*_TOKEN_COLUMNS).order_by(api_tokens.c.created_at.desc())
    if user_id is not None:
        query = query.where(api_tokens.c.user_id == user_id)
    return [_token(r) for r in conn.execute(query).all()]


#: a token's row joined with its user's: one query per authenticated request
_CALLER_QUERY = (
    select(
        api_tokens.c.id,
        api_tokens.c.scopes,
        api_tokens.c.expires_at,
        api_tokens.c.revoked_at,
        api_tokens.c.last_used_at,
        *USER_COLUMNS,
    )
    .join_from(api_tokens, users, users.c.id == api_tokens.c.user_id)
    .where(api_tokens.c.token_hash == bindparam("digest"))
)
#: how stale ``last_used_at`` may be: coarse, so that authentication is a read
LAST_USED_RESOLUTION = timedelta(minutes=5)


def token_caller(node: Node, conn: Connection, secret: str) -> tuple[Caller, bool] | None:
    """The caller of a bearer token and whether its ``last_used_at`` is due an update
    (:func:`mark_used`), or None (unknown, revoked, expired, user disabled). Only reads:
    ``conn`` may be a read-only transaction."""
    row = conn.execute(_CALLER_QUERY, {"digest": secret_digest(secret)}).first()
    if row is None or row[3] is not None:
        return None
    now = node.clock()
    expires = utc(row[2])
    if expires is not None and expires <= now:
        return None
    user = user_from_row(row[5:])
    if not user.active:
        return None
    last = utc(row[4])
    due = last is None or now - last > LAST_USED_RESOLUTION
    return Caller(user, "token", frozenset(row[1].split()), token_id=row[0]), due


def mark_used(node: Node, conn: Connection, token_id: str) -> None:
    """Record that a token was used now (see :data:`LAST_USED_RESOLUTION`)."""
    conn.execute(
        update(api_tokens).where(api_tokens.c.id == token_id).values(last_used_at=node.clock())
    )


def ends_sign_ins(changes: dict[str, Any]) -> bool:
    """Does this change of a user (``service.users.update_user``) end its sign-ins? A new
    password, or disabling the account."""
    return "password_hash" in changes or changes.get("active") is False


def end_sign_ins(node: Node, conn: Connection, user_id: str, *, actor: str, reason: str) -> None:
    """End every session of a user and revoke every token (audited: ``auth.logout`` with
    the number of sessions, ``auth.token_revoked`` with the tokens), in the transaction
    that changed the user: after a password reset or when the account is disabled, what
    was opened before does not work, even once the account is enabled again."""
    s, t = web_sessions.c, api_tokens.c
    ended = conn.execute(delete(web_sessions).where(s.user_id == user_id)).rowcount
    tokens = list(
        conn.execute(
            select(t.id).where(t.user_id == user_id, t.revoked_at.is_(None)).order_by(t.id)
        ).scalars()
    )
    if tokens:
        conn.execute(update(api_tokens).where(t.id.in_(tokens)).values(revoked_at=node.clock()))
    details = {"reason": reason, "sessions": int(ended or 0)}
    emit(node, conn, actor=actor, action="auth.logout", obj=f"user:{user_id}", details=details)
    if tokens:
        emit(
            node,
            conn,
            actor=actor,
            action=TOKEN_REVOKED_ACTION,
            obj=f"user:{user_id}",
            details={"changed": ["api_token"], "tokens": tokens, "reason": reason},
        )
