"""An archive job on disk: its record, its resume manifest and its Parquet results.

Layout (``$NUCSEC_HOME/archive/<job-id>/``, owned by the node)::

    job.json                 the job record: status, counts, options, errors summary
    manifest/<chunk>.json    one per finished chunk: the item ids it completed and its part
    parts/<chunk>.parquet    the rows of that chunk (until the job is compacted)
    results.parquet          every row, sorted by source, member and record (when done)

Exactly once: a chunk's part is written to a temporary name, flushed to disk and renamed;
only then is its manifest entry written the same way. An item is complete when a manifest
entry lists it; a part without an entry (the process stopped in between) is deleted when
the job is opened again, so its items run again and appear once. Compaction writes
``results.parquet`` (again by rename) from the previous results and the parts, dropping any
row whose item the previous results already hold, then deletes the parts: a stop at any
point leaves either the parts or the results holding each row, never both counted twice.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from nucsec.archive.schema import RESULT_SCHEMA
from nucsec.errors import NotFoundError

__all__ = ["SORT_KEYS", "STATUSES", "JobDir", "create_job", "jobs_root", "list_jobs", "open_job"]

SORT_KEYS = [("source", "ascending"), ("member", "ascending"), ("record_index", "ascending")]
#: a job's status: planning (listing and hashing), running, done, interrupted (stopped:
#: continue it with ``--resume``), failed (the cluster was lost: likewise)
STATUSES = ("planning", "running", "done", "interrupted", "failed")


def jobs_root(home: Path) -> Path:
    return home / "archive"


def _atomic_bytes(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.part")  # hidden: dataset discovery skips it
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _atomic_table(path: Path, table: pa.Table) -> None:
    tmp = path.with_name(f".{path.name}.part")  # hidden: dataset discovery skips it
    pq.write_table(table, tmp, compression="zstd", row_group_size=32_768)
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)


@dataclass
class JobDir:
    """One job's directory (see the module docstring)."""

    path: Path
    record: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.path.name

    @property
    def results_path(self) -> Path:
        return self.path / "results.parquet"

    def save(self, **changes: Any) -> None:
        """Update the job record and write it atomically."""
        self.record.update(changes)
        text = json.dumps(self.record, ensure_ascii=False, indent=2, default=str)
        _atomic_bytes(self.path / "job.json", text.encode())

    # -- manifest ------------------------------------------------------------------------

    def completed(self) -> set[str]:
        """Item ids of every finished chunk (drops parts no manifest entry names)."""
        done: set[str] = set()
        listed: set[str] = set()
        for entry in sorted((self.path / "manifest").glob("*.json")):
            data = json.loads(entry.read_text(encoding="utf-8"))
            done.update(data["item_ids"])
            listed.add(data["part"])
        parts = self.path / "parts"
        for part in parts.glob("*"):
            if part.name not in listed:
                part.unlink()  # written, but its chunk was never recorded: it runs again
        return done

    def add_chunk(self, chunk_id: str, item_ids: Iterable[str], table: pa.Table) -> None:
        """Record a finished chunk: its part first, then its manifest entry."""
        part = f"{chunk_id}.parquet"
        _atomic_table(self.path / "parts" / part, table)
        entry = {"chunk": chunk_id, "part": part, "item_ids": sorted(item_ids), "rows": len(table)}
        _atomic_bytes(self.path / "manifest" / f"{chunk_id}.json", json.dumps(entry).encode())

    # -- results -------------------------------------------------------------------------

    def compact(self) -> pa.Table:
        """Merge the parts into ``results.parquet`` (sorted); return the whole table."""
        parts = sorted((self.path / "parts").glob("*.parquet"))
        old = pq.read_table(self.results_path) if self.results_path.exists() else None
        tables = [pq.read_table(p, schema=RESULT_SCHEMA) for p in parts]
        new = pa.concat_tables(tables) if tables else RESULT_SCHEMA.empty_table()
        if old is not None:
            held = pc.is_in(new["item_id"], value_set=pa.array(old["item_id"].unique()))
            new = new.filter(pc.invert(held))
            new = pa.concat_tables([old.cast(RESULT_SCHEMA), new])
        table = new.sort_by(SORT_KEYS)
        if parts or old is None:
            _atomic_table(self.results_path, table)
        for p in parts:
            p.unlink()
        return table


def _new_dirs(path: Path) -> None:
    for sub in ("manifest", "parts"):
        (path / sub).mkdir(parents=True, exist_ok=True)


def create_job(root: Path, job_id: str, record: dict[str, Any]) -> JobDir:
    path = root / job_id
    _new_dirs(path)
    job = JobDir(path, dict(record))
    job.save()
    return job


def open_job(root: Path, job_id: str) -> JobDir:
    """An existing job (NotFoundError if there is none of that id)."""
    path = root / job_id
    record_file = path / "job.json"
    if "/" in job_id or job_id.startswith(".") or not record_file.is_file():
        raise NotFoundError(f"archive job {job_id} not found", field="job", value=job_id)
    _new_dirs(path)
    return JobDir(path, json.loads(record_file.read_text(encoding="utf-8")))


def list_jobs(root: Path) -> list[dict[str, Any]]:
    """The records of every job, newest first."""
    out = []
    for record_file in root.glob("*/job.json"):
        try:
            out.append(json.loads(record_file.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            continue  # a job being created right now
    return sorted(out, key=lambda r: str(r.get("created_at", "")), reverse=True)
