"""Every table a node has (what the migrations must produce)."""

from __future__ import annotations


def import_every_table() -> None:
    from nucsec.assembly import metadata

    metadata()
