"""Group commit (nucsec.audit.group): concurrent reads share one append transaction, no
caller returns before its events are committed, and a failed transaction fails them all."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, select

from nucsec.audit.events import AuditEvent
from nucsec.audit.group import GroupCommit
from nucsec.audit.log import AuditLog
from nucsec.audit.tables import audit_events
from nucsec.audit.verify import verify_log
from nucsec.errors import IntegrityError
from tests.audit.helpers import ORIGIN, make_events


def _wait_until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "threads did not reach the expected state"
        time.sleep(0.001)


class _GatedCommit:
    """A commit function whose first call waits for ``release``; records every batch."""

    def __init__(self, inner: Callable[[list[AuditEvent]], None] | None = None) -> None:
        self.inner = inner
        self.batches: list[list[AuditEvent]] = []
        self.entered = threading.Event()
        self.release = threading.Event()
        self.fail_with: BaseException | None = None

    def __call__(self, events: list[AuditEvent]) -> None:
        if not self.batches:
            self.entered.set()
            assert self.release.wait(10)
        self.batches.append(list(events))
        if self.fail_with is not None:
            raise self.fail_with
        if self.inner is not None:
            self.inner(events)


def _run(group: GroupCommit, events: list[AuditEvent], errors: list[BaseException]) -> None:
    try:
        group.append(events)
    except BaseException as exc:  # recorded for the test to inspect
        errors.append(exc)


def _followers_queued(
    group: GroupCommit, gate: _GatedCommit, requests: list[list[AuditEvent]]
) -> tuple[list[threading.Thread], list[BaseException]]:
    """The first request leads and blocks in its commit; the others queue behind it."""
    errors: list[BaseException] = []
    threads = [threading.Thread(target=_run, args=(group, ev, errors)) for ev in requests]
    threads[0].start()
    assert gate.entered.wait(10)
    for t in threads[1:]:
        t.start()
    _wait_until(lambda: len(group._queue) == len(requests) - 1)
    return threads, errors


def test_waiting_callers_share_the_next_transaction(
    engine: Engine, log: AuditLog, key: Ed25519PrivateKey
) -> None:
    def commit(events: list[AuditEvent]) -> None:
        with engine.begin() as conn:
            log.append(conn, events)

    gate = _GatedCommit(commit)
    group = GroupCommit(gate)
    requests = [make_events(1 + i % 3, start=100 * i, actor=f"u-{i}") for i in range(6)]
    threads, errors = _followers_queued(group, gate, requests)
    gate.release.set()
    for t in threads:
        t.join(10)
    assert not errors
    # the leader's own transaction, then one for the five that waited behind it
    assert [len(b) for b in gate.batches] == [1, sum(len(r) for r in requests[1:])]
    with engine.connect() as conn:
        stored = [r[0] for r in conn.execute(select(audit_events.c.actor).order_by("seq"))]
    # every request's events, each request's together
    assert sorted(stored) == sorted(e.actor for r in requests for e in r)
    runs = [a for i, a in enumerate(stored) if i == 0 or stored[i - 1] != a]
    assert sorted(runs) == sorted({e.actor for r in requests for e in r})
    with engine.begin() as conn:
        assert verify_log(conn, origin=ORIGIN, public_keys=[key.public_key()]).ok


def test_a_failed_transaction_fails_every_caller_it_held() -> None:
    gate = _GatedCommit()
    group = GroupCommit(gate)
    requests = [make_events(1, start=i) for i in range(4)]
    threads, errors = _followers_queued(group, gate, requests)
    gate.fail_with = RuntimeError("disk full")
    gate.release.set()
    for t in threads:
        t.join(10)
    # the leader fails on its own batch; the three followers then share one batch, which
    # fails too: the leader sees the original error, each follower a typed one naming it
    assert len(gate.batches) == 2
    assert len(errors) == 4
    originals = [e for e in errors if type(e) is RuntimeError]
    typed = [e for e in errors if isinstance(e, IntegrityError)]
    assert len(originals) == 2 and len(typed) == 2
    assert all(type(e.__cause__) is RuntimeError for e in typed)


def test_callers_keep_appending_after_a_failure() -> None:
    calls: list[int] = []

    def commit(events: list[AuditEvent]) -> None:
        calls.append(len(events))
        if len(calls) == 1:
            raise RuntimeError("transient")

    group = GroupCommit(commit)
    with pytest.raises(RuntimeError):
        group.append(make_events(2))
    group.append(make_events(3))
    group.append([])  # nothing to append: no transaction
    assert calls == [2, 3]


def test_many_threads_lose_no_event(engine: Engine, log: AuditLog) -> None:
    def commit(events: list[AuditEvent]) -> None:
        with engine.begin() as conn:
            log.append(conn, events)

    group = GroupCommit(commit)
    errors: list[BaseException] = []
    per_thread = [[make_events(2, start=1000 * t + 10 * i) for i in range(25)] for t in range(8)]

    def worker(batches: list[list[AuditEvent]]) -> None:
        for events in batches:
            _run(group, events, errors)

    threads = [threading.Thread(target=worker, args=(b,)) for b in per_thread]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    with engine.connect() as conn:
        objects = sorted(r[0] for r in conn.execute(select(audit_events.c.object_ref)))
    expected = sorted(e.object_ref for b in per_thread for ev in b for e in ev)
    assert objects == expected
