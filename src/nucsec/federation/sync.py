"""Pulling from a partner: ``nucsec sync --peer NAME`` and the periodic pull in ``serve``.

One sync, for one peer:

1. re-send receipts the peer has not taken yet;
2. find the peer's outbox for us (TAXII discovery, API root, collections — with
   ``taxii2-client``, every request signed with this node's key, see :mod:`.auth`);
3. page through it from the stored cursor (``added_after``, ``match[version]=all``):
   verify each page's detached JWS with the peer's pinned key, check that it answers
   *this* request (its nonce) and is addressed to us, then import it
   (:mod:`.importer`) and advance the cursor **in one transaction** — a crash loses at
   most the page in flight, which the next sync fetches again (and a page delivered twice
   changes nothing);
4. sign a receipt for each page and send it to the peer;
5. witness the peer's audit checkpoint and send back the cosignature (:mod:`.witness`).

Everything refused is logged with its reason (``exchange.receive``) and reported in the
result. From a plain TAXII source (``kind = taxii``) pages are unsigned: only TLP:CLEAR
unclassified material is accepted from it.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from sqlalchemy import Connection, insert, select, update

from nucsec.errors import (
    InputError,
    IntegrityError,
    NotFoundError,
    NucsecError,
    PeerError,
)
from nucsec.federation.auth import SignedAuth, request_nonce
from nucsec.federation.importer import Importer
from nucsec.federation.jws import JWSError, canonical_json, loads, thumbprint, verify_detached
from nucsec.federation.peers import Peer, get_peer, list_peers, set_remote_collection
from nucsec.federation.receipts import issue_receipt, mark_delivered, pending_receipts
from nucsec.federation.tables import exchange_cursors
from nucsec.node import Node

__all__ = ["PAGE_SIZE", "SyncResult", "run_periodic", "sync_all", "sync_peer"]

log = logging.getLogger(__name__)

PAGE_SIZE = 1000
TIMEOUT_S = 60.0


@dataclass
class SyncResult:
    """What one sync did. ``received`` counts record versions accepted (new or updated)."""

    peer: str
    received: int = 0
    recalled: int = 0
    unchanged: int = 0
    definitions: int = 0
    rejected: int = 0
    rejections: list[dict[str, str]] = field(default_factory=list)
    pages: int = 0
    cursor: str | None = None
    receipts_delivered: int = 0
    checkpoint: dict[str, Any] | None = None
    error: str | None = None
    error_kind: str | None = None

    @property
    def complete(self) -> bool:
        return self.error is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "peer": self.peer,
            "complete": self.complete,
            "received": self.received,
            "recalled": self.recalled,
            "unchanged": self.unchanged,
            "definitions": self.definitions,
            "rejected": self.rejected,
            "rejections": self.rejections[:1000],
            "pages": self.pages,
            "cursor": self.cursor,
            "receipts_delivered": self.receipts_delivered,
            "checkpoint": self.checkpoint,
            "error": self.error,
        }


class _Capture:
    """Response hook: keeps the last response (headers, raw body, the signed request)."""

    def __init__(self) -> None:
        self.last: requests.Response | None = None

    def __call__(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self.last = response


class ResponseTooLarge(requests.RequestException):
    """A peer's answer longer than this node accepts (``max_upload_bytes``)."""


