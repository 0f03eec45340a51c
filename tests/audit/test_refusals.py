"""Counted refusals (``service.refusals``): one event per source and kind of refusal in a
window, the rest counted and appended as one counted event when the window has passed;
every refusal accounted for, a source varying its reasons held to a few kinds, the log
still verifying."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from nucsec.audit.tables import audit_events
from nucsec.audit.verify import verify_log
from nucsec.node import Node
from nucsec.service.refusals import (
    MAX_KINDS_PER_SOURCE,
    OTHER,
    WINDOW,
    Refusal,
    flush_due,
    record_refusal,
)


def _refuse(node: Node, source: str, reason: str) -> bool:
    refusal = Refusal(source, "anonymous", "auth.login_failed", "denied", reason, obj="taxii")
    with node.engine.begin() as conn:
        return record_refusal(node, conn, refusal)


def _logged(node: Node) -> list[dict[str, object]]:
    e = audit_events.c
    with node.engine.connect() as conn:
        rows = conn.execute(select(e.body).where(e.action == "auth.login_failed")).scalars()
        return [json.loads(b)["details"] for b in rows]


def test_every_refusal_is_an_event_or_inside_a_count(demo_node: Node) -> None:
    t0 = demo_node.clock()
    demo_node.clock = lambda: t0
    logged = [_refuse(demo_node, "src-a", "clock skew of 3600 s") for _ in range(50)]
    assert logged == [True] + [False] * 49  # numbers in a reason: one kind
    assert _refuse(demo_node, "src-b", "clock skew of 7200 s")  # another source: its own
    demo_node.clock = lambda: t0 + WINDOW + timedelta(seconds=1)
    assert _refuse(demo_node, "src-a", "clock skew of 10 s")  # a new window: counted first
    details = _logged(demo_node)
    a = [d for d in details if d["source"] == "src-a"]
    assert [d.get("count", 1) for d in a] == [1, 49, 1]
    assert a[1]["reason"] == "clock skew of # s" and a[1]["first"] <= a[1]["last"]
    assert a[2]["reason"] == "clock skew of 10 s"  # an event of its own keeps its reason
    with demo_node.engine.begin() as conn:
        demo_node.clock = lambda: t0 + 3 * WINDOW
        assert flush_due(demo_node, conn) == 0  # nothing was counted since
        report = verify_log(conn, origin=demo_node.origin, public_keys=[demo_node.key.public_key()])
    assert report.ok


def test_a_source_varying_its_reasons_is_held_to_a_few_kinds(demo_node: Node) -> None:
    t0 = demo_node.clock()
    demo_node.clock = lambda: t0
    logged = [_refuse(demo_node, "src-v", f"parameter x{i:x}y given twice") for i in range(40)]
    assert sum(logged) == MAX_KINDS_PER_SOURCE + 1  # the kinds, then one for the others
    demo_node.clock = lambda: t0 + WINDOW
    with demo_node.engine.begin() as conn:
        flush_due(demo_node, conn)
    details = [d for d in _logged(demo_node) if d["source"] == "src-v"]
    assert sum(int(d.get("count", 1)) for d in details) == 40  # complete as a count
    assert any(d["reason"] == OTHER and d.get("count") for d in details)
