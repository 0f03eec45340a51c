"""An archive job on a real Dask cluster: a ``dask scheduler`` and two ``dask worker``
processes on loopback, started here. The results equal the local cluster's and the serial
pipeline's, row by row; a worker killed mid-job loses and doubles nothing; a client
stopped mid-job and resumed gives the same results, each file analysed once overall."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from nucsec.archive.cluster import ClusterError
from nucsec.archive.jobs import list_jobs
from nucsec.archive.run import JobSpec, run_job
from nucsec.archive.simulated import make_archive
from nucsec.archive.sources import plan
from nucsec.archive.worker import Options, analyze_chunk
from tests.archive._support import (
    N_ITEMS,
    DaskProcesses,
    archive_folder,
    dask_processes,
    rows_by_item,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DaskProcesses]:
    with dask_processes(tmp_path_factory.mktemp("dask")) as procs:
        yield procs


@pytest.fixture(scope="module")
def serial(archive: Path):  # type: ignore[no-untyped-def]
    """The serial pipeline in this process: every item, one after the other."""
    items = [i for i, _ in plan([str(archive)], Options().max_bytes)]
    return rows_by_item(analyze_chunk(items, Options()))


def _results(job) -> dict:  # type: ignore[no-untyped-def]
    import pyarrow.parquet as pq

    return rows_by_item(pq.read_table(job.results_path))


def test_cluster_local_and_serial_results_are_equal(
    archive: Path, cluster: DaskProcesses, serial: dict, tmp_path: Path
) -> None:
    spec = JobSpec.of([str(archive)], Options())
    remote = run_job(spec, home=tmp_path / "a", scheduler=cluster.address)
    local = run_job(spec, home=tmp_path / "b", workers=2)
    assert remote.record["status"] == local.record["status"] == "done"
    assert remote.record["workers"] == 2 and remote.record["scheduler"] == cluster.address
    assert remote.record["items"] == len({k[0] for k in serial}) == N_ITEMS
    remote_rows, local_rows = _results(remote), _results(local)
    assert set(remote_rows) == set(local_rows) == set(serial)
    for key, row in serial.items():
        assert remote_rows[key] == row, key
        assert local_rows[key] == row, key


def test_a_worker_killed_mid_job_loses_and_doubles_nothing(
    archive: Path, cluster: DaskProcesses, serial: dict, tmp_path: Path
) -> None:
    victim = cluster.workers[0]

    class KillAfterFirstChunk:
        killed_at: int | None = None
        seen = 0

        def start(self, phase: str, total: int | None) -> None:
            self.phase = phase

        def advance(self, n: int) -> None:
            if self.phase != "analysing":
                return
            self.seen += n
            if self.killed_at is None:
                victim.send_signal(signal.SIGKILL)
                self.killed_at = self.seen

    progress = KillAfterFirstChunk()
    job = run_job(
        JobSpec.of([str(archive)], Options()),
        home=tmp_path,
        scheduler=cluster.address,
        progress=progress,
    )
    assert victim.wait(timeout=10) == -signal.SIGKILL
    assert progress.killed_at is not None and progress.killed_at < N_ITEMS  # mid-job
    assert job.record["status"] == "done" and job.record["failed"] == 0
    assert _results(job) == serial  # every row once, equal to the serial run
    cluster.workers[0] = cluster.start_worker(0)  # back to two workers for the next test
    cluster.wait_for(2)


def test_a_stopped_client_resumes_to_the_same_results(
    cluster: DaskProcesses, tmp_path: Path
) -> None:
    folder = archive_folder(tmp_path / "arch", n=32)
    items = [i for i, _ in plan([str(folder)], Options().max_bytes)]
    expected = rows_by_item(analyze_chunk(items, Options()))
    home = tmp_path / "home"
    env = {**os.environ, "NUCSEC_HOME": str(home)}
    args = [
        str(Path(sys.executable).parent / "nucsec"),
        "archive",
        "analyze",
        str(folder),
        "--scheduler",
        cluster.address,
        "--json",
    ]
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    manifest = None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        found = list(home.glob("archive/*/manifest/*.json"))
        if found:
            manifest = found[0].parent
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err.decode()[-2000:]
    assert manifest is not None
    job_dir = manifest.parent
    import json

    record = json.loads((job_dir / "job.json").read_text())
    assert record["status"] == "interrupted"
    first = {i for e in manifest.glob("*.json") for i in json.loads(e.read_text())["item_ids"]}
    assert 0 < len(first) < len(items)  # stopped mid-job

    job = run_job(
        JobSpec.of([str(folder)], Options(max_bytes=50 * 1024 * 1024)),
        home=home,
        scheduler=cluster.address,
        resume=True,
    )
    assert job.path == job_dir  # the same job continued
    assert job.record["status"] == "done"
    assert job.record["skipped_done"] == len(first)
    assert job.record["done_this_run"] + len(first) == len(items)  # each file once overall
    assert _results(job) == expected


def test_a_lost_scheduler_fails_the_job_and_resume_finishes_it(
    archive: Path, serial: dict, tmp_path: Path
) -> None:
    spec = JobSpec.of([str(archive)], Options())
    with dask_processes(tmp_path / "first") as first:

        class KillScheduler:
            phase = ""

            def start(self, phase: str, total: int | None) -> None:
                self.phase = phase

            def advance(self, n: int) -> None:
                if self.phase == "analysing" and first.scheduler.poll() is None:
                    first.scheduler.send_signal(signal.SIGKILL)

        with pytest.raises(ClusterError, match="--resume"):
            run_job(spec, home=tmp_path / "home", scheduler=first.address, progress=KillScheduler())
    (record,) = list_jobs(tmp_path / "home" / "archive")
    assert record["status"] == "failed" and 0 < record["done_this_run"] < N_ITEMS
    with dask_processes(tmp_path / "second") as second:  # the scheduler "restarted"
        job = run_job(spec, home=tmp_path / "home", scheduler=second.address, resume=True)
    assert job.id == record["id"] and job.record["status"] == "done"
    assert job.record["skipped_done"] == record["done_this_run"]
    assert _results(job) == serial


def test_make_archive_is_reproducible(tmp_path: Path) -> None:
    a = make_archive(tmp_path / "a", 3, seed=5)
    b = make_archive(tmp_path / "b", 3, seed=5, start=0)
    assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b]
