"""Nuclear forensics library entries: labelled, versioned, audited records, and matching.

A library entry (:data:`LIBRARY_ENTRY`, kind ``library_entry``, collection ``library``) is
one known material of a national nuclear forensics library: its portions are ``library``
(the name of the library it belongs to, e.g. ``national`` or ``crm``) and ``entry`` (the
entry's "show" JSON, :meth:`nucsec.forensics.library.Entry.to_dict`, validated on every
write and on every received version), both under the label the writer picks. It travels
between nodes by label like any record (``wire``).

Every read goes through the reference monitor: a single entry through
:func:`nucsec.service.labelled.read` (a hidden entry is "not found"), listings, exports and
matches through its SQL twin, and each is audited (``record.read``, ``record.list``,
``record.export``, ``record.search`` with ``view: match`` and the ids of the entries the
answer names). A match is computed by the pure core (:func:`nucsec.forensics.library.match`)
over an index built from the entries *that user may read*, so a hidden entry shapes no
number of the answer (candidates, counts, coincidence, next measurement).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from nucsec.errors import ConflictError, InputError
from nucsec.forensics.library import (
    DEFAULT_FALSE_EXCLUSION_RATE,
    Entry,
    LibraryError,
    LibraryIndex,
    MatchResult,
    Sample,
    entry_from_dict,
    library_to_csv,
    library_to_json,
    match,
    read_library_csv,
    read_library_json,
)
from nucsec.markings import Label
from nucsec.node import Node
from nucsec.policy import Principal
from nucsec.policy.sql import visible_label_ids
from nucsec.portions import PortionRule
from nucsec.service import labelled
from nucsec.service.kinds import Draft, RecordKind, Values, Wire
from nucsec.service.trail import digest, emit, keyed, reading
from nucsec.service.views import JsonView, RecordView
from nucsec.store.labels import LABEL_TABLES
from nucsec.store.records import RECORD_COLUMNS, RecordRow, RecordStore, VersionRow, record_row
from nucsec.store.schema import records

__all__ = [
    "DEFAULT_LIBRARY",
    "LIBRARY_ENTRY",
    "EntrySummary",
    "Held",
    "ImportResult",
    "LibraryEntryView",
    "add_entry",
    "export_entries",
    "get_entry",
    "import_entries",
    "indexed_entries",
    "list_entries",
    "match_sample",
    "visible_entries",
]

DEFAULT_LIBRARY = "national"
MAX_LIBRARY_NAME = 64
MAX_TITLE = 300


@dataclass(frozen=True, kw_only=True, slots=True)
class LibraryEntryView(RecordView):
    """A library entry as its reader sees it: the record fields, its library and the
    entry's "show" JSON (signatures in the sample shape plus ``spread``)."""

    library: str
    entry: dict[str, Any]


@dataclass(frozen=True, kw_only=True, slots=True)
class EntrySummary(JsonView):
    """One line of ``library list``: the record, its library, entry id and banner."""

    id: str
    entry: str
    library: str
    material_type: str
    description: str
    banner: str
    portion: str
    version: int
    origin: str | None


def _library_name(value: Any) -> str:
    name = value.strip() if isinstance(value, str) else ""
    if not name or len(name) > MAX_LIBRARY_NAME or not name.isprintable():
        raise InputError(
            f"a library name has 1 to {MAX_LIBRARY_NAME} printable characters", field="library"
        )
    return name


def _view(node: Node, conn: Connection, row: RecordRow, version: VersionRow) -> LibraryEntryView:
    p = version.portions
    return LibraryEntryView(
        **labelled.base_fields(node, conn, row, version),
        library=p["library"].value,
        entry=p["entry"].value,
    )


def _title(values: Values) -> str:
    entry = values["entry"]
    text = entry.get("description") or entry.get("material_type") or ""
    return f"{entry.get('id')}: {text}"[:MAX_TITLE]


def _check(values: Values) -> None:
    """What a stored or received entry must hold: a library name and a valid entry."""
    _library_name(values["library"])
    entry_from_dict(values["entry"])


LIBRARY_ENTRY = RecordKind(
    name="library_entry",
    collection="library",
    view=_view,
    title=_title,
    check=_check,
    wire=Wire(
        stix_type="x-nucsec-library-entry",
        extension_id="extension-definition--7995e4b4-e37f-45f0-ae7a-f338aa2341c6",
        portions=(
            PortionRule("library", "string", required=True),
            PortionRule("entry", "object", required=True),
        ),
        layout="list",
        description="An entry of a national nuclear forensics library (IAEA-TDL-009): the "
        "library it belongs to and the entry (id, material type, holder, production site "
        "and history, signatures with uncertainty and within-source spread), each a portion "
        "with its own marking under the object's banner.",
    ),
)


def _draft(entry: Entry, library: str, label: Label, note: str = "") -> Draft:
    values = {"library": _library_name(library), "entry": entry.to_dict()}
    return Draft(values=values, labels=dict.fromkeys(values, label), note=note)


# -- reading --------------------------------------------------------------------------