class _TimeoutAdapter(HTTPAdapter):
    """Every request to a peer goes to the peer's pinned origin only (not to a host a
    discovery answer or a redirect names), has a timeout, and its answer is read up to
    ``max_bytes`` (a peer cannot exhaust this node's memory)."""

    def __init__(self, origin: str, max_bytes: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.origin = origin
        self.max_bytes = max_bytes

    def send(self, request: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        if not _same_origin(self.origin, str(request.url)):
            raise requests.ConnectionError(
                f"refused to contact {urlsplit(str(request.url)).netloc}: not the peer's origin"
            )
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = TIMEOUT_S
        kwargs["stream"] = True  # read below, at most max_bytes + 1
        response = super().send(request, **kwargs)
        try:
            data = response.raw.read(self.max_bytes + 1, decode_content=True)
        except (urllib3.exceptions.HTTPError, OSError) as exc:  # cut off, reset, timed out
            response.close()
            raise requests.ConnectionError(f"the peer's answer was cut off: {exc}") from exc
        if len(data) > self.max_bytes:
            response.close()
            raise ResponseTooLarge(
                f"the peer's answer exceeds {self.max_bytes} bytes", response=response
            )
        response._content = data
        response._content_consumed = True
        response.close()  # content consumed: the connection goes back to the pool
        return response


def _same_origin(base: str, url: str) -> bool:
    """Whether ``url`` is on the scheme, host and port of ``base`` (a peer's pinned URL)."""
    try:
        a, b = urlsplit(base), urlsplit(url)
        return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)
    except ValueError:  # a port that is not a number
        return False


def _connection(node: Node, peer: Peer) -> tuple[Any, _Capture]:
    from taxii2client.common import _HTTPConnection

    if peer.kind == "nucsec":
        conn = _HTTPConnection(auth=SignedAuth(node.key, node.clock), version="2.1")
    else:
        password = None
        if peer.password_file:
            try:
                password = Path(peer.password_file).read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise PeerError(f"cannot read the password file of {peer.name}: {exc}") from exc
        conn = _HTTPConnection(peer.basic_user, password, version="2.1")
    capture = _Capture()
    conn.session.hooks["response"].append(capture)
    adapter = _TimeoutAdapter(peer.url, node.settings.max_upload_bytes, max_retries=0)
    conn.session.mount("http://", adapter)
    conn.session.mount("https://", adapter)
    return conn, capture


def _api_root(peer: Peer) -> str:
    base = peer.url.rstrip("/")
    return base + "/api/" if base.endswith("/taxii2") else base + "/taxii2/api/"


def _find_collection(node: Node, peer: Peer, conn: Any) -> Any:
    """The peer's collection this node reads (looked up once, then remembered)."""
    from taxii2client.v21 import ApiRoot, Collection, Server

    if peer.remote_collection and _same_origin(peer.url, peer.remote_collection):
        return Collection(peer.remote_collection, conn=conn)
    base = peer.url.rstrip("/")
    server = Server(base + "/" if base.endswith("/taxii2") else base + "/taxii2/", conn=conn)
    found = [server.default] if server.default is not None else list(server.api_roots)
    # taxii2-client gives discovered API roots connections of their own: reuse ours (signed)
    # a discovery answer may name other hosts: we follow only the peer's own (no SSRF)
    roots = [ApiRoot(r.url, conn=conn) for r in found if _same_origin(peer.url, r.url)]
    for root in roots:
        for coll in root.collections:
            if not _same_origin(peer.url, coll.url):
                continue
            wanted = (
                coll.custom_properties.get("x_nucsec_outbox") if peer.kind == "nucsec" else True
            )
            if coll.can_read and wanted:
                with node.engine.begin() as db:
                    set_remote_collection(db, peer.name, coll.url)
                return coll
    raise PeerError(f"{peer.name} offers no collection this node may read")


def _cursor(conn: Connection, peer: Peer) -> str | None:
    c = exchange_cursors.c
    return conn.execute(select(c.added_after).where(c.peer == peer.name)).scalar()


def _advance(conn: Connection, node: Node, peer: Peer, added_last: str | None) -> None:
    c = exchange_cursors.c
    row = conn.execute(select(c.added_after, c.pages).where(c.peer == peer.name)).first()
    if row is None:
        conn.execute(
            insert(exchange_cursors).values(
                peer=peer.name, added_after=added_last, pages=1, updated_at=node.clock()
            )
        )
    elif added_last is not None and (row[0] is None or added_last > row[0]):
        conn.execute(
            update(exchange_cursors)
            .where(c.peer == peer.name)
            .values(added_after=added_last, pages=row[1] + 1, updated_at=node.clock())
        )


@dataclass(frozen=True)
class _Page:
    objects: list[Any]
    digests: list[str]  # SHA-256 of each object's canonical JSON (what receipts name)
    bundle_id: str
    bundle_sha256: str


def _canonical_objects(objects: list[Any], exotic: bool) -> tuple[list[bytes], list[str]]:
    """Each object's RFC 8785 bytes and SHA-256 (a bundle's canonical JSON is built from
    them: its keys sort as id, objects, type)."""
    canon = [canonical_json(obj, exotic=exotic) for obj in objects]
    return canon, [hashlib.sha256(c).hexdigest() for c in canon]


def _verify_page(node: Node, peer: Peer, response: requests.Response) -> _Page:
    """A signed page, verified; JWSError/InputError naming what is wrong if not."""
    try:
        parsed = loads(response.content)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"the page is not JSON: {exc}", field="body") from None
    env = parsed.value
    objects = env.get("objects", []) if isinstance(env, dict) else None
    if not isinstance(objects, list):
        raise InputError("the page is not a TAXII envelope", field="body")
    canon, digests = _canonical_objects(objects, parsed.exotic)
    if peer.kind != "nucsec":
        digest = hashlib.sha256(b"[" + b",".join(canon) + b"]").hexdigest()
        return _Page(objects, digests, "unsigned--" + digest[:32], digest)
    bundle_id, jws = env.get("x_nucsec_bundle"), env.get("x_nucsec_jws")
    if not isinstance(bundle_id, str) or not isinstance(jws, str):
        raise JWSError("the page is not signed (no bundle JWS): refused", field="jws")
    payload = b"".join(
        [
            b'{"id":',
            canonical_json(bundle_id),
            b',"objects":[',
            b",".join(canon),
            b'],"type":"bundle"}',
        ]
    )
    key = peer.public_key
    if key is None:  # pragma: no cover - nucsec peers always have one
        raise JWSError("no pinned key for the peer", field="jws")
    header = verify_detached(jws, payload, key)
    sent = response.request.headers.get("Signature-Input", "")
    nonce = request_nonce({"Signature-Input": sent if isinstance(sent, str) else sent.decode()})
    if header.get("nonce") != nonce:
        raise JWSError("the bundle was signed for another request (replayed)", field="nonce")
    if header.get("aud") != thumbprint(node.key.public_key()):
        raise JWSError("the bundle is addressed to another node", field="aud")
    return _Page(objects, digests, bundle_id, hashlib.sha256(payload).hexdigest())


