"""Schema migrations (Alembic), run programmatically: ``upgrade(engine)``.

New revisions: ``python -m nucsec.store.migrate revision "message"`` autogenerates one
from the difference between ``nucsec.store.schema`` and a scratch database at head.
"""

from __future__ import annotations

import sys
import tempfile
from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

__all__ = ["alembic_config", "upgrade"]


def alembic_config() -> Config:
    cfg = Config()
    location = resources.files("nucsec.store") / "migrations"
    cfg.set_main_option("script_location", str(location))
    return cfg


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Bring the database to ``revision`` (default: every head, i.e. the latest)."""
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def _new_revision(message: str) -> None:  # pragma: no cover - developer tool
    from nucsec.store.db import make_engine

    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'scratch.db'}")
        upgrade(engine)
        cfg = alembic_config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            # new revisions branch from the first one; `upgrade` runs every head
            command.revision(cfg, message=message, autogenerate=True, head="0001@head", splice=True)


if __name__ == "__main__":  # pragma: no cover
    if len(sys.argv) == 3 and sys.argv[1] == "revision":
        _new_revision(sys.argv[2])
    else:
        print("usage: python -m nucsec.store.migrate revision MESSAGE")
        sys.exit(2)
