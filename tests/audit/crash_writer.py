"""Child process of the crash and concurrency tests: append batches (forever, or BATCHES
of SIZE events), print each committed range.

Usage: python crash_writer.py DB_URL PRIVATE_KEY_PEM_FILE [BATCHES SIZE]
(with BATCHES, it prints ``ready`` once connected and starts when a line arrives on stdin)
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from nucsec.audit.events import AuditEvent
from nucsec.audit.log import AuditLog
from nucsec.store.db import make_engine

ORIGIN = "nucsec.test/audit"


def main(url: str, key_file: str, batches: int | None = None, size: int = 100) -> None:
    key = serialization.load_pem_private_key(Path(key_file).read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise SystemExit("not an Ed25519 key")
    engine = make_engine(url)
    log = AuditLog(ORIGIN, key, checkpoint_every=300, checkpoint_seconds=3600)
    if batches is not None:  # several writers start together (test_processes)
        with engine.connect():
            pass
        print("ready", flush=True)
        sys.stdin.readline()
    batch = 0
    while batches is None or batch < batches:
        now = datetime.now(UTC)
        events = [
            AuditEvent(now, "u-crash", "record.read", f"document:{batch}-{i}") for i in range(size)
        ]
        with engine.begin() as conn:
            seqs = log.append(conn, events)
        # printed only after COMMIT returned: these events must survive a kill -9
        print(seqs[0], seqs[-1], flush=True)
        batch += 1
    engine.dispose()


if __name__ == "__main__":
    if len(sys.argv) == 5:
        main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        main(sys.argv[1], sys.argv[2])
