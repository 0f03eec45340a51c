"""Planning: folders, globs, tar and zip files give hashed items, in a fixed order;
bad containers and oversized files are items with an error, never a failed listing."""

from __future__ import annotations

import hashlib
import io
import tarfile
import zipfile
from pathlib import Path

import pytest

from nucsec.archive.sources import ArchiveError, SourceError, plan, read_item
from tests.archive._support import DATA

A, B = DATA / "rctools_rc_am241.n42", DATA / "suro_rc101_cs137_EG3X.xml"


def _tar(path: Path, files: dict[str, bytes], mode: str = "w") -> None:
    with tarfile.open(path, mode) as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


@pytest.mark.parametrize("suffix", [".tar", ".tar.gz", ".zip"])
def test_container_members_are_items_read_back_by_hash(tmp_path: Path, suffix: str) -> None:
    files = {"a/am241.n42": A.read_bytes(), "b/cs137.xml": B.read_bytes()}
    path = tmp_path / f"spectra{suffix}"
    if suffix == ".zip":
        with zipfile.ZipFile(path, "w") as zf:
            for name, data in files.items():
                zf.writestr(name, data)
    else:
        _tar(path, files, "w:gz" if suffix.endswith("gz") else "w")
    items = [item for item, dup in plan([str(path)], 1 << 20)]
    assert [i.member for i in items] == list(files)
    for item in items:
        data = files[str(item.member)]
        assert item.sha256 == hashlib.sha256(data).hexdigest() == item.item_id
        assert read_item(item, 1 << 20) == data
    if suffix == ".tar":
        assert all(i.offset is not None for i in items)  # read directly at the member's offset


def test_folder_and_glob_order_duplicates_and_missing(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "z.n42").write_bytes(A.read_bytes())
    (tmp_path / "a.n42").write_bytes(A.read_bytes())  # the same bytes again
    (tmp_path / "b.xml").write_bytes(B.read_bytes())
    (tmp_path / "notes.md").write_text("not a spectrum extension: not listed")
    got = [(Path(i.source).name, dup) for i, dup in plan([str(tmp_path)], 1 << 20)]
    assert got == [("a.n42", False), ("b.xml", False), ("z.n42", True)]
    globbed = [Path(i.source).name for i, _ in plan([str(tmp_path / "*.n42")], 1 << 20)]
    assert globbed == ["a.n42"]
    with pytest.raises(SourceError):
        list(plan([str(tmp_path / "nothing-*.n42")], 1 << 20))
    with pytest.raises(SourceError):
        list(plan([str(tmp_path / "absent")], 1 << 20))


def test_bad_containers_and_big_files_are_failed_items(tmp_path: Path) -> None:
    good = A.read_bytes()
    _tar(tmp_path / "whole.tar", {"one.n42": good, "two.n42": good + b" "})
    data = (tmp_path / "whole.tar").read_bytes()
    (tmp_path / "truncated.tar").write_bytes(data[: 512 + len(good) + 512 + 100])
    (tmp_path / "garbage.tar").write_bytes(b"\x07not a tar" * 100)
    (tmp_path / "garbage.zip").write_bytes(b"PK\x03\x04 broken" * 10)
    (tmp_path / "big.spe").write_bytes(b"0\n" * 5000)
    items = {
        (Path(i.source).name, i.member): i
        for i, _ in plan(
            [str(tmp_path / n) for n in ("truncated.tar", "garbage.tar", "garbage.zip", "big.spe")],
            9000,
        )
    }
    assert items[("truncated.tar", "one.n42")].error is None  # read before the damage
    damaged = items[("truncated.tar", "")]
    assert damaged.error is not None and damaged.error["error"] == "bad_archive_item"
    assert "after 1 member" in damaged.error["message"]
    assert items[("garbage.tar", "")].error is not None
    assert items[("garbage.zip", "")].error is not None
    big = items[("big.spe", None)]
    assert big.sha256 is None and big.error is not None and big.error["field"] == "size_bytes"
    assert big.item_id.startswith("locator:")  # refused unread: keyed by where it is


def test_a_file_changed_after_planning_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.n42"
    path.write_bytes(A.read_bytes())
    ((item, _),) = plan([str(path)], 1 << 20)
    path.write_bytes(B.read_bytes())
    with pytest.raises(ArchiveError, match="changed"):
        read_item(item, 1 << 20)
