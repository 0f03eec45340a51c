"""Two federated national nodes for the demo: USA and JPN on localhost.

:func:`run_pair` creates both nodes (own directories, databases and keys, each seeded with
its nation's agencies, users and documents), pins each other's public key, starts
``nucsec serve`` for each, syncs both ways, prints both URLs and the demo logins, and keeps
serving until interrupted. Wire it into ``nucsec demo`` / ``make demo``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from nucsec import settings
from nucsec.assembly import init_node
from nucsec.node import Node

__all__ = ["run_pair", "start_pair"]

NATIONS = (("USA", "usa", "jpn"), ("JPN", "jpn", "usa"))


def _init(home: Path, nation: str) -> Node:
    from nucsec.demo import DEMO_PASSWORD, seed, seed_case, seed_library
    from nucsec.web.passwords import hash_password

    if home.exists():
        shutil.rmtree(home)
    node = init_node(settings.load(env={}, home=home, database_url=""), nation, demo=True)
    seed(node, password_hash=hash_password(DEMO_PASSWORD), federated=True, practices=True)
    seed_library(node, {nation}, federated=True)
    if nation == "USA":
        seed_case(node)  # the forensic case and its three staged reports
    return node


def _serve(home: Path, port: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUCSEC_")}
    env["NUCSEC_HOME"] = str(home)
    nucsec = str(Path(sys.executable).with_name("nucsec"))
    proc = subprocess.Popen(  # noqa: S603 - our own command, fixed arguments
        [nucsec, "serve", "--port", str(port), "--log-level", "warning"],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"nucsec serve for {home} exited ({proc.returncode})")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2)
            return proc
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    proc.terminate()
    raise RuntimeError(f"nucsec serve for {home} did not start on port {port}")


def start_pair(
    base: Path, ports: tuple[int, int] = (8811, 8812), echo: Callable[[str], None] = print
) -> list[subprocess.Popen[bytes]]:
    """Create, peer, serve and sync the two nodes; return the server processes."""
    from nucsec.audit.keys import public_key_pem
    from nucsec.federation.outbox import backfill
    from nucsec.federation.peers import add_peer
    from nucsec.federation.sync import sync_peer
    from nucsec.web.server import startup_lines

    nodes = {name: _init(base / name, nation) for nation, name, _ in NATIONS}
    urls = {
        name: f"http://127.0.0.1:{port}" for (_, name, _), port in zip(NATIONS, ports, strict=True)
    }
    for _, name, other in NATIONS:
        node, partner = nodes[name], nodes[other]
        with node.engine.begin() as conn:
            peer = add_peer(
                node,
                conn,
                name=other,
                nation=partner.nation,
                url=urls[other],
                public_key=public_key_pem(partner.key.public_key()),
            )
            backfill(node, conn, peer)
    procs = [_serve(base / name, port) for (_, name, _), port in zip(NATIONS, ports, strict=True)]
    for _, name, other in NATIONS:
        result = sync_peer(nodes[name], other)
        echo(
            f"{name} <- {other}: received {result.received}, rejected {result.rejected}"
            + (f" ({result.error})" if result.error else "")
        )
    for (_, name, _), port in zip(NATIONS, ports, strict=True):
        for line in startup_lines(nodes[name], "127.0.0.1", port):
            echo(line)
        partner_name = next(o for _, n, o in NATIONS if n == name)
        echo(f"  documents received from the partner show 'from {partner_name}'")
        nodes[name].close()
    return procs


def run_pair(
    base: Path, ports: tuple[int, int] = (8811, 8812), echo: Callable[[str], None] = print
) -> None:
    """:func:`start_pair`, then serve until Ctrl-C."""
    procs = start_pair(base, ports, echo)
    try:
        while all(p.poll() is None for p in procs):
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(20)
