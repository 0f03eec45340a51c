"""Every module that defines tables (what the migrations must produce)."""

from __future__ import annotations


def import_every_table() -> None:
    from nucsec.store.db import import_all_tables

    import_all_tables()
