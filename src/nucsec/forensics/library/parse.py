"""Build and validate entries and samples from JSON-like data, naming every bad field.

Every check records a :class:`~nucsec.forensics.library.errors.Problem` with its path
(``entries[3].signatures[1].u``) and parsing goes on, so one pass reports every problem. The
single-object readers (:func:`sample_from_dict`, :func:`entry_from_dict`) raise one typed
error with all problems in the message: an
:class:`~nucsec.forensics.library.errors.UnknownSignatureError` naming the field when a
signature name is unknown, else the first problem's; :func:`entries_from_list` raises one
:class:`~nucsec.forensics.library.errors.LibraryImportError` listing them all, or returns
every entry: nothing is half-imported.

>>> s = sample_from_dict({"id": "S1", "material_type": "uoc", "signatures": [
...     {"name": "235U/238U", "value": 0.00725, "u": 1e-5, "unit": "mol/mol"}]})
>>> s.signatures[0].name
'n(235U)/n(238U)'
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from nucsec.forensics.library.errors import (
    LibraryError,
    LibraryImportError,
    Problem,
    UnknownSignatureError,
)
from nucsec.forensics.library.model import (
    Correlation,
    Entry,
    Measurement,
    Member,
    ProductionStep,
    Sample,
    decimal_year,
)
from nucsec.forensics.library.vocabulary import (
    SignatureDef,
    chemical_form,
    material_type,
    signature,
    step_kind,
)

__all__ = [
    "Collector",
    "entries_from_list",
    "entry_from_dict",
    "parse_entry",
    "parse_measurement",
    "parse_sample",
    "sample_from_dict",
]

_SAMPLE_KEYS = {"id", "material_type", "signatures", "description"}
_ENTRY_KEYS = {
    "id",
    "material_type",
    "signatures",
    "description",
    "holder_agency",
    "production_site",
    "history",
    "members",
    "correlations",
    "provenance",
}
_ITEM_KEYS = {
    "name",
    "value",
    "u",
    "unit",
    "below",
    "method",
    "laboratory",
    "date",
    "status",
    "purification",
}
_YEAR_RANGE = (1800.0, 2200.0)


@dataclass
class Collector:
    """Problems found so far; ``where`` prefixes paths (``line 7`` or ``entries[2]``)."""

    where: str = ""
    entry: str = ""
    problems: list[tuple[Problem, type[LibraryError]]] = field(default_factory=list)

    def add(
        self, path: str, message: str, value: Any = None, error: type[LibraryError] = LibraryError
    ) -> None:
        """Record one problem at ``path`` (a field path)."""
        self.problems.append((Problem(self.where, self.entry, path, message, value), error))

    def raise_first(self) -> None:
        """Raise one typed error listing every problem: an unknown signature name first."""
        if not self.problems:
            return
        problem, error = next(
            ((p, e) for p, e in self.problems if e is UnknownSignatureError), self.problems[0]
        )
        listed = "; ".join(f"{p.field}: {p.message}" for p, _ in self.problems)
        raise error(listed, field=problem.field, value=problem.value)


def _number(col: Collector, path: str, raw: Any, *, positive: bool = False) -> float | None:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        col.add(path, "must be a number", raw)
        return None
    try:
        value = float(raw)
    except ValueError:
        col.add(path, "must be a number", raw)
        return None
    if not math.isfinite(value):
        col.add(path, "must be finite", raw)
        return None
    if positive and value <= 0:
        col.add(path, "must be > 0", raw)
        return None
    return value


def _date(col: Collector, path: str, raw: Any) -> date | None:
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        col.add(path, "must be an ISO date (YYYY-MM-DD)", raw)
        return None


def _year(col: Collector, path: str, raw: Any) -> float | None:
    if isinstance(raw, str) and "-" in raw.strip()[1:]:
        day = _date(col, path, raw)
        return None if day is None else decimal_year(day)
    year = _number(col, path, raw)
    if year is not None and not _YEAR_RANGE[0] <= year <= _YEAR_RANGE[1]:
        col.add(path, f"a decimal year CE within {_YEAR_RANGE}", raw)
        return None
    return year


def _text(col: Collector, path: str, raw: Any, *, required: bool = False) -> str:
    if raw is None and not required:
        return ""
    if not isinstance(raw, str) or (required and not raw.strip()):
        col.add(path, "must be a non-empty string" if required else "must be a string", raw)
        return ""
    return raw.strip()


def _categorical(col: Collector, path: str, raw: Any, *, several: bool) -> tuple[str, ...] | None:
    items = raw if several and isinstance(raw, list) else [raw]
    if not items:
        col.add(path, "needs at least one chemical form", raw)
        return None
    try:
        return tuple(chemical_form(v, field=path) for v in items)
    except LibraryError as exc:
        col.add(path, exc.message, raw)
        return None


def _numeric_value(col: Collector, path: str, sig: SignatureDef, raw: Any) -> float | None:
    if sig.kind == "date":
        return _year(col, path, raw)
    return _number(col, path, raw, positive=sig.transform == "log")


def parse_measurement(data: Any, path: str, col: Collector, *, role: str) -> Measurement | None:
    """One signature item of a sample (``role="sample"``) or an entry (``role="entry"``)."""
    if not isinstance(data, Mapping):
        col.add(path, "a signature is an object with name, value (or below), u, unit", data)
        return None
    allowed = _ITEM_KEYS | ({"spread"} if role == "entry" else set())
    for key in sorted(set(data) - allowed):
        col.add(f"{path}.{key}", f"unknown key {key!r}", key)
    try:
        sig = signature(data.get("name"), field=f"{path}.name")  # type: ignore[arg-type]
    except UnknownSignatureError as exc:
        col.add(exc.field or path, exc.message, exc.value, UnknownSignatureError)
        return None
    n_problems = len(col.problems)
    unit = data.get("unit", "" if not sig.numeric else None)
    if unit is None:
        col.add(f"{path}.unit", f"unit required ({sig.unit!r})")
    elif not isinstance(unit, str) or (sig.numeric and not sig.accepts_unit(unit)):
        col.add(f"{path}.unit", f"unit of {sig.name} is {sig.unit!r}", unit)
    has_value, has_below = "value" in data, "below" in data
    if has_value == has_below:
        col.add(f"{path}.value", "give exactly one of value and below")
        return None
    value: float | tuple[str, ...] | None = None
    below = u = None
    spread = 0.0
    if not sig.numeric:
        if has_below:
            col.add(f"{path}.below", "a categorical signature has no detection limit")
        value = _categorical(col, f"{path}.value", data["value"], several=role == "entry")
    elif has_below:
        below = _numeric_value(col, f"{path}.below", sig, data["below"])
    else:
        value = _numeric_value(col, f"{path}.value", sig, data["value"])
        if "u" in data or role == "sample":
            u = _number(col, f"{path}.u", data.get("u"), positive=role == "sample")
            if u is not None and u < 0:
                col.add(f"{path}.u", "must be >= 0", u)
    if role == "entry" and "spread" in data:
        spread = _number(col, f"{path}.spread", data["spread"]) or 0.0
        if spread < 0:
            col.add(f"{path}.spread", "must be >= 0", spread)
    purification = data.get("purification", "complete")
    if purification not in ("complete", "incomplete") or (
        purification == "incomplete" and sig.kind != "date"
    ):
        col.add(f"{path}.purification", "complete or incomplete (model date only)", purification)
    measured_on = _date(col, f"{path}.date", data["date"]) if data.get("date") else None
    texts = {k: _text(col, f"{path}.{k}", data.get(k)) for k in ("method", "laboratory", "status")}
    if len(col.problems) > n_problems:
        return None
    return Measurement(
        sig.name,
        value,
        u=u or 0.0,
        unit=sig.unit,
        below=below,
        spread=spread,
        measured_on=measured_on,
        purification=purification,
        **texts,
    )


def _measurements(col: Collector, path: str, raw: Any, role: str) -> tuple[Measurement, ...]:
    if not isinstance(raw, list):
        col.add(path, "must be a list", raw)
        return ()
    out: list[Measurement] = []
    for i, item in enumerate(raw):
        m = parse_measurement(item, f"{path}[{i}]", col, role=role)
        if m is not None and any(o.name == m.name for o in out):
            col.add(f"{path}[{i}].name", f"{m.name} given twice", m.name)
        elif m is not None:
            out.append(m)
    return tuple(out)


def _unknown_keys(col: Collector, data: Mapping[str, Any], allowed: set[str]) -> None:
    for key in sorted(set(data) - allowed):
        col.add(key, f"unknown key {key!r}", key)


def _material(col: Collector, raw: Any, *, optional: bool) -> str | None:
    if raw is None and optional:
        return None
    try:
        return material_type(raw)
    except LibraryError as exc:
        col.add("material_type", exc.message, raw)
        return None


def parse_sample(data: Any, col: Collector) -> Sample | None:
    """A sample from its JSON shape, or ``None`` with the problems in ``col``."""
    if not isinstance(data, Mapping):
        col.add("sample", "a sample is a JSON object with id and signatures", data)
        return None
    _unknown_keys(col, data, _SAMPLE_KEYS)
    sid = data.get("id")
    sample_id = str(sid) if isinstance(sid, int | str) and str(sid).strip() else ""
    if not sample_id:
        col.add("id", "a sample needs an id", sid)
    mtype = _material(col, data.get("material_type"), optional=True)
    sigs = _measurements(col, "signatures", data.get("signatures"), "sample")
    return None if col.problems else Sample(sample_id, mtype, sigs)


def sample_from_dict(data: Any) -> Sample:
    """A validated sample; raises the first problem's typed error (all listed in its text)."""
    col = Collector()
    sample = parse_sample(data, col)
    col.raise_first()
    if sample is None:  # not reached: no problem recorded means a sample was built
        raise LibraryError("invalid sample", field="sample")
    return sample


