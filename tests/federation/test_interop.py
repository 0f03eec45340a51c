"""Interoperability: the real ``taxii2-client`` reads our TAXII server, and our sync pulls a
TLP:CLEAR bundle from the OASIS reference server ``medallion`` started on loopback."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select
from taxii2client.v21 import Server, as_pages

from nucsec.audit.keys import public_key_pem
from nucsec.federation.auth import SignedAuth
from nucsec.federation.tables import exchange_outbox
from tests.federation.conftest import MakeNode, peer, process_nodes
from tests.federation.nodes import NodeProcess, free_port

DATA = Path(__file__).parents[1] / "data" / "federation"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A served USA node that pinned a JPN node's key (the JPN node is not served) and
    another JPN key (a second partner)."""
    root = tmp_path_factory.mktemp("interop")
    with process_nodes(root) as make:
        usa = make("USA", start=True)
        jpn = make("JPN")
        peer(usa, jpn, "jpn")
        other = root / "other.pub"
        other.write_bytes(public_key_pem(Ed25519PrivateKey.generate().public_key()))
        result = usa.cli(
            "peer", "add", "jpn2", "--nation", "JPN", "--url", "http://127.0.0.1:9",
            "--public-key", str(other), "--json",
        )  # fmt: skip
        assert result.code == 0, result.err
        n = jpn.open()
        key = n.key
        n.close()
        yield {"usa": usa, "jpn": jpn, "auth": SignedAuth(key), "jpn2": result.json["collection"]}


def test_taxii2_client_reads_our_server(served: dict[str, Any]) -> None:
    usa: NodeProcess = served["usa"]
    server = Server(usa.url + "/taxii2/", auth=served["auth"])
    assert server.title == "nucsec USA node"
    root = server.default
    assert root is not None and "application/taxii+json;version=2.1" in root.versions
    collections = root.collections
    assert len(collections) == 1  # only the caller's own outbox is listed
    coll = collections[0]
    assert coll.can_read and not coll.can_write
    manifest = coll.get_manifest()
    ids = [m["id"] for m in manifest["objects"]]
    paged = [
        o["id"]
        for page in as_pages(coll.get_objects, per_request=3)
        for o in page.get("objects", [])
    ]
    assert sorted(paged) == sorted(set(ids))
    doc = next(i for i in ids if i.startswith("x-nucsec-document--"))
    versions = coll.object_versions(doc)["versions"]
    assert len(versions) == 1
    envelope = coll.get_object(doc)
    assert [o["id"] for o in envelope["objects"]] == [doc]
    assert envelope["x_nucsec_jws"].count(".") == 2  # a detached JWS travels with each page


def test_unsigned_replayed_or_foreign_requests_are_refused(served: dict[str, Any]) -> None:
    usa: NodeProcess = served["usa"]
    assert requests.get(usa.url + "/taxii2/", timeout=10).status_code == 401
    session = requests.Session()
    signed = session.prepare_request(
        requests.Request("GET", usa.url + "/taxii2/", auth=served["auth"])
    )
    assert session.send(signed, timeout=10).status_code == 200
    replay = session.send(signed, timeout=10)
    assert replay.status_code == 401 and "nonce" in replay.json()["description"]
    other = requests.get(
        usa.url + f"/taxii2/api/collections/{served['jpn2']}/objects/",
        auth=served["auth"],
        timeout=10,
    )
    assert other.status_code == 404  # another partner's outbox does not exist for this caller
    stranger = SignedAuth(Ed25519PrivateKey.generate())
    assert requests.get(usa.url + "/taxii2/", auth=stranger, timeout=10).status_code == 401
    n = usa.open()
    try:
        with n.engine.connect() as conn:
            from nucsec.audit.tables import audit_events

            refused = conn.execute(
                select(audit_events.c.body).where(audit_events.c.action == "auth.login_failed")
            ).scalars()
            reasons = [json.loads(b)["details"]["reason"] for b in refused]
    finally:
        n.close()
    assert any("nonce already used" in r for r in reasons)
    assert any("not pinned" in r for r in reasons)


def test_outboxes_are_read_only(served: dict[str, Any]) -> None:
    usa: NodeProcess = served["usa"]
    coll = Server(usa.url + "/taxii2/", auth=served["auth"]).default.collections[0]  # type: ignore[union-attr]
    response = requests.post(
        coll.url + "objects/",
        json={"objects": []},
        auth=served["auth"],
        headers={"Accept": "application/taxii+json;version=2.1"},
        timeout=10,
    )
    assert response.status_code == 403


