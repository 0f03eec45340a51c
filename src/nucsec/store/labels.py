"""Label repository: each distinct label is stored once and referred to by id."""

from __future__ import annotations

import hashlib
import weakref
from functools import lru_cache

from sqlalchemy import Connection, Engine, insert, select

from nucsec.errors import IntegrityError
from nucsec.markings.banner import render_banner
from nucsec.markings.context import MarkingContext
from nucsec.markings.label import Label
from nucsec.policy.compiled import compile_label
from nucsec.policy.sql import LabelTables
from nucsec.store.schema import label_compartments, label_rel_to, labels

__all__ = ["LABEL_TABLES", "intern_label", "load_label", "resolve_basis"]

LABEL_TABLES = LabelTables(labels, label_rel_to, label_compartments)


def resolve_basis(label: Label, ctx: MarkingContext) -> Label:
    """The label with its legal basis made explicit (the node default if it had none)."""
    return label if label.legal_basis else label.with_(legal_basis=ctx.default_basis)


def intern_label(conn: Connection, label: Label, ctx: MarkingContext) -> int:
    """Store ``label`` (validated, legal basis explicit) once; return its id."""
    label = resolve_basis(label, ctx).validate(ctx)
    text = label.to_json()
    digest = hashlib.sha256(text.encode()).hexdigest()
    found = conn.execute(select(labels.c.id).where(labels.c.digest == digest)).scalar()
    if found is not None:
        return int(found)
    cl = compile_label(label, ctx)
    inserted = conn.execute(
        insert(labels).values(
            digest=digest,
            json=text,
            banner=render_banner(label, ctx),
            authority=label.authority,
            level=label.level,
            legal_basis=cl.basis,
            rank=cl.rank,
            noforn=label.noforn,
            orcon=label.orcon,
            public=cl.public,
            originator=label.originator,
        )
    ).inserted_primary_key
    if inserted is None:  # pragma: no cover - every insert has a key
        raise RuntimeError("label insert returned no key")
    label_id = int(inserted[0])
    rel_rows = [
        {"label_id": label_id, "nation": e.split(".")[0], "agency": e.partition(".")[2] or None}
        for e in sorted(label.rel_to)
    ]
    if rel_rows:
        conn.execute(insert(label_rel_to), rel_rows)
    comp_rows = [{"label_id": label_id, "compartment": c} for c in sorted(label.compartments)]
    if comp_rows:
        conn.execute(insert(label_compartments), comp_rows)
    return int(label_id)


@lru_cache(maxsize=65536)
def _parse_stored(text: str) -> Label:
    import json

    return Label.from_dict(json.loads(text))


# Labels are append-only (triggers reject UPDATE and DELETE), so a label id names the same
# label for the life of a database: cache them per engine (a process may open several).
_BY_ENGINE: weakref.WeakKeyDictionary[Engine, dict[int, Label]] = weakref.WeakKeyDictionary()
_MAX_CACHED = 100_000


def load_label(conn: Connection, label_id: int) -> Label:
    """The label stored under ``label_id`` (cached: stored labels never change)."""
    cache = _BY_ENGINE.setdefault(conn.engine, {})
    found = cache.get(label_id)
    if found is not None:
        return found
    text = conn.execute(select(labels.c.json).where(labels.c.id == label_id)).scalar()
    if text is None:
        raise IntegrityError(f"label {label_id} is missing", field="label_id", value=label_id)
    label = _parse_stored(text)
    if len(cache) < _MAX_CACHED:
        cache[label_id] = label
    return label
