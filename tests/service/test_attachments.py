"""The blob store (content-addressed, atomic, size-limited, checked on read) and the
attachment service (files readable only through a readable record that lists them)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nucsec.errors import AccessDenied, ConflictError, IntegrityError, NotFoundError
from nucsec.markings import parse_banner
from nucsec.node import Node
from nucsec.service import attachments as att
from nucsec.service import files
from nucsec.service.documents import DocumentInput, create_document, get_document, history
from nucsec.service.files import FileUpload
from nucsec.service.users import principal_of
from nucsec.store.blobs import BlobStore, BlobTooLargeError, is_sha256


def test_put_get_dedup_and_layout(tmp_path: Path) -> None:
    store = BlobStore(tmp_path, max_bytes=100)
    first = store.put(b"spectrum bytes")
    sha = hashlib.sha256(b"spectrum bytes").hexdigest()
    assert (first.sha256, first.size_bytes, first.created) == (sha, 14, True)
    assert (tmp_path / sha[:2] / sha).read_bytes() == b"spectrum bytes"
    assert store.put(b"spectrum bytes").created is False
    assert store.get(sha) == b"spectrum bytes"
    assert [p.name for p in (tmp_path / sha[:2]).iterdir()] == [sha]  # no temporary left


def test_refusals_are_typed(tmp_path: Path) -> None:
    store = BlobStore(tmp_path, max_bytes=10)
    with pytest.raises(BlobTooLargeError) as exc:
        store.put(b"x" * 11)
    assert exc.value.field == "file" and not list(tmp_path.iterdir())
    with pytest.raises(NotFoundError):
        store.get("0" * 64)
    with pytest.raises(NotFoundError):
        store.get("../../etc/passwd")
    info = store.put(b"abc")
    store.path(info.sha256).write_bytes(b"abd")  # bit rot
    with pytest.raises(IntegrityError):
        store.get(info.sha256)


@given(st.binary(max_size=2000))
def test_any_bytes_round_trip(data: bytes) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        store = BlobStore(Path(tmp), max_bytes=4096)
        info = store.put(data)
        assert is_sha256(info.sha256) and store.get(info.sha256) == data


@given(st.text(max_size=400))
def test_file_names_lose_directories_and_control_characters(name: str) -> None:
    clean = files.clean_filename(name)
    assert clean and len(clean) <= 255
    assert "/" not in clean and "\\" not in clean
    assert all(c.isprintable() or c == " " for c in clean) or not clean.isascii()


def test_document_files_are_portions_with_their_own_label(demo_node: Node) -> None:
    doe = principal_of(demo_node, "doe.analyst")
    npa = principal_of(demo_node, "npa.analyst")
    label = parse_banner("SECRET//REL TO USA, JPN", demo_node.ctx)
    doc = create_document(demo_node, doe, DocumentInput("Survey", "Body", label, label))
    upload = FileUpload(b"photo bytes", "../photo.jpg", "image/jpeg")
    view = att.attach_file(demo_node, doe, "document", doc["id"], upload)
    assert view["version"] == 2
    assert view["portions"]["attachment.0"]["value"]["name"] == "photo.jpg"
    meta, data = att.read_attachment(
        demo_node, npa, "document", doc["id"], hashlib.sha256(b"photo bytes").hexdigest()
    )
    assert data == b"photo bytes" and meta["portion"] == "(S//REL TO USA, JPN)"
    secret = parse_banner("SECRET//NOFORN", demo_node.ctx)
    att.attach_file(
        demo_node, doe, "document", doc["id"], FileUpload(b"more", "m.bin"), label=secret
    )
    assert get_document(demo_node, doe, doc["id"])["banner"] == "SECRET//NOFORN"
    with pytest.raises(NotFoundError):  # the roll-up now hides the document from NPA
        att.list_attachments(demo_node, npa, "document", doc["id"])
    assert [v["version"] for v in history(demo_node, doe, doc["id"])] == [1, 2, 3]
    with pytest.raises(ConflictError):
        att.attach_file(demo_node, doe, "document", doc["id"], FileUpload(b"more", "again"))


def test_no_file_is_kept_when_the_write_is_refused(demo_node: Node) -> None:
    dhs = principal_of(demo_node, "dhs.analyst")
    doe = principal_of(demo_node, "doe.analyst")
    label = parse_banner("CONFIDENTIAL//REL TO USA, JPN", demo_node.ctx)
    doc = create_document(demo_node, doe, DocumentInput("Mine", "Body", label, label))
    data = b"refused upload bytes"
    with pytest.raises(AccessDenied):  # DHS may read but not change a DOE document
        att.attach_file(demo_node, dhs, "document", doc["id"], FileUpload(data, "x"))
    assert not files.blob_store(demo_node).exists(hashlib.sha256(data).hexdigest())
    with pytest.raises(NotFoundError):
        att.attach_file(demo_node, doe, "document", "nope", FileUpload(data, "x"))
    assert not files.blob_store(demo_node).exists(hashlib.sha256(data).hexdigest())


def test_an_edit_keeps_the_attached_files(demo_node: Node) -> None:
    doe = principal_of(demo_node, "doe.analyst")
    label = parse_banner("SECRET//REL TO USA, JPN", demo_node.ctx)
    doc = create_document(demo_node, doe, DocumentInput("Survey", "Body", label, label))
    att.attach_file(demo_node, doe, "document", doc["id"], FileUpload(b"spec", "a.spe"))
    from nucsec.service.documents import update_document

    edited = update_document(
        demo_node, doe, doc["id"], DocumentInput("Survey 2", "B", label, label)
    )
    assert edited["title"] == "Survey 2"
    assert edited["portions"]["attachment.0"]["value"]["name"] == "a.spe"


def test_a_file_attached_during_an_edit_loses_neither(
    demo_node: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An edit saved between the attachment's read and its write (the race of two users)
    is not overwritten by the attachment's version built from the older read: the attach
    is refused with ConflictError, the edit stays current and the file is not kept."""
    from nucsec.service.documents import update_document

    doe = principal_of(demo_node, "doe.analyst")
    label = parse_banner("SECRET//REL TO USA, JPN", demo_node.ctx)
    doc = create_document(demo_node, doe, DocumentInput("Survey", "Body", label, label))
    real_put = BlobStore.put

    def put_after_an_edit(store: BlobStore, data: bytes) -> object:
        monkeypatch.setattr(BlobStore, "put", real_put)
        update_document(demo_node, doe, doc["id"], DocumentInput("Edited", "B2", label, label))
        return real_put(store, data)

    monkeypatch.setattr(BlobStore, "put", put_after_an_edit)
    data = b"raced upload bytes"
    with pytest.raises(ConflictError, match="version 2, not 1"):
        att.attach_file(demo_node, doe, "document", doc["id"], FileUpload(data, "r.bin"))
    now = get_document(demo_node, doe, doc["id"])
    assert (now["version"], now["title"]) == (2, "Edited")
    assert "attachment.0" not in now["portions"]
    assert not files.blob_store(demo_node).exists(hashlib.sha256(data).hexdigest())
