"""Run an archive job on a Dask cluster: plan, skip what is done, analyse in chunks, record.

1. **Plan** (client): list and hash every item (:func:`nucsec.archive.sources.plan`).
2. **Resume**: the job's manifest names the items already done; they are skipped. Items
   refused while planning (too large, a corrupt container) are recorded at once.
3. **Chunks**: the remaining items, in order, in chunks of at most :data:`MAX_CHUNK`
   (at least :data:`TASKS_PER_WORKER` tasks per worker, for balance); each chunk is one
   Dask task (:func:`nucsec.archive.worker.analyze_chunk`) returning one Arrow table.
4. **Record**: as each task finishes, its table is written as a part and its items added
   to the manifest (:class:`nucsec.archive.jobs.JobDir`); the job record is updated.
5. **Compact**: the parts become ``results.parquet``; the job is ``done``.

A worker killed mid-task: the scheduler runs its tasks again on another worker, and the
client records each chunk once, when its (single) result arrives. A chunk that keeps
killing workers (a file that crashes the reader) is split and its items run one by one;
the one that still fails is a failed item (``worker_lost``). Ctrl-C or a lost scheduler
stop the job (``interrupted`` or ``failed``); ``--resume`` continues it.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa
import pyarrow.compute as pc

from nucsec.archive.cluster import ClusterError, connect, describe
from nucsec.archive.jobs import JobDir, create_job, jobs_root, list_jobs, open_job
from nucsec.archive.schema import rows_to_table
from nucsec.archive.sources import Item, plan
from nucsec.archive.worker import Options, analyze_chunk, error_row
from nucsec.errors import InputError

__all__ = ["MAX_CHUNK", "JobSpec", "Progress", "chunked", "run_job"]

MAX_CHUNK = 16  # items per task at most
TASKS_PER_WORKER = 4
SAVE_EVERY_S = 1.0  # how often the job record is rewritten while running


class Progress(Protocol):
    """What the runner reports (the CLI draws a progress bar from it)."""

    def start(self, phase: str, total: int | None) -> None: ...

    def advance(self, n: int) -> None: ...


class _Silent:
    def start(self, phase: str, total: int | None) -> None:
        return None

    def advance(self, n: int) -> None:
        return None


@dataclass(frozen=True)
class JobSpec:
    """What a job analyses and how: its sources (as given) and options."""

    sources: tuple[str, ...]
    options: Options

    @classmethod
    def of(cls, sources: Sequence[str], options: Options) -> JobSpec:
        """A spec with absolute sources (the same job whatever the working directory)."""
        return cls(tuple(os.path.abspath(s) for s in sources), options)

    @property
    def key(self) -> str:
        """Identifies the job across runs (``--resume`` finds the job by it)."""
        text = json.dumps({"sources": self.sources, "options": self.options.to_dict()})
        return hashlib.sha256(text.encode()).hexdigest()[:12]


def chunked(items: Sequence[Item], workers: int) -> list[list[Item]]:
    """Consecutive chunks: at most MAX_CHUNK items, at least TASKS_PER_WORKER per worker."""
    size = max(1, min(MAX_CHUNK, math.ceil(len(items) / (max(workers, 1) * TASKS_PER_WORKER))))
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def _chunk_id(items: Sequence[Item]) -> str:
    return hashlib.sha256("\n".join(i.item_id for i in items).encode()).hexdigest()[:20]


def _find_or_create(
    root: Path, spec: JobSpec, resume: bool, job_id: str | None, now: datetime
) -> JobDir:
    if job_id is not None:
        job = open_job(root, job_id)
        if job.record.get("spec") != spec.key:
            raise InputError(
                f"archive job {job_id} was made for other sources or options: "
                f"{', '.join(job.record.get('sources', []))}",
                field="job",
                value=job_id,
            )
        return job
    if resume:
        same = [r for r in list_jobs(root) if r.get("spec") == spec.key]
        if same:
            return open_job(root, str(same[0]["id"]))
    new_id = f"{now:%Y%m%dT%H%M%S}-{spec.key[:8]}"
    n = 1
    while (root / new_id).exists():
        n += 1
        new_id = f"{now:%Y%m%dT%H%M%S}-{spec.key[:8]}-{n}"
    record = {
        "id": new_id,
        "spec": spec.key,
        "status": "planning",
        "created_at": now.isoformat(),
        "sources": list(spec.sources),
        "options": spec.options.to_dict(),
    }
    return create_job(root, new_id, record)


class _Recorder:
    """Writes finished chunks and keeps the job record's counts current."""

    def __init__(self, job: JobDir, progress: Progress, clock: Callable[[], datetime]) -> None:
        self.job, self.progress, self.clock = job, progress, clock
        self.items_done = 0
        self.rows = 0
        self.failed = 0
        self._saved = 0.0

    def chunk(self, items: Sequence[Item], table: pa.Table) -> None:
        self.job.add_chunk(_chunk_id(items), [i.item_id for i in items], table)
        self.items_done += len(items)
        self.rows += table.num_rows
        self.failed += _failed(table)
        self.progress.advance(len(items))
        if time.monotonic() - self._saved >= SAVE_EVERY_S:
            self.save()

    def save(self, **extra: Any) -> None:
        self._saved = time.monotonic()
        self.job.save(
            updated_at=self.clock().isoformat(),
            done_this_run=self.items_done,
            rows_this_run=self.rows,
            failed_this_run=self.failed,
            **extra,
        )