def _medallion_data(objects: list[dict[str, Any]], port: int) -> dict[str, Any]:
    root = f"http://127.0.0.1:{port}/api1/"
    manifest = []
    for i, obj in enumerate(objects):
        manifest.append(
            {
                "id": obj["id"],
                "date_added": f"2024-05-01T12:00:{i:02d}.000000Z",
                "version": obj.get("modified", obj.get("created")),
                "media_type": "application/stix+json;version=2.1",
            }
        )
    return {
        "/discovery": {
            "title": "medallion",
            "description": "",
            "default": root,
            "api_roots": [root],
        },
        "api1": {
            "information": {
                "title": "public feed",
                "versions": ["application/taxii+json;version=2.1"],
                "max_content_length": 10_000_000,
            },
            "status": [],
            "collections": [
                {
                    "id": str(uuid.uuid4()),
                    "title": "public feed",
                    "can_read": True,
                    "can_write": False,
                    "media_types": ["application/stix+json;version=2.1"],
                    "objects": objects,
                    "manifest": manifest,
                }
            ],
        },
    }


@contextmanager
def serve_medallion(
    tmp_path: Path, objects: list[dict[str, Any]]
) -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    """medallion on loopback serving ``objects`` in one collection: its URL, its data and
    its configuration (users); stopped at the end."""
    if shutil.which("medallion", path=str(Path(sys.executable).parent)) is None:
        pytest.skip("medallion is not installed")
    port = free_port()
    data = _medallion_data(objects, port)
    (tmp_path / "data.json").write_text(json.dumps(data))
    config = json.loads((DATA / "medallion_config.json").read_text())
    config["backend"]["filename"] = str(tmp_path / "data.json")
    (tmp_path / "medallion.json").write_text(json.dumps(config))
    with (tmp_path / "medallion.log").open("wb") as log:
        proc = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("medallion")),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                str(tmp_path / "medallion.json"),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120  # readiness wait, not a timing check
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(url + "/taxii2/", timeout=1)
            except urllib.error.HTTPError:
                break  # 401: it is up
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.1)
        yield url, data, config
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture
def medallion(tmp_path: Path, make_node: MakeNode) -> Iterator[dict[str, Any]]:
    """medallion on loopback, serving what a USA node released (TLP:CLEAR and classified)
    plus an object type nucsec does not know."""
    if shutil.which("medallion", path=str(Path(sys.executable).parent)) is None:
        pytest.skip("medallion is not installed")
    usa = make_node("USA")
    jpn = make_node("JPN")
    peer(usa, jpn, "jpn")
    n = usa.open()
    try:
        with n.engine.connect() as conn:
            bodies = conn.execute(
                select(exchange_outbox.c.body)
                .where(exchange_outbox.c.peer == "jpn")
                .order_by(exchange_outbox.c.seq)
            ).scalars()
            # medallion 3.0 takes an object's `version` property for its STIX version, so it
            # cannot serve extension-definition objects (whose `version` is "1.0.0"): leave
            # them out; receivers know our extensions by id anyway
            objects = [o for o in map(json.loads, bodies) if o["type"] != "extension-definition"]
    finally:
        n.close()
    clear = next(
        o for o in objects if o["type"] == "marking-definition" and o["name"] == "TLP:CLEAR"
    )
    objects.append(
        {
            "type": "indicator",
            "spec_version": "2.1",
            "id": f"indicator--{uuid.uuid4()}",
            "created": "2024-05-01T00:00:00.000Z",
            "modified": "2024-05-01T00:00:00.000Z",
            "pattern": "[file:name = 'x']",
            "pattern_type": "stix",
            "valid_from": "2024-05-01T00:00:00Z",
            "object_marking_refs": [clear["id"]],
        }
    )
    with serve_medallion(tmp_path, objects) as (url, _data, config):
        (tmp_path / "password").write_text(config["users"]["reader"])
        yield {
            "url": url,
            "password": tmp_path / "password",
            "jpn": jpn,
            "objects": objects,
            "clear": clear["id"],
        }


def test_our_sync_pulls_a_tlp_clear_bundle_from_medallion(medallion: dict[str, Any]) -> None:
    jpn: NodeProcess = medallion["jpn"]
    added = jpn.cli(
        "peer", "add", "feed", "--nation", "USA", "--url", medallion["url"], "--kind", "taxii",
        "--user", "reader", "--password-file", str(medallion["password"]), "--json",
    )  # fmt: skip
    assert added.code == 0, added.err
    synced = jpn.cli("sync", "--peer", "feed", "--page-size", "4", "--json")
    assert synced.code == 0, synced.err
    result = synced.json
    records = [o for o in medallion["objects"] if "record_version" in o]
    clear = [o for o in records if medallion["clear"] in o["object_marking_refs"]]
    kinds = {o["type"] for o in clear}
    assert kinds == {"x-nucsec-document", "x-nucsec-incident"}  # the public incidents too
    assert result["received"] == len(clear) and result["pages"] >= 2
    reasons = [r["reason"] for r in result["rejections"]]
    assert sum("only TLP:CLEAR" in r for r in reasons) == len(records) - len(clear)
    assert any("unknown object type 'indicator'" in r for r in reasons)
    listed = jpn.cli("document", "list", "--as", "mext.analyst", "--origin", "feed", "--json").json
    assert [d["title"] for d in listed["items"]] == ["Working group meeting minutes, November 2010"]
    again = jpn.cli("sync", "--peer", "feed", "--json").json
    assert again["received"] == 0  # resumed from the stored cursor: nothing new
