"""Real faults between real nodes: a proxy that drops, truncates, corrupts, strips the
signature from or replays pages; a wrong pinned key; a skewed clock; kill -9 of either node
in the middle of a sync, repeatedly. Afterwards the receiving node holds exactly what a
fault-free run gives, nothing twice, nothing unsigned, and every refusal is logged with its
reason. The module's nodes are shared; each test brings the receiver up to date first and
compares it with the fault-free reference node at the end, so any order works."""

from __future__ import annotations

import datetime as dt
import json
import random
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select

from nucsec.audit.keys import public_key_pem
from nucsec.audit.tables import audit_events
from nucsec.federation.outbox import backfill
from nucsec.federation.peers import add_peer
from nucsec.federation.sync import sync_peer
from nucsec.federation.tables import exchange_inbound, exchange_rejections
from nucsec.markings import parse_banner
from nucsec.node import utcnow
from nucsec.service.documents import DocumentInput, create_document
from nucsec.service.users import principal_of
from tests.federation.conftest import process_nodes
from tests.federation.nodes import NodeProcess
from tests.federation.proxy import faulty_proxy
from tests.federation.scan import assert_nothing_forbidden, received

PAGE = 10
RNG = random.Random(20101101)


def _pin(
    node: NodeProcess, other: NodeProcess, name: str, url: str, key: bytes | None = None
) -> None:
    n, o = node.open(), other.open()
    try:
        with n.engine.begin() as conn:
            peer = add_peer(
                n, conn, name=name, nation=other.nation, url=url,
                public_key=key or public_key_pem(o.key.public_key()),
            )  # fmt: skip
            backfill(n, conn, peer)
    finally:
        n.close()
        o.close()


