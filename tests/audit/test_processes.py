"""Several server processes on one database: their audit appends interleave into one
gap-free, verifiable log (the head row lock serialises them; no in-process state)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sqlalchemy import Engine, select

from nucsec.audit import queries as audit_log
from nucsec.audit.keys import PRIVATE_KEY_FILE, generate_key
from nucsec.audit.tables import audit_checkpoints
from nucsec.audit.verify import verify_log
from tests.audit.helpers import ORIGIN

WRITER = Path(__file__).with_name("crash_writer.py")
BATCHES, SIZE = 100, 6  # 600 events per process: checkpoints (every 300) by both
ATTEMPTS = 3


def _run_pair(args: list[str]) -> list[list[tuple[int, int]]]:
    """Start two writers together; each one's appended ``(first, last)`` seq per batch."""
    procs = [
        subprocess.Popen(
            args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    for proc in procs:  # both connected: start them together
        assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    ranges: list[list[tuple[int, int]]] = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        ranges.append([(int(a), int(b)) for a, b in (line.split() for line in out.splitlines())])
    return ranges


def test_two_processes_append_concurrently(engine: Engine, db_url: str, tmp_path: Path) -> None:
    key = generate_key(tmp_path / "keys")  # the node's own key writer (mode 0600)
    key_file = tmp_path / "keys" / PRIVATE_KEY_FILE
    args = [sys.executable, str(WRITER), db_url, str(key_file), str(BATCHES), str(SIZE)]
    runs = 0
    for _ in range(ATTEMPTS):  # a loaded machine may run one process's batches before the other's
        start = runs * 2 * BATCHES * SIZE
        ranges = _run_pair(args)
        runs += 1
        assert [len(r) for r in ranges] == [BATCHES, BATCHES]
        seqs = sorted(s for r in ranges for a, b in r for s in range(a, b + 1))
        assert seqs == list(range(start, start + 2 * BATCHES * SIZE))  # no gap, nothing twice
        assert all(b - a + 1 == SIZE for r in ranges for a, b in r)  # batches stay contiguous
        # side by side: neither process's batches all precede the other's (scheduling may
        # serialise a run on a busy machine; then the run is repeated, each one checked)
        if ranges[0][0][0] < ranges[1][-1][0] and ranges[1][0][0] < ranges[0][-1][0]:
            break
    total = runs * 2 * BATCHES * SIZE
    with engine.begin() as conn:
        report = verify_log(conn, origin=ORIGIN, public_keys=[key.public_key()])
        sizes = list(conn.scalars(select(audit_checkpoints.c.tree_size)))
        assert audit_log.tree_size(conn) == total
    assert report.ok, report.problems
    assert report.events == total
    assert sizes == sorted(sizes) and len(sizes) >= 3  # checkpoints from both, in order
