"""What a sync trusts of a peer's answers: it follows only URLs on the peer's own origin
(a discovery answer naming another host is not followed: no SSRF), and it reads an answer
only up to ``max_upload_bytes`` (a peer cannot exhaust the node's memory)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from nucsec.federation.peers import add_peer
from nucsec.federation.sync import sync_peer
from nucsec.node import Node
from tests.federation.conftest import local_nodes

TAXII = "application/taxii+json;version=2.1"


class _Fake(BaseHTTPRequestHandler):
    """A TAXII server whose answers the test sets: ``server.answers[path] = bytes``."""

    server: Any

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        self.server.paths.append(self.path)
        redirect = self.server.redirects.get(self.path)
        if redirect is not None:
            self.send_response(302)
            self.send_header("Location", redirect)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = self.server.answers.get(self.path)
        if body is None:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", TAXII)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture()
def fake() -> Iterator[Any]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Fake)
    server.answers, server.paths, server.redirects = {}, [], {}
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture()
def node(tmp_path: Path) -> Iterator[Node]:
    with local_nodes(tmp_path) as make:
        yield make("JPN", demo=False)


def _feed(node: Node, url: str, tmp_path: Path) -> None:
    password = tmp_path / "password"
    password.write_text("secret", encoding="utf-8")
    with node.engine.begin() as conn:
        add_peer(
            node, conn, name="feed", nation="USA", url=url, public_key=None,
            kind="taxii", basic_user="reader", password_file=password,
        )  # fmt: skip


def test_a_discovery_naming_another_host_is_not_followed(
    fake: Any, node: Node, tmp_path: Path
) -> None:
    port = fake.server_address[1]
    elsewhere = f"http://localhost:{port}/internal/"  # another origin (same server here)
    fake.answers["/taxii2/"] = json.dumps(
        {"title": "feed", "default": elsewhere, "api_roots": [elsewhere]}
    ).encode()
    _feed(node, f"http://127.0.0.1:{port}", tmp_path)
    result = sync_peer(node, "feed")
    assert result.error_kind == "peer" and "no collection" in str(result.error)
    assert fake.paths == ["/taxii2/"]  # nothing else was asked, of anyone


def test_an_answer_larger_than_the_limit_is_refused(fake: Any, node: Node, tmp_path: Path) -> None:
    port = fake.server_address[1]
    node.settings = replace(node.settings, max_upload_bytes=4096)
    padding = "x" * 10_000
    fake.answers["/taxii2/"] = json.dumps({"title": padding, "api_roots": []}).encode()
    _feed(node, f"http://127.0.0.1:{port}", tmp_path)
    result = sync_peer(node, "feed")
    assert result.error_kind == "peer" and "exceeds 4096 bytes" in str(result.error)


def test_a_redirect_to_another_host_is_not_followed(fake: Any, node: Node, tmp_path: Path) -> None:
    port = fake.server_address[1]
    fake.redirects["/taxii2/"] = f"http://localhost:{port}/internal/"  # another origin
    _feed(node, f"http://127.0.0.1:{port}", tmp_path)
    result = sync_peer(node, "feed")
    assert result.error_kind == "peer" and "not the peer's origin" in str(result.error)
    assert fake.paths == ["/taxii2/"]
