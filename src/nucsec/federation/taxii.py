"""The node's TAXII 2.1 server (FastAPI ``router``), over the node's own database.

Routes (every one needs a request signed by a pinned peer key, see :mod:`.auth`)::

    GET  /taxii2/                                          discovery
    GET  /taxii2/api/                                      API root
    GET  /taxii2/api/collections/                          the caller's outbox only
    GET  /taxii2/api/collections/{id}/                     (404 for anyone else's)
    GET  /taxii2/api/collections/{id}/objects/             signed pages (added_after, limit,
                                                           next, match[id|type|version|...])
    GET  /taxii2/api/collections/{id}/objects/{object}/    one object's versions, signed
    GET  /taxii2/api/collections/{id}/objects/{object}/versions/
    GET  /taxii2/api/collections/{id}/manifest/
    POST /taxii2/api/collections/{id}/objects/             403: outboxes are read-only
    POST /taxii2/api/x-nucsec/receipts/                    a signed receipt from the caller
    GET  /taxii2/api/x-nucsec/checkpoint/?since=N          our audit checkpoint + consistency proof
    POST /taxii2/api/x-nucsec/cosignatures/                the caller's cosignature of it
    POST /taxii2/api/x-nucsec/library-queries/             a forensics library query: the
                                                           signed conclusion only

Errors use the TAXII error message (``title``, ``description``, ``http_status``); a
refused signature is logged (``auth.login_failed``) with its reason. A peer asking for a
collection that is not its own gets 404, exactly as for one that does not exist.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import Connection, delete, insert
from sqlalchemy.exc import IntegrityError as DBIntegrityError
from starlette.concurrency import run_in_threadpool

from nucsec.errors import (
    AccessDenied,
    AuthenticationError,
    InputError,
    NotFoundError,
    NucsecError,
    status_for,
)
from nucsec.federation import envelopes
from nucsec.federation.auth import SignedRequest, nonce_expiry, verify_request
from nucsec.federation.peers import Peer, peer_by_thumbprint
from nucsec.federation.tables import exchange_nonces
from nucsec.node import Node
from nucsec.service.refusals import Refusal, address_source, record_refusal

__all__ = ["TAXII_MEDIA", "router"]

log = logging.getLogger(__name__)

TAXII_MEDIA = "application/taxii+json;version=2.1"
API_ROOT = "/taxii2/api/"
router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class Call:
    """What a handler sees of the request (after the signature verified)."""

    peer: Peer
    signed: SignedRequest
    query: dict[str, str]
    body: bytes
    base_url: str


def _taxii(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = data if isinstance(data, bytes) else json.dumps(data, ensure_ascii=False).encode()
    return Response(body, status_code=status, media_type=TAXII_MEDIA, headers=headers)


def _error(status: int, title: str, description: str) -> Response:
    headers = {"WWW-Authenticate": 'Signature realm="nucsec"'} if status == 401 else None
    return _taxii(
        {"title": title, "description": description, "http_status": str(status)}, status, headers
    )


def _accepts(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    if not accept:
        return True
    kinds = [part.split(";")[0].strip().lower() for part in accept.split(",")]
    return any(k in ("*/*", "application/*", "application/taxii+json") for k in kinds)


def _authenticate(
    node: Node, conn: Connection, request: Request, body: bytes
) -> tuple[Peer, SignedRequest]:
    peer_found: list[Peer] = []

    def key_for(keyid: str) -> Any:
        peer = peer_by_thumbprint(conn, keyid)
        if peer is None:
            return None
        peer_found.append(peer)
        return peer.public_key

    signed = verify_request(
        method=request.method,
        authority=request.headers.get("host", ""),
        path=request.scope.get("raw_path", request.url.path.encode()).decode("latin-1"),
        query=request.scope.get("query_string", b"").decode("latin-1"),
        headers=request.headers,
        body=body,
        now=node.clock(),
        key_for=key_for,
    )
    now = node.clock()
    conn.execute(delete(exchange_nonces).where(exchange_nonces.c.expires_at < now))
    try:
        with conn.begin_nested():
            conn.execute(
                insert(exchange_nonces).values(
                    keyid=signed.keyid, nonce=signed.nonce, expires_at=nonce_expiry(signed)
                )
            )
    except DBIntegrityError:
        raise AuthenticationError(
            "signed request refused: nonce already used (replayed request)", field="nonce"
        ) from None
    return peer_found[-1], signed


def _log_refusal(node: Node, request: Request, exc: NucsecError) -> None:
    """Audit a refused request (logged once per client and reason in a window, then
    counted: :mod:`nucsec.service.refusals`)."""
    address = request.client.host if request.client else "unknown"
    refusal = Refusal(
        source=address_source(node, address),
        actor="peer:unknown",
        action="auth.login_failed",
        obj="taxii",
        outcome="denied",
        reason=exc.message,
        details={"via": "taxii", "method": request.method, "path": request.url.path[:200]},
    )
    try:
        with node.engine.begin() as conn:
            record_refusal(node, conn, refusal)
    except Exception:  # pragma: no cover - logging must not hide the refusal
        log.exception("could not log a refused TAXII request")


def _dispatch(
    node: Node, request: Request, body: bytes, handler: Callable[[Node, Connection, Call], Response]
) -> Response:
    try:
        with node.engine.begin() as conn:
            peer, signed = _authenticate(node, conn, request, body)
            call = Call(peer, signed, dict(request.query_params), body, str(request.base_url))
            return handler(node, conn, call)
    except AuthenticationError as exc:
        _log_refusal(node, request, exc)
        return _error(401, "Unauthorized", exc.message)
    except NotFoundError as exc:
        return _error(404, "Not Found", exc.message)
    except AccessDenied as exc:
        return _error(403, "Forbidden", exc.message)
    except NucsecError as exc:
        status = status_for(exc)[1]
        status = 400 if status == 422 else status
        return _error(status, type(exc).__name__, exc.message)


async def _run(request: Request, handler: Callable[[Node, Connection, Call], Response]) -> Response:
    if not _accepts(request):
        return _error(406, "Not Acceptable", f"this server answers {TAXII_MEDIA}")
    body = await request.body()
    return await run_in_threadpool(_dispatch, request.app.state.node, request, body, handler)


def _own_collection(call: Call, collection_id: str) -> None:
    if collection_id != call.peer.collection_id:
        raise NotFoundError("no such collection", field="collection")


def _collection(node: Node, peer: Peer) -> dict[str, Any]:
    return {
        "id": peer.collection_id,
        "title": f"Outbox of {node.nation} for {peer.nation} ({peer.name})",
        "description": "What the markings release to your nation; read-only.",
        "can_read": True,
        "can_write": False,
        "media_types": [envelopes.STIX_MEDIA],
        "x_nucsec_outbox": True,
    }


def _claims(node: Node, call: Call) -> dict[str, Any]:
    return {
        "nonce": call.signed.nonce,
        "aud": call.peer.key_thumbprint,
        "iat": int(node.clock().timestamp()),
    }


# -- discovery, API root, collections ---------------------------------------------------------


@router.get("/taxii2/")
async def discovery(request: Request) -> Response:
    def handle(node: Node, conn: Connection, call: Call) -> Response:
        root = call.base_url.rstrip("/") + API_ROOT
        return _taxii(
            {
                "title": f"nucsec {node.nation} node",
                "description": "TAXII 2.1 outboxes of a nucsec national node",
                "default": root,
                "api_roots": [root],
            }
        )

    return await _run(request, handle)


@router.get(API_ROOT)
async def api_root(request: Request) -> Response:
    def handle(node: Node, conn: Connection, call: Call) -> Response:
        return _taxii(
            {
                "title": f"nucsec {node.nation} federation",
                "versions": [TAXII_MEDIA],
                "max_content_length": node.settings.max_upload_bytes,
                "x_nucsec_origin": node.origin,
                "x_nucsec_nation": node.nation,
            }
        )

    return await _run(request, handle)


@router.get(API_ROOT + "collections/")
async def collections(request: Request) -> Response:
    def handle(node: Node, conn: Connection, call: Call) -> Response:
        return _taxii({"collections": [_collection(node, call.peer)]})

    return await _run(request, handle)


@router.get(API_ROOT + "collections/{collection_id}/")
async def collection(request: Request, collection_id: str) -> Response:
    def handle(node: Node, conn: Connection, call: Call) -> Response:
        _own_collection(call, collection_id)
        return _taxii(_collection(node, call.peer))

    return await _run(request, handle)


# -- objects, manifest, versions ------------------------------------------------------------


@router.get(API_ROOT + "collections/{collection_id}/objects/")
async def objects(request: Request, collection_id: str) -> Response:
    def handle(node: Node, conn: Connection, call: Call) -> Response:
        _own_collection(call, collection_id)
        f = envelopes.Filters.parse(call.query)
        page = envelopes.object_page(node, conn, call.peer, f, _claims(node, call))
        if page is None:  # pragma: no cover - only by id
            raise NotFoundError("no such object")
        return _taxii(page.body, headers=page.headers)

    return await _run(request, handle)


@router.get(API_ROOT + "collections/{collection_id}/objects/{object_id}/")
async def get_object(request: Request, collection_id: str, object_id: str) -> Response:
    def handle(node: Node, conn: Connection, call: Call) -> Response:
        _own_collection(call, collection_id)
        f = envelopes.Filters.parse(call.query)
        page = envelopes.object_page(
            node, conn, call.peer, f, _claims(node, call), stix_id=object_id
        )
        if page is None:
            raise NotFoundError("no such object in this collection", field="object")
        return _taxii(page.body, headers=page.headers)

    return await _run(request, handle)


@router.get(API_ROOT + "collections/{collection_id}/objects/{object_id}/versions/")
async def object_versions(request: Request, collection_id: str, object_id: str) -> Response:
    def handle(node: Node, conn: Connection, call: Call) -> Response:
        _own_collection(call, collection_id)
        f = envelopes.Filters.parse(call.query, default_version="all")
        page = envelopes.versions_page(conn, call.peer, object_id, f)
        if page is None:
            raise NotFoundError("no such object in this collection", field="object")
        return _taxii(page.body, headers=page.headers)

    return await _run(request, handle)


@router.get(API_ROOT + "collections/{collection_id}/manifest/")
async def manifest(request: Request, collection_id: str) -> Response:
    def handle(node: Node, conn: Connection, call: Call) -> Response:
        _own_collection(call, collection_id)
        page = envelopes.manifest_page(conn, call.peer, envelopes.Filters.parse(call.query))
        return _taxii(page.body, headers=page.headers)

    return await _run(request, handle)


def _read_only(collection_id: str) -> Callable[[Node, Connection, Call], Response]:
    def handle(node: Node, conn: Connection, call: Call) -> Response:
        _own_collection(call, collection_id)
        raise AccessDenied("outbox collections are read-only", field="collection")

    return handle


@router.post(API_ROOT + "collections/{collection_id}/objects/")
async def add_objects(request: Request, collection_id: str) -> Response:
    return await _run(request, _read_only(collection_id))


@router.delete(API_ROOT + "collections/{collection_id}/objects/{object_id}/")
async def delete_object(request: Request, collection_id: str, object_id: str) -> Response:
    return await _run(request, _read_only(collection_id))


# -- receipts and checkpoints -----------------------------------------------------------------


def _json_body(call: Call) -> dict[str, Any]:
    try:
        data = json.loads(call.body)
    except (ValueError, UnicodeDecodeError):
        raise InputError("request body is not JSON", field="body") from None
    if not isinstance(data, dict):
        raise InputError("request body must be a JSON object", field="body")
    return data


@router.post(API_ROOT + "x-nucsec/receipts/")
async def receipts(request: Request) -> Response:
    def handle(node: Node, conn: Connection, call: Call) -> Response:
        from nucsec.federation.receipts import accept_receipt

        data = _json_body(call)
        return _taxii(accept_receipt(node, conn, call.peer, data.get("receipt"), data.get("jws")))

    return await _run(request, handle)


@router.get(API_ROOT + "x-nucsec/checkpoint/")
async def checkpoint(request: Request) -> Response:
    def handle(node: Node, conn: Connection, call: Call) -> Response:
        from nucsec.federation.witness import checkpoint_offer

        try:
            since = int(call.query.get("since", "0"))
        except ValueError:
            raise InputError("since must be an integer", field="since") from None
        return _taxii(checkpoint_offer(node, conn, since))

    return await _run(request, handle)


@router.post(API_ROOT + "x-nucsec/cosignatures/")
async def cosignatures(request: Request) -> Response:
    def handle(node: Node, conn: Connection, call: Call) -> Response:
        from nucsec.federation.witness import accept_cosignature

        data = _json_body(call)
        result = accept_cosignature(node, conn, call.peer, data.get("note"), data.get("witness"))
        return _taxii(result)

    return await _run(request, handle)


@router.post(API_ROOT + "x-nucsec/library-queries/")
async def library_queries(request: Request) -> Response:
    def handle(node: Node, conn: Connection, call: Call) -> Response:
        from nucsec.federation.library_query import answer_query

        return _taxii(answer_query(node, conn, call.peer, _json_body(call), _claims(node, call)))

    return await _run(request, handle)
