"""Signed checkpoints: the C2SP tlog-checkpoint body inside a C2SP signed note (pure).

A checkpoint is the note text::

    nucsec.usa.example/audit                  <- origin (also the signing key's name)
    1000                                      <- tree size
    3q2+7w...base64 root hash...=             <- RFC 9162 root of the first 1000 events
    time 2024-05-01T12:00:00Z                 <- extension line: when it was signed (UTC)

followed by a blank line and one or more signature lines
``— <key name> base64(key id[4] || signature)``. The node signs with Ed25519 (signed-note
type 0x01, key id from :func:`nucsec.audit.keys.key_id`). A partner node countersigns the
*same* text as a witness with a C2SP ``cosignature/v1`` line (type 0x04, timestamped):
:func:`cosign` only appends a line, so the body and the node's signature never change.

References: https://c2sp.org/signed-note, https://c2sp.org/tlog-checkpoint,
https://c2sp.org/tlog-cosignature.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from nucsec.audit.keys import key_id, raw_public_key
from nucsec.errors import IntegrityError

__all__ = [
    "Checkpoint",
    "CheckpointError",
    "NoteSignature",
    "SignedNote",
    "cosign",
    "cosignature_key_id",
    "open_checkpoint",
    "sign_checkpoint",
    "verify_cosignature",
]

_DASH = "\u2014 "
_MAX_SIGNATURES = 100
_NAME = re.compile(r"[^\s+]+")
_SIZE = re.compile(r"0|[1-9][0-9]{0,18}")
_TIME = re.compile(r"time (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")
_COSIGN_HEADER = "cosignature/v1\n"


class CheckpointError(IntegrityError):
    """A checkpoint or signed note that is malformed or whose signature does not verify."""

    code = "bad_checkpoint"


def _b64decode(text: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise CheckpointError(f"{what} is not base64", field=what) from exc
    if base64.b64encode(raw).decode() != text:
        raise CheckpointError(f"{what} is not canonical base64", field=what)
    return raw


def _check_name(name: str) -> None:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise CheckpointError(
            f"key name / origin {name!r} must be non-empty, without spaces or '+'",
            field="origin",
            value=str(name),
        )


@dataclass(frozen=True)
class Checkpoint:
    """The signed statement "the first ``tree_size`` events hash to ``root_hash``"."""

    origin: str
    tree_size: int
    root_hash: bytes
    time: datetime

    def __post_init__(self) -> None:
        _check_name(self.origin)
        if not isinstance(self.tree_size, int) or not 0 <= self.tree_size < 2**63:
            raise CheckpointError("tree size out of range", field="tree_size")
        if not isinstance(self.root_hash, bytes) or len(self.root_hash) != 32:
            raise CheckpointError("root hash must be 32 bytes", field="root_hash")
        if self.time.tzinfo is None:
            raise CheckpointError("checkpoint time must be timezone-aware", field="time")

    @property
    def time_text(self) -> str:
        return self.time.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def body(self) -> str:
        """The note text that is signed (ends with a newline)."""
        root = base64.b64encode(self.root_hash).decode()
        return f"{self.origin}\n{self.tree_size}\n{root}\ntime {self.time_text}\n"

    @classmethod
    def parse_body(cls, text: str) -> Checkpoint:
        """Strict parse of a checkpoint note text (other extension lines are ignored)."""
        if not text.endswith("\n"):
            raise CheckpointError("checkpoint text must end with a newline", field="body")
        lines = text[:-1].split("\n")
        if len(lines) < 3 or any(not line for line in lines):
            raise CheckpointError("checkpoint needs origin, size and root lines", field="body")
        origin, size, root = lines[:3]
        if not _SIZE.fullmatch(size):
            raise CheckpointError(f"bad tree size line {size!r}", field="tree_size")
        root_hash = _b64decode(root, "root_hash")
        times = [m.group(1) for m in map(_TIME.fullmatch, lines[3:]) if m]
        if len(times) != 1:
            raise CheckpointError("checkpoint needs exactly one 'time' line", field="time")
        try:
            when = datetime.strptime(times[0], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        except ValueError as exc:
            raise CheckpointError(f"bad time line {times[0]!r}", field="time") from exc
        return cls(origin, int(size), root_hash, when)


@dataclass(frozen=True)
class NoteSignature:
    """One signature line: key name, 4-byte key id, signature bytes."""

    name: str
    key_id: bytes
    signature: bytes

    def line(self) -> str:
        blob = base64.b64encode(self.key_id + self.signature).decode()
        return f"{_DASH}{self.name} {blob}\n"


@dataclass(frozen=True)
class SignedNote:
    """A C2SP signed note: text (ending in a newline) and its signature lines."""

    text: str
    signatures: tuple[NoteSignature, ...]

    def render(self) -> str:
        return self.text + "\n" + "".join(s.line() for s in self.signatures)

    @classmethod
    def parse(cls, note: str) -> SignedNote:
        """Parse a note (strict: UTF-8 text, no control characters but newline)."""
        if not isinstance(note, str) or any(c < " " and c != "\n" for c in note):
            raise CheckpointError("note contains control characters", field="note")
        if not note.endswith("\n"):
            raise CheckpointError("note must end with a newline", field="note")
        split = note.rfind("\n\n")
        if split < 0:
            raise CheckpointError("note has no signature block", field="note")
        text, block = note[: split + 1], note[split + 2 :]
        sigs = []
        for line in block[:-1].split("\n"):
            if not line.startswith(_DASH):
                raise CheckpointError(f"bad signature line {line[:40]!r}", field="note")
            name, _, blob = line[len(_DASH) :].partition(" ")
            _check_name(name)
            raw = _b64decode(blob, "signature")
            if len(raw) < 5:
                raise CheckpointError("signature too short", field="signature")
            sigs.append(NoteSignature(name, raw[:4], raw[4:]))
        if not 1 <= len(sigs) <= _MAX_SIGNATURES:
            raise CheckpointError("a note carries 1 to 100 signatures", field="note")
        return cls(text, tuple(sigs))


def sign_checkpoint(checkpoint: Checkpoint, key: Ed25519PrivateKey) -> str:
    """Sign ``checkpoint`` with the node key; the key name is the origin."""
    text = checkpoint.body()
    kid = key_id(checkpoint.origin, key.public_key())
    sig = NoteSignature(checkpoint.origin, kid, key.sign(text.encode()))
    return SignedNote(text, (sig,)).render()


def _verify_ed25519(public_key: Ed25519PublicKey, signature: bytes, message: bytes) -> bool:
    try:
        public_key.verify(signature, message)
    except InvalidSignature:
        return False
    return True


def open_checkpoint(
    note: str,
    public_keys: Sequence[Ed25519PublicKey],
    origin: str | None = None,
) -> Checkpoint:
    """Verify the node signature on a checkpoint note and return the checkpoint.

    The note must carry at least one valid signature by one of ``public_keys`` under the
    name of its origin; a matching signature that fails rejects the note (signed-note
    rules). Other signature lines (witness cosignatures) are ignored here.
    """
    parsed = SignedNote.parse(note)
    checkpoint = Checkpoint.parse_body(parsed.text)
    if origin is not None and checkpoint.origin != origin:
        raise CheckpointError(
            f"checkpoint origin {checkpoint.origin!r} is not {origin!r}", field="origin"
        )
    known = {key_id(checkpoint.origin, k): k for k in public_keys}
    verified = 0
    for sig in parsed.signatures:
        key = known.get(sig.key_id) if sig.name == checkpoint.origin else None
        if key is None:
            continue
        if not _verify_ed25519(key, sig.signature, parsed.text.encode()):
            raise CheckpointError(
                f"invalid signature on checkpoint of size {checkpoint.tree_size}",
                field="signature",
                value=checkpoint.tree_size,
            )
        verified += 1
    if not verified:
        raise CheckpointError(
            f"checkpoint of size {checkpoint.tree_size} has no signature by a known node key",
            field="signature",
            value=checkpoint.tree_size,
        )
    return checkpoint


def cosignature_key_id(name: str, key: Ed25519PublicKey) -> bytes:
    """Key id of a cosigner: SHA-256(name || "\\n" || 0x04 || raw key)[:4]."""
    return hashlib.sha256(name.encode() + b"\n\x04" + raw_public_key(key)).digest()[:4]


def _cosigned_message(text: str, timestamp: int) -> bytes:
    return f"{_COSIGN_HEADER}time {timestamp}\n{text}".encode()


def cosign(note: str, key: Ed25519PrivateKey, name: str, timestamp: int) -> str:
    """Add a witness cosignature (C2SP cosignature/v1) to a checkpoint note.

    ``timestamp`` is POSIX seconds, passed in (no clock here). The note text and the
    signatures already present are kept byte for byte.
    """
    _check_name(name)
    if not 0 <= timestamp < 2**63:
        raise CheckpointError("cosignature timestamp out of range", field="timestamp")
    parsed = SignedNote.parse(note)
    Checkpoint.parse_body(parsed.text)
    sig = key.sign(_cosigned_message(parsed.text, timestamp))
    line = NoteSignature(
        name, cosignature_key_id(name, key.public_key()), struct.pack(">Q", timestamp) + sig
    )
    return SignedNote(parsed.text, (*parsed.signatures, line)).render()


def verify_cosignature(note: str, name: str, key: Ed25519PublicKey) -> int:
    """Check the cosignature of witness ``name`` on ``note``; return its timestamp."""
    parsed = SignedNote.parse(note)
    kid = cosignature_key_id(name, key)
    for sig in parsed.signatures:
        if sig.name != name or sig.key_id != kid:
            continue
        if len(sig.signature) != 8 + 64:
            raise CheckpointError("cosignature has the wrong length", field="signature")
        (timestamp,) = struct.unpack(">Q", sig.signature[:8])
        if not _verify_ed25519(key, sig.signature[8:], _cosigned_message(parsed.text, timestamp)):
            raise CheckpointError(f"invalid cosignature by {name}", field="signature")
        return int(timestamp)
    raise CheckpointError(f"no cosignature by {name}", field="signature", value=name)
