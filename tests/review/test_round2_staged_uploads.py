"""Review round 2: ``POST /api/v1/spectra/analyze`` stores what it is sent.

The route needs only the ``read`` scope, yet every readable upload is written to the
node's blob store (``analyses.stage_spectrum`` -> ``BlobStore.put``) so that its uploader
may share it later. Nothing is appended to the audit log for that stored file, and no
code ever removes a staged blob that no record lists (the store has no sweep), so a
read-only token fills ``$NUCSEC_HOME/files`` without trace. Expected: bytes kept on the
node are a write (``write`` scope, audited) or are not kept (staged blobs expire).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from nucsec.audit.tables import audit_events
from nucsec.node import Node
from nucsec.web.app import create_app
from tests.web.conftest import TestClient, bearer

SPECTRUM = Path(__file__).resolve().parents[1] / "data" / "spectra" / "suro_rc101_cs137_EG3X.xml"


def _files(node: Node) -> set[Path]:
    root = node.settings.home / "files"
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def _events(node: Node) -> int:
    with node.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(audit_events)).scalar() or 0)


def _uploader(node: Node) -> tuple[TestClient, dict[str, str]]:
    """A client and a read-only token (issued now: its own audit event comes first)."""
    client = TestClient(create_app(node), base_url="http://127.0.0.1:8700")
    return client, bearer(node, "npa.analyst", ("read",))


def _upload(uploader: tuple[TestClient, dict[str, str]], data: bytes) -> int:
    client, headers = uploader
    r = client.post(
        "/api/v1/spectra/analyze",
        headers=headers,
        files={"file": ("s.xml", data, "application/xml")},
    )
    return r.status_code


def test_finding_read_only_token_stores_files(demo_node: Node) -> None:
    """A token with only ``read`` leaves a new file in the blob store. Expected: refused
    (403, ``write`` scope needed) or nothing kept."""
    uploader = _uploader(demo_node)
    before = _files(demo_node)
    data = SPECTRUM.read_bytes().replace(b"</", b"<!-- r2 --></", 1)  # a new content hash
    status = _upload(uploader, data)
    assert status == 403 or _files(demo_node) == before, status


def test_finding_stored_upload_leaves_no_audit_event(demo_node: Node) -> None:
    """An upload the node keeps (a token with the ``write`` scope, to share it later) is in
    the audit log (``file.stage``); a read-only token's upload is analysed, not kept."""
    client = TestClient(create_app(demo_node), base_url="http://127.0.0.1:8700")
    writer = (client, bearer(demo_node, "npa.analyst", ("read", "write")))
    before_files, before_events = _files(demo_node), _events(demo_node)
    data = SPECTRUM.read_bytes().replace(b"</", b"<!-- r2b --></", 1)
    assert _upload(writer, data) == 200
    assert _files(demo_node) != before_files  # the bytes were kept ...
    assert _events(demo_node) > before_events  # ... and the log says so
    with demo_node.engine.connect() as conn:
        actions = conn.execute(
            select(audit_events.c.action).order_by(audit_events.c.seq.desc()).limit(3)
        ).scalars()
        assert "file.stage" in set(actions)