def _failed(table: pa.Table) -> int:
    """Rows of failed items in a table."""
    return int(pc.sum(pc.is_valid(table["error_code"])).as_py() or 0)


def _lost(items: Sequence[Item], exc: BaseException) -> pa.Table:
    """Rows for items whose task failed even alone: the worker process died on them
    (``worker_lost``: Dask gave up after its allowed failures) or the analysis raised
    something other than a nucsec error (``internal_error``: a bug to report)."""
    killed = type(exc).__name__ == "KilledWorker"
    what = "the worker process died analysing this item" if killed else "analysis failed"
    message = f"{what}: {type(exc).__name__}: {exc}"[:500]
    err = {"error": "worker_lost" if killed else "internal_error", "message": message}
    return rows_to_table([error_row(i, err) for i in items])


def _run_chunks(client: Any, chunks: list[list[Item]], options: Options, rec: _Recorder) -> None:
    from distributed import as_completed

    pending = {client.submit(analyze_chunk, c, options, pure=False): c for c in chunks}
    ac = as_completed(list(pending))
    for future in ac:
        items = pending.pop(future)
        if future.status == "finished":
            rec.chunk(items, future.result())
        elif future.status == "error":
            exc = future.exception()
            if len(items) == 1:
                rec.chunk(items, _lost(items, exc))
            else:  # isolate the item that kills workers: run each alone
                for item in items:
                    f = client.submit(analyze_chunk, [item], options, pure=False)
                    pending[f] = [item]
                    ac.add(f)
        else:
            raise ClusterError(
                f"the cluster lost a task ({future.status}); run again with --resume",
                field="scheduler",
            )
        future.release()


def run_job(
    spec: JobSpec,
    *,
    home: Path,
    scheduler: str | None = None,
    workers: int | None = None,
    resume: bool = False,
    job_id: str | None = None,
    progress: Progress | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    on_cluster: Callable[[Any], None] | None = None,
) -> JobDir:
    """Run (or, with ``resume``, continue) the job of ``spec``; return its directory.

    ``on_cluster`` is called with the :class:`~nucsec.archive.cluster.ClusterInfo` once
    connected (the CLI prints the dashboard link). Raises ClusterError when the cluster
    cannot be reached or is lost; KeyboardInterrupt passes through. Either way the job is
    left ``failed`` or ``interrupted``, its finished chunks kept for ``--resume``.
    """
    progress = progress or _Silent()
    root = jobs_root(home)
    root.mkdir(parents=True, exist_ok=True)
    job = _find_or_create(root, spec, resume, job_id, clock())
    rec = _Recorder(job, progress, clock)
    rec.save(status="planning", started_at=clock().isoformat(), error=None)
    try:
        _execute(spec, job, rec, progress, scheduler, workers, on_cluster)
    except KeyboardInterrupt:
        rec.save(status="interrupted", error="stopped by the user")
        raise
    except ClusterError as exc:
        rec.save(status="failed", error=exc.message)
        raise
    return job


def _plan(spec: JobSpec, job: JobDir, progress: Progress) -> tuple[list[Item], list[str], int]:
    """(items to run, duplicate locators, items already done) for this run."""
    done = job.completed()
    progress.start("listing and hashing", None)
    todo, duplicates, skipped, total = [], [], 0, 0
    for item, dup in plan(spec.sources, spec.options.max_bytes):
        progress.advance(1)
        total += 1
        if dup:
            duplicates.append(item.locator)
        elif item.item_id in done:
            skipped += 1
        else:
            todo.append(item)
    job.save(items=total, duplicates=len(duplicates), duplicate_items=duplicates[:1000])
    return todo, duplicates, skipped


def _execute(
    spec: JobSpec,
    job: JobDir,
    rec: _Recorder,
    progress: Progress,
    scheduler: str | None,
    workers: int | None,
    on_cluster: Callable[[Any], None] | None,
) -> None:
    todo, _, skipped = _plan(spec, job, progress)
    refused = [i for i in todo if i.error is not None]
    readable = [i for i in todo if i.error is None]
    progress.start("analysing", len(todo))
    if refused:
        rec.chunk(refused, rows_to_table([error_row(i, i.error or {}) for i in refused]))
    if readable:
        with connect(scheduler, workers) as client:
            info = describe(client, local=not scheduler)
            job.save(scheduler=info.scheduler, dashboard=info.dashboard, workers=info.workers)
            if on_cluster is not None:
                on_cluster(info)
            rec.save(status="running", skipped_done=skipped)
            try:
                _run_chunks(client, chunked(readable, info.workers), spec.options, rec)
            except ClusterError:
                raise
            except (OSError, TimeoutError) as exc:
                raise ClusterError(
                    f"lost the Dask scheduler: {exc}; run again with --resume", field="scheduler"
                ) from exc
    table = job.compact()
    failed = _failed(table)
    classes = table.group_by("triage_class").aggregate([("item_id", "count")]).to_pylist()
    rec.save(
        status="done",
        finished_at=rec.clock().isoformat(),
        skipped_done=skipped,
        spectra=table.num_rows - failed,
        failed=failed,
        rows=table.num_rows,
        classes={r["triage_class"]: r["item_id_count"] for r in classes},
        results=str(job.results_path),
    )