def _add_documents(a: NodeProcess, count: int, tag: str) -> None:
    n = a.open()
    try:
        analyst = principal_of(n, "doe.analyst")
        rel = parse_banner("CONFIDENTIAL//REL TO USA, JPN", n.ctx)
        home = parse_banner("CONFIDENTIAL//NOFORN", n.ctx)
        for i in range(count):
            label = home if i % 5 == 4 else rel
            create_document(
                n, analyst, DocumentInput(f"{tag} {i}", f"body {tag} {i} 日本", label, label)
            )
    finally:
        n.close()


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A (USA, served), B (JPN, pulls through a faulty proxy), C (JPN, pulls directly:
    the fault-free reference)."""
    root = tmp_path_factory.mktemp("faults")
    with ExitStack() as stack:
        make = stack.enter_context(process_nodes(root))
        a, b, c = make("USA", start=True), make("JPN", name="b"), make("JPN", name="c")
        url, faults = stack.enter_context(faulty_proxy(a.port))
        _add_documents(a, 60, "first")
        _pin(a, b, "jpn", b.url)
        _pin(a, c, "jpn-ref", c.url)
        _pin(b, a, "usa", url)
        _pin(c, a, "usa", a.url)
        yield {"a": a, "b": b, "c": c, "faults": faults, "proxy": url}


def sync(node: NodeProcess, peer: str = "usa", clock: Any = None, page: int = PAGE) -> Any:
    n = node.open()
    if clock is not None:
        n.clock = clock
    try:
        return sync_peer(n, peer, page_size=page)
    finally:
        n.close()


def rejections(node: NodeProcess) -> list[str]:
    n = node.open()
    try:
        with n.engine.connect() as conn:
            return list(conn.execute(select(exchange_rejections.c.reason)).scalars())
    finally:
        n.close()


def audit_reasons(node: NodeProcess, action: str) -> list[str]:
    n = node.open()
    try:
        with n.engine.connect() as conn:
            bodies = conn.execute(
                select(audit_events.c.body).where(
                    audit_events.c.action == action, audit_events.c.outcome != "success"
                )
            ).scalars()
            return [str(json.loads(b)["details"].get("reason", "")) for b in bodies]
    finally:
        n.close()


def _settle(net: dict[str, Any]) -> None:
    """No fault armed, and B up to date: each test starts from a clean state."""
    net["faults"].arm("pass")
    settled = sync(net["b"])
    assert settled.complete, settled.error


def _converges(net: dict[str, Any], *, verify: bool = False) -> None:
    """After the faults: B, synced again, holds exactly what C (which never saw a fault)
    holds, nothing twice, nothing its nation may not receive."""
    a, b, c = net["a"], net["b"], net["c"]
    net["faults"].arm("pass")
    assert sync(b).complete
    reference = sync(c)
    assert reference.complete and reference.rejected == 0
    got, want = received(b), received(c)
    assert set(got) == set(want) and want
    for rid, rec in want.items():
        mine = got[rid]
        assert (mine.title, mine.body, mine.banner, mine.portions, mine.versions) == (
            rec.title, rec.body, rec.banner, rec.portions, rec.versions,
        )  # fmt: skip
    assert_nothing_forbidden(b, {"usa": "USA", "usa-wrongkey": "USA"})
    n = b.open()
    try:
        with n.engine.connect() as conn:
            total = conn.execute(select(func.count()).select_from(exchange_inbound)).scalar()
            distinct = conn.execute(
                select(func.count()).select_from(
                    select(exchange_inbound.c.stix_id, exchange_inbound.c.modified)
                    .distinct()
                    .subquery()
                )
            ).scalar()
    finally:
        n.close()
    assert total == distinct  # nothing accepted twice
    if verify:
        for node in (a, b):
            checked = node.cli("audit", "verify", "--json")
            assert checked.code == 0, checked.out


def test_without_faults_both_receivers_agree_and_the_logs_verify(net: dict[str, Any]) -> None:
    _converges(net, verify=True)


def _no_corruption(node: NodeProcess) -> None:
    for rec in received(node).values():
        assert "Q" not in rec.title[:1], rec.title  # the flipped letter never got in


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("flip", "signature does not verify"),
        ("unsigned", "not signed"),
        ("replay", "signed for another request"),
        ("truncate", "sync interrupted"),
        ("drop", "sync interrupted"),
    ],
)
def test_a_spoiled_page_is_refused_logged_and_nothing_of_it_is_kept(
    net: dict[str, Any], mode: str, reason: str
) -> None:
    b, faults = net["b"], net["faults"]
    _settle(net)
    _add_documents(net["a"], 25, f"before-{mode}")
    before = received(b)
    faults.arm(mode, skip=1)
    result = sync(b)
    assert not result.complete, faults.log
    assert result.pages == 1  # the good first page was kept, the spoiled one was not
    assert any(reason in r for r in rejections(b)), (reason, rejections(b))
    assert any(reason in r for r in audit_reasons(b, "exchange.receive"))
    _no_corruption(b)
    assert 0 < len(received(b)) - len(before) <= PAGE  # only the first page's records
    _converges(net)


def test_a_wrong_pinned_key_accepts_nothing(net: dict[str, Any]) -> None:
    a, b = net["a"], net["b"]
    wrong = public_key_pem(Ed25519PrivateKey.generate().public_key())
    _pin(b, a, "usa-wrongkey", a.url, key=wrong)
    result = sync(b, "usa-wrongkey")
    assert not result.complete and "pinned key" in (result.error or "")
    assert not [r for r in received(b).values() if r.origin == "usa-wrongkey"]
    assert any("another key than the partner's pinned key" in r for r in rejections(b))
    _converges(net)


def test_a_skewed_clock_is_refused_and_a_small_skew_tolerated(net: dict[str, Any]) -> None:
    a, b = net["a"], net["b"]
    _settle(net)
    _add_documents(a, 5, "skew")
    late = sync(b, clock=lambda: utcnow() + dt.timedelta(hours=1))
    assert not late.complete and "clock skew" in (late.error or "")
    assert any("clock skew" in r for r in audit_reasons(a, "auth.login_failed"))
    assert any("clock skew" in r for r in rejections(b))
    slightly = sync(b, clock=lambda: utcnow() - dt.timedelta(seconds=90))
    assert slightly.complete, slightly.error
    _converges(net)


def _wait_for_progress(
    b: NodeProcess, beyond: int, proc: subprocess.Popen[bytes] | None = None, timeout_s: float = 60
) -> int | None:
    """Block until B has accepted more than ``beyond`` object versions and return the count;
    None if ``proc`` ended first."""
    n = b.open()
    try:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with n.engine.connect() as conn:
                count = int(
                    conn.execute(select(func.count()).select_from(exchange_inbound)).scalar() or 0
                )
            if count > beyond:
                return count
            if proc is not None and proc.poll() is not None:
                return None
            time.sleep(0.01)
    finally:
        n.close()
    raise AssertionError("the sync made no progress")


def _inbound(b: NodeProcess) -> int:
    count = _wait_for_progress(b, -1)
    assert count is not None
    return count


@pytest.mark.slow
def test_kill_9_of_the_receiver_mid_sync_repeatedly(net: dict[str, Any]) -> None:
    b = net["b"]
    _settle(net)
    _add_documents(net["a"], 400, "kill-receiver")
    start = len(received(b))
    progress = []
    for _ in range(3):
        before = _inbound(b)
        proc = b.popen("sync", "--peer", "usa", "--page-size", "5", "--json")
        try:
            moved = _wait_for_progress(b, before, proc)  # a page committed: under way
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.communicate(timeout=10)
        if moved is None:
            break  # that sync finished before it could be killed
        progress.append(len(received(b)))
    finished = b.cli("sync", "--peer", "usa", "--json")
    assert finished.code == 0, finished.err
    end = len(received(b))
    assert end == start + 320
    assert any(start < p < end for p in progress), progress  # killed mid-sync
    _converges(net, verify=True)


def _sync_into(b: NodeProcess, results: list[Any], page: int = PAGE) -> None:
    results.append(sync(b, page=page))


@pytest.mark.slow
def test_kill_9_of_the_sender_mid_sync_repeatedly(net: dict[str, Any]) -> None:
    a, b = net["a"], net["b"]
    _settle(net)
    _add_documents(a, 400, "kill-sender")
    interrupted = 0
    for _ in range(2):
        results: list[Any] = []
        before = _inbound(b)
        worker = threading.Thread(target=_sync_into, args=(b, results, 5))
        worker.start()
        _wait_for_progress(b, before)
        a.kill()
        worker.join(60)
        a.start()
        assert results and (results[0].error is None or results[0].error_kind == "peer")
        interrupted += results[0].error is not None
    finished = sync(b)
    assert finished.complete, finished.error
    assert interrupted >= 1  # the sender died under at least one sync
    _converges(net, verify=True)
