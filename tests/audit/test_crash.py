"""kill -9 in the middle of appending: the log still verifies, no committed event is lost."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine

from nucsec.audit import queries as audit_log
from nucsec.audit.keys import PRIVATE_KEY_FILE, generate_key
from nucsec.audit.verify import verify_log
from tests.audit.helpers import ORIGIN

WRITER = Path(__file__).with_name("crash_writer.py")


def _run_and_kill(db_url: str, key_file: Path, rng: random.Random) -> int:
    """Start a writer, let it commit a few batches, SIGKILL it mid-stream; last committed seq."""
    proc = subprocess.Popen(
        [sys.executable, str(WRITER), db_url, str(key_file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    last = -1
    try:
        assert proc.stdout is not None
        for _ in range(rng.randint(3, 8)):
            line = proc.stdout.readline()
            if not line:
                pytest.fail(f"writer died: {proc.stderr.read() if proc.stderr else ''}")
            last = int(line.split()[1])
        time.sleep(rng.uniform(0, 0.004))  # land anywhere inside the next transaction
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:  # pragma: no cover
            proc.kill()
            proc.communicate()
    for line in out.splitlines():  # commits printed between our last read and the kill
        last = max(last, int(line.split()[1]))
    assert proc.returncode == -signal.SIGKILL
    return last


@pytest.mark.slow
def test_kill_9_while_appending_loses_no_committed_event(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    key = generate_key(tmp_path / "keys")  # the node's own key writer (mode 0600)
    key_file = tmp_path / "keys" / PRIVATE_KEY_FILE
    rng = random.Random(20240501)
    engine.dispose()  # the writer owns the database while it runs
    for _round in range(3):
        committed = _run_and_kill(db_url, key_file, rng)
        with engine.begin() as conn:
            size = audit_log.tree_size(conn)
            report = verify_log(conn, origin=ORIGIN, public_keys=[key.public_key()])
        assert size > committed, f"committed event {committed} lost (size {size})"
        assert size % 100 == 0  # whole batches only: a killed transaction left nothing
        assert report.ok, report.problems
        assert report.events == size
