"""Content-addressed blob store: files under ``$NUCSEC_HOME/files/<sha256[:2]>/<sha256>``.

A blob is named by the SHA-256 of its bytes, so equal files are stored once and a stored
file can be checked against its name on every read. Writes are atomic (a temporary file
in the same directory, flushed and ``fsync``-ed, then renamed over the final name), so a
reader never sees half a file. The store knows nothing of labels: a blob is reachable only
through the labelled record it is attached to (:mod:`nucsec.service.attachments`).

>>> import tempfile
>>> store = BlobStore(Path(tempfile.mkdtemp()), max_bytes=1024)
>>> info = store.put(b"hello")
>>> info.sha256[:12], info.size_bytes, info.created
('2cf24dba5fb0', 5, True)
>>> store.get(info.sha256)
b'hello'
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from nucsec.errors import InputError, IntegrityError, NotFoundError

__all__ = ["BlobInfo", "BlobStore", "BlobTooLargeError", "is_sha256"]

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class BlobTooLargeError(InputError):
    """A file larger than the node's ``max_upload_bytes``."""

    code = "too_large"


def is_sha256(text: object) -> bool:
    """True for 64 lowercase hexadecimal digits."""
    return isinstance(text, str) and bool(_SHA256.match(text))


@dataclass(frozen=True)
class BlobInfo:
    """A stored blob: its name, its size and whether this call created it."""

    sha256: str
    size_bytes: int
    created: bool


class BlobStore:
    """Blobs under ``root`` (usually ``$NUCSEC_HOME/files``), at most ``max_bytes`` each."""

    def __init__(self, root: Path, *, max_bytes: int) -> None:
        self.root = Path(root)
        self.max_bytes = max_bytes

    def path(self, sha256: str) -> Path:
        """Where the blob named ``sha256`` lives (whether or not it exists)."""
        if not is_sha256(sha256):
            raise NotFoundError("no such file", field="sha256")
        return self.root / sha256[:2] / sha256

    def check_size(self, size_bytes: int) -> None:
        """Refuse sizes above the limit (BlobTooLargeError) before anything is written."""
        if size_bytes > self.max_bytes:
            raise BlobTooLargeError(
                f"file of {size_bytes} bytes is larger than the limit of {self.max_bytes}",
                field="file",
                value=size_bytes,
            )

    def put(self, data: bytes) -> BlobInfo:
        """Store ``data`` (atomically; a no-op when the same content is already there)."""
        self.check_size(len(data))
        sha = hashlib.sha256(data).hexdigest()
        target = self.path(sha)
        if target.exists():
            return BlobInfo(sha, len(data), created=False)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".part-", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return BlobInfo(sha, len(data), created=True)

    def get(self, sha256: str) -> bytes:
        """The bytes of a blob; NotFoundError if absent, IntegrityError if corrupted."""
        target = self.path(sha256)
        try:
            data = target.read_bytes()
        except FileNotFoundError:
            raise NotFoundError("no such file", field="sha256") from None
        if hashlib.sha256(data).hexdigest() != sha256:
            raise IntegrityError(
                "a stored file does not match its SHA-256 (corrupted on disk)", field="sha256"
            )
        return data

    def exists(self, sha256: str) -> bool:
        return is_sha256(sha256) and self.path(sha256).exists()

    def discard(self, info: BlobInfo) -> None:
        """Undo a :meth:`put` that created its blob (when what referenced it failed)."""
        if info.created:
            self.path(info.sha256).unlink(missing_ok=True)
