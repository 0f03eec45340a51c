"""PostgreSQL: the audit tables belong to a separate role; the application can only append."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from nucsec.audit.log import AuditLog
from nucsec.audit.tables import postgres_role_ddl
from nucsec.audit.verify import verify_log
from tests.audit.helpers import ORIGIN, make_events
from tests.conftest import requires_postgres

pytestmark = requires_postgres


@pytest.fixture
def roles(engine: Engine) -> Iterator[tuple[str, str]]:
    suffix = uuid.uuid4().hex[:10]
    owner, app = f"audit_owner_{suffix}", f"audit_app_{suffix}"
    with engine.begin() as conn:
        schema = conn.execute(text("SELECT current_schema()")).scalar_one()
        conn.execute(text(f"CREATE ROLE {owner} NOLOGIN"))
        conn.execute(text(f"CREATE ROLE {app} NOLOGIN"))
        conn.execute(text(f'GRANT USAGE ON SCHEMA "{schema}" TO {owner}, {app}'))
        for statement in postgres_role_ddl(owner, app):
            conn.execute(text(statement))
    yield owner, app
    with engine.begin() as conn:
        conn.execute(text(f"REASSIGN OWNED BY {owner} TO CURRENT_USER"))
        for role in (owner, app):
            conn.execute(text(f"DROP OWNED BY {role}"))
            conn.execute(text(f"DROP ROLE {role}"))


def _as(conn: Connection, role: str) -> Connection:
    conn.execute(text(f"SET LOCAL ROLE {role}"))
    return conn


def test_application_role_appends_and_verifies(
    engine: Engine, roles: tuple[str, str], log: AuditLog
) -> None:
    _, app = roles
    for _ in range(3):
        with engine.begin() as conn:
            log.append(_as(conn, app), make_events(40))
    with engine.begin() as conn:
        report = verify_log(_as(conn, app), origin=ORIGIN, public_keys=[log.key.public_key()])
    assert report.ok and report.events == 120


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET actor = 'u-x'",
        "DELETE FROM audit_events",
        "TRUNCATE audit_events",
        "UPDATE audit_checkpoints SET note = ''",
        "DELETE FROM audit_subtrees",
        "DELETE FROM audit_head",
        "DROP TRIGGER audit_events_append_only ON audit_events",
        "ALTER TABLE audit_events DISABLE TRIGGER USER",
    ],
    ids=[
        "update",
        "delete",
        "truncate",
        "update-checkpoint",
        "delete-nodes",
        "delete-head",
        "drop-trigger",
        "disable-triggers",
    ],
)
def test_application_role_cannot_rewrite_or_unprotect(
    engine: Engine, roles: tuple[str, str], log: AuditLog, statement: str
) -> None:
    _, app = roles
    with engine.begin() as conn:
        log.append(conn, make_events(5))
    refused = r"permission denied|must be owner|append-only"
    with pytest.raises(DBAPIError, match=refused), engine.begin() as conn:
        _as(conn, app).execute(text(statement))
