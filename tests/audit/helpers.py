"""Helpers of the audit tests (clock, events, tampering, published vectors)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, text

from nucsec.audit.events import AuditEvent, digest
from nucsec.audit.tables import APPEND_ONLY_TABLES, install_append_only

DATA = Path(__file__).resolve().parents[1] / "data" / "audit"
ORIGIN = "nucsec.test/audit"
T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)


def load_vectors(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / name).read_text(encoding="utf-8"))
    return data


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def make_events(
    n: int, start: int = 0, actor: str = "u-0001", t: datetime = T0
) -> list[AuditEvent]:
    """``n`` realistic events: reads of documents, with a label hash."""
    return [
        AuditEvent(
            t + timedelta(milliseconds=i),
            actor,
            "record.read",
            f"document:{start + i}",
            details={"kind": "document", "label": digest(f"label-{i % 7}".encode())},
        )
        for i in range(n)
    ]


def tamper(engine: Engine, sql: str, params: dict[str, Any] | None = None) -> None:
    """Run ``sql`` as an attacker with database access would: triggers bypassed."""
    with engine.begin() as conn:
        _without_triggers(conn)
        conn.execute(text(sql), params or {})
    with engine.begin() as conn:
        install_append_only(conn)


def _without_triggers(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
    else:
        for table in (*APPEND_ONLY_TABLES, "audit_head"):
            for op in ("update", "delete"):
                conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {table}_no_{op}")
