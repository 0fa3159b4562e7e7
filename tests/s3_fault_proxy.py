"""A loopback reverse proxy that makes S3 fail on purpose (standard library only).

Put it between boto3 and a real S3 server to inject what no local server can do by itself
(ingest-practices.md §7):

* ``status``: answer with an S3 error (``500 InternalError``, ``503 SlowDown``, ``409 ConditionalRequestConflict``)
  without forwarding;
* ``drop_before``: read the request, then close the connection without forwarding it;
* ``drop_after``: forward it (the server applies the write), then close the connection instead of replying: the
  "lost reply" case, where botocore's retry of a create-only write meets its own object and gets 412.

Each :class:`Fault` filters on method and a path regex and fires for its first ``count`` matches (after letting
``after`` through), or with a seeded ``probability``, so a run is reproducible. The ``Host`` header is passed
through unchanged, so SigV4 signatures still verify upstream. :attr:`FaultProxy.log` records every request and
what was done to it.
"""
from __future__ import annotations

import http.client
import random
import re
import threading
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

_HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
               "expect"}  # fmt: skip
_ERROR_XML = ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
              "<Message>injected by s3_fault_proxy</Message><RequestId>fault</RequestId></Error>")  # fmt: skip


@dataclass
class Fault:
    mode: str  # "status", "drop_before" or "drop_after"
    status: int = 503
    code: str = "SlowDown"
    methods: tuple[str, ...] = ("GET", "HEAD", "PUT", "POST", "DELETE")
    path: str = ""  # regex searched in the request path ("/bucket/key?query")
    count: int | None = None  # fire on the first N matching requests; None: no limit
    probability: float = 1.0
    after: int = 0  # let this many matching requests through first (fail exactly the Nth request: after=N-1)

    def __post_init__(self) -> None:
        if self.mode not in ("status", "drop_before", "drop_after"):
            raise ValueError(f"unknown fault mode {self.mode!r}")
        self._path = re.compile(self.path)

    def matches(self, method: str, path: str) -> bool:
        return method in self.methods and bool(self._path.search(path)) and self.count != 0

    def label(self) -> str:
        return f"status:{self.status}" if self.mode == "status" else self.mode


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    action: str  # "forwarded", "status:503", "drop_before", "drop_after"


class FaultProxy:
    def __init__(self, upstream: str, *, seed: int = 0) -> None:
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.faults: list[Fault] = []
        self.log: list[Request] = []
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def endpoint_url(self) -> str:
        host, port = self._server.server_address[:2]  # type: ignore[union-attr]
        return f"http://{host}:{port}"

    @property
    def stats(self) -> Counter[str]:
        """Requests per action, e.g. ``{"forwarded": 40, "drop_after": 3}``."""
        return Counter(request.action for request in self.log)

    def add(self, *faults: Fault) -> None:
        with self._lock:
            self.faults.extend(faults)

    def clear(self) -> None:
        with self._lock:
            self.faults.clear()

    def _choose(self, method: str, path: str) -> Fault | None:
        """The fault for this request, if any; counts and the seeded draw happen under one lock."""
        with self._lock:
            for fault in self.faults:
                if fault.matches(method, path) and fault.after > 0:
                    fault.after -= 1
                    continue
                if fault.matches(method, path) and self._random.random() < fault.probability:
                    if fault.count is not None:
                        fault.count -= 1
                    return fault
        return None

    def _record(self, method: str, path: str, action: str) -> None:
        with self._lock:
            self.log.append(Request(method, path, action))

    def start(self) -> "FaultProxy":
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as botocore expects

            def log_message(self, *args: object) -> None:  # quiet: the proxy log is the record
                pass

            def _handle(self) -> None:
                if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                    self.send_error(501, "chunked request bodies are not supported by the fault proxy")
                    return
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                fault = proxy._choose(self.command, self.path)
                action = fault.label() if fault else "forwarded"
                proxy._record(self.command, self.path, action)
                if fault is not None and fault.mode == "status":
                    payload = _ERROR_XML.format(code=fault.code).encode()
                    self.send_response(fault.status)
                    self.send_header("Content-Type", "application/xml")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    if self.command != "HEAD":  # a body after a HEAD answer would be read as the next answer
                        self.wfile.write(payload)
                    return
                if fault is not None and fault.mode == "drop_before":
                    self.close_connection = True
                    return
                status, reason, headers, reply = self._forward(body)
                if fault is not None:  # drop_after: the server has applied the request; the client never hears
                    self.close_connection = True
                    return
                self.send_response(status, reason)
                for name, value in headers:
                    if name.lower() not in _HOP_BY_HOP:
                        self.send_header(name, value)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(reply)

            def _forward(self, body: bytes) -> tuple[int, str, list[tuple[str, str]], bytes]:
                connection = http.client.HTTPConnection(*proxy.upstream, timeout=60)
                try:
                    connection.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
                    for name, value in self.headers.items():  # Host included, unchanged: SigV4 signed it
                        if name.lower() not in _HOP_BY_HOP:
                            connection.putheader(name, value)
                    connection.endheaders(body)
                    response = connection.getresponse()
                    return response.status, response.reason, response.getheaders(), response.read()
                finally:
                    connection.close()

            do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="s3-fault-proxy", daemon=True).start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()

    def __enter__(self) -> "FaultProxy":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
