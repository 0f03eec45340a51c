"""Accounts on the web: sign-in with throttling, browser sessions, CSRF, the caller.

Secrets leave the node once (in a cookie, or printed when a token is issued: see
:mod:`nucsec.web.tokens`) and are stored only as SHA-256 digests. Every sign-in, failure
and sign-out is an audit event. Callers of the HTTP layer are described by a
:class:`Caller`: the user, how they authenticated (``session`` or ``token``) and the
token scopes (a session has every scope; the user's roles still bound what any scope
allows).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from sqlalchemy import Connection, bindparam, delete, func, insert, select, update

from nucsec.errors import NotFoundError
from nucsec.node import Node
from nucsec.policy import Principal
from nucsec.service.refusals import Refusal, address_source, record_refusal
from nucsec.service.trail import emit, keyed
from nucsec.service.users import USER_COLUMNS, User, get_user, user_from_row
from nucsec.store.db import lock_keys
from nucsec.store.schema import users
from nucsec.web.errors import CsrfError, ThrottledError
from nucsec.web.humanize import human_duration
from nucsec.web.passwords import hash_password, verify_password
from nucsec.web.tables import login_attempts, web_sessions

__all__ = [
    "SCOPES",
    "Caller",
    "SignIn",
    "check_csrf",
    "close_session",
    "secret_digest",
    "session_caller",
    "sign_in",
]

#: token scopes; a browser session holds every scope (the user's roles still bound them)
SCOPES = ("read", "write", "admin")
THROTTLE_WINDOW = timedelta(minutes=15)
MAX_USER_FAILURES = 5
MAX_ADDRESS_FAILURES = 20


def secret_digest(secret: str) -> str:
    """SHA-256 hex digest under which a session or token secret is stored."""
    return hashlib.sha256(secret.encode()).hexdigest()


def utc(t: datetime | None) -> datetime | None:
    """Datetimes read back from SQLite are naive; every stored time is UTC."""
    if t is None:
        return None
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


@dataclass(frozen=True)
class Caller:
    """Who is calling and how: the user, ``session`` or ``token``, the token scopes."""

    user: User
    via: str
    scopes: frozenset[str]
    csrf_token: str | None = None
    previous_login_at: datetime | None = None
    token_id: str | None = None
    principal: Principal = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "principal", self.user.principal)

    def has_role(self, *roles: str) -> bool:
        return bool(set(self.user.roles) & set(roles))


# -- sign-in and throttling ---------------------------------------------------------------
@dataclass(frozen=True)
class SignIn:
    """A successful sign-in: the session cookie value and the user."""

    session_token: str
    user: User


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A hash to verify against for unknown users, so timing does not tell who exists."""
    return hash_password(secrets.token_urlsafe(16))


def _failures(conn: Connection, key_hash: str, since: datetime) -> tuple[int, datetime | None]:
    a = login_attempts.c
    n, oldest = conn.execute(
        select(func.count(), func.min(a.at)).where(
            a.key_hash == key_hash, a.at >= since, a.success.is_(False)
        )
    ).one()
    return int(n or 0), utc(oldest)


def _throttle_wait(conn: Connection, now: datetime, user_key: str, addr_key: str) -> int:
    """Seconds to wait before another attempt (0: go ahead)."""
    since = now - THROTTLE_WINDOW
    wait = 0
    for key, limit in ((user_key, MAX_USER_FAILURES), (addr_key, MAX_ADDRESS_FAILURES)):
        n, oldest = _failures(conn, key, since)
        if n >= limit and oldest is not None:
            wait = max(wait, int((oldest + THROTTLE_WINDOW - now).total_seconds()) + 1)
    return wait


def _reserve_attempt(
    conn: Connection, now: datetime, user_key: str, addr_key: str
) -> tuple[int, ...]:
    """Count this attempt as a failure before the password is checked (in the transaction
    that checked the throttle): concurrent attempts see it at once. Returns the row ids,
    which :func:`_attempt_succeeded` turns into a success."""
    a = login_attempts.c
    ids = tuple(
        int(
            conn.execute(
                insert(login_attempts)
                .values(kind=kind, key_hash=key, at=now, success=False)
                .returning(a.id)
            ).scalar_one()
        )
        for kind, key in (("user", user_key), ("address", addr_key))
    )
    # forget failures that no longer count
    conn.execute(delete(login_attempts).where(a.success.is_(False), a.at < now - THROTTLE_WINDOW))
    return ids


def _attempt_succeeded(conn: Connection, reserved: tuple[int, ...], user_key: str) -> None:
    """The reserved attempt was a success; the user's failures are forgotten."""
    a = login_attempts.c
    conn.execute(update(login_attempts).where(a.id.in_(reserved)).values(success=True))
    conn.execute(delete(login_attempts).where(a.key_hash == user_key, a.success.is_(False)))


def _stored_hash(conn: Connection, user_id: str) -> str | None:
    value = conn.execute(select(users.c.password_hash).where(users.c.id == user_id)).scalar()
    return str(value) if value else None


