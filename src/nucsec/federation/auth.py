"""Signed requests between nodes: HTTP Message Signatures (RFC 9421 profile), Ed25519.

Every request a node makes to a partner carries::

    Date: Tue, 01 May 2024 12:00:00 GMT
    Content-Digest: sha-256=:<base64 SHA-256 of the body (empty for GET)>:      (RFC 9530)
    Signature-Input: nucsec=("@method" "@authority" "@path" "@query" "date" "content-digest")
        ;created=1714564800;keyid="<RFC 7638 thumbprint>";alg="ed25519";nonce="<random>"
    Signature: nucsec=:<base64 Ed25519 signature of the signature base>:

The receiving node looks the ``keyid`` up among the keys pinned with ``nucsec peer add``
(unknown key: 401), rebuilds the signature base from the request as it arrived, checks the
digest of the body, that ``created`` and ``Date`` are within :data:`SKEW_SECONDS` of its
clock, and that the nonce was not seen before (the caller stores nonces until they expire:
:func:`nonce_expiry`). No shared secret is ever typed: the pinned public keys are the
credentials. Responses are not signed here; bundles and receipts carry their own JWS,
which echoes the request nonce (a replayed old response does not match).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import email.utils
import hashlib
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from nucsec.errors import AuthenticationError
from nucsec.federation.jws import thumbprint

__all__ = [
    "COMPONENTS",
    "SKEW_SECONDS",
    "SignedAuth",
    "SignedRequest",
    "content_digest",
    "nonce_expiry",
    "request_nonce",
    "signature_base",
    "verify_request",
]

LABEL = "nucsec"
COMPONENTS = ("@method", "@authority", "@path", "@query", "date", "content-digest")
SKEW_SECONDS = 300
_INPUT = re.compile(
    r'(?P<label>[a-z][a-z0-9_-]{0,31})=\((?P<comps>(?:"[a-z@-]+"(?: "[a-z@-]+")*)?)\)'
    r'(?P<params>(?:;[a-z]+=(?:"[A-Za-z0-9_.+/=:-]{0,128}"|[0-9]{1,12})){0,8})'
)
_PARAM = re.compile(r';([a-z]+)=(?:"([^"]*)"|([0-9]+))')
_SIG = re.compile(r"(?P<label>[a-z][a-z0-9_-]{0,31})=:(?P<sig>[A-Za-z0-9+/=]{1,200}):")


def content_digest(body: bytes) -> str:
    """RFC 9530 ``Content-Digest`` value (SHA-256)."""
    return "sha-256=:" + base64.b64encode(hashlib.sha256(body).digest()).decode() + ":"


def signature_base(values: Mapping[str, str], params: str) -> bytes:
    """RFC 9421 signature base: one line per covered component, then the parameters."""
    lines = [f'"{name}": {values[name]}' for name in COMPONENTS]
    lines.append(f'"@signature-params": {params}')
    return "\n".join(lines).encode()


def _params(created: int, keyid: str, nonce: str) -> str:
    comps = " ".join(f'"{c}"' for c in COMPONENTS)
    return f'({comps});created={created};keyid="{keyid}";alg="ed25519";nonce="{nonce}"'


def _split_target(path_url: str) -> tuple[str, str]:
    path, sep, query = path_url.partition("?")
    return path or "/", "?" + query if sep else "?"


class SignedAuth(requests.auth.AuthBase):
    """``requests`` authentication that signs each request with the node key.

    Pass it as ``auth=`` to ``requests`` or to ``taxii2client`` objects. ``clock`` is
    injectable (tests skew it).
    """

    def __init__(
        self, key: Ed25519PrivateKey, clock: Callable[[], dt.datetime] | None = None
    ) -> None:
        self.key = key
        self.keyid = thumbprint(key.public_key())
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        raw = r.body or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
        if not isinstance(raw, bytes):
            raise TypeError("signed requests need a body given as bytes or str")
        body: bytes = raw
        now = self.clock()
        created = int(now.timestamp())
        nonce = secrets.token_urlsafe(18)
        path, query = _split_target(r.path_url)
        values = {
            "@method": (r.method or "GET").upper(),
            "@authority": urlsplit(str(r.url)).netloc.lower(),
            "@path": path,
            "@query": query,
            "date": email.utils.format_datetime(now.astimezone(dt.UTC), usegmt=True),
            "content-digest": content_digest(body),
        }
        params = _params(created, self.keyid, nonce)
        signature = self.key.sign(signature_base(values, params))
        r.headers["Date"] = values["date"]
        r.headers["Content-Digest"] = values["content-digest"]
        r.headers["Signature-Input"] = f"{LABEL}={params}"
        r.headers["Signature"] = f"{LABEL}=:{base64.b64encode(signature).decode()}:"
        return r


def request_nonce(headers: Mapping[str, str]) -> str | None:
    """The nonce a signed request carried (what its response's JWS must echo)."""
    match = _INPUT.fullmatch(headers.get("Signature-Input", ""))
    if match is None:
        return None
    params = {m.group(1): m.group(2) for m in _PARAM.finditer(match.group("params"))}
    return params.get("nonce")


@dataclass(frozen=True)
class SignedRequest:
    """A request whose signature verified: who signed it, and its nonce."""

    keyid: str
    nonce: str
    created: dt.datetime


def _refuse(reason: str) -> AuthenticationError:
    return AuthenticationError(f"signed request refused: {reason}", field="signature")


def _parse_input(headers: Mapping[str, str]) -> tuple[str, dict[str, str]]:
    raw_input = headers.get("signature-input")
    if not raw_input:
        raise _refuse("no Signature-Input header (sign with the node key)")
    match = _INPUT.fullmatch(raw_input.strip())
    if match is None:
        raise _refuse("malformed Signature-Input")
    comps = tuple(c.strip('"') for c in match.group("comps").split(" ") if c)
    if comps != COMPONENTS:
        raise _refuse(f"the signature must cover {' '.join(COMPONENTS)}")
    params: dict[str, str] = {}
    for m in _PARAM.finditer(match.group("params")):
        if m.group(1) in params:
            raise _refuse(f"parameter {m.group(1)} given twice")
        params[m.group(1)] = m.group(2) if m.group(2) is not None else m.group(3)
    if params.get("alg") != "ed25519" or not {"created", "keyid", "nonce"} <= set(params):
        raise _refuse("signature parameters need created, keyid, nonce and alg=ed25519")
    return raw_input.strip()[len(match.group("label")) + 1 :], params


def _check_time(created: dt.datetime, date_header: str, now: dt.datetime) -> None:
    skew = abs((now - created).total_seconds())
    if skew > SKEW_SECONDS:
        raise _refuse(f"clock skew of {skew:.0f} s exceeds {SKEW_SECONDS} s")
    try:
        date = email.utils.parsedate_to_datetime(date_header)
    except (TypeError, ValueError):
        raise _refuse("missing or malformed Date header") from None
    if date.tzinfo is None or abs((now - date).total_seconds()) > SKEW_SECONDS:
        raise _refuse("Date header outside the clock-skew window")


def verify_request(
    *,
    method: str,
    authority: str,
    path: str,
    query: str,
    headers: Mapping[str, str],
    body: bytes,
    now: dt.datetime,
    key_for: Callable[[str], Ed25519PublicKey | None],
) -> SignedRequest:
    """Verify a signed request as it arrived; AuthenticationError naming the reason.

    ``headers`` must be case-insensitive (Starlette's are). ``path`` is the raw
    (percent-encoded) path and ``query`` the raw query string without ``?``.
    """
    params_text, params = _parse_input(headers)
    sig_match = _SIG.fullmatch(headers.get("signature", "").strip())
    if sig_match is None or sig_match.group("label") != LABEL:
        raise _refuse("missing or malformed Signature header")
    key = key_for(params["keyid"])
    if key is None:
        raise _refuse("the signing key is not pinned for any active peer")
    created = dt.datetime.fromtimestamp(int(params["created"]), dt.UTC)
    _check_time(created, headers.get("date", ""), now)
    digest = content_digest(body)
    if headers.get("content-digest") != digest:
        raise _refuse("Content-Digest does not match the body")
    values = {
        "@method": method.upper(),
        "@authority": authority.lower(),
        "@path": path or "/",
        "@query": "?" + query,
        "date": headers.get("date", ""),
        "content-digest": digest,
    }
    try:
        signature = base64.b64decode(sig_match.group("sig"), validate=True)
        key.verify(signature, signature_base(values, params_text))
    except (binascii.Error, ValueError, InvalidSignature):
        raise _refuse("signature does not verify with the pinned key") from None
    return SignedRequest(params["keyid"], params["nonce"], created)


def nonce_expiry(req: SignedRequest) -> dt.datetime:
    """Until when a nonce must be remembered: beyond it, ``created`` is out of window."""
    return req.created + dt.timedelta(seconds=2 * SKEW_SECONDS)