def _rows(
    node: Node, conn: Connection, principal: Principal, action: str = "read"
) -> Iterator[tuple[RecordRow, VersionRow]]:
    """Every entry the principal may ``action`` (the monitor's SQL twin), oldest first,
    with its current version."""
    c = records.c
    query = (
        select(*RECORD_COLUMNS)
        .where(
            c.kind == LIBRARY_ENTRY.name,
            c.recalled.is_(False),
            c.label_id.in_(visible_label_ids(principal, node.ctx, LABEL_TABLES, action)),
        )
        .order_by(c.pk)
    )
    rows = [record_row(r) for r in conn.execute(query)]
    store = RecordStore(conn, node.ctx)
    for start in range(0, len(rows), 500):
        chunk = rows[start : start + 500]
        heads = store.head_versions(chunk)
        for row in chunk:
            yield row, heads[row.pk]


@dataclass(frozen=True)
class Held:
    """An entry the caller may use: its record, library and parsed entry."""

    record_id: str
    library: str
    entry: Entry


def _held(rows: Iterator[tuple[RecordRow, VersionRow]], library: str | None) -> list[Held]:
    out = []
    for row, version in rows:
        name = version.portions["library"].value
        if library is not None and name != library:
            continue
        out.append(Held(row.id, name, entry_from_dict(version.portions["entry"].value)))
    return out


def indexed_entries(held: Sequence[Held]) -> list[Entry]:
    """The entries to index, each under its entry id; an id that two records share (two
    libraries, or a partner's entry) gets its record id appended, so no answer is
    ambiguous."""
    counts: dict[str, int] = {}
    for h in held:
        counts[h.entry.id] = counts.get(h.entry.id, 0) + 1
    return [
        h.entry
        if counts[h.entry.id] == 1
        else dataclasses.replace(h.entry, id=f"{h.entry.id}@{h.record_id}")
        for h in held
    ]


def visible_entries(
    node: Node, conn: Connection, principal: Principal, library: str | None = None
) -> list[Held]:
    """The entries ``principal`` may read (in ``library``), oldest first (not audited: the
    caller audits what it discloses)."""
    return _held(_rows(node, conn, principal), library)


def get_entry(node: Node, principal: Principal, ref: str) -> LibraryEntryView:
    """One entry by record id or entry id (NotFoundError if hidden or absent alike)."""
    record_id = ref
    with node.engine.connect() as conn:
        if RecordStore(conn, node.ctx).get(LIBRARY_ENTRY.name, ref) is None:
            found = [
                h.record_id for h in visible_entries(node, conn, principal) if h.entry.id == ref
            ]
            if len(found) > 1:
                raise ConflictError(
                    f"{len(found)} entries have the id {ref!r}: give the record id",
                    field="id",
                    value=ref,
                )
            record_id = found[0] if found else ref
    view: LibraryEntryView = labelled.read(node, principal, LIBRARY_ENTRY, record_id)
    return view


#: an event lists at most this many record ids; beyond, their count and digest
MAX_LOGGED_IDS = 2000


def _ids(ids: list[str]) -> dict[str, Any]:
    """The record ids an event names: listed, or for a large library counted and digested
    (an audit event has a size limit)."""
    if len(ids) <= MAX_LOGGED_IDS:
        return {"ids": ids}
    return {"ids_count": len(ids), "ids_sha256": digest(",".join(ids))}


def list_entries(
    node: Node, principal: Principal, library: str | None = None
) -> tuple[EntrySummary, ...]:
    """Every entry the principal may read (in ``library``), oldest first; audited."""
    with reading(node) as (conn, recorder):
        out = []
        for row, version in _rows(node, conn, principal):
            name = version.portions["library"].value
            if library is not None and name != library:
                continue
            entry = version.portions["entry"].value
            fields = labelled.summary_fields(node, conn, row)
            out.append(
                EntrySummary(
                    id=row.id,
                    entry=entry["id"],
                    library=name,
                    material_type=entry["material_type"],
                    description=entry.get("description", ""),
                    banner=fields["banner"],
                    portion=fields["portion"],
                    version=row.version,
                    origin=row.origin,
                )
            )
        emit(
            node,
            recorder,
            actor=principal.id,
            action="record.list",
            details={
                "kind": LIBRARY_ENTRY.name,
                "library": library,
                **_ids([s.id for s in out]),
            },
        )
    return tuple(out)


def export_entries(
    node: Node, principal: Principal, *, library: str | None = None, fmt: str = "json"
) -> str:
    """The entries the principal may export (ORCON: its originator only; the monitor's
    ``export`` decision through its SQL twin) as a library file; audited."""
    if fmt not in ("json", "csv"):
        raise InputError("format must be json or csv", field="format", value=fmt)
    with reading(node) as (conn, recorder):
        held = _held(_rows(node, conn, principal, "export"), library)
        entries = [h.entry for h in held]
        text = library_to_json(entries) if fmt == "json" else library_to_csv(entries)
        emit(
            node,
            recorder,
            actor=principal.id,
            action="record.export",
            details={
                "kind": LIBRARY_ENTRY.name,
                "format": fmt,
                "library": library,
                **_ids([h.record_id for h in held]),
                "sha256": digest(text),
            },
        )
    return text


