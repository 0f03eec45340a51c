"""`make demo`'s main job: two federated nodes, the showing, then (here) no serving."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.federation.nodes import free_port


def test_demo_runs_two_federated_nodes_and_verifies_their_logs(tmp_path: Path) -> None:
    nucsec = str(Path(sys.executable).with_name("nucsec"))
    ports = f"{free_port()},{free_port()}"
    done = subprocess.run(
        [nucsec, "demo", "--no-serve", "--home", str(tmp_path / "demo"), "--ports", ports],
        capture_output=True, text=True, timeout=300, check=False,
        env={"PATH": "/usr/bin:/bin", "NUCSEC_HOME": str(tmp_path)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "jpn <- usa: received" in out and "rejected 0" in out
    assert (
        "1. On the JPN node, npa.analyst reads the US survey [SECRET//REL TO USA, JPN]: "
        "ALLOWED" in out
    )
    assert "NOT RELEASED" in out and "NOFORN keeps this information in USA" in out
    assert "exceeds the principal's CONFIDENTIAL clearance" in out
    assert out.count(": intact") == 2
    assert "BP-J01" in out.split("searches '核物質'")[1].split("\n")[1]  # best match first
    reports = tmp_path / "demo" / "reports"
    assert (reports / "meeting_usa.pdf").read_bytes().startswith(b"%PDF")
    assert "Endorsed practices" in (reports / "meeting_usa.html").read_text(encoding="utf-8")
    assert "demo-only-password" in out
    for node, reader in (("usa", "dhs.chief"), ("jpn", "npa.chief")):  # each case once per node
        listed = subprocess.run(
            [nucsec, "incident", "list", "--as", reader, "--json"],
            capture_output=True, text=True, timeout=60, check=True,
            env={"PATH": "/usr/bin:/bin", "NUCSEC_HOME": str(tmp_path / "demo" / node)},
        )  # fmt: skip
        refs = [i["title"].split(":")[0] for i in json.loads(listed.stdout)["items"]]
        assert len(refs) == len(set(refs)) and "ITDB-2005-JP-FUKUI" in refs, refs
    reports = tmp_path / "demo" / "reports"
    for stage in ("preliminary", "interim", "final"):  # the demo case's staged reports
        assert (reports / f"case-{stage}-home.pdf").read_bytes().startswith(b"%PDF")
    assert (reports / "case-final-released-jpn.pdf").read_bytes().startswith(b"%PDF")
    listed = subprocess.run(
        [nucsec, "case", "list", "--as", "doe.chief", "--json"],
        capture_output=True, text=True, timeout=60, check=True,
        env={"PATH": "/usr/bin:/bin", "NUCSEC_HOME": str(tmp_path / "demo" / "usa")},
    )  # fmt: skip
    assert [c["stage"] for c in json.loads(listed.stdout)] == ["closed"]
