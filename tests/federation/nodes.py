"""Real nodes for the federation tests: each in its own NUCSEC_HOME and database, served by
``nucsec serve`` as a separate process on a free 127.0.0.1 port.

On the PostgreSQL run (``NUCSEC_DATABASE_URL`` set) every node gets its own schema, so two
nodes never share tables; otherwise each node has its SQLite file in its home.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import text

from nucsec import settings
from nucsec.assembly import open_node
from nucsec.node import Node
from nucsec.store.db import make_engine
from tests.conftest import ON_POSTGRES, PG_URL

NUCSEC = str(Path(sys.executable).with_name("nucsec"))
MARKINGS = Path(__file__).resolve().parents[2] / "src" / "nucsec" / "data" / "markings"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def database(directory: Path) -> Iterator[str]:
    """An empty database URL for one node (SQLite file or a fresh PostgreSQL schema)."""
    if not ON_POSTGRES:
        yield f"sqlite:///{directory / 'nucsec.db'}"
        return
    schema = f"f_{uuid.uuid4().hex[:16]}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{sep}options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def json(self) -> Any:
        return json.loads(self.out)


@dataclass
class NodeProcess:
    """One national node: its directory, database, CLI and (when started) its server."""

    nation: str
    home: Path
    db_url: str
    markings_dir: Path | None = None
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("NUCSEC_")}
        env["NUCSEC_HOME"] = str(self.home)
        env["NUCSEC_SYNC_SECONDS"] = "0"  # tests drive every sync themselves
        if self.db_url.startswith("postgresql"):
            env["NUCSEC_DATABASE_URL"] = self.db_url
        if self.markings_dir is not None:
            env["NUCSEC_MARKINGS_DIR"] = str(self.markings_dir)
        return env

    def cli(self, *args: str, timeout: float = 120) -> Result:
        """Run ``nucsec ARGS`` as its own process against this node."""
        done = subprocess.run(
            [NUCSEC, *args], env=self.env, capture_output=True, timeout=timeout, check=False
        )
        return Result(done.returncode, done.stdout.decode(), done.stderr.decode())

    def popen(self, *args: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [NUCSEC, *args], env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )

    def open(self) -> Node:
        """The node in this process (for setting up data and scanning the database)."""
        return open_node(
            settings.load(
                env={},
                home=self.home,
                database_url=self.db_url if self.db_url.startswith("postgresql") else "",
                markings_dir=str(self.markings_dir or ""),
                sync_seconds=0.0,
            )
        )

    def public_key(self) -> Path:
        path = self.home.parent / f"{self.home.name}.pub"
        result = self.cli("node", "public-key")
        assert result.code == 0, result.err
        path.write_text(result.out)
        return path

    def start(self) -> None:
        with (self.home.parent / f"{self.home.name}.log").open("ab") as log:
            self.proc = subprocess.Popen(
                [NUCSEC, "serve", "--port", str(self.port), "--log-level", "warning"],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 120  # readiness wait, not a timing check
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nucsec serve exited with {self.proc.returncode}")
            try:
                with urllib.request.urlopen(self.url + "/api/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.1)
        raise RuntimeError(f"node {self.nation} did not start on port {self.port}")

    def kill(self) -> None:
        """kill -9 the server."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
        self.proc = None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None


def markings_with(directory: Path, nation: str, scheme_toml: str, agency: str) -> Path:
    """A copy of the shipped marking data with one more nation (data only, no code)."""
    target = directory / "markings"
    shutil.copytree(MARKINGS, target)
    nations = target / "nations.toml"
    text_ = nations.read_text(encoding="utf-8")
    head, sep, tail = text_.partition("# Need-to-know compartments")
    head += (
        f'[[nation]]\ncode = "{nation}"\nname_en = "{nation}"\nname_ja = ""\n'
        f'agencies = [\n  {{ code = "{agency}", name_en = "{agency}", name_ja = "" }},\n]\n\n'
    )
    nations.write_text(head + sep + tail, encoding="utf-8")
    (target / "schemes" / f"{nation}.toml").write_text(scheme_toml, encoding="utf-8")
    return target


KOR_SCHEME = """nation = "KOR"

[[level]]
name = "PYEONGMUN"
abbrev = "PM"

[[level]]
name = "DAEWOI BI"
abbrev = "DB"

[[level]]
name = "III-GEUP BIMIL"
abbrev = "B3"

[[level]]
name = "II-GEUP BIMIL"
abbrev = "B2"

[[level]]
name = "I-GEUP BIMIL"
abbrev = "B1"
"""


def add_agreement_column(markings: Path, nation: str, levels: list[str]) -> None:
    """Add ``nation``'s column (one level per common rank) to the demo agreement."""
    path = markings / "agreements" / "nswg-demo.toml"
    lines = path.read_text(encoding="utf-8").splitlines()
    out, rank = [], 0
    for line in lines:
        if line.startswith("nations = "):
            line = line.rstrip("]") + f', "{nation}"]'
        out.append(line)
        if line.strip() == "[[rank]]":
            out.append(f'{nation} = "{levels[rank]}"')
            rank += 1
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
