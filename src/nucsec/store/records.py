"""Repository of labelled, versioned records (documents now; incidents, analyses later).

A record is a set of named portions, each a value with its own label; its banner label is
the roll-up of the portions (computed by the caller with ``markings.rollup``). Every change
appends an immutable version. Listing functions take the policy's SQL predicate: they never
return rows the caller may not read, so nothing is filtered in Python after fetching.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Table, and_, bindparam, func, insert, select, tuple_, update
from sqlalchemy import exc as sa_exc

from nucsec.errors import ConflictError, InputError
from nucsec.markings.context import MarkingContext
from nucsec.policy import Principal
from nucsec.policy.sql import visible_label_ids
from nucsec.store.labels import LABEL_TABLES
from nucsec.store.record_filter import RecordFilter, after_cursor, filter_clauses, order_by
from nucsec.store.schema import record_versions, records

__all__ = ["NewRecord", "Portion", "RecordRow", "RecordStore", "VersionRow", "bulk_insert"]


@dataclass(frozen=True)
class Portion:
    value: Any
    label_id: int


@dataclass(frozen=True)
class RecordRow:
    pk: int
    id: str
    kind: str
    label_id: int
    version: int
    title: str
    created_at: dt.datetime
    updated_at: dt.datetime
    created_by: str | None
    origin: str | None
    recalled: bool


@dataclass(frozen=True)
class VersionRow:
    version: int
    label_id: int
    author_id: str | None
    created_at: dt.datetime
    portions: dict[str, Portion]
    note: str


def _encode(portions: dict[str, Portion]) -> str:
    return json.dumps(
        {k: {"value": p.value, "label_id": p.label_id} for k, p in portions.items()},
        ensure_ascii=False,
        sort_keys=True,
    )


@dataclass(frozen=True)
class NewRecord:
    """A record to create with its first version (:meth:`RecordStore.create_many`)."""

    kind: str
    portions: dict[str, Portion]
    label_id: int  # the banner's label (the roll-up of the portion labels)
    title: str
    created_at: dt.datetime
    version_at: dt.datetime  # time of version 1 (the record's ``updated_at``)
    record_id: str | None = None  # default: a new UUID
    author_id: str | None = None
    origin: str | None = None  # the peer it came from
    note: str = ""


def _decode(text: str) -> dict[str, Portion]:
    data = json.loads(text)
    return {k: Portion(v["value"], int(v["label_id"])) for k, v in data.items()}


def _search_text(portions: dict[str, Portion]) -> str:
    """Lower-cased text of every string in the portions' values, at any depth (a
    structured portion's fields, e.g. an incident's reference, place and the nuclide of
    each item it lists)."""
    return " ".join(_strings(portion.value for portion in portions.values())).lower()


def _strings(values: Iterable[Any]) -> Iterator[str]:
    for value in values:
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            yield from _strings(value.values())
        elif isinstance(value, list):
            yield from _strings(value)


#: the columns a :class:`RecordRow` is built from, in its field order
RECORD_COLUMNS = (
    records.c.pk,
    records.c.id,
    records.c.kind,
    records.c.label_id,
    records.c.head_version,
    records.c.title,
    records.c.created_at,
    records.c.updated_at,
    records.c.created_by,
    records.c.origin,
    records.c.recalled,
)


def record_row(r: Any) -> RecordRow:
    """A :class:`RecordRow` from a row selected with :data:`RECORD_COLUMNS`."""
    return RecordRow(*r)


_CHUNK = 500
#: the columns of a :class:`VersionRow` (before its content is decoded), in its order
_VERSION_COLUMNS = (
    record_versions.c.version,
    record_versions.c.label_id,
    record_versions.c.author_id,
    record_versions.c.created_at,
    record_versions.c.content,
    record_versions.c.note,
)
#: the point reads of every detail request, built once (SQLAlchemy reuses their SQL)
_GET = select(*RECORD_COLUMNS).where(
    records.c.kind == bindparam("kind"), records.c.id == bindparam("id")
)
_VERSION = select(*_VERSION_COLUMNS).where(
    record_versions.c.record_pk == bindparam("pk"), record_versions.c.version == bindparam("v")
)


def _placeholder(conn: Connection) -> str:
    mark = {"qmark": "?", "format": "%s", "pyformat": "%s"}.get(conn.dialect.paramstyle)
    if mark is None:  # pragma: no cover - SQLite and psycopg use the styles above
        raise NotImplementedError(f"parameter style {conn.dialect.paramstyle}")
    return mark


def bulk_insert(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """INSERT many rows (the same keys) into one of our tables with the driver's
    executemany: SQLAlchemy's per-row parameter processing would cost a third of a
    federation page's import. Each column's bind processor still converts its values."""
    if not rows:
        return
    cols = list(rows[0])
    procs = [table.c[c].type.bind_processor(conn.dialect) for c in cols]
    mark = _placeholder(conn)
    sql = (
        f"INSERT INTO {table.name} ({', '.join(cols)}) "  # noqa: S608 - our own tables
        f"VALUES ({', '.join([mark] * len(cols))})"
    )
    params = [
        tuple(p(r[c]) if p is not None else r[c] for c, p in zip(cols, procs, strict=True))
        for r in rows
    ]
    conn.exec_driver_sql(sql, params)


class RecordStore:
    """Record operations on one connection (the caller's transaction)."""

    def __init__(self, conn: Connection, ctx: MarkingContext) -> None:
        self.conn = conn
        self.ctx = ctx

    # -- writes ------------------------------------------------------------------
    def create(
        self,
        kind: str,
        portions: dict[str, Portion],
        label_id: int,
        *,
        author_id: str | None,
        now: dt.datetime,
        title: str,
        origin: str | None = None,
        record_id: str | None = None,
        note: str = "",
    ) -> RecordRow:
        rid = record_id or str(uuid.uuid4())
        inserted = self.conn.execute(
            insert(records).values(
                id=rid,
                kind=kind,
                label_id=label_id,
                head_version=1,
                title=title,
                search_text=_search_text(portions),
                created_at=now,
                updated_at=now,
                created_by=author_id,
                origin=origin,
                recalled=False,
            )
        ).inserted_primary_key
        if inserted is None:  # pragma: no cover - every insert has a key
            raise RuntimeError("record insert returned no key")
        self._add_version(int(inserted[0]), 1, portions, label_id, author_id, now, note)
        found = self.get(kind, rid)
        if found is None:  # pragma: no cover - just inserted
            raise InputError("record vanished")
        return found

    def create_many(self, new: Sequence[NewRecord]) -> list[RecordRow]:
        """Create many records, version 1 each, with two multi-row INSERTs; the rows in
        the order given. The caller decided (the reference monitor) and runs the hooks
        (:func:`nucsec.service.labelled.create_many` does both for received records)."""
        if not new:
            return []
        ids = [n.record_id or str(uuid.uuid4()) for n in new]
        if len(set(ids)) != len(ids):
            raise InputError("a record id is given twice", field="id")
        bulk_insert(
            self.conn,
            records,
            [
                {
                    "id": rid,
                    "kind": n.kind,
                    "label_id": n.label_id,
                    "head_version": 1,
                    "title": n.title,
                    "search_text": _search_text(n.portions),
                    "created_at": n.created_at,
                    "updated_at": n.version_at,
                    "created_by": n.author_id,
                    "origin": n.origin,
                    "recalled": False,
                }
                for rid, n in zip(ids, new, strict=True)
            ],
        )
        pks: dict[str, int] = {}
        for start in range(0, len(ids), _CHUNK):
            query = select(records.c.id, records.c.pk).where(
                records.c.id.in_(ids[start : start + _CHUNK])
            )
            pks.update((rid, int(pk)) for rid, pk in self.conn.execute(query))
        bulk_insert(
            self.conn,
            record_versions,
            [
                {
                    "record_pk": pks[rid],
                    "version": 1,
                    "label_id": n.label_id,
                    "author_id": n.author_id,
                    "created_at": n.version_at,
                    "content": _encode(n.portions),
                    "note": n.note,
                }
                for rid, n in zip(ids, new, strict=True)
            ],
        )
        return [
            RecordRow(
                pks[rid],
                rid,
                n.kind,
                n.label_id,
                1,
                n.title,
                n.created_at,
                n.version_at,
                n.author_id,
                n.origin,
                False,
            )
            for rid, n in zip(ids, new, strict=True)
        ]

    def add_version(
        self,
        row: RecordRow,
        portions: dict[str, Portion],
        label_id: int,
        *,
        author_id: str | None,
        now: dt.datetime,
        title: str,
        note: str = "",
        recalled: bool | None = None,
    ) -> RecordRow:
        version = row.version + 1
        try:
            self._add_version(row.pk, version, portions, label_id, author_id, now, note)
        except sa_exc.IntegrityError as exc:  # another transaction wrote it since our read
            raise ConflictError(
                f"another writer saved version {version} of {row.kind} {row.id} first: "
                "read it again",
                field="version",
                value=str(version),
            ) from exc
        values: dict[str, Any] = {
            "head_version": version,
            "label_id": label_id,
            "title": title,
            "search_text": _search_text(portions),
            "updated_at": now,
        }
        if recalled is not None:
            values["recalled"] = recalled
        self.conn.execute(update(records).where(records.c.pk == row.pk).values(**values))
        found = self.get(row.kind, row.id)
        if found is None:  # pragma: no cover
            raise InputError("record vanished")
        return found

    def _add_version(
        self,
        pk: int,
        version: int,
        portions: dict[str, Portion],
        label_id: int,
        author_id: str | None,
        now: dt.datetime,
        note: str,
    ) -> None:
        self.conn.execute(
            insert(record_versions).values(
                record_pk=pk,
                version=version,
                label_id=label_id,
                author_id=author_id,
                created_at=now,
                content=_encode(portions),
                note=note,
            )
        )

    # -- reads (unfiltered: the caller decides with the reference monitor) --------
    def get(self, kind: str, record_id: str) -> RecordRow | None:
        r = self.conn.execute(_GET, {"kind": kind, "id": record_id}).first()
        return record_row(r) if r else None

    def version(self, row: RecordRow, version: int | None = None) -> VersionRow:
        v = row.version if version is None else version
        r = self.conn.execute(_VERSION, {"pk": row.pk, "v": v}).first()
        if r is None:
            raise InputError(f"no version {v}", field="version", value=v)
        return VersionRow(r[0], r[1], r[2], r[3], _decode(r[4]), r[5])

    def head_versions(self, rows: Sequence[RecordRow]) -> dict[int, VersionRow]:
        """The current version of each record, by record pk (one query per 500 rows)."""
        out: dict[int, VersionRow] = {}
        for start in range(0, len(rows), _CHUNK):
            keys = [(r.pk, r.version) for r in rows[start : start + _CHUNK]]
            query = select(record_versions.c.record_pk, *_VERSION_COLUMNS).where(
                tuple_(record_versions.c.record_pk, record_versions.c.version).in_(keys)
            )
            for r in self.conn.execute(query):
                out[r[0]] = VersionRow(r[1], r[2], r[3], r[4], _decode(r[5]), r[6])
        return out

    # -- policy-filtered reads ---------------------------------------------------
    def _visible(self, kind: str, principal: Principal) -> Any:
        return _visible(kind, principal, self.ctx)

    def visible_where(self, kind: str, principal: Principal) -> Any:
        """The SQL condition "a record of ``kind`` the principal may read" (the monitor's
        SQL twin), for counts that group what the lists show."""
        return _visible(kind, principal, self.ctx)

    def list_visible(
        self,
        kind: str,
        principal: Principal,
        *,
        query: str | None = None,
        origin: str | None = None,
        limit: int = 50,
        after: str | None = None,
        flt: RecordFilter | None = None,
        sort: str = "new",
    ) -> tuple[list[RecordRow], str | None]:
        """Newest first (or in the order ``sort`` names); ``after`` is the id of the last
        record of the previous page; ``flt`` narrows it (a checked :class:`RecordFilter`).

        Returns the page and the cursor of the next page (None at the end). A cursor that
        names a record the principal may not see is refused like a malformed one.
        """
        if not 1 <= limit <= 500:
            raise InputError("limit must be between 1 and 500", field="limit", value=limit)
        params: dict[str, Any] = {"lim": limit + 1}
        if query:
            params["pattern"] = _like_pattern(query.lower())
        if origin and origin != "local":
            params["origin"] = origin
        if after is not None:
            cursor = self.conn.execute(
                select(records.c.pk, records.c.title).where(
                    records.c.id == after, self._visible(kind, principal)
                )
            ).first()
            if cursor is None:
                raise InputError("invalid page cursor", field="next", value=after)
            params["cursor"], params["cursor_title"] = cursor
        where_origin = None if not origin else "local" if origin == "local" else "peer"
        shape = _ListShape(bool(query), where_origin, after is not None, sort)
        statement = _listing(kind, principal, self.ctx, shape)
        if flt is not None and flt.active():
            statement = statement.where(*filter_clauses(flt))
        rows = self.conn.execute(statement, params).all()
        page = [record_row(r) for r in rows[:limit]]
        return page, (page[-1].id if len(rows) > limit else None)

    def count_visible(
        self,
        kind: str,
        principal: Principal,
        query: str | None = None,
        flt: RecordFilter | None = None,
    ) -> int:
        """How many records :meth:`list_visible` would list over all its pages."""
        where = [self._visible(kind, principal), *filter_clauses(flt)]
        if query:
            where.append(records.c.search_text.contains(query.lower(), autoescape=True))
        return int(self.conn.execute(select(func.count()).where(*where)).scalar() or 0)

    def versions_visible(self, row: RecordRow, principal: Principal) -> list[VersionRow]:
        """The versions of a record the principal may read (each version has its label)."""
        rows = self.conn.execute(
            select(*_VERSION_COLUMNS)
            .where(
                record_versions.c.record_pk == row.pk,
                record_versions.c.label_id.in_(
                    visible_label_ids(principal, self.ctx, LABEL_TABLES)
                ),
            )
            .order_by(record_versions.c.version)
        ).all()
        return [VersionRow(r[0], r[1], r[2], r[3], _decode(r[4]), r[5]) for r in rows]


@dataclass(frozen=True)
class _ListShape:
    """Which optional filters a listing has (its parameters vary, its SQL does not)."""

    search: bool
    origin: str | None  # None, "local" or "peer"
    after: bool
    sort: str = "new"


def _like_pattern(text: str) -> str:
    """``%text%`` for ``LIKE ... ESCAPE '/'``, the wildcards of ``text`` escaped."""
    return "%" + text.replace("/", "//").replace("%", "/%").replace("_", "/_") + "%"


def _visible(kind: str, principal: Principal, ctx: MarkingContext) -> Any:
    """Records of ``kind``, not recalled, whose label the principal may read (SQL twin)."""
    return and_(
        records.c.kind == kind,
        records.c.recalled.is_(False),
        records.c.label_id.in_(visible_label_ids(principal, ctx, LABEL_TABLES)),
    )


@lru_cache(maxsize=4096)
def _listing(kind: str, principal: Principal, ctx: MarkingContext, shape: _ListShape) -> Any:
    """The listing statement of one caller and shape, built once: SQLAlchemy then reuses
    its cache key and compiled SQL, which a statement built per request recomputes."""
    c = records.c
    where = [_visible(kind, principal, ctx)]
    if shape.search:
        where.append(c.search_text.like(bindparam("pattern"), escape="/"))
    if shape.origin == "local":
        where.append(c.origin.is_(None))
    elif shape.origin == "peer":
        where.append(c.origin == bindparam("origin"))
    if shape.after:
        where.append(after_cursor(shape.sort, bindparam("cursor"), bindparam("cursor_title")))
    return (
        select(*RECORD_COLUMNS)
        .where(*where)
        .order_by(*order_by(shape.sort))
        .limit(bindparam("lim"))
    )