def _log_failure(node: Node, peer: Peer, reason: str, bundle_id: str = "") -> None:
    with node.engine.begin() as conn:
        Importer(node, conn, peer).reject_page(bundle_id, reason)


class _PageRefused(IntegrityError):
    """A page was refused (already logged and receipted)."""


class _Puller:
    """One sync with one peer. The next page is fetched while the current one is imported,
    and receipts travel on their own connection: the partner's work overlaps ours."""

    def __init__(self, node: Node, peer: Peer, page_size: int, max_pages: int | None) -> None:
        self.node = node
        self.peer = peer
        self.page_size = page_size
        self.max_pages = max_pages
        self.result = SyncResult(peer.name)
        self.conn, self.capture = _connection(node, peer)
        self.courier_conn, _ = _connection(node, peer)
        self.fetcher = ThreadPoolExecutor(1, thread_name_prefix="nucsec-fetch")
        self.courier = ThreadPoolExecutor(1, thread_name_prefix="nucsec-receipts")
        self.delivering: Future[None] | None = None

    def close(self) -> None:
        self.fetcher.shutdown(wait=True, cancel_futures=True)
        self.courier.shutdown(wait=True, cancel_futures=True)
        self.conn.close()
        self.courier_conn.close()

    def post(self, path: str, data: dict[str, Any], conn: Any = None) -> Any:
        session = (conn or self.conn).session
        response = session.post(_api_root(self.peer) + path, json=data)
        _raise_for_status(response)
        return response.json()

    def deliver_receipts(self, conn: Any = None) -> None:
        """Send every receipt the peer has not taken yet (oldest first)."""
        if self.peer.kind != "nucsec":
            return
        with self.node.engine.connect() as db:
            pending = pending_receipts(db, self.peer)
        done = []
        try:
            for rid, receipt, jws in pending:
                self.post("x-nucsec/receipts/", {"receipt": receipt, "jws": jws}, conn)
                done.append(rid)
        finally:
            with self.node.engine.begin() as db:
                mark_delivered(db, done)
            self.result.receipts_delivered += len(done)

    def _deliver_in_background(self) -> None:
        if self.peer.kind != "nucsec":
            return
        if self.delivering is not None and not self.delivering.done():
            return  # the running delivery will pick the new receipt up, or the final one
        if self.delivering is not None and self.delivering.exception() is not None:
            log.warning("receipt delivery to %s: %s", self.peer.name, self.delivering.exception())
        self.delivering = self.courier.submit(self.deliver_receipts, self.courier_conn)

    def finish_receipts(self) -> None:
        if self.delivering is not None:
            try:
                self.delivering.result()
            except (requests.RequestException, PeerError) as exc:
                log.warning("receipt delivery to %s: %s", self.peer.name, exc)
        self.deliver_receipts()  # whatever is left, in the foreground: errors count

    def _fetch(self, collection: Any, cursor: str | None) -> tuple[Any, requests.Response]:
        envelope = collection.get_objects(added_after=cursor, limit=self.page_size, version="all")
        response = self.capture.last
        if response is None:  # pragma: no cover - the hook always runs
            raise PeerError("no response captured")
        return envelope, response

    def pull(self) -> None:
        collection = _find_collection(self.node, self.peer, self.conn)
        with self.node.engine.connect() as db:
            cursor = _cursor(db, self.peer)
        pending = self.fetcher.submit(self._fetch, collection, cursor)
        while True:
            envelope, response = pending.result()
            added_last = response.headers.get("X-TAXII-Date-Added-Last")
            more = bool(envelope.get("more")) and added_last is not None and added_last != cursor
            more = more and (self.max_pages is None or self.result.pages + 1 < self.max_pages)
            if more:
                pending = self.fetcher.submit(self._fetch, collection, added_last)
            self._page(response, added_last)
            if not more:
                break
            cursor = added_last
        self.result.cursor = added_last or cursor or self.result.cursor
        self.finish_receipts()

    def _page(self, response: requests.Response, added_last: str | None) -> None:
        try:
            verified = _verify_page(self.node, self.peer, response)
        except (JWSError, InputError) as exc:
            self._refuse_page(exc.message, str(_claimed_bundle(response)))
            raise _PageRefused(f"page from {self.peer.name} refused: {exc.message}") from None
        bundle_id = verified.bundle_id
        with self.node.engine.begin() as db:
            page = Importer(self.node, db, self.peer).import_page(
                verified.objects, bundle_id, verified.digests
            )
            _advance(db, self.node, self.peer, added_last)
            if self.peer.kind == "nucsec":
                issue_receipt(
                    self.node,
                    db,
                    self.peer,
                    bundle_id=bundle_id,
                    bundle_sha256=verified.bundle_sha256,
                    accepted=page.accepted,
                    unchanged=page.unchanged,
                    rejected=page.rejected,
                )
        r = self.result
        r.pages += 1
        r.cursor = added_last or r.cursor
        r.received += len(page.records)
        r.recalled += len(page.recalled)
        r.definitions += len(page.accepted) - len(page.records) - len(page.recalled)
        r.unchanged += len(page.unchanged)
        r.rejected += len(page.rejected)
        r.rejections += page.rejected
        self._deliver_in_background()

    def _refuse_page(self, reason: str, bundle_id: str) -> None:
        _log_failure(self.node, self.peer, f"page refused: {reason}", bundle_id[:64])
        self.result.rejected += 1
        self.result.rejections.append({"id": "", "version": "", "reason": f"page: {reason}"})
        if self.peer.kind != "nucsec":
            return
        with self.node.engine.begin() as db:
            issue_receipt(
                self.node,
                db,
                self.peer,
                bundle_id=bundle_id[:64] or "unknown",
                bundle_sha256=None,
                accepted=[],
                unchanged=[],
                rejected=[],
                page_error=reason,
            )
        try:
            self.deliver_receipts()
        except (requests.RequestException, PeerError):
            log.warning("could not deliver the refusal receipt to %s", self.peer.name)

    def witness(self) -> None:
        from nucsec.federation.witness import last_witnessed, witness

        if self.peer.kind != "nucsec":
            return
        with self.node.engine.connect() as db:
            previous = last_witnessed(db, self.peer)
        since = previous.tree_size if previous else 0
        response = self.conn.session.get(
            _api_root(self.peer) + f"x-nucsec/checkpoint/?since={since}"
        )
        _raise_for_status(response)
        with self.node.engine.begin() as db:
            cosigned, checkpoint = witness(self.node, db, self.peer, response.json())
        self.post("x-nucsec/cosignatures/", {"note": cosigned, "witness": self.node.origin})
        self.result.checkpoint = {"witnessed": checkpoint.tree_size, "since": since}