# -- writing --------------------------------------------------------------------------


def _refuse_duplicates(
    node: Node, principal: Principal, library: str, entries: Sequence[Entry]
) -> None:
    with node.engine.connect() as conn:
        seen = {h.entry.id for h in visible_entries(node, conn, principal, library)}
    clash = [e.id for e in entries if e.id in seen]
    if clash:
        raise ConflictError(
            f"library {library!r} already has the entry {clash[0]!r} "
            f"({len(clash)} of the entries given)",
            field="id",
            value=clash[0],
        )


def add_entry(
    node: Node,
    principal: Principal,
    data: Any,
    label: Label,
    *,
    library: str = DEFAULT_LIBRARY,
    note: str = "",
) -> LibraryEntryView:
    """Add one entry (its "show" JSON, validated: a typed error names the field) to
    ``library`` under ``label``; ConflictError if an entry of that library the principal
    can see has the same id."""
    entry = entry_from_dict(data)
    _refuse_duplicates(node, principal, _library_name(library), [entry])
    view: LibraryEntryView = labelled.create(
        node, principal, LIBRARY_ENTRY, _draft(entry, library, label, note)
    )
    return view


@dataclass(frozen=True, kw_only=True, slots=True)
class ImportResult(JsonView):
    library: str
    created: tuple[str, ...]  # record ids
    entries: tuple[str, ...]  # entry ids, in the same order


def import_entries(
    node: Node,
    principal: Principal,
    text: str,
    label: Label,
    *,
    library: str = DEFAULT_LIBRARY,
    fmt: str = "json",
) -> ImportResult:
    """Import a library file (JSON or CSV) under ``label``, all or nothing: a bad value
    raises :class:`~nucsec.forensics.library.LibraryImportError` naming every row and
    field, an id the library already has ConflictError, a label the principal may not
    write AccessDenied; in each case nothing is written."""
    if fmt not in ("json", "csv"):
        raise InputError("format must be json or csv", field="format", value=fmt)
    entries = read_library_json(text) if fmt == "json" else read_library_csv(text)
    name = _library_name(library)
    _refuse_duplicates(node, principal, name, entries)
    drafts = [_draft(e, name, label, "imported") for e in entries]
    views = labelled.create_all(node, principal, LIBRARY_ENTRY, drafts)
    return ImportResult(
        library=name,
        created=tuple(v.id for v in views),
        entries=tuple(e.id for e in entries),
    )


# -- matching -------------------------------------------------------------------------


def _options(false_exclusion_rate: float, max_candidates: int) -> None:
    if not 0 < false_exclusion_rate < 0.5:
        raise LibraryError(
            "false_exclusion_rate must be between 0 and 0.5", field="false_exclusion_rate"
        )
    if not 1 <= max_candidates <= 200:
        raise LibraryError("max_candidates must be between 1 and 200", field="max_candidates")


def named_entries(result: MatchResult, max_excluded: int | None) -> list[str]:
    """The entry ids a match answer names (candidates shown, exclusions listed)."""
    data = result.to_dict(max_excluded=max_excluded)
    return [c["entry"] for c in data["candidates"]] + [x["entry"] for x in data["excluded"]]


def match_sample(
    node: Node,
    principal: Principal,
    sample: Sample,
    *,
    library: str | None = None,
    false_exclusion_rate: float = DEFAULT_FALSE_EXCLUSION_RATE,
    same_material_type: bool = True,
    max_candidates: int = 20,
    max_excluded: int | None = 50,
) -> dict[str, Any]:
    """Compare ``sample`` with the entries the principal may read (in ``library``).

    Returns the match JSON (issue 13's shape: ``conclusion``, ``candidates``,
    ``excluded``, ``next_measurement``, ...) plus ``library`` and ``entries_compared``.
    The answer names entries the principal may read only; the read is audited
    (``record.search``, ``view: match``) with the ids of every entry the answer names
    and a keyed digest of the sample's id.
    """
    _options(false_exclusion_rate, max_candidates)
    with reading(node) as (conn, recorder):
        held = visible_entries(node, conn, principal, library)
        indexed = indexed_entries(held)
        result = match(
            LibraryIndex.build(indexed),
            sample,
            false_exclusion_rate=false_exclusion_rate,
            same_material_type=same_material_type,
            max_candidates=max_candidates,
        )
        record_of = {e.id: h.record_id for e, h in zip(indexed, held, strict=True)}
        named = named_entries(result, max_excluded)
        emit(
            node,
            recorder,
            actor=principal.id,
            action="record.search",
            details={
                "kind": LIBRARY_ENTRY.name,
                "view": "match",
                "library": library,
                "sample": keyed(node, sample.id),
                "signatures": [m.name for m in sample.signatures],
                "compared": len(held),
                "conclusion": result.conclusion,
                "ids": [record_of[e] for e in named],
            },
        )
    return {
        **result.to_dict(max_excluded=max_excluded),
        "library": library,
        "entries_compared": len(held),
    }
