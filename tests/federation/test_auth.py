"""Signed requests (RFC 9421 profile): what is covered, the clock-skew window, pinned keys."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from requests.structures import CaseInsensitiveDict

from nucsec.errors import AuthenticationError
from nucsec.federation.auth import (
    SKEW_SECONDS,
    SignedAuth,
    nonce_expiry,
    request_nonce,
    signature_base,
    verify_request,
)
from nucsec.federation.jws import thumbprint

KEY = Ed25519PrivateKey.generate()
NOW = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC)


def signed(
    method: str = "GET",
    url: str = "http://127.0.0.1:8811/taxii2/api/collections/c1/objects/?limit=10&added_after=x",
    body: bytes | None = None,
    clock: Callable[[], dt.datetime] = lambda: NOW,
    key: Ed25519PrivateKey = KEY,
) -> requests.PreparedRequest:
    request = requests.Request(method, url, data=body).prepare()
    return SignedAuth(key, clock)(request)


def check(request: requests.PreparedRequest, **changes: Any) -> Any:
    path, _, query = request.path_url.partition("?")
    args: dict[str, Any] = {
        "method": request.method,
        "authority": "127.0.0.1:8811",
        "path": path,
        "query": query,
        "headers": CaseInsensitiveDict(request.headers),
        "body": request.body or b"",
        "now": NOW,
        "key_for": lambda kid: KEY.public_key() if kid == thumbprint(KEY.public_key()) else None,
    }
    args.update(changes)
    return verify_request(**args)


def test_a_signed_request_verifies_and_names_its_key_and_nonce() -> None:
    request = signed()
    verified = check(request)
    assert verified.keyid == thumbprint(KEY.public_key())
    assert verified.nonce == request_nonce(request.headers)
    assert nonce_expiry(verified) == NOW + dt.timedelta(seconds=2 * SKEW_SECONDS)


def test_the_signature_covers_method_authority_path_query_date_and_digest() -> None:
    request = signed("POST", "http://127.0.0.1:8811/taxii2/api/x-nucsec/receipts/", b'{"a":1}')
    assert request.headers["Signature-Input"].startswith(
        'nucsec=("@method" "@authority" "@path" "@query" "date" "content-digest");created='
    )
    assert request.headers["Content-Digest"].startswith("sha-256=:")
    check(request)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"method": "DELETE"}, "does not verify"),
        ({"authority": "127.0.0.1:9999"}, "does not verify"),
        ({"path": "/taxii2/api/collections/c2/objects/"}, "does not verify"),
        ({"query": "limit=1000"}, "does not verify"),
        ({"body": b"x"}, "Content-Digest"),
        ({"key_for": lambda kid: None}, "not pinned"),
        ({"key_for": lambda kid: Ed25519PrivateKey.generate().public_key()}, "does not verify"),
        ({"now": NOW + dt.timedelta(seconds=SKEW_SECONDS + 5)}, "clock skew"),
        ({"now": NOW - dt.timedelta(hours=2)}, "clock skew"),
    ],
    ids=[
        "method",
        "authority",
        "path",
        "query",
        "body",
        "unknown-key",
        "wrong-key",
        "late",
        "early",
    ],
)
def test_any_change_or_a_stale_clock_is_refused(change: dict[str, Any], reason: str) -> None:
    with pytest.raises(AuthenticationError) as info:
        check(signed(), **change)
    assert reason in info.value.message


def test_a_small_clock_skew_is_tolerated() -> None:
    check(signed(clock=lambda: NOW + dt.timedelta(seconds=60)))
    check(signed(clock=lambda: NOW - dt.timedelta(seconds=SKEW_SECONDS - 5)))


@pytest.mark.parametrize(
    "header",
    ["Signature-Input", "Signature", "Date", "Content-Digest"],
)
def test_missing_signature_headers_are_refused(header: str) -> None:
    request = signed()
    headers = CaseInsensitiveDict(request.headers)
    del headers[header]
    with pytest.raises(AuthenticationError):
        check(request, headers=headers)


@pytest.mark.parametrize(
    "value",
    [
        'nucsec=("@method");created=1;keyid="k";alg="ed25519";nonce="n"',
        'nucsec=("@method" "@authority" "@path" "@query" "date" "content-digest");keyid="k"',
        "garbage",
        'nucsec=("@method" "@authority" "@path" "@query" "date" "content-digest");created=1;'
        'keyid="k";alg="hmac-sha256";nonce="n"',
    ],
    ids=["too-few-components", "no-created", "garbage", "other-alg"],
)
def test_malformed_signature_input_is_refused(value: str) -> None:
    request = signed()
    headers = CaseInsensitiveDict(request.headers)
    headers["Signature-Input"] = value
    with pytest.raises(AuthenticationError):
        check(request, headers=headers)


def test_signature_base_follows_rfc9421_layout() -> None:
    values = {
        "@method": "GET",
        "@authority": "example.com",
        "@path": "/p",
        "@query": "?",
        "date": "Tue, 20 Apr 2021 02:07:55 GMT",
        "content-digest": "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:",
    }
    base = signature_base(values, '("@method");created=1').decode()
    assert base.splitlines()[0] == '"@method": GET'
    assert base.splitlines()[-1] == '"@signature-params": ("@method");created=1'
    assert not base.endswith("\n")