def _claimed_bundle(response: requests.Response) -> str:
    try:
        value = response.json().get("x_nucsec_bundle", "")
    except (ValueError, AttributeError):
        return ""
    return value if isinstance(value, str) else ""


def _raise_for_status(response: requests.Response) -> None:
    if response.status_code < 400:
        return
    try:
        detail = response.json().get("description", response.reason)
    except (ValueError, AttributeError):
        detail = response.reason
    raise PeerError(f"HTTP {response.status_code} from the peer: {detail}")


def _describe(exc: BaseException) -> str:
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        try:
            detail = exc.response.json().get("description", "")
        except (ValueError, AttributeError):
            detail = ""
        return f"HTTP {exc.response.status_code} from the peer" + (f": {detail}" if detail else "")
    return f"{type(exc).__name__}: {exc}"[:500]


def sync_peer(
    node: Node,
    peer_name: str,
    *,
    page_size: int = PAGE_SIZE,
    max_pages: int | None = None,
    witness: bool = True,
) -> SyncResult:
    """Pull everything new from one peer. Never raises for network or integrity trouble:
    the result says what was received before it happened (``error``), and it is logged."""
    from taxii2client.exceptions import TAXIIServiceException

    with node.engine.connect() as db:
        peer = get_peer(db, peer_name)
    if peer is None:
        raise NotFoundError(f"no active peer {peer_name!r}", field="peer", value=peer_name)
    puller = _Puller(node, peer, page_size, max_pages)
    try:
        puller.deliver_receipts()
        puller.pull()
        if witness:
            puller.witness()
    except _PageRefused as exc:
        puller.result.error, puller.result.error_kind = exc.message, "integrity"
    except IntegrityError as exc:
        puller.result.error, puller.result.error_kind = exc.message, "integrity"
        _log_failure(node, peer, f"sync refused: {exc.message}")
    except (requests.RequestException, TAXIIServiceException, PeerError, NucsecError) as exc:
        reason = exc.message if isinstance(exc, NucsecError) else _describe(exc)
        puller.result.error, puller.result.error_kind = reason, "peer"
        _log_failure(node, peer, f"sync interrupted: {reason}")
    finally:
        puller.close()
    return puller.result


def sync_all(node: Node) -> list[SyncResult]:
    """One sync with every active peer."""
    with node.engine.connect() as db:
        names = [p.name for p in list_peers(db)]
    return [sync_peer(node, name) for name in names]


def run_periodic(node: Node, stop: threading.Event, interval_s: float | None = None) -> None:
    """Pull from every peer every ``interval_s`` (default: setting ``sync_seconds``) until
    ``stop`` is set. ``nucsec serve`` runs it in a daemon thread of the serving process
    (:func:`nucsec.web.server.serve`). An interval of 0 disables it."""
    interval = node.settings.sync_seconds if interval_s is None else interval_s
    if interval <= 0:
        return
    while not stop.wait(interval):
        try:
            for result in sync_all(node):
                if result.error:
                    log.warning("sync with %s: %s", result.peer, result.error)
        except Exception:  # a background loop must survive anything; the cause is logged
            log.exception("periodic sync failed")
