"""Federation (issue 5): sync throughput node -> node on loopback, and resume after a kill.

Node A (USA) holds N documents released to node B (JPN) (default N = 100,000; set
``NUCSEC_BENCH_FED_DOCS``). A is served by ``nucsec serve`` in its own process; B pulls with
``nucsec.federation.sync`` (``taxii2-client``, signed requests, one detached-JWS bundle per
page verified with A's pinned key, the boundary check at A for every object, the monitor
and the boundary again at B, import in one transaction per page with the audit events,
signed receipts back to A, checkpoint witnessing at the end).

Rows, each beside a baseline measured in this run — the OASIS reference server
``medallion`` (memory backend) serving the same STIX objects to ``taxii2-client``
(``as_pages``), with no policy, no signatures and no database (on a sample of
``NUCSEC_BENCH_FED_BASELINE_DOCS`` = 2,000 documents: medallion's memory backend is
quadratic in the collection size):

* documents per second node -> node, end to end (goal >= 2,000/s on 2 cores);
* time to resume after an interruption: a second JPN node C is killed (kill -9) a third of
  the way through its sync; the time from restarting it to the first newly committed page
  (baseline: the first page of medallion asked ``added_after`` the last object seen);
* filling the outbox when the peer is added (the monitor's decision for each document),
  shown for information.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

from benchmarks._table import Table, fmt_rate, fmt_s
from nucsec import settings
from nucsec.assembly import init_node
from nucsec.audit.keys import public_key_pem
from nucsec.federation.outbox import backfill
from nucsec.federation.peers import add_peer
from nucsec.federation.sync import sync_peer
from nucsec.federation.tables import exchange_inbound, exchange_outbox
from nucsec.markings import parse_banner, rollup
from nucsec.node import Node, utcnow
from nucsec.store.labels import intern_label
from nucsec.store.records import Portion, _encode, _search_text
from nucsec.store.schema import record_versions, records

N = int(os.environ.get("NUCSEC_BENCH_FED_DOCS", "100000"))
#: medallion's memory backend filters `added_after` by scanning its manifest for every object
#: (quadratic: 2,000 objects took 16 s to page through and 34 s for one added_after query on
#: the development machine), so the baseline runs on a sample of this many documents
BASELINE_N = int(os.environ.get("NUCSEC_BENCH_FED_BASELINE_DOCS", "2000"))
PAGE = 1000
BIN = Path(sys.executable).parent


def _node(root: Path, name: str, nation: str) -> Node:
    home = root / name
    return init_node(settings.load(env={}, home=home, database_url="", sync_seconds=0.0), nation)


def _documents(node: Node, n: int) -> None:
    """N documents written straight into the store (a data set, not a workload)."""
    ctx = node.ctx
    title = parse_banner("SECRET//REL TO USA, JPN", ctx).with_(
        originator="USA.DOE", legal_basis=ctx.default_basis
    )
    body = parse_banner("CONFIDENTIAL//REL TO USA, JPN", ctx).with_(
        originator="USA.DOE", legal_basis=ctx.default_basis
    )
    now = utcnow()
    with node.engine.begin() as conn:
        t_id, b_id = intern_label(conn, title, ctx), intern_label(conn, body, ctx)
        banner_id = intern_label(conn, rollup([title, body], ctx), ctx)
        for start in range(0, n, 5000):
            chunk = range(start, min(n, start + 5000))
            ids = [str(uuid.uuid4()) for _ in chunk]
            portions = [
                {
                    "title": Portion(f"Seizure report {i}", t_id),
                    "body": Portion(f"HPGe survey {i}: Cs-137, Co-60. " * 4, b_id),
                }
                for i in chunk
            ]
            conn.execute(
                insert(records),
                [
                    {
                        "id": rid,
                        "kind": "document",
                        "label_id": banner_id,
                        "head_version": 1,
                        "title": p["title"].value,
                        "search_text": _search_text(p),
                        "created_at": now,
                        "updated_at": now,
                        "created_by": None,
                        "origin": None,
                        "recalled": False,
                    }
                    for rid, p in zip(ids, portions, strict=True)
                ],
            )
            pks = dict(
                conn.execute(select(records.c.id, records.c.pk).where(records.c.id.in_(ids))).all()
            )
            conn.execute(
                insert(record_versions),
                [
                    {
                        "record_pk": pks[rid],
                        "version": 1,
                        "label_id": banner_id,
                        "author_id": None,
                        "created_at": now,
                        "content": _encode(p),
                        "note": "",
                    }
                    for rid, p in zip(ids, portions, strict=True)
                ],
            )


def _pin(node: Node, other: Node, name: str, url: str) -> float:
    t0 = time.perf_counter()
    with node.engine.begin() as conn:
        peer = add_peer(
            node,
            conn,
            name=name,
            nation=other.nation,
            url=url,
            public_key=public_key_pem(other.key.public_key()),
        )
        backfill(node, conn, peer)
    return time.perf_counter() - t0


def _wait(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except urllib.error.HTTPError:
            return  # answered (401 for medallion)
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


@contextmanager
def _serve(home: Path, port: int) -> Iterator[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUCSEC_")}
    env.update(NUCSEC_HOME=str(home), NUCSEC_SYNC_SECONDS="0")
    proc = subprocess.Popen(
        [str(BIN / "nucsec"), "serve", "--port", str(port), "--log-level", "warning"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait(url + "/api/health", proc)
        yield url
    finally:
        proc.terminate()
        proc.wait(20)


def _inbound(node: Node) -> int:
    with node.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(exchange_inbound)).scalar() or 0)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _resume(root: Path, a: Node, url: str) -> tuple[float, float, int]:
    """Kill a syncing JPN node C a third of the way in; time its restart to the first new
    page, and the rest. Returns (resume s, remainder s, documents in the remainder)."""
    c = _node(root, "c", "JPN")
    _pin(a, c, "jpn-c", "http://127.0.0.1:9")
    _pin(c, a, "usa", url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUCSEC_")}
    env.update(NUCSEC_HOME=str(root / "c"), NUCSEC_SYNC_SECONDS="0")
    proc = subprocess.Popen(
        [str(BIN / "nucsec"), "sync", "--peer", "usa"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    while _inbound(c) < N // 3 and proc.poll() is None:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    before = _inbound(c)
    t0 = time.perf_counter()
    first: list[float] = []
    import threading

    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            if _inbound(c) > before:
                first.append(time.perf_counter() - t0)
                return
            time.sleep(0.005)

    watcher = threading.Thread(target=watch)
    watcher.start()
    result = sync_peer(c, "usa", page_size=PAGE, witness=False)
    total = time.perf_counter() - t0
    stop.set()
    watcher.join()
    c.close()
    if result.error:
        raise RuntimeError(result.error)
    return (first[0] if first else total), total, result.received


def _medallion(root: Path, objects: list[dict[str, Any]]) -> tuple[float, float, int]:
    """(seconds to read everything with taxii2-client, seconds to the first page after
    added_after, objects read) from medallion serving ``objects``."""
    from taxii2client.v21 import Server, as_pages

    port = _free_port()
    base = f"http://127.0.0.1:{port}/api1/"
    manifest = [
        {
            "id": o["id"],
            "date_added": f"2024-01-01T00:00:00.{i:06d}Z" if i < 10**6 else o["created"],
            "version": o.get("modified", o.get("created")),
            "media_type": "application/stix+json;version=2.1",
        }
        for i, o in enumerate(objects)
    ]
    data = {
        "/discovery": {"title": "medallion", "default": base, "api_roots": [base]},
        "api1": {
            "information": {
                "title": "api1",
                "versions": ["application/taxii+json;version=2.1"],
                "max_content_length": 10**9,
            },
            "status": [],
            "collections": [
                {
                    "id": "b0b0b0b0-0000-4000-8000-000000000001",
                    "title": "bench",
                    "can_read": True,
                    "can_write": False,
                    "media_types": ["application/stix+json;version=2.1"],
                    "objects": objects,
                    "manifest": manifest,
                }
            ],
        },
    }
    (root / "medallion-data.json").write_text(json.dumps(data))
    config = {
        "backend": {
            "module": "medallion.backends.memory_backend",
            "module_class": "MemoryBackend",
            "filename": str(root / "medallion-data.json"),
            "session_timeout": 3600,
        },
        "users": {"bench": "bench-password"},
        "taxii": {"max_page_size": PAGE},
    }
    (root / "medallion.json").write_text(json.dumps(config))
    proc = subprocess.Popen(
        [
            str(BIN / "medallion"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            str(root / "medallion.json"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait(f"http://127.0.0.1:{port}/taxii2/", proc)
        server = Server(f"http://127.0.0.1:{port}/taxii2/", user="bench", password="bench-password")
        coll = server.default.collections[0]  # type: ignore[union-attr]
        t0 = time.perf_counter()
        count = sum(len(p.get("objects", [])) for p in as_pages(coll.get_objects, per_request=PAGE))
        full = time.perf_counter() - t0
        t0 = time.perf_counter()
        coll.get_objects(added_after=manifest[len(manifest) // 3]["date_added"], limit=PAGE)
        resume = time.perf_counter() - t0
        return full, resume, count
    finally:
        proc.terminate()
        proc.wait(20)


def run() -> Table:
    table = Table(f"federation: {N:,} documents USA -> JPN on loopback (signed, policy-checked)")
    with tempfile.TemporaryDirectory(prefix="nucsec-bench-fed-") as tmp:
        root = Path(tmp)
        a, b = _node(root, "a", "USA"), _node(root, "b", "JPN")
        _documents(a, N)
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        fill = _pin(a, b, "jpn", "http://127.0.0.1:9")
        _pin(b, a, "usa", url)
        with a.engine.connect() as conn:
            bodies = conn.execute(
                select(exchange_outbox.c.body)
                .where(exchange_outbox.c.peer == "jpn")
                .order_by(exchange_outbox.c.seq)
            ).scalars()
            # medallion 3.0 cannot serve extension-definition objects (their `version`)
            objects = [o for o in map(json.loads, bodies) if o["type"] != "extension-definition"]
        a.close()
        with _serve(root / "a", port):
            t0 = time.perf_counter()
            result = sync_peer(b, "usa", page_size=PAGE)
            spent = time.perf_counter() - t0
            if result.error or result.received != N:
                raise RuntimeError(f"sync incomplete: {result.to_dict()}")
            resume, remainder, rest = _resume(root, _reopen(root / "a"), url)
        b.close()
        definitions = [o for o in objects if o["type"] != "x-nucsec-document"]
        sample = definitions + [o for o in objects if o["type"] == "x-nucsec-document"][:BASELINE_N]
        base_full, base_resume, base_count = _medallion(root, sample)
        base_docs = base_count - len(definitions)
    table.add(
        "sync node -> node (docs/s)",
        fmt_rate(N / spent),
        "medallion + taxii2-client",
        fmt_rate(base_docs / base_full),
        ">= 2,000/s",
        f"{fmt_s(spent)}, {result.pages} signed pages; baseline {fmt_s(base_full)} for "
        f"{base_docs:,} of the same documents (no policy, signatures or database)",
    )
    table.add(
        "resume after kill -9 (to first new page)",
        fmt_s(resume),
        "medallion added_after",
        fmt_s(base_resume),
        "",
        (
            f"remaining {rest:,} docs in {fmt_s(remainder)} ({fmt_rate(rest / remainder)}); "
            f"baseline: first page after a third of {base_docs:,}"
            if rest
            else "the killed sync had finished: nothing left to resume"
        ),
    )
    table.add(
        "outbox fill at peer add (docs/s)",
        fmt_rate(N / fill),
        "",
        "",
        "",
        f"{fmt_s(fill)}: monitor decision, STIX mapping, canonical JSON per document",
    )
    return table


def _reopen(home: Path) -> Node:
    from nucsec.assembly import open_node

    return open_node(settings.load(env={}, home=home, database_url="", sync_seconds=0.0))
