"""Tables of the web layer: browser sessions, API tokens and login attempts.

Secrets are never stored: a session cookie and an API token are kept as their SHA-256
hex digest, so a copy of the database does not let anyone sign in. Login attempts are
keyed by the digest of the user name or client address (throttling needs equality, not
the name).
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from nucsec.store.db import Base

__all__ = ["api_tokens", "login_attempts", "web_sessions"]

metadata = Base.metadata

web_sessions = Table(
    "web_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),  # sha256 of the cookie value
    Column("user_id", String(36), ForeignKey("users.id"), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("previous_login_at", DateTime(timezone=True)),  # "what is new for me"
    Index("ix_web_sessions_user", "user_id"),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("user_id", String(36), ForeignKey("users.id"), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("prefix", String(16), nullable=False),  # first characters, to recognise a token
    Column("scopes", Text, nullable=False),  # space-separated: read write admin
    Column("name", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(128), nullable=False),
    Column("expires_at", DateTime(timezone=True)),
    Column("revoked_at", DateTime(timezone=True)),
    Column("last_used_at", DateTime(timezone=True)),
    Index("ix_api_tokens_user", "user_id"),
)

login_attempts = Table(
    "login_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(8), nullable=False),  # "user" or "address"
    Column("key_hash", String(64), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("success", Boolean, nullable=False),
    Index("ix_login_attempts_key_at", "key_hash", "at"),
)