def _previous_login(conn: Connection, user_key: str, now: datetime) -> datetime | None:
    a = login_attempts.c
    found = conn.execute(
        select(func.max(a.at)).where(a.key_hash == user_key, a.success.is_(True), a.at < now)
    ).scalar()
    return utc(found)


def sign_in(node: Node, username: str, password: str, address: str) -> SignIn:
    """Check a password (throttled per user and per address) and open a session.

    The attempt is reserved (counted as a failure) in the same short transaction that
    reads the throttling state, under a lock on its user and address keys; only then is
    the password checked, outside any transaction (argon2id takes tens of milliseconds),
    and a success turns the reserved attempt into one. So concurrent attempts cannot all
    pass the throttle before any of them is counted: at most the limit are checked.

    Raises
    ------
    ThrottledError
        Too many recent failures for this user or address (nothing is checked).
    AuthenticationError
        Wrong user name or password (one message for both).
    """
    from nucsec.errors import AuthenticationError

    now = node.clock()
    user_key = secret_digest("user:" + username.strip().lower())
    addr_key = secret_digest("address:" + address)
    reserved: tuple[int, ...] = ()
    with node.engine.begin() as conn:
        lock_keys(conn, (user_key, addr_key))
        wait = _throttle_wait(conn, now, user_key, addr_key)
        if wait:  # logged once per address and window, then counted (no flooding)
            refusal = Refusal(
                source=address_source(node, address),
                actor="anonymous",
                action="auth.login_failed",
                outcome="denied",
                reason="throttled",
                details={"user": keyed(node, username)},
            )
            record_refusal(node, conn, refusal)
        else:
            reserved = _reserve_attempt(conn, now, user_key, addr_key)
        try:
            user: User | None = get_user(conn, username.strip())
        except NotFoundError:
            user = None
        stored = _stored_hash(conn, user.id) if user else None
    if wait:
        raise ThrottledError(
            f"too many failed sign-ins; try again in {human_duration(wait)}", retry_after_s=wait
        )
    ok = verify_password(stored or _dummy_hash(), password) and stored is not None
    with node.engine.begin() as conn:
        if ok and user is not None:
            previous = _previous_login(conn, user_key, now)
            _attempt_succeeded(conn, reserved, user_key)
            token = _open_session(node, conn, user, now, previous)
            emit(node, conn, actor=user.id, action="auth.login", obj=f"user:{user.id}")
        else:
            emit(
                node,
                conn,
                actor="anonymous",
                action="auth.login_failed",
                outcome="failure",
                details={"user": keyed(node, username), "reason": "bad_credentials"},
            )
    if not ok or user is None:
        raise AuthenticationError("wrong user name or password", field="password")
    return SignIn(token, user)


# -- sessions -----------------------------------------------------------------------------
def _open_session(
    node: Node, conn: Connection, user: User, now: datetime, previous: datetime | None
) -> str:
    token = secrets.token_urlsafe(32)
    s = web_sessions.c
    conn.execute(delete(web_sessions).where(s.user_id == user.id, s.expires_at < now))
    conn.execute(
        insert(web_sessions).values(
            token_hash=secret_digest(token),
            user_id=user.id,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            expires_at=now + timedelta(hours=node.settings.session_hours),
            previous_login_at=previous,
        )
    )
    return token


#: a session's row joined with its user's: one query per signed-in request
_SESSION_QUERY = (
    select(
        web_sessions.c.csrf_token,
        web_sessions.c.expires_at,
        web_sessions.c.previous_login_at,
        *USER_COLUMNS,
    )
    .join_from(web_sessions, users, users.c.id == web_sessions.c.user_id)
    .where(web_sessions.c.token_hash == bindparam("digest"))
)


def session_caller(node: Node, conn: Connection, token: str) -> Caller | None:
    """The caller of a session cookie, or None (unknown, expired, user disabled)."""
    row = conn.execute(_SESSION_QUERY, {"digest": secret_digest(token)}).first()
    if row is None:
        return None
    expires = utc(row[1])
    if expires is None or expires <= node.clock():
        return None
    user = user_from_row(row[3:])
    if not user.active:
        return None
    return Caller(user, "session", frozenset(SCOPES), row[0], utc(row[2]))


def close_session(node: Node, token: str) -> bool:
    """Sign out: delete the session (audited). False if there was none."""
    with node.engine.begin() as conn:
        s = web_sessions.c
        user_id = conn.execute(
            select(s.user_id).where(s.token_hash == secret_digest(token))
        ).scalar()
        if user_id is None:
            return False
        conn.execute(delete(web_sessions).where(s.token_hash == secret_digest(token)))
        emit(node, conn, actor=str(user_id), action="auth.logout", obj=f"user:{user_id}")
    return True


def check_csrf(expected: str | None, given: str | None) -> None:
    """Raise :class:`CsrfError` unless ``given`` equals the session's token."""
    if not expected or not given or not hmac.compare_digest(expected, given):
        raise CsrfError("missing or wrong anti-forgery token: reload the page and try again")
