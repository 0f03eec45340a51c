"""What an archive job analyses: items found in folders, globs, tar and zip files.

:func:`plan` turns the SOURCE arguments into :class:`Item` values, in a deterministic order
(arguments in the order given; files of a folder or glob sorted; members of a container in
container order), each with the SHA-256 of its bytes: the key of the resume manifest, so a
file is analysed once however often it appears or the job is restarted. Hashing happens
here, on the client, while the listing is made (reading a spectrum file costs far less
than analysing it); the workers read the same bytes again and check the hash.

Refused before any reading, each as one failed item: a file or member above the size cap,
a member that is not a regular file, a container that is corrupt (the members read before
the damage are kept). A file that exists twice (the same bytes at two paths) is analysed
once; the later copies are reported as duplicates.

Workers must see the paths the client sees (the local cluster, or a shared file system
mounted at the same place on every machine).
"""

from __future__ import annotations

import glob as globmod
import hashlib
import tarfile
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nucsec.errors import InputError
from nucsec.forensics.spectra.batch import EXTENSIONS

__all__ = [
    "ARCHIVE_SUFFIXES",
    "ArchiveError",
    "Item",
    "SourceError",
    "plan",
    "read_item",
]

#: file-name endings read as containers of spectrum files
ARCHIVE_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".zip")
#: extensions taken from folders and globs: those of ``nucsec spectrum analyze DIR``
SPECTRUM_SUFFIXES = EXTENSIONS
_READ_BLOCK = 1 << 20


class ArchiveError(InputError):
    """A bad item of an archive job (unreadable, too large, corrupt container, changed)."""

    code = "bad_archive_item"


class SourceError(InputError):
    """A SOURCE argument that names nothing (no such path, a glob matching nothing)."""

    code = "bad_archive_source"


@dataclass(frozen=True)
class Item:
    """One file to analyse: a path, or a member of a tar or zip file.

    ``sha256`` is None for an item refused before it was read; ``error`` then says why
    (the ``to_dict`` form of an :class:`ArchiveError`). ``offset`` is the data offset of
    a member of an uncompressed tar (read directly, without the tar index).
    """

    source: str
    member: str | None
    size_bytes: int
    sha256: str | None = None
    offset: int | None = None
    error: dict[str, Any] | None = None

    @property
    def locator(self) -> str:
        return self.source if self.member is None else f"{self.source}!{self.member}"

    @property
    def name(self) -> str:
        """The file name (a format hint for the reader)."""
        return Path(self.member if self.member is not None else self.source).name

    @property
    def item_id(self) -> str:
        """The manifest key: the content hash, or (refused items) a hash of the locator."""
        if self.sha256 is not None:
            return self.sha256
        return "locator:" + hashlib.sha256(self.locator.encode()).hexdigest()


def _is_container(path: Path) -> bool:
    return path.name.lower().endswith(ARCHIVE_SUFFIXES)


def _expand(source: str) -> list[Path]:
    """Files named by one SOURCE argument (a folder, a glob or a file)."""
    path = Path(source)
    if path.is_dir():
        found = (p for p in path.rglob("*") if p.is_file())
        return sorted(p for p in found if p.suffix.lower() in SPECTRUM_SUFFIXES or _is_container(p))
    if path.exists():
        return [path]
    if any(ch in source for ch in "*?["):
        matches = sorted(Path(p) for p in globmod.glob(source, recursive=True))
        files = [p for p in matches if p.is_file()]
        if files:
            return files
    raise SourceError(f"no such file, folder or glob match: {source}", field="source", value=source)


def _hash_stream(read: Any, size_cap: int) -> tuple[str, int]:
    """SHA-256 of a stream read to its end, refusing more than ``size_cap`` bytes."""
    h = hashlib.sha256()
    total = 0
    while block := read(_READ_BLOCK):
        total += len(block)
        if total > size_cap:
            raise ArchiveError("larger than the size cap while reading", field="size_bytes")
        h.update(block)
    return h.hexdigest(), total


def _too_large(source: str, member: str | None, size: int, cap: int) -> Item:
    err = ArchiveError(
        f"{size} bytes, more than the size cap of {cap}", field="size_bytes", value=size
    )
    return Item(source, member, size, error=err.to_dict())


