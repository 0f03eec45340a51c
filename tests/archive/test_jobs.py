"""The job directory: a chunk counts once its manifest entry is written; compaction
never counts a row twice, whenever the process stops."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from nucsec.archive.jobs import create_job, list_jobs, open_job
from nucsec.archive.schema import rows_to_table
from nucsec.errors import NotFoundError


def _rows(*ids: str):  # type: ignore[no-untyped-def]
    return rows_to_table(
        [{"item_id": i, "file_sha256": i, "source": f"/a/{i}", "record_index": 0} for i in ids]
    )


def test_a_part_without_its_manifest_entry_is_dropped(tmp_path: Path) -> None:
    job = create_job(tmp_path, "j1", {"id": "j1", "created_at": "2024"})
    job.add_chunk("c1", ["x", "y"], _rows("x", "y"))
    # a stop between writing a part and its manifest entry leaves a part nobody lists
    pq.write_table(_rows("z"), job.path / "parts" / "c2.parquet")
    again = open_job(tmp_path, "j1")
    assert again.completed() == {"x", "y"}
    assert sorted(p.name for p in (job.path / "parts").iterdir()) == ["c1.parquet"]


def test_compaction_is_sorted_and_idempotent(tmp_path: Path) -> None:
    job = create_job(tmp_path, "j2", {"id": "j2", "created_at": "2024"})
    job.add_chunk("c1", ["b"], _rows("b"))
    job.add_chunk("c2", ["a"], _rows("a"))
    assert job.compact()["item_id"].to_pylist() == ["a", "b"]
    assert not list((job.path / "parts").iterdir())
    # a stop after results.parquet was renamed but before the parts were deleted
    pq.write_table(_rows("a"), job.path / "parts" / "c2.parquet")
    job.add_chunk("c3", ["c"], _rows("c"))
    assert job.compact()["item_id"].to_pylist() == ["a", "b", "c"]
    assert pq.read_table(job.results_path).num_rows == 3


def test_jobs_are_listed_newest_first_and_unknown_ids_not_found(tmp_path: Path) -> None:
    create_job(tmp_path, "old", {"id": "old", "created_at": "2024-01-01"})
    create_job(tmp_path, "new", {"id": "new", "created_at": "2024-02-01"})
    assert [r["id"] for r in list_jobs(tmp_path)] == ["new", "old"]
    for bad in ("nope", "../old", ".hidden"):
        with pytest.raises(NotFoundError):
            open_job(tmp_path, bad)


def test_a_job_id_of_other_sources_is_refused(tmp_path: Path) -> None:
    from nucsec.archive.run import JobSpec, run_job
    from nucsec.archive.worker import Options
    from nucsec.errors import InputError

    create_job(tmp_path / "archive", "j3", {"id": "j3", "spec": "other", "sources": ["/x"]})
    with pytest.raises(InputError, match="other sources"):
        run_job(JobSpec.of([str(tmp_path)], Options()), home=tmp_path, job_id="j3")
