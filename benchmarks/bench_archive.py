"""Archives on Dask: spectra/s on a local Dask cluster of 1 and 2 workers beside the same
pipeline in one process (measured in the same run), the Dask overhead per spectrum, the
peak memory per worker, and the archive search time over 100,000 results.

The archive: ``NUCSEC_BENCH_ARCHIVE_N`` simulated spectra (default 100,000; mixed
detectors HPGe 16k and 8k, NaI 1k, LaBr3 2k and CZT 4k channels; natural background,
medical, industrial and uranium sources), written once as N42 files into a cache folder
outside the repository, ``NUCSEC_BENCH_ARCHIVE_DIR`` (default
``/tmp/nucsec-bench-archive``), and reused by later runs (writing 100,000 takes about
40 minutes; analysing them in one process about an hour on this machine).

Method: the serial baseline analyses every item in this process (the worker's code,
``analyze_chunk``, without Dask). Each Dask run starts a ``LocalCluster`` of single-threaded
worker processes configured as ``nucsec archive`` configures its own (``LOCAL_CONFIG``)
and runs the job through the scheduler address, as on a remote cluster;
its rate is over the analysis phase (cluster up and warm, items listed and hashed, which is
reported apart). Overhead = (1-worker time - serial time) / serial time, in wall time and,
less sensitive to the other jobs of a shared machine, in CPU time (the CPU of the workers,
the client and the scheduler over the whole job, listing, hashing and Parquet writing
included, against the CPU of the serial run). Peak memory: the
largest resident set of each worker process at the end (``ru_maxrss``). Search: p50 of five
runs of each query, each reading the Parquet results; when fewer than 100,000 spectra were
analysed, the results are tiled (with new item ids) to 100,000 rows, and the row says so.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks._table import Table, fmt_s

N_DEFAULT = 100_000
SEARCH_ROWS = 100_000
SEED = 2026
CACHE = Path(os.environ.get("NUCSEC_BENCH_ARCHIVE_DIR", "/tmp/nucsec-bench-archive"))


class _Clock:
    """Progress sink that times the analysis phase of a job."""

    def __init__(self) -> None:
        self.t_start = self.t_end = self.t_plan = time.perf_counter()

    def start(self, phase: str, total: int | None) -> None:
        now = time.perf_counter()
        if phase == "analysing":
            self.t_start = self.t_end = now
        else:
            self.t_plan = now

    def advance(self, n: int) -> None:
        self.t_end = time.perf_counter()


def _max_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _cpu_s() -> float:
    """CPU seconds used by this process so far (user + system)."""
    return time.process_time()


def _dask_run(folder: Path, workers: int, home: Path) -> dict[str, Any]:
    import dask
    from distributed import Client, LocalCluster

    from nucsec.archive.cluster import LOCAL_CONFIG
    from nucsec.archive.run import JobSpec, run_job
    from nucsec.archive.worker import Options, _warm_up

    with (
        dask.config.set(LOCAL_CONFIG),
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
            silence_logs=50,
        ) as cluster,
        Client(cluster) as client,
    ):
        client.run(_warm_up)  # imports and line library: not part of the job's cost
        clock = _Clock()
        cpu0 = sum(client.run(_cpu_s).values()) + _cpu_s()
        t0 = time.perf_counter()
        job = run_job(
            JobSpec.of([str(folder)], Options()),
            home=home,
            scheduler=cluster.scheduler_address,
            progress=clock,
        )
        total = time.perf_counter() - t0
        cpu = sum(client.run(_cpu_s).values()) + _cpu_s() - cpu0
        rss = sorted(client.run(_max_rss_mb).values())
    return {
        "job": job,
        "analysis_s": clock.t_end - clock.t_start,
        "plan_s": clock.t_start - t0,
        "total_s": total,
        "cpu_s": cpu,
        "rss_mb": rss,
    }


def _serial(folder: Path) -> tuple[float, float, int]:
    from nucsec.archive.sources import plan
    from nucsec.archive.worker import Options, _warm_up, analyze_chunk

    _warm_up()
    items = [i for i, _ in plan([str(folder)], Options().max_bytes)]
    t0, c0 = time.perf_counter(), _cpu_s()
    rows = sum(
        analyze_chunk(items[i : i + 16], Options()).num_rows for i in range(0, len(items), 16)
    )
    return time.perf_counter() - t0, _cpu_s() - c0, rows


def _search_table(results: Path, tmp: Path) -> tuple[Path, str]:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    table = pq.read_table(results)
    if table.num_rows >= SEARCH_ROWS:
        return results, f"{table.num_rows:,} analysed rows"
    copies = []
    for k in range(-(-SEARCH_ROWS // table.num_rows)):
        ids = pc.binary_join_element_wise(table["item_id"], pa.scalar(f"#{k}"), "")
        copies.append(table.set_column(table.schema.get_field_index("item_id"), "item_id", ids))
    tiled = pa.concat_tables(copies).slice(0, SEARCH_ROWS)
    path = tmp / "tiled.parquet"
    pq.write_table(tiled, path, compression="zstd", row_group_size=32_768)
    return path, f"{table.num_rows:,} analysed rows tiled to {SEARCH_ROWS:,}"


def _p50(fn: Any, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _search_rows(table: Table, results: Path, tmp: Path) -> None:
    import pyarrow.parquet as pq

    from nucsec.archive import search

    path, how = _search_table(results, tmp)
    query = pq.read_table(path, columns=["features"])["features"][0].as_py()
    queries = {
        "--nuclide U-235": lambda: search.by_nuclide(path, "U-235"),
        "--peak 185.7 --min-significance 5": lambda: search.by_peak(path, 185.7, 1.0, 5.0),
        "--like (cosine on 64-bin features)": lambda: search.like(path, query, top=10),
    }
    for name, fn in queries.items():
        hits = fn()["count"]
        table.add(
            f"archive search {name}, p50",
            fmt_s(_p50(fn)),
            "",
            "",
            "<= 1 s over 100,000",
            f"{how}; {hits:,} hits",
        )


def run() -> Table:
    from nucsec.archive.simulated import make_archive

    n = int(os.environ.get("NUCSEC_BENCH_ARCHIVE_N", N_DEFAULT))
    folder = CACHE / f"seed{SEED}-n{n}"
    t0 = time.perf_counter()
    make_archive(folder, n, seed=SEED)
    made = time.perf_counter() - t0
    table = Table(
        f"archive on Dask: {n:,} simulated spectra (cache {folder}, prepared in {made:.0f} s; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores, shared machine)"
    )
    serial_s, serial_cpu_s, rows = _serial(folder)
    serial_rate = rows / serial_s
    with tempfile.TemporaryDirectory(prefix="nucsec-bench-archive-") as tmp:
        runs = {w: _dask_run(folder, w, Path(tmp) / f"w{w}") for w in (1, 2)}
        for w, r in runs.items():
            rate = rows / r["analysis_s"]
            table.add(
                f"Dask LocalCluster, {w} worker(s): spectra/s",
                f"{rate:,.1f}",
                "same pipeline, one process",
                f"{serial_rate:,.1f}",
                ">= 1.8x with 2 workers" if w == 2 else "",
                f"x{rate / serial_rate:.2f}; listing+hashing {r['plan_s']:.1f} s, "
                f"whole job {r['total_s']:.1f} s",
            )
        overhead = (runs[1]["analysis_s"] - serial_s) / serial_s
        table.add(
            "Dask overhead per spectrum, wall (1 worker vs one process)",
            f"{overhead * 100:+.1f} % ({fmt_s((runs[1]['analysis_s'] - serial_s) / rows)})",
            "analysis wall time per spectrum",
            fmt_s(serial_s / rows),
            "<= 10 %",
            "wall time: moves with the other jobs on the machine",
        )
        for w, r in runs.items():
            extra = (r["cpu_s"] - serial_cpu_s) / serial_cpu_s
            table.add(
                f"Dask overhead per spectrum, CPU ({w} worker(s) vs one process)",
                f"{extra * 100:+.1f} % ({fmt_s((r['cpu_s'] - serial_cpu_s) / rows)})",
                "analysis CPU time per spectrum",
                fmt_s(serial_cpu_s / rows),
                "<= 10 %",
                "CPU of workers + client + scheduler, whole job (listing, hashing, Parquet)",
            )
        for w, r in runs.items():
            table.add(
                f"peak memory per worker, {w} worker(s)",
                ", ".join(f"{m:,.0f} MiB" for m in r["rss_mb"]),
                "this process (serial run)",
                f"{_max_rss_mb():,.0f} MiB",
            )
        _search_rows(table, runs[2]["job"].results_path, Path(tmp))
    return table
