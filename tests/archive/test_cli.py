"""``nucsec archive``: bad items are failed items of a finished job; jobs, show, search."""

from __future__ import annotations

import io
import json
import tarfile
import zipfile
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from nucsec.cli import main
from tests.archive._support import DATA

pytestmark = pytest.mark.slow


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any, str]:
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    try:
        return code, json.loads(out), err
    except ValueError:
        return code, out, err


def _bad_archive(folder: Path) -> None:
    folder.mkdir()
    good = (DATA / "rctools_rc_am241.n42").read_bytes()
    (folder / "am241.n42").write_bytes(good)
    (folder / "empty.n42").write_bytes(b"")
    (folder / "notes.txt").write_text("Shipment notes: nothing to see here.\n" * 20)
    (folder / "huge.spe").write_bytes(b"1\n" * 150_000)  # 300 kB, above the cap given
    with zipfile.ZipFile(folder / "more.zip", "w") as zf:
        zf.writestr("cs137.xml", (DATA / "suro_rc101_cs137_EG3X.xml").read_bytes())
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo("inner.n42")
        info.size = len(good)
        tar.addfile(info, io.BytesIO(good + b""))
    (folder / "broken.tar").write_bytes(buf.getvalue()[: 512 + len(good) // 2])


def test_archive_commands(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    db_url: str,
) -> None:
    monkeypatch.setenv("NUCSEC_HOME", str(tmp_path / "home"))
    if db_url.startswith("postgresql"):
        monkeypatch.setenv("NUCSEC_DATABASE_URL", db_url)
    else:
        monkeypatch.delenv("NUCSEC_DATABASE_URL", raising=False)
    assert _run(capsys, "init", "--demo", "--json")[0] == 0
    folder = tmp_path / "arch"
    _bad_archive(folder)
    out = tmp_path / "out.parquet"
    code, data, err = _run(
        capsys,
        "archive",
        "analyze",
        str(folder),
        "--workers",
        "1",
        "--max-bytes",
        "200000",
        "--label",
        "SECRET//REL TO USA, JPN",
        "--as",
        "doe.analyst",
        "--min-confidence",
        "0.5",
        "--parquet",
        str(out),
        "--json",
    )
    assert code == 0, err
    assert "dashboard: http://127.0.0.1:" in err
    job, report = data["job"], data["report"]
    assert job["status"] == "done" and job["items"] == 6
    failed = {Path(f["source"]).name: f["error_code"] for f in report["failed"]}
    assert failed == {
        "empty.n42": "truncated_spectrum_file",
        "notes.txt": "bad_spectrum_file",
        "huge.spe": "bad_archive_item",
        "broken.tar": "bad_archive_item",
    }
    assert report["classes"]["error"] == 4 and report["rows"] == 6
    assert pq.read_table(out).num_rows == 6
    assert data["findings"]["stored"] == 2  # Am-241 and Cs-137, each one finding

    code, jobs, _ = _run(capsys, "archive", "jobs", "--json")
    assert code == 0 and [j["id"] for j in jobs] == [job["id"]] and jobs[0]["failed"] == 4
    code, shown, _ = _run(capsys, "archive", "show", job["id"], "--json")
    assert code == 0 and shown["report"]["failed"] == report["failed"]
    code, hits, _ = _run(capsys, "archive", "search", job["id"], "--nuclide", "Cs-137", "--json")
    assert code == 0 and [h["member"] for h in hits["items"]] == ["cs137.xml"]
    code, hits, _ = _run(
        capsys,
        "archive",
        "search",
        str(out),
        "--peak",
        "61",
        "--tolerance-kev",
        "3",
        "--min-significance",
        "5",
        "--json",
    )
    assert code == 0 and [Path(h["source"]).name for h in hits["items"]] == ["am241.n42"]
    code, hits, _ = _run(
        capsys, "archive", "search", job["id"], "--like", str(folder / "am241.n42"), "--json"
    )
    assert code == 0 and Path(hits["items"][0]["source"]).name == "am241.n42"
    assert hits["items"][0]["similarity"] == pytest.approx(1.0, abs=1e-4)

    assert _run(capsys, "archive", "search", job["id"], "--nuclide", "U-235", "--peak", "1")[0] == 2
    assert _run(capsys, "archive", "analyze", str(folder), "--label", "UNCLASSIFIED")[0] == 2
    assert _run(capsys, "archive", "show", "no-such-job")[0] == 4
