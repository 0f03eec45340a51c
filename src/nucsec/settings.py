"""Node settings: one declarative table, read from the environment and ``$NUCSEC_HOME/node.toml``.

Precedence: environment variable, then the node file, then the default. Nothing here holds
state at module level: :func:`load` returns a fresh, immutable :class:`Settings`.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nucsec.errors import ConfigurationError

__all__ = ["SETTINGS", "Setting", "Settings", "load"]


@dataclass(frozen=True)
class Setting:
    """One row of the settings table."""

    name: str  # attribute name on Settings; env var is NUCSEC_<NAME upper>
    default: Any
    help: str
    parse: Callable[[str], Any] = str

    @property
    def env(self) -> str:
        return "NUCSEC_" + self.name.upper()


def _bool(text: str) -> bool:
    value = text.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ConfigurationError(f"not a boolean: {text!r}")


SETTINGS: tuple[Setting, ...] = (
    Setting("home", "./var", "node directory: SQLite database, keys, files"),
    Setting("database_url", "", "SQLAlchemy URL; empty means SQLite at $NUCSEC_HOME/nucsec.db"),
    Setting("host", "127.0.0.1", "address `nucsec serve` listens on"),
    Setting("port", 8700, "port `nucsec serve` listens on", int),
    Setting("public_url", "", "URL partners use to reach this node (default http://host:port)"),
    Setting("secure_cookies", False, "mark session cookies Secure (set behind TLS)", _bool),
    Setting("max_upload_bytes", 50 * 1024 * 1024, "largest accepted upload or request body", int),
    Setting("checkpoint_every", 1000, "write a signed audit checkpoint every N events", int),
    Setting("checkpoint_seconds", 60.0, "... or every T seconds while events arrive", float),
    Setting(
        "sync_seconds", 30.0, "how often `nucsec serve` pulls from its peers (0: never)", float
    ),
    Setting("session_hours", 8.0, "lifetime of a browser session", float),
    Setting("demo", False, "demo node: demo logins are printed and allowed", _bool),
    Setting(
        "library_approval",
        False,
        "answers to partners' library queries wait for an officer's approval",
        _bool,
    ),
    Setting(
        "markings_dir",
        "",
        "directory of marking data (nations, schemes, agreements); "
        "empty: the data shipped with nucsec",
    ),
)


@dataclass(frozen=True)
class Settings:
    home: Path
    database_url: str
    host: str
    port: int
    public_url: str
    secure_cookies: bool
    max_upload_bytes: int
    checkpoint_every: int
    checkpoint_seconds: float
    sync_seconds: float
    session_hours: float
    demo: bool
    library_approval: bool
    markings_dir: str
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def db_url(self) -> str:
        """The effective database URL (SQLite under ``home`` unless overridden)."""
        return self.database_url or f"sqlite:///{(self.home / 'nucsec.db').resolve()}"

    @property
    def node_file(self) -> Path:
        return self.home / "node.toml"

    @property
    def base_url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"


def load(env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Read the settings table from ``env`` (default ``os.environ``) and the node file."""
    env = os.environ if env is None else env
    home = Path(overrides.get("home") or env.get("NUCSEC_HOME") or "./var")
    file_values: dict[str, Any] = {}
    node_file = home / "node.toml"
    if node_file.exists():
        try:
            file_values = tomllib.loads(node_file.read_text(encoding="utf-8")).get("settings", {})
        except tomllib.TOMLDecodeError as exc:
            raise ConfigurationError(f"{node_file}: {exc}") from exc
    values: dict[str, Any] = {}
    for s in SETTINGS:
        if s.name in overrides:
            values[s.name] = overrides[s.name]
        elif s.env in env:
            try:
                values[s.name] = s.parse(env[s.env])
            except ValueError as exc:
                raise ConfigurationError(f"{s.env}: {exc}") from exc
        elif s.name in file_values:
            values[s.name] = file_values[s.name]
        else:
            values[s.name] = s.default
    values["home"] = home
    return Settings(**values)
