"""Self-contained proof documents: what ``audit prove`` writes and ``audit check-proof`` reads.

An inclusion proof document is JSON::

    {
      "format": "nucsec-audit-inclusion/v1",
      "event": 42,                       # the leaf index (sequence number)
      "event_body": "{\\"action\\":...}",   # the canonical event, exactly as hashed
      "tree_size": 1000,
      "inclusion_path": ["base64", ...], # RFC 9162 audit path, bottom-up
      "checkpoint": "origin\\n1000\\n...\\n\\n— origin sig\\n"
    }

It is checked offline with only the node's public key (:func:`check_inclusion`): the
checkpoint signature, then the path from the event's leaf hash to the signed root.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from nucsec.audit.checkpoint import Checkpoint, open_checkpoint
from nucsec.audit.events import AuditEvent, decode_event
from nucsec.audit.merkle import leaf_hash, verify_inclusion
from nucsec.errors import FileFormatError, IntegrityError

__all__ = [
    "INCLUSION_FORMAT",
    "CheckedInclusion",
    "check_inclusion",
    "inclusion_document",
    "parse_inclusion_document",
]

INCLUSION_FORMAT = "nucsec-audit-inclusion/v1"
_MAX_PATH = 64


def inclusion_document(seq: int, body: bytes, path: Sequence[bytes], note: str) -> dict[str, Any]:
    """Assemble the JSON document for event ``seq`` proven against checkpoint ``note``."""
    size = Checkpoint.parse_body(note[: note.rfind("\n\n") + 1]).tree_size
    return {
        "format": INCLUSION_FORMAT,
        "event": seq,
        "event_body": body.decode("utf-8"),
        "tree_size": size,
        "inclusion_path": [base64.b64encode(h).decode() for h in path],
        "checkpoint": note,
    }


@dataclass(frozen=True)
class _Document:
    event: int
    body: bytes
    tree_size: int
    path: list[bytes]
    note: str


def parse_inclusion_document(text: str | bytes) -> _Document:
    """Parse and type-check a proof document (a :class:`FileFormatError` if malformed)."""
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise FileFormatError(f"proof file is not JSON: {exc}", field="proof") from exc
    if not isinstance(data, dict) or data.get("format") != INCLUSION_FORMAT:
        raise FileFormatError(f"not a {INCLUSION_FORMAT} document", field="format")
    event, size, body = data.get("event"), data.get("tree_size"), data.get("event_body")
    path, note = data.get("inclusion_path"), data.get("checkpoint")
    if not (isinstance(event, int) and isinstance(size, int) and 0 <= event < size):
        raise FileFormatError(
            "event and tree_size must be integers, event < tree_size", field="event"
        )
    if not (isinstance(body, str) and isinstance(note, str) and isinstance(path, list)):
        raise FileFormatError(
            "event_body, checkpoint and inclusion_path are required", field="proof"
        )
    if len(path) > _MAX_PATH or not all(isinstance(p, str) for p in path):
        raise FileFormatError("inclusion_path must be a list of base64 hashes", field="path")
    try:
        hashes = [base64.b64decode(p, validate=True) for p in path]
    except (binascii.Error, ValueError) as exc:
        raise FileFormatError("inclusion_path holds invalid base64", field="path") from exc
    return _Document(event, body.encode("utf-8"), size, hashes, note)


@dataclass(frozen=True)
class CheckedInclusion:
    """A verified inclusion: the event, where it is, and the checkpoint that covers it."""

    seq: int
    event: AuditEvent
    checkpoint: Checkpoint

    def to_dict(self) -> dict[str, Any]:
        return {
            "verified": True,
            "event": self.seq,
            "tree_size": self.checkpoint.tree_size,
            "origin": self.checkpoint.origin,
            "root_hash": base64.b64encode(self.checkpoint.root_hash).decode(),
            "checkpoint_time": self.checkpoint.time_text,
            "event_data": self.event.to_dict(),
        }


def check_inclusion(
    text: str | bytes, public_keys: Sequence[Ed25519PublicKey], origin: str | None = None
) -> CheckedInclusion:
    """Verify a proof document offline; raise :class:`IntegrityError` if it does not hold."""
    doc = parse_inclusion_document(text)
    checkpoint = open_checkpoint(doc.note, public_keys, origin)
    if checkpoint.tree_size != doc.tree_size:
        raise IntegrityError(
            f"proof claims tree size {doc.tree_size}, its checkpoint says {checkpoint.tree_size}",
            field="tree_size",
        )
    if not verify_inclusion(
        leaf_hash(doc.body), doc.event, checkpoint.tree_size, doc.path, checkpoint.root_hash
    ):
        raise IntegrityError(
            f"event {doc.event} is not proven in the checkpoint of size {checkpoint.tree_size}",
            field="event",
            value=doc.event,
        )
    return CheckedInclusion(doc.event, decode_event(doc.body), checkpoint)
