"""Detached JWS over RFC 8785 canonical JSON, checked against RFC 8037 and ``rfc8785``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import example, given
from hypothesis import strategies as st

from nucsec.federation.jws import (
    JWSError,
    b64url,
    b64url_decode,
    canonical_json,
    loads,
    sign_detached,
    thumbprint,
    verify_detached,
)

VECTORS = json.loads(
    (Path(__file__).parents[1] / "data" / "federation" / "rfc8037_vectors.json").read_text()
)
KEY = Ed25519PrivateKey.from_private_bytes(b64url_decode(VECTORS["private_key_d"]))


def test_thumbprint_is_rfc8037_appendix_a3() -> None:
    assert thumbprint(KEY.public_key()) == VECTORS["jwk_thumbprint_sha256"]


def test_ed25519_signing_is_rfc8037_appendix_a4() -> None:
    header = b64url(VECTORS["protected_header"].encode())
    payload = b64url(VECTORS["payload"].encode())
    signature = KEY.sign(f"{header}.{payload}".encode())
    assert f"{header}.{payload}.{b64url(signature)}" == VECTORS["jws_compact"]


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**60), max_value=2**60)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


def _encodable(value: Any) -> bool:
    try:
        rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, UnicodeEncodeError):
        return False
    return True


@given(json_values)
def test_canonical_json_is_rfc8785(value: Any) -> None:
    if not _encodable(value):
        with pytest.raises(JWSError):
            canonical_json(value)
        return
    assert canonical_json(value) == rfc8785.dumps(value)


@given(json_values)
@example({"\ue000": None, "\U00010000": None})  # UTF-16 order differs from code points
def test_parsed_json_recanonicalises_like_rfc8785(value: Any) -> None:
    if not _encodable(value):
        return
    text = json.dumps(value, ensure_ascii=False)
    parsed = loads(text)
    assert canonical_json(parsed.value, exotic=parsed.exotic) == rfc8785.dumps(json.loads(text))


def test_detached_signature_round_trip_and_claims() -> None:
    key = Ed25519PrivateKey.generate()
    payload = canonical_json({"type": "bundle", "objects": [{"a": 1}]})
    token = sign_detached(payload, key, {"nonce": "n1", "aud": "x"})
    header_b64, empty, _ = token.split(".")
    assert empty == ""  # detached: no payload in the token
    header = json.loads(b64url_decode(header_b64))
    assert header["b64"] is False and header["crit"] == ["b64"] and header["alg"] == "EdDSA"
    claims = verify_detached(token, payload, key.public_key())
    assert (claims["nonce"], claims["aud"]) == ("n1", "x")


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda t, p: (t, p.replace(b"T", b"U")), id="payload-changed"),
        pytest.param(
            lambda t, p: (t[:-3] + ("A" if t[-3] != "A" else "B") + t[-2:], p),
            id="signature-changed",
        ),
        pytest.param(lambda t, p: (t.replace("..", ".e30."), p), id="attached-payload"),
        pytest.param(lambda t, p: ("", p), id="empty"),
        pytest.param(
            lambda t, p: (b64url(b'{"alg":"none"}') + ".." + t.split("..")[1], p), id="alg-none"
        ),
        pytest.param(
            lambda t, p: (b64url(b'{"alg":"EdDSA","kid":"x"}') + ".." + t.split("..")[1], p),
            id="encoded-payload-header",
        ),
    ],
)
def test_tampering_is_detected(tamper: Any) -> None:
    key = Ed25519PrivateKey.generate()
    payload = canonical_json({"objects": [{"title": "T"}]})
    token, changed = tamper(sign_detached(payload, key), payload)
    with pytest.raises(JWSError):
        verify_detached(token, changed, key.public_key())


def test_a_signature_by_another_key_names_the_key_mismatch() -> None:
    payload = b"{}"
    token = sign_detached(payload, Ed25519PrivateKey.generate())
    with pytest.raises(JWSError) as info:
        verify_detached(token, payload, KEY.public_key())
    assert info.value.field == "kid"
