"""Users: accounts, clearances, compartments and roles — and the principals they act as."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, select, update

from nucsec.errors import ConflictError, InputError, NotFoundError
from nucsec.node import Node
from nucsec.policy import ROLES, Principal
from nucsec.service.trail import emit
from nucsec.store.schema import users

__all__ = [
    "USER_COLUMNS",
    "User",
    "create_user",
    "get_user",
    "list_users",
    "principal_of",
    "set_language",
    "update_user",
    "user_from_row",
]


@dataclass(frozen=True)
class User:
    id: str
    username: str
    display_name: str
    nation: str
    agency: str
    clearance: str
    compartments: tuple[str, ...]
    roles: tuple[str, ...]
    active: bool
    has_password: bool
    #: the interface language the user chose ("en", "ja"); None: their nation's default
    language: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "username": self.username,
            "display_name": self.display_name,
            "nation": self.nation,
            "agency": self.agency,
            "roles": list(self.roles),
            "clearance": self.clearance,
            "compartments": list(self.compartments),
            "active": self.active,
        }

    @property
    def principal(self) -> Principal:
        return Principal.create(
            id=self.id,
            nation=self.nation,
            agency=self.agency,
            clearance=self.clearance,
            compartments=self.compartments,
            roles=self.roles,
        )


#: the columns :func:`user_from_row` reads, in its order (for joins with other tables)
USER_COLUMNS = (
    users.c.id,
    users.c.username,
    users.c.display_name,
    users.c.nation,
    users.c.agency,
    users.c.clearance,
    users.c.compartments,
    users.c.roles,
    users.c.active,
    users.c.password_hash,
    users.c.language,
)


def user_from_row(r: Any) -> User:
    return User(
        id=r[0],
        username=r[1],
        display_name=r[2],
        nation=r[3],
        agency=r[4],
        clearance=r[5],
        compartments=tuple(json.loads(r[6])),
        roles=tuple(json.loads(r[7])),
        active=bool(r[8]),
        has_password=r[9] is not None,
        language=r[10],
    )


def get_user(conn: Connection, username: str) -> User:
    """The active user called ``username``; NotFoundError otherwise."""
    r = conn.execute(select(*USER_COLUMNS).where(users.c.username == username)).first()
    if r is None or not r[8]:
        raise NotFoundError(f"no active user {username!r}", field="user", value=username)
    return user_from_row(r)


def get_user_by_id(conn: Connection, user_id: str) -> User | None:
    r = conn.execute(select(*USER_COLUMNS).where(users.c.id == user_id)).first()
    return user_from_row(r) if r else None


def list_users(conn: Connection) -> list[User]:
    rows = conn.execute(select(*USER_COLUMNS).order_by(users.c.nation, users.c.username)).all()
    return [user_from_row(r) for r in rows]


def principal_of(node: Node, username: str) -> Principal:
    """The principal a user acts as (for ``--as USER``)."""
    with node.engine.connect() as conn:
        return get_user(conn, username).principal


def _validated(node: Node, spec: dict[str, Any]) -> dict[str, Any]:
    roles = sorted(set(spec.get("roles", [])))
    unknown = sorted(set(roles) - set(ROLES))
    if unknown:
        raise InputError(f"unknown role(s): {', '.join(unknown)}", field="roles")
    principal = Principal.create(
        id="new",
        nation=spec["nation"],
        agency=spec["agency"],
        clearance=spec["clearance"],
        compartments=spec.get("compartments", []),
        roles=roles,
    ).validate(node.ctx)
    username = str(spec["username"]).strip()
    if not username or len(username) > 64 or any(c.isspace() for c in username):
        raise InputError("a username is 1-64 characters without spaces", field="username")
    return {
        "username": username,
        "display_name": str(spec.get("display_name") or username),
        "nation": principal.nation,
        "agency": principal.agency,
        "clearance": node.ctx.resolve_level(principal.clearance, principal.nation).name,
        "compartments": json.dumps(sorted(principal.compartments)),
        "roles": json.dumps(roles),
    }


def create_user(
    node: Node, conn: Connection, spec: dict[str, Any], *, actor: str, password_hash: str | None
) -> User:
    """Create a user (an audited administrative act)."""
    values = _validated(node, spec)
    if values["nation"] != node.nation and not node.joint:
        raise InputError(f"this {node.nation} node hosts {node.nation} users only", field="nation")
    exists = conn.execute(select(users.c.id).where(users.c.username == values["username"]))
    if exists.first() is not None:
        raise ConflictError(f"user {values['username']!r} exists", field="username")
    now = node.clock()
    user_id = str(uuid.uuid4())
    conn.execute(
        insert(users).values(
            id=user_id,
            password_hash=password_hash,
            active=True,
            created_at=now,
            updated_at=now,
            **values,
        )
    )
    emit(
        node,
        conn,
        actor=actor,
        action="user.create",
        obj=f"user:{user_id}",
        details={
            "clearance": values["clearance"],
            "roles": json.loads(values["roles"]),
            "compartments": json.loads(values["compartments"]),
        },
    )
    found = get_user_by_id(conn, user_id)
    if found is None:  # pragma: no cover
        raise NotFoundError("user vanished")
    return found


def update_user(
    node: Node, conn: Connection, username: str, changes: dict[str, Any], *, actor: str
) -> User:
    """Change a user's clearance, compartments, roles, agency or active flag (audited).

    A disabled user may be changed too (and enabled again). Ending the sessions and API
    tokens of a user whose password changed or who was disabled is the web layer's part
    (``nucsec.web.tokens.end_sign_ins``), which holds them."""
    r = conn.execute(select(*USER_COLUMNS).where(users.c.username == username)).first()
    if r is None:
        raise NotFoundError(f"no user {username!r}", field="user", value=username)
    user = user_from_row(r)
    spec = {**user.to_dict(), **{k: v for k, v in changes.items() if k != "active"}}
    values = _validated(node, spec)
    values.pop("username")
    if "active" in changes:
        values["active"] = bool(changes["active"])
    if "password_hash" in changes:
        values["password_hash"] = changes["password_hash"]
    conn.execute(
        update(users).where(users.c.id == user.id).values(updated_at=node.clock(), **values)
    )
    emit(
        node,
        conn,
        actor=actor,
        action="user.update",
        obj=f"user:{user.id}",
        details={"changed": sorted(changes)},
    )
    found = get_user_by_id(conn, user.id)
    if found is None:  # pragma: no cover
        raise NotFoundError("user vanished")
    return found


def set_language(node: Node, conn: Connection, user_id: str, language: str | None) -> None:
    """Store a user's interface language (None: back to their nation's default); audited.

    ``language`` is a code the caller has checked (``nucsec.web.i18n.LANGUAGES``)."""
    conn.execute(
        update(users)
        .where(users.c.id == user_id)
        .values(language=language, updated_at=node.clock())
    )
    emit(
        node,
        conn,
        actor=user_id,
        action="user.update",
        obj=f"user:{user_id}",
        details={"changed": ["language"], "language": language},
    )
