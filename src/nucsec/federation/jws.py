"""Detached JWS (Ed25519) over RFC 8785 canonical JSON, and RFC 7638 key thumbprints.

A bundle or receipt is signed as a *detached* JSON Web Signature (RFC 7515 appendix F)
with the unencoded-payload option (RFC 7797): the compact form is
``BASE64URL(header) + ".." + BASE64URL(signature)`` and the signing input is
``BASE64URL(header) + "." + payload``, where the payload is the RFC 8785 (JCS) canonical
JSON of the signed object. The protected header is::

    {"alg": "EdDSA", "b64": false, "crit": ["b64"], "kid": <RFC 7638 thumbprint>, ...}

plus whatever the caller binds into the signature (``nonce``, ``aud``, ``iat``).

:func:`canonical_json` writes RFC 8785 through the standard library's C encoder, which for
the value domain of our objects (strings, integers within ±(2**53-1), booleans, null,
arrays, objects with ASCII-only keys, no floats) gives exactly the JCS bytes; values
outside that domain go through the ``rfc8785`` package. :func:`loads` parses JSON and
remembers whether such values occurred, so a received object is re-canonicalised the
same way (a property test holds the fast path equal to ``rfc8785``).

Example
-------
>>> from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
>>> key = Ed25519PrivateKey.generate()
>>> payload = canonical_json({"b": 1, "a": [True, None]})
>>> payload
b'{"a":[true,null],"b":1}'
>>> token = sign_detached(payload, key, {"nonce": "n-1"})
>>> verify_detached(token, payload, key.public_key())["nonce"]
'n-1'
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from nucsec.audit.keys import raw_public_key
from nucsec.errors import IntegrityError

__all__ = [
    "JWSError",
    "Parsed",
    "b64url",
    "b64url_decode",
    "canonical_json",
    "loads",
    "sign_detached",
    "thumbprint",
    "verify_detached",
]

_INT_LIMIT = 2**53 - 1
_MAX_HEADER = 4096


class JWSError(IntegrityError):
    """A signature that is malformed or does not verify with the pinned key."""

    code = "bad_signature"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    if not isinstance(text, str) or not text.isascii():
        raise JWSError("not base64url text", field="jws")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise JWSError(f"not base64url: {exc}", field="jws") from exc


def thumbprint(key: Ed25519PublicKey) -> str:
    """RFC 7638 JWK thumbprint (SHA-256, base64url) of an Ed25519 public key (RFC 8037)."""
    jwk = f'{{"crv":"Ed25519","kty":"OKP","x":"{b64url(raw_public_key(key))}"}}'
    return b64url(hashlib.sha256(jwk.encode()).digest())


# -- canonical JSON -----------------------------------------------------------------------


class Parsed:
    """JSON parsed by :func:`loads`, with a flag for values outside the fast path."""

    __slots__ = ("exotic", "value")

    def __init__(self, value: Any, exotic: bool) -> None:
        self.value = value
        self.exotic = exotic


def loads(data: bytes | str) -> Parsed:
    """Parse JSON; ``exotic`` is True on a float, a too-large integer or a non-ASCII key."""
    exotic = False

    def on_float(text: str) -> float:
        nonlocal exotic
        exotic = True
        return float(text)

    def on_int(text: str) -> int:
        nonlocal exotic
        value = int(text)
        if not -_INT_LIMIT <= value <= _INT_LIMIT:
            exotic = True
        return value

    def on_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        # RFC 8785 sorts keys by UTF-16 code units; json.dumps by code points. The two
        # orders agree on ASCII keys only, so any other key takes the slow path.
        nonlocal exotic
        if not exotic and not all(key.isascii() for key, _ in pairs):
            exotic = True
        return dict(pairs)

    value = json.loads(data, parse_float=on_float, parse_int=on_int, object_pairs_hook=on_object)
    return Parsed(value, exotic)


def _fast(value: Any) -> bytes:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return text.encode("utf-8")


def canonical_json(value: Any, *, exotic: bool | None = None) -> bytes:
    """RFC 8785 canonical UTF-8 bytes of a JSON value.

    ``exotic=False`` promises no floats and no integers beyond ±(2**53-1) (objects we
    built, or parsed with :func:`loads`); ``None`` checks. Lone surrogates are refused.
    """
    if exotic is None:
        exotic = _has_exotic(value)
    try:
        if exotic:
            return bytes(rfc8785.dumps(value))
        return _fast(value)
    except (UnicodeEncodeError, rfc8785.CanonicalizationError) as exc:
        raise JWSError(f"value cannot be canonicalised: {exc}", field="payload") from exc


def _has_exotic(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, bool) or item is None or isinstance(item, str):
            continue
        if isinstance(item, int):
            if not -_INT_LIMIT <= item <= _INT_LIMIT:
                return True
        elif isinstance(item, float):
            return True
        elif isinstance(item, dict):
            if not all(isinstance(k, str) and k.isascii() for k in item):
                return True
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return False


# -- detached JWS -------------------------------------------------------------------------


def sign_detached(
    payload: bytes, key: Ed25519PrivateKey, claims: dict[str, Any] | None = None
) -> str:
    """Compact detached JWS (``header..signature``) over ``payload`` (RFC 7797, b64=false)."""
    header = {
        "alg": "EdDSA",
        "b64": False,
        "crit": ["b64"],
        "kid": thumbprint(key.public_key()),
        **(claims or {}),
    }
    encoded = b64url(canonical_json(header))
    signature = key.sign(encoded.encode("ascii") + b"." + payload)
    return f"{encoded}..{b64url(signature)}"


def verify_detached(token: str, payload: bytes, key: Ed25519PublicKey) -> dict[str, Any]:
    """Verify a detached JWS against the pinned ``key``; return its protected header.

    Raises :class:`JWSError` naming what is wrong (form, algorithm, key id, signature).
    """
    if not isinstance(token, str) or len(token) > _MAX_HEADER + 200:
        raise JWSError("signature missing or too long", field="jws")
    parts = token.split(".")
    if len(parts) != 3 or parts[1] != "":
        raise JWSError("not a detached compact JWS (header..signature)", field="jws")
    try:
        header = json.loads(b64url_decode(parts[0]))
    except (ValueError, UnicodeDecodeError) as exc:
        raise JWSError("JWS header is not JSON", field="jws") from exc
    if not isinstance(header, dict):
        raise JWSError("JWS header is not an object", field="jws")
    if header.get("alg") != "EdDSA":
        raise JWSError(f"JWS algorithm {header.get('alg')!r} is not EdDSA", field="alg")
    if header.get("b64") is not False or header.get("crit") != ["b64"]:
        raise JWSError("JWS must use the unencoded payload (b64=false, crit)", field="b64")
    expected = thumbprint(key)
    if header.get("kid") != expected:
        raise JWSError(
            "JWS was made with another key than the partner's pinned key",
            field="kid",
            value=str(header.get("kid"))[:64],
        )
    signature = b64url_decode(parts[2])
    try:
        key.verify(signature, parts[0].encode("ascii") + b"." + payload)
    except InvalidSignature:
        raise JWSError("signature does not verify with the pinned key", field="jws") from None
    return header
