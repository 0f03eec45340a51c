"""Checkpoints as C2SP signed notes: the Go reference vector, parsing, witness cosignatures."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from hypothesis import given, settings
from hypothesis import strategies as st

from nucsec.audit.checkpoint import (
    Checkpoint,
    CheckpointError,
    SignedNote,
    cosign,
    open_checkpoint,
    sign_checkpoint,
    verify_cosignature,
)
from nucsec.audit.keys import key_id
from nucsec.audit.merkle import leaf_hash
from nucsec.errors import IntegrityError
from tests.audit.helpers import ORIGIN, load_vectors

GO = load_vectors("signed_note_vectors.json")


def _go_keys() -> tuple[Ed25519PrivateKey, Ed25519PublicKey]:
    seed = base64.b64decode(GO["signer_key"].split("+", 4)[4])  # PRIVATE+KEY+name+id+key
    raw = base64.b64decode(GO["verifier_key"].split("+", 2)[2])  # name+id+key
    assert seed[0] == 1 and raw[0] == 1  # algorithm byte: Ed25519
    return Ed25519PrivateKey.from_private_bytes(seed[1:]), Ed25519PublicKey.from_public_bytes(
        raw[1:]
    )


def test_key_id_matches_the_go_reference() -> None:
    _, public = _go_keys()
    assert key_id(GO["name"], public).hex() == GO["key_id_hex"]


def test_signing_reproduces_the_go_reference_note_byte_for_byte() -> None:
    private, public = _go_keys()
    sig = private.sign(GO["text"].encode())
    from nucsec.audit.checkpoint import NoteSignature

    note = SignedNote(GO["text"], (NoteSignature(GO["name"], key_id(GO["name"], public), sig),))
    assert note.render() == GO["signed_note"]
    parsed = SignedNote.parse(GO["signed_note"] + GO["other_signature_line"])
    assert parsed.text == GO["text"]
    assert [s.name for s in parsed.signatures] == ["PeterNeumann", "EnochRoot"]
    assert parsed.signatures[1].key_id.hex() == GO["other_verifier_key"].split("+")[1]


@pytest.mark.parametrize(
    "note",
    [
        GO["text"],
        GO["text"] + "\n",
        GO["signed_note"][:-1],
        "\x01" + GO["signed_note"],
        GO["text"]
        + "\n— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvq"
        "fqdngotpRZb6KE6RyyBwJnAM=\n",
        GO["signed_note"] + "Unexpected line.\n",
        GO["signed_note"] + GO["signed_note"].split("\n\n")[1] * 100,
    ],
    ids=[
        "no-signatures",
        "blank-line-only",
        "no-final-newline",
        "control-char",
        "space-in-name",
        "trailing-text",
        "too-many-signatures",
    ],
)
def test_malformed_notes_are_refused(note: str) -> None:
    with pytest.raises(CheckpointError):
        SignedNote.parse(note)


@pytest.fixture
def node_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def _cp(size: int = 1000) -> Checkpoint:
    return Checkpoint(ORIGIN, size, leaf_hash(b"root"), datetime(2024, 5, 1, 12, tzinfo=UTC))


def test_checkpoint_text_is_the_c2sp_layout(node_key: Ed25519PrivateKey) -> None:
    note = sign_checkpoint(_cp(), node_key)
    lines = note.split("\n")
    assert lines[:4] == [
        ORIGIN,
        "1000",
        base64.b64encode(leaf_hash(b"root")).decode(),
        "time 2024-05-01T12:00:00Z",
    ]
    assert lines[4] == ""
    assert lines[5].startswith(f"\u2014 {ORIGIN} ")
    blob = base64.b64decode(lines[5].split(" ")[2])
    assert blob[:4] == key_id(ORIGIN, node_key.public_key()) and len(blob) == 4 + 64
    assert open_checkpoint(note, [node_key.public_key()], ORIGIN) == _cp()


@settings(max_examples=50, deadline=None)
@given(
    origin=st.from_regex(r"[a-z0-9.]{1,20}/[a-z0-9]{1,10}", fullmatch=True),
    size=st.integers(0, 2**63 - 1),
    root=st.binary(min_size=32, max_size=32),
    when=st.datetimes(min_value=datetime(2000, 1, 1), timezones=st.just(UTC)),
)
def test_checkpoint_body_round_trips(origin: str, size: int, root: bytes, when: datetime) -> None:
    cp = Checkpoint(origin, size, root, when.replace(microsecond=0))
    assert Checkpoint.parse_body(cp.body()) == cp


def test_wrong_key_or_altered_note_is_rejected(node_key: Ed25519PrivateKey) -> None:
    note = sign_checkpoint(_cp(), node_key)
    other = Ed25519PrivateKey.generate().public_key()
    with pytest.raises(CheckpointError, match="no signature by a known node key"):
        open_checkpoint(note, [other])
    with pytest.raises(CheckpointError, match="invalid signature"):
        open_checkpoint(note.replace("\n1000\n", "\n1001\n"), [node_key.public_key()])
    with pytest.raises(CheckpointError, match="origin"):
        open_checkpoint(note, [node_key.public_key()], origin="nucsec.other/audit")
    # a retired key next to the current one is fine: the matching one verifies
    assert open_checkpoint(note, [other, node_key.public_key()]).tree_size == 1000


@pytest.mark.parametrize(
    "body",
    [
        f"{ORIGIN}\n01\n{base64.b64encode(bytes(32)).decode()}\ntime 2024-05-01T12:00:00Z\n",
        f"{ORIGIN}\n1\nnot base64!\ntime 2024-05-01T12:00:00Z\n",
        f"{ORIGIN}\n1\n{base64.b64encode(bytes(31)).decode()}\ntime 2024-05-01T12:00:00Z\n",
        f"{ORIGIN}\n1\n{base64.b64encode(bytes(32)).decode()}\n",
        f"{ORIGIN}\n1\n{base64.b64encode(bytes(32)).decode()}\ntime 2024-13-01T12:00:00Z\n",
        f"a b\n1\n{base64.b64encode(bytes(32)).decode()}\ntime 2024-05-01T12:00:00Z\n",
    ],
    ids=["leading-zero", "bad-base64", "short-root", "no-time", "bad-month", "space-in-origin"],
)
def test_malformed_checkpoint_bodies_are_refused(body: str) -> None:
    with pytest.raises(CheckpointError) as exc:
        Checkpoint.parse_body(body)
    assert isinstance(exc.value, IntegrityError)


def test_partner_cosignature_keeps_body_and_node_signature(node_key: Ed25519PrivateKey) -> None:
    note = sign_checkpoint(_cp(), node_key)
    witness = Ed25519PrivateKey.generate()
    cosigned = cosign(note, witness, "nucsec.jpn/witness", timestamp=1_714_564_800)
    assert cosigned.startswith(note)  # body and node signature unchanged, one line added
    assert cosigned.count("\n\u2014 ") == 2
    assert open_checkpoint(cosigned, [node_key.public_key()], ORIGIN) == _cp()
    assert verify_cosignature(cosigned, "nucsec.jpn/witness", witness.public_key()) == 1_714_564_800
    blob = base64.b64decode(cosigned.rstrip("\n").split("\n")[-1].split(" ")[2])
    assert len(blob) == 4 + 8 + 64  # key id, big-endian timestamp, Ed25519 signature
    with pytest.raises(CheckpointError):
        verify_cosignature(note, "nucsec.jpn/witness", witness.public_key())
    forged = cosigned.replace("\n1000\n", "\n1001\n")
    with pytest.raises(CheckpointError):
        verify_cosignature(forged, "nucsec.jpn/witness", witness.public_key())
