"""The summary report of an archive job: triage classes over time and per instrument, and
the items that need a person first (special nuclear material, then anomalies), then the
failed items with their errors. Computed from the stored results with Arrow group-bys.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from nucsec.archive.search import load
from nucsec.archive.triage import CLASSES

__all__ = ["PRIORITY", "summarize"]

#: classes listed item by item, in this order, before the counts
PRIORITY = ("SNM", "anomaly")
COLUMNS = (
    "source",
    "member",
    "record_index",
    "file_sha256",
    "instrument",
    "detector_type",
    "start_time",
    "triage_class",
    "triage_reasons",
    "nuclides",
    "u235_pct",
    "u235_unc_pct",
    "error_code",
    "error_message",
)
ORDER = (*CLASSES, "error")


def _counts(table: pa.Table, key: str) -> dict[str, dict[str, int]]:
    """``{key value: {class: count}}``."""
    grouped = table.group_by([key, "triage_class"]).aggregate([("triage_class", "count")])
    out: dict[str, dict[str, int]] = {}
    for row in grouped.to_pylist():
        out.setdefault(row[key], {})[row["triage_class"]] = row["triage_class_count"]
    return {
        k: dict(sorted(v.items(), key=lambda kv: ORDER.index(kv[0])))
        for k, v in sorted(out.items())
    }


def _item(row: dict[str, Any]) -> dict[str, Any]:
    out = {k: row[k] for k in ("source", "member", "record_index", "file_sha256", "instrument")}
    out["start_time"] = row["start_time"].isoformat() if row["start_time"] else None
    out["class"] = row["triage_class"]
    out["reasons"] = row["triage_reasons"]
    out["nuclides"] = [n["name"] for n in row["nuclides"] or []]
    if row["u235_pct"] is not None:
        out["u235_pct"], out["u235_unc_pct"] = row["u235_pct"], row["u235_unc_pct"]
    return out


def summarize(results: Path, period: str = "month") -> dict[str, Any]:
    """The report of a job's results (see the module docstring).

    ``period``: ``month`` (``2024-05``) or ``day`` (``2024-05-01``); rows without a start
    time count under ``unknown``.
    """
    table = load(results, COLUMNS)
    fmt = "%Y-%m" if period == "month" else "%Y-%m-%d"
    when = pc.fill_null(pc.strftime(table["start_time"], format=fmt), "unknown")
    who = pc.fill_null(
        pc.if_else(pc.equal(table["instrument"], ""), table["detector_type"], table["instrument"]),
        "unknown",
    )
    keyed = table.append_column("period", when).append_column("who", who)
    totals = keyed.group_by("triage_class").aggregate([("triage_class", "count")]).to_pylist()
    classes = {r["triage_class"]: r["triage_class_count"] for r in totals}
    priority = []
    for cls in PRIORITY:
        rows = table.filter(pc.equal(table["triage_class"], cls)).to_pylist()
        priority += [_item(r) for r in rows]
    failed = table.filter(pc.is_valid(table["error_code"])).to_pylist()
    return {
        "rows": table.num_rows,
        "classes": {c: classes[c] for c in ORDER if c in classes},
        "priority": priority,
        "over_time": _counts(keyed, "period"),
        "per_instrument": _counts(keyed, "who"),
        "failed": [
            {k: r[k] for k in ("source", "member", "error_code", "error_message")} for r in failed
        ],
    }
