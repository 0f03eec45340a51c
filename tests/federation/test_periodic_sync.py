"""`nucsec serve` pulls from its peers on its own every `sync_seconds`."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from tests.federation.conftest import peer, process_nodes
from tests.federation.nodes import NUCSEC


def test_serve_pulls_from_its_peers_periodically(tmp_path: Path) -> None:
    with process_nodes(tmp_path) as make:
        usa = make("USA", name="a", start=True)
        jpn = make("JPN", name="b")
        peer(usa, jpn, "jpn")
        peer(jpn, usa, "usa")
        added = usa.cli(
            "document",
            "add",
            "--as",
            "doe.analyst",
            "--title",
            "Periodic T",
            "--body",
            "B",
            "--label",
            "SECRET//REL TO USA, JPN",
            "--json",
        )
        assert added.code == 0, added.err
        doc_id = added.json["id"]
        env = {**jpn.env, "NUCSEC_SYNC_SECONDS": "1"}  # this server pulls every second
        server = subprocess.Popen(
            [NUCSEC, "serve", "--port", str(jpn.port), "--log-level", "warning"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 45
            seen: set[str] = set()
            while time.monotonic() < deadline and doc_id not in seen:
                time.sleep(1)
                listed = jpn.cli("document", "list", "--as", "npa.analyst", "--json")
                seen = {d["id"] for d in listed.json["items"]}
        finally:
            server.terminate()
            server.wait(20)
        assert doc_id in seen, "the JPN node did not pull the document by itself"