def _history(col: Collector, raw: Any) -> tuple[ProductionStep, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        col.add("history", "must be a list of steps", raw)
        return ()
    steps = []
    for i, item in enumerate(raw):
        path = f"history[{i}]"
        if not isinstance(item, Mapping):
            col.add(path, "a step is an object with step, site, start, end", item)
            continue
        _unknown_keys(
            col,
            {f"{path}.{k}": v for k, v in item.items()},
            {f"{path}.{k}" for k in ("step", "site", "start", "end")},
        )
        try:
            kind = step_kind(item.get("step"), field=f"{path}.step").code
        except LibraryError as exc:
            col.add(f"{path}.step", exc.message, item.get("step"))
            continue
        start = _date(col, f"{path}.start", item["start"]) if item.get("start") else None
        end = _date(col, f"{path}.end", item["end"]) if item.get("end") else None
        if start and end and end < start:
            col.add(f"{path}.end", "ends before it starts", item.get("end"))
        steps.append(ProductionStep(kind, _text(col, f"{path}.site", item.get("site")), start, end))
    return tuple(steps)


def _members(col: Collector, raw: Any) -> tuple[Member, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        col.add("members", "must be a list", raw)
        return ()
    out = []
    for i, item in enumerate(raw):
        path = f"members[{i}]"
        values = item.get("values") if isinstance(item, Mapping) else None
        if not isinstance(values, Mapping):
            col.add(path, 'a member is {"id": ..., "values": {name: number}}', item)
            continue
        parsed = []
        for name, v in values.items():
            try:
                sig = signature(name, field=f"{path}.values.{name}")
            except UnknownSignatureError as exc:
                col.add(exc.field or path, exc.message, name, UnknownSignatureError)
                continue
            if not sig.numeric or sig.kind == "date":
                col.add(f"{path}.values.{name}", "members carry numeric signatures only", name)
                continue
            x = _number(col, f"{path}.values.{name}", v, positive=sig.transform == "log")
            if x is not None:
                parsed.append((sig.name, x))
        out.append(Member(str(item.get("id", i)), tuple(sorted(parsed))))
    return tuple(out)


def _correlations(col: Collector, raw: Any, names: set[str]) -> tuple[Correlation, ...]:
    if raw is None:
        return ()
    out = []
    for i, item in enumerate(raw if isinstance(raw, list) else [raw]):
        path = f"correlations[{i}]"
        if not isinstance(item, Mapping) or not {"a", "b", "r"} <= set(item):
            col.add(path, 'a correlation is {"a": name, "b": name, "r": number}', item)
            continue
        try:
            a = signature(item["a"], field=f"{path}.a").name
            b = signature(item["b"], field=f"{path}.b").name
        except UnknownSignatureError as exc:
            col.add(exc.field or path, exc.message, exc.value, UnknownSignatureError)
            continue
        r = _number(col, f"{path}.r", item["r"])
        if a == b or a not in names or b not in names:
            col.add(path, "needs two different signatures of this entry", [a, b])
        elif r is not None and not -1 < r < 1:
            col.add(f"{path}.r", "must lie strictly between -1 and 1", r)
        elif r is not None:
            out.append(Correlation(a, b, r))
    return tuple(out)


def parse_entry(data: Any, col: Collector) -> Entry | None:
    """An entry from its JSON ("show") shape, or ``None`` with the problems in ``col``."""
    if not isinstance(data, Mapping):
        col.add("entry", "an entry is a JSON object", data)
        return None
    before = len(col.problems)
    _unknown_keys(col, data, _ENTRY_KEYS)
    entry_id = _text(col, "id", data.get("id"), required=True)
    col.entry = col.entry or entry_id
    mtype = _material(col, data.get("material_type"), optional=False)
    sigs = _measurements(col, "signatures", data.get("signatures", []), "entry")
    texts = {
        k: _text(col, k, data.get(k))
        for k in ("description", "holder_agency", "production_site", "provenance")
    }
    history = _history(col, data.get("history"))
    members = _members(col, data.get("members"))
    corr = _correlations(col, data.get("correlations"), {m.name for m in sigs})
    if len(col.problems) > before or mtype is None:
        return None
    return Entry(
        entry_id, mtype, sigs, history=history, members=members, correlations=corr, **texts
    )


def entry_from_dict(data: Any) -> Entry:
    """A validated entry; raises the first problem's typed error (all listed in its text)."""
    col = Collector()
    entry = parse_entry(data, col)
    col.raise_first()
    if entry is None:  # not reached: no problem recorded means an entry was built
        raise LibraryError("invalid entry", field="entry")
    return entry


def entries_from_list(items: Any) -> list[Entry]:
    """Every entry of a JSON library (a list, or ``{"entries": [...]}``), or one error.

    Raises
    ------
    LibraryImportError
        Listing every problem (path, entry id, field, message), including duplicate ids.
    """
    if isinstance(items, Mapping) and "entries" in items:
        items = items["entries"]
    if not isinstance(items, list):
        raise LibraryImportError([Problem("file", "", "entries", "expected a list of entries")])
    problems: list[Problem] = []
    entries: list[Entry] = []
    seen: set[str] = set()
    for i, item in enumerate(items):
        col = Collector(where=f"entries[{i}]")
        entry = parse_entry(item, col)
        problems += [p for p, _ in col.problems]
        if entry is not None and entry.id in seen:
            problems.append(Problem(col.where, entry.id, "id", "duplicate entry id", entry.id))
        elif entry is not None:
            seen.add(entry.id)
            entries.append(entry)
    if problems:
        raise LibraryImportError(problems)
    return entries
