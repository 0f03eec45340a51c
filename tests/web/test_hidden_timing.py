"""A hidden record costs what an absent one costs: no timing tells them apart.

The review measured, on loopback, a hidden id answering a few tens of microseconds slower
than an absent one (p = 0.024 over 1,500 pairs): the hidden path loaded the record's
label, asked the reference monitor and logged a decision; the absent path did none of it.
Two tests hold the two paths together:

1. **Same work** (deterministic): reading a hidden and an absent id runs the same SQL
   statements, loads one label, asks the monitor once, computes the same keyed hashes and
   appends one event each. It counts operations, so it cannot fail on noise, and it
   failed before the paths were made alike.
2. **Same time** (statistical, conservative): interleaved pairs of requests through the
   whole application, the order inside each pair drawn at random (so drift, caches
   warming and other processes on the machine weigh on both alike), compared by the
   median of the paired differences and a sign test. It fails only when the difference
   is both large (above 200 µs and 20 % of a request: a database round trip or a second
   decision, the kind of work a regression would add back) and overwhelming (sign test p
   below 1e-6). Tens of microseconds of residue, and any timing noise of a shared
   2-core machine, never fail it; it is a guard against gross regressions, not a proof
   of the absence of microsecond differences.
"""

from __future__ import annotations

import math
import random
import statistics
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import event

from nucsec.errors import NotFoundError
from nucsec.markings import parse_banner
from nucsec.node import Node
from nucsec.service.documents import DocumentInput, create_document, get_document
from nucsec.service.users import principal_of
from tests.web.conftest import bearer, client_of

ABSENT = "00000000-0000-4000-8000-000000000000"


@pytest.fixture
def hidden(fresh_node: Node) -> str:
    doe = principal_of(fresh_node, "doe.analyst")
    label = parse_banner("SECRET//NOFORN", fresh_node.ctx)
    return str(create_document(fresh_node, doe, DocumentInput("Hidden", "x", label, label))["id"])


def _count_work(
    node: Node, monkeypatch: pytest.MonkeyPatch, read: Callable[[], Any]
) -> dict[str, int]:
    """Counts of the operations that cost, during ``read()``: SQL statements (but the audit
    log's, which depend on the log's size: an append every fourth event also stores a
    subtree hash), label loads, decisions, keyed hashes, events."""
    import nucsec.policy
    import nucsec.service.trail as trail
    from nucsec.store import labels

    counts: Counter[str] = Counter()

    def counting(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            counts[name] += 1
            return fn(*args, **kwargs)

        return wrapped

    originals = {
        "load_label": labels.load_label,
        "decide": nucsec.policy.decide,
        "keyed": trail.keyed,
        "emit": trail.emit,
    }
    with monkeypatch.context() as m:
        for name, fn in originals.items():
            wrapper = counting(name, fn)
            for module in ("labelled", "guard"):
                target = f"nucsec.service.{module}.{name}"
                m.setattr(target, wrapper, raising=False)

        def statement(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
            if "audit_" not in sql:  # the log's own statements vary with its size
                counts["sql"] += 1

        event.listen(node.engine, "before_cursor_execute", statement)
        try:
            read()
        finally:
            event.remove(node.engine, "before_cursor_execute", statement)
    return dict(counts)


def test_a_hidden_and_an_absent_id_do_the_same_work(
    fresh_node: Node, hidden: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    npa = principal_of(fresh_node, "npa.analyst")

    def reading(record_id: str) -> Callable[[], None]:
        def read() -> None:
            with pytest.raises(NotFoundError):
                get_document(fresh_node, npa, record_id)

        return read

    for record_id in (hidden, ABSENT):  # warm the caches of both paths
        reading(record_id)()
    work = {name: _count_work(fresh_node, monkeypatch, reading(record_id))
            for name, record_id in (("hidden", hidden), ("absent", ABSENT))}  # fmt: skip
    assert work["hidden"] == work["absent"], work
    assert work["hidden"]["decide"] == 1 and work["hidden"]["emit"] == 1


def _sign_test_p(positive: int, n: int) -> float:
    """Two-sided exact binomial p of ``positive`` successes out of ``n`` at 1/2."""
    k = min(positive, n - positive)
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2**n
    return min(1.0, 2 * tail)


@pytest.mark.slow
def test_a_hidden_and_an_absent_id_take_the_same_time(fresh_node: Node, hidden: str) -> None:
    client = client_of(fresh_node)
    headers = bearer(fresh_node, "npa.analyst")
    rng = random.Random(20261207)

    def timed(record_id: str) -> float:
        start = time.perf_counter()
        r = client.get(f"/api/v1/documents/{record_id}", headers=headers)
        elapsed = time.perf_counter() - start
        assert r.status_code == 404
        return elapsed

    for _ in range(50):  # warm-up pairs, not counted
        timed(hidden), timed(ABSENT)
    diffs, times = [], []
    for _ in range(400):
        if rng.random() < 0.5:
            h = timed(hidden)
            a = timed(ABSENT)
        else:
            a = timed(ABSENT)
            h = timed(hidden)
        diffs.append(h - a)
        times += [h, a]
    median_diff = statistics.median(diffs)
    typical = statistics.median(times)
    p = _sign_test_p(sum(d > 0 for d in diffs), sum(d != 0 for d in diffs))
    large = abs(median_diff) > max(200e-6, 0.2 * typical)
    assert not (large and p < 1e-6), (median_diff, typical, p)
