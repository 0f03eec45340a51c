"""A chunk whose task fails outright is split, and only the item that fails alone is a
failed item (in-process Dask workers here, so the fault can be planted)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from nucsec.archive import worker
from nucsec.archive.run import JobSpec, run_job
from tests.archive._support import DATA

#: distributed warns when a worker's scratch directory is slow to create (a loaded machine)
pytestmark = pytest.mark.filterwarnings("ignore:Creating scratch directories:UserWarning")


def test_an_item_that_breaks_its_task_is_isolated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from distributed import LocalCluster

    folder = tmp_path / "arch"
    folder.mkdir()
    for i in range(5):
        shutil.copy(DATA / "rctools_rc_am241.n42", folder / f"s{i}.n42")
        with (folder / f"s{i}.n42").open("ab") as fh:
            fh.write(b"\n" * (i + 1))  # distinct bytes: five items, no duplicates
    real = worker.analyze_item

    def planted(item: Any, options: Any) -> Any:
        if item.name == "s3.n42":
            raise RuntimeError("a bug the pipeline does not turn into a nucsec error")
        return real(item, options)

    monkeypatch.setattr(worker, "analyze_item", planted)
    with LocalCluster(  # HTTP on a free loopback port: 8787 may be another cluster's
        n_workers=1,
        threads_per_worker=1,
        processes=False,
        protocol="tcp://",
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",
    ) as cluster:
        job = run_job(
            JobSpec.of([str(folder)], worker.Options()),
            home=tmp_path / "home",
            scheduler=cluster.scheduler_address,
        )
    rows = {Path(r["source"]).name: r for r in pq.read_table(job.results_path).to_pylist()}
    assert sorted(rows) == [f"s{i}.n42" for i in range(5)]
    assert rows["s3.n42"]["error_code"] == "internal_error"
    assert "RuntimeError" in rows["s3.n42"]["error_message"]
    assert all(rows[f"s{i}.n42"]["error_code"] is None for i in (0, 1, 2, 4))
    assert job.record["status"] == "done" and job.record["failed"] == 1
