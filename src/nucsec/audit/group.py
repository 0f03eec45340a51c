"""Group commit: the audit events of concurrent reads appended in one write transaction.

Every read appends its events before it answers (:func:`nucsec.service.trail.reading`).
Each append is a short write transaction; under load most of its cost is the transaction
itself (take the write lock, lock and save the log head, commit), not the events. So the
threads of one process that have events to append queue here, and whichever holds the
leader's turn appends everything queued so far in one transaction: the first caller
commits its own events and those that arrived while it waited; a caller whose events a
leader already committed returns at once. No caller returns before its events are
committed, and a failed transaction fails every caller whose events it held.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from nucsec.audit.events import AuditEvent
from nucsec.errors import IntegrityError

__all__ = ["GroupCommit"]


@dataclass
class _Waiting:
    events: Sequence[AuditEvent]
    done: bool = False
    error: BaseException | None = field(default=None, repr=False)


class GroupCommit:
    """Appends batches of events through ``commit`` (which appends a list of events in one
    transaction and commits it), sharing one transaction among concurrent callers."""

    def __init__(self, commit: Callable[[list[AuditEvent]], None]) -> None:
        self._commit = commit
        self._queue_lock = threading.Lock()
        self._turn = threading.Lock()
        self._queue: list[_Waiting] = []

    def append(self, events: Sequence[AuditEvent]) -> None:
        """Return once ``events`` are committed; raise if their transaction failed."""
        if not events:
            return
        mine = _Waiting(events)
        with self._queue_lock:
            self._queue.append(mine)
        with self._turn:
            if not mine.done:
                with self._queue_lock:
                    batch, self._queue = self._queue, []
                try:
                    self._commit([e for w in batch for e in w.events])
                except BaseException as exc:
                    for w in batch:
                        w.error = exc
                    raise
                finally:
                    for w in batch:
                        w.done = True
        if mine.error is not None:  # a leader's transaction held our events and failed
            raise IntegrityError(
                "the audit events of this request could not be recorded"
            ) from mine.error