def _file_item(path: Path, cap: int) -> Item:
    source = str(path.resolve())
    try:
        size = path.stat().st_size
        if size > cap:
            return _too_large(source, None, size, cap)
        with path.open("rb") as fh:
            sha, _ = _hash_stream(fh.read, cap)
    except (OSError, ArchiveError) as exc:
        message = exc.message if isinstance(exc, ArchiveError) else f"cannot read: {exc.strerror}"
        return Item(source, None, 0, error=ArchiveError(message, field="path").to_dict())
    return Item(source, None, size, sha256=sha)


def _container_error(source: str, exc: Exception, n_read: int) -> Item:
    err = ArchiveError(
        f"corrupt archive after {n_read} member(s) read: {exc}", field="archive", value=source
    )
    return Item(source, "", 0, error=err.to_dict())


def _tar_items(path: Path, cap: int) -> Iterator[Item]:
    source = str(path.resolve())
    n = 0
    try:
        plain = path.name.lower().endswith(".tar")  # uncompressed: members read by offset
        with tarfile.open(source, "r:" if plain else "r:*") as tar:
            for info in tar:
                if not info.isfile():
                    continue
                if info.size > cap:
                    yield _too_large(source, info.name, info.size, cap)
                    continue
                fh = tar.extractfile(info)
                if fh is None:
                    continue
                sha, size = _hash_stream(fh.read, cap)
                offset = info.offset_data if plain else None
                n += 1
                yield Item(source, info.name, size, sha256=sha, offset=offset)
    except (tarfile.TarError, OSError, EOFError, ArchiveError) as exc:
        yield _container_error(source, exc, n)


def _zip_items(path: Path, cap: int) -> Iterator[Item]:
    source = str(path.resolve())
    n = 0
    try:
        with zipfile.ZipFile(source) as zf:
            for info in zf.infolist():
                if info.is_dir():
                    continue
                if info.file_size > cap:
                    yield _too_large(source, info.filename, info.file_size, cap)
                    continue
                with zf.open(info) as fh:
                    sha, size = _hash_stream(fh.read, cap)
                n += 1
                yield Item(source, info.filename, size, sha256=sha)
    except (zipfile.BadZipFile, OSError, EOFError, ArchiveError, NotImplementedError) as exc:
        yield _container_error(source, exc, n)


def _items_of(path: Path, cap: int) -> Iterator[Item]:
    name = path.name.lower()
    if name.endswith(".zip"):
        yield from _zip_items(path, cap)
    elif _is_container(path):
        yield from _tar_items(path, cap)
    else:
        yield _file_item(path, cap)


def plan(sources: Sequence[str], max_bytes: int) -> Iterator[tuple[Item, bool]]:
    """Every item of ``sources`` as ``(item, duplicate)``, in a deterministic order.

    ``duplicate`` is True for a readable item whose bytes an earlier item already had.
    SourceError (before anything is yielded) when an argument names nothing.
    """
    files = [p for s in sources for p in _expand(s)]
    seen: set[str] = set()
    for path in files:
        for item in _items_of(path, max_bytes):
            dup = item.sha256 is not None and item.sha256 in seen
            if item.sha256 is not None:
                seen.add(item.sha256)
            yield item, dup


def _read_member(item: Item, max_bytes: int) -> bytes:
    if item.source.lower().endswith(".zip"):
        with zipfile.ZipFile(item.source) as zf, zf.open(str(item.member)) as fh:
            return fh.read(max_bytes + 1)
    if item.offset is not None:
        with open(item.source, "rb") as fh:
            fh.seek(item.offset)
            return fh.read(min(item.size_bytes, max_bytes + 1))
    with tarfile.open(item.source, "r:*") as tar:
        member = tar.extractfile(str(item.member))
        if member is None:
            raise ArchiveError("not a regular file", field="member", value=item.member)
        return member.read(max_bytes + 1)


def read_item(item: Item, max_bytes: int) -> bytes:
    """The bytes of an item, checked against its planned hash (ArchiveError otherwise)."""
    try:
        if item.member is None:
            with open(item.source, "rb") as fh:
                data = fh.read(max_bytes + 1)
        else:
            data = _read_member(item, max_bytes)
    except (OSError, KeyError, tarfile.TarError, zipfile.BadZipFile, EOFError) as exc:
        raise ArchiveError(f"cannot read {item.locator}: {exc}", field="path") from exc
    if len(data) > max_bytes:
        raise ArchiveError("larger than the size cap", field="size_bytes", value=len(data))
    if hashlib.sha256(data).hexdigest() != item.sha256:
        raise ArchiveError(
            "the file changed since the job listed it (hash differs)", field="sha256"
        )
    return data
