"""Node signing keys (Ed25519): generated at ``nucsec init``, kept under ``$NUCSEC_HOME/keys``.

Keys never enter the database or the repository. The private key file is created with mode
0600. The key name and key id follow the C2SP signed-note convention so that checkpoints and
federation bundles name their signer the same way.
"""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from nucsec.errors import ConfigurationError, InputError

__all__ = [
    "PRIVATE_KEY_FILE",
    "PUBLIC_KEY_FILE",
    "generate_key",
    "key_id",
    "load_private_key",
    "load_public_key",
    "parse_public_key",
    "public_key_pem",
    "raw_public_key",
]

PRIVATE_KEY_FILE = "node_ed25519.pem"
PUBLIC_KEY_FILE = "node_ed25519.pub.pem"


def generate_key(key_dir: Path, *, overwrite: bool = False) -> Ed25519PrivateKey:
    """Create a new node key in ``key_dir`` (mode 0700 directory, 0600 private key file)."""
    key_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    private_path = key_dir / PRIVATE_KEY_FILE
    if private_path.exists() and not overwrite:
        raise ConfigurationError(f"a node key already exists at {private_path}")
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    tmp = private_path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    os.replace(tmp, private_path)
    (key_dir / PUBLIC_KEY_FILE).write_bytes(public_key_pem(key.public_key()))
    return key


def load_private_key(key_dir: Path) -> Ed25519PrivateKey:
    """Load the node's private key; a clear :class:`ConfigurationError` when it is missing
    or readable by anyone but its owner (fail closed: a signing key others may read)."""
    path = key_dir / PRIVATE_KEY_FILE
    if not path.exists():
        raise ConfigurationError(f"no node key at {path}: run `nucsec init` first")
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise ConfigurationError(
            f"{path} is readable by others (mode {mode:o}): `chmod 600 {path}` and check "
            "who may have copied it"
        )
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigurationError(f"{path} is not an Ed25519 private key")
    return key


def public_key_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def raw_public_key(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def parse_public_key(data: bytes) -> Ed25519PublicKey:
    """Parse a PEM (SubjectPublicKeyInfo) or base64 raw 32-byte Ed25519 public key."""
    text = data.strip()
    try:
        if text.startswith(b"-----BEGIN"):
            key = serialization.load_pem_public_key(text)
            if not isinstance(key, Ed25519PublicKey):
                raise InputError("not an Ed25519 public key", field="public_key")
            return key
        raw = base64.b64decode(text, validate=True)
        return Ed25519PublicKey.from_public_bytes(raw)
    except (ValueError, TypeError) as exc:
        raise InputError(f"cannot read public key: {exc}", field="public_key") from exc


def load_public_key(path: Path) -> Ed25519PublicKey:
    try:
        return parse_public_key(path.read_bytes())
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}", field="public_key") from exc


def key_id(name: str, key: Ed25519PublicKey) -> bytes:
    """C2SP signed-note key id: first 4 bytes of SHA-256(name || "\\n" || 0x01 || raw key)."""
    digest = hashlib.sha256(name.encode() + b"\n" + b"\x01" + raw_public_key(key)).digest()
    return digest[:4]
