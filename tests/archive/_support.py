"""Helpers of the archive tests: a simulated archive, a real Dask cluster on loopback,
and comparisons of result tables."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow as pa

from nucsec.archive.schema import NONDETERMINISTIC
from nucsec.archive.simulated import make_archive

DATA = Path(__file__).resolve().parents[1] / "data" / "spectra"
#: real files beside the simulated ones: a portal of eight detectors, a file with its
#: own background, a RadiaCode file
REAL = ("interspec_hpge_portal_ba133.n42", "suro_rc101_cs137_EG3X.xml", "rctools_rc_am241.n42")
BIN = Path(sys.executable).parent


#: simulated spectra in the shared test archive (it holds them and the REAL files)
N_SIMULATED = 10
N_ITEMS = N_SIMULATED + len(REAL)


def archive_folder(folder: Path, n: int = N_SIMULATED) -> Path:
    """``n`` simulated spectra (mixed detectors, 1k-16k channels) and the REAL files."""
    make_archive(folder, n, seed=7)
    for name in REAL:
        shutil.copy(DATA / name, folder / name)
    return folder


def rows_by_item(table: pa.Table) -> dict[tuple[str, int], dict[str, Any]]:
    """Rows keyed by (item id, record index), without the non-deterministic columns."""
    keep = [c for c in table.column_names if c not in NONDETERMINISTIC]
    out = {}
    for row in table.select(keep).to_pylist():
        key = (row["item_id"], row["record_index"])
        assert key not in out, f"row {key} twice"
        out[key] = row
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class DaskProcesses:
    """A ``dask scheduler`` and ``dask worker`` processes on loopback (started here)."""

    def __init__(self, workdir: Path, n_workers: int = 2) -> None:
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.address = f"tcp://127.0.0.1:{free_port()}"
        self.scheduler = self._start(
            "scheduler",
            [
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                self.address.rsplit(":", 1)[1],
                "--no-dashboard",
                "--no-show",
            ],
        )
        self.workers = [self.start_worker(i) for i in range(n_workers)]
        try:
            self.wait_for(n_workers)
        except BaseException:
            self.stop()
            raise

    def _start(self, name: str, args: list[str]) -> subprocess.Popen[bytes]:
        with open(self.workdir / f"{name}.log", "ab") as log:  # the child keeps its own copy
            return subprocess.Popen(
                [str(BIN / "dask"), *args], stdout=log, stderr=subprocess.STDOUT
            )

    def start_worker(self, i: int) -> subprocess.Popen[bytes]:
        local = self.workdir / f"worker{i}"
        local.mkdir(exist_ok=True)
        return self._start(
            f"worker{i}",
            [
                "worker",
                self.address,
                "--nthreads",
                "1",
                "--no-nanny",
                "--host",
                "127.0.0.1",
                "--no-dashboard",
                "--local-directory",
                str(local),
            ],
        )

    def wait_for(self, n: int, timeout_s: float = 90.0) -> None:
        from distributed import Client

        with Client(self.address, timeout="120s") as client:  # a loaded machine starts slowly
            client.wait_for_workers(n, timeout=timeout_s)

    def stop(self) -> None:
        for proc in [*self.workers, self.scheduler]:
            if proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + 5
        for proc in [*self.workers, self.scheduler]:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@contextmanager
def dask_processes(workdir: Path, n_workers: int = 2) -> Iterator[DaskProcesses]:
    procs = DaskProcesses(workdir, n_workers)
    try:
        yield procs
    finally:
        procs.stop()
