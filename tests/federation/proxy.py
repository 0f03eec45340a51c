"""A faulty HTTP proxy between two nodes: it drops, truncates, corrupts, strips signatures
from or replays the responses of a partner's TAXII ``objects`` endpoint on demand."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MODES = ("pass", "drop", "truncate", "flip", "unsigned", "replay")


@dataclass
class Faults:
    """What the proxy does to the next objects responses (then it passes traffic)."""

    mode: str = "pass"
    times: int = 0  # how many objects responses to spoil (after `skip` good ones)
    skip: int = 0
    seen: int = 0
    spoiled: int = 0
    recorded: bytes | None = None
    log: list[str] = field(default_factory=list)
    wire: list[bytes] = field(default_factory=list)  # every request and response body

    def arm(self, mode: str, *, times: int = 1, skip: int = 0) -> None:
        if mode not in MODES:
            raise ValueError(mode)
        self.mode, self.times, self.skip, self.seen, self.spoiled = mode, times, skip, 0, 0
        self.recorded = None


def _flip(body: bytes) -> bytes:
    """Change one letter inside the first title: still JSON, no longer what was signed."""
    at = body.index(b'"title":"') + len(b'"title":"')
    out = bytearray(body)
    out[at] = ord("Q") if out[at] != ord("Q") else ord("R")
    return bytes(out)


def _unsigned(body: bytes) -> bytes:
    data = json.loads(body)
    data.pop("x_nucsec_jws", None)
    return json.dumps(data).encode()


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def _forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        upstream = http.client.HTTPConnection("127.0.0.1", self.server.upstream_port, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
        try:
            upstream.request(self.command, self.path, body=body, headers=headers)
            response = upstream.getresponse()
            payload = response.read()
            status, reply_headers = response.status, response.getheaders()
        except (OSError, http.client.HTTPException):
            self.close_connection = True  # the partner died: so does this reply
            return
        finally:
            upstream.close()
        faults = self.server.faults
        faults.wire += [self.path.encode(), body or b"", payload]
        objects = "/objects/" in self.path and self.command == "GET" and "versions" not in self.path
        mode = "pass"
        if objects:
            faults.seen += 1
            if faults.recorded is None:
                faults.recorded = payload
            if faults.seen > faults.skip and faults.spoiled < faults.times:
                mode = faults.mode
                faults.spoiled += 1 if mode != "pass" else 0
        faults.log.append(f"{self.command} {self.path} -> {mode}")
        if mode == "drop":
            self.close_connection = True
            return  # no response at all
        if mode == "flip":
            payload = _flip(payload)
        elif mode == "unsigned":
            payload = _unsigned(payload)
        elif mode == "replay" and faults.recorded is not None:
            payload = faults.recorded
        self.send_response(status)
        for name, value in reply_headers:
            if name.lower() not in ("content-length", "connection", "date", "server"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Connection", "close")
        self.end_headers()
        if mode == "truncate":
            self.wfile.write(payload[: len(payload) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(payload)
        self.close_connection = True

    do_GET = _forward
    do_POST = _forward


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, upstream_port: int, faults: Faults) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.upstream_port = upstream_port
        self.faults = faults


@contextmanager
def faulty_proxy(upstream_port: int) -> Iterator[tuple[str, Faults]]:
    """``with faulty_proxy(port) as (url, faults): faults.arm("flip")``."""
    faults = Faults()
    server = _Server(upstream_port, faults)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", faults
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
