"""A real HTTP(S) server on 127.0.0.1 for tests (standard library only, plus ``cryptography`` for a test cert).

Serves fixture bodies from a dict of routes and/or a directory, and can misbehave on purpose: redirects (chains and
loops), conditional GET (``ETag`` / ``Last-Modified`` → 304), a slow start, a slow-drip body, a body with no
``Content-Length``, oversized and gzip-bomb bodies. It records every request (and the TLS SNI name), so a test can
check what the client sent::

    with LoopbackHTTPServer({"/feed.xml": Route(b"<rss/>", content_type="application/rss+xml")}) as server:
        fetch(server.url("/feed.xml"), policy)
        assert server.requests[0].headers["user-agent"].startswith("ingest-plugin/")

:class:`TrickleServer` is rawer: it answers every request with bytes of its own, sending the tail of them one byte
at a time (a status line, a header line, a chunk-size line or a body that never seems to end), and records whether
the client hung up before the trickle was over.

Both bind 127.0.0.1 on a free port and never talk to anything else.
"""
from __future__ import annotations

import datetime as dt
import gzip
import http.client
import json
import mimetypes
import select
import socket
import ssl
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from email.message import Message
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self
from urllib.parse import urlsplit


@dataclass
class Route:
    """What the server answers for one path."""

    body: bytes = b""
    status: int = 200
    content_type: str | None = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None  # with If-None-Match matching it → 304
    last_modified: str | None = None  # with If-Modified-Since at or after it → 304
    delay: float = 0.0  # seconds before the status line: a slow server
    drip: float = 0.0  # seconds between body bytes: a slow-drip body
    content_length: bool = True  # False: no Content-Length, the body ends when the connection closes


def redirect(location: str, status: int = 302) -> Route:
    return Route(status=status, content_type=None, headers={"Location": location})


def gzipped(data: bytes, content_type: str | None = "application/xml") -> Route:
    """A route whose body is ``data`` gzip-compressed, sent with ``Content-Encoding: gzip``."""
    return Route(body=gzip.compress(data, compresslevel=9), content_type=content_type,
                 headers={"Content-Encoding": "gzip"})


def gzip_bomb(size: int) -> Route:
    """``size`` zero bytes, gzip-compressed to about 1/1000 of that."""
    return gzipped(bytes(size))


@dataclass(frozen=True)
class Seen:
    method: str
    path: str  # with the query string
    headers: dict[str, str]  # lower-case names


class LoopbackHTTPServer:
    """A threaded server on ``127.0.0.1:<free port>``; use it as a context manager. ``routes`` wins over
    ``directory``; unknown paths get 404. Pass ``tls`` (a server-side SSLContext) for https."""

    def __init__(self, routes: Mapping[str, Route | bytes] | None = None, *, directory: Path | None = None,
                 tls: ssl.SSLContext | None = None) -> None:
        self.routes: dict[str, Route] = {
            path: route if isinstance(route, Route) else Route(route) for path, route in (routes or {}).items()}
        self.directory = directory.resolve() if directory else None
        self.requests: list[Seen] = []
        self.sni_names: list[str | None] = []
        self._tls = tls
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None

    @property
    def port(self) -> int:
        assert self._httpd is not None, "the server is not running"
        return self._httpd.server_address[1]

    def url(self, path: str = "/", host: str = "127.0.0.1") -> str:
        return f"{'https' if self._tls else 'http'}://{host}:{self.port}{path}"

    def paths(self) -> list[str]:
        with self._lock:
            return [seen.path for seen in self.requests]

    def __enter__(self) -> Self:
        httpd = _Server(("127.0.0.1", 0), _handler_for(self))
        if self._tls is not None:
            self._tls.sni_callback = lambda _sock, name, _ctx: self.sni_names.append(name)
            httpd.socket = self._tls.wrap_socket(httpd.socket, server_side=True)
        self._httpd = httpd
        threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stopping.set()
        assert self._httpd is not None
        self._httpd.shutdown()
        self._httpd.server_close()

    def _route(self, path: str) -> Route | None:
        if path in self.routes:
            return self.routes[path]
        if self.directory is None:
            return None
        file = (self.directory / path.lstrip("/")).resolve()
        if not file.is_relative_to(self.directory) or not file.is_file():
            return None
        return Route(file.read_bytes(), content_type=mimetypes.guess_type(file.name)[0] or "application/octet-stream")


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a handler still sleeping in a slow route must not block shutdown

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError, ssl.SSLError)):
            super().handle_error(request, client_address)  # a client that gave up is expected; anything else not


def _handler_for(server: LoopbackHTTPServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"  # one request per connection; a body without length ends at close

        def do_GET(self) -> None:
            with server._lock:
                server.requests.append(Seen("GET", self.path, {k.lower(): v for k, v in self.headers.items()}))
            route = server._route(urlsplit(self.path).path)
            if route is None:
                route = Route(b"not found", status=404, content_type="text/plain")
            if route.delay and server._stopping.wait(route.delay):
                return
            if _not_modified(route, self.headers):
                self.send_response(304)
                self._validators(route)
                self.end_headers()
                return
            self.send_response(route.status)
            if route.content_type:
                self.send_header("Content-Type", route.content_type)
            if route.content_length:
                self.send_header("Content-Length", str(len(route.body)))
            self._validators(route)
            for name, value in route.headers.items():
                self.send_header(name, value)
            self.end_headers()
            if not route.drip:
                self.wfile.write(route.body)
                return
            for i in range(len(route.body)):
                if server._stopping.wait(route.drip):
                    return
                self.wfile.write(route.body[i:i + 1])
                self.wfile.flush()

        def _validators(self, route: Route) -> None:
            if route.etag:
                self.send_header("ETag", route.etag)
            if route.last_modified:
                self.send_header("Last-Modified", route.last_modified)

        def log_message(self, format: str, *args: object) -> None:
            pass  # requests are recorded in server.requests instead

    return Handler


class TrickleServer:
    """A raw TCP server on ``127.0.0.1:<free port>`` that reads each request's head, sends ``head`` at once, then
    ``trickle`` one byte every ``interval`` seconds. Use it as a context manager.

    ``outcome(timeout)`` waits for the first connection to end and says how: ``"client closed"`` (the client hung
    up while bytes were still to come) or ``"finished"`` (everything was sent). A test makes the trickle long (say
    60 s), so "the client closed" proves it gave up on its own, with no timing in the assertion."""

    def __init__(self, head: bytes, trickle: bytes, *, interval: float = 0.2) -> None:
        self.head = head
        self.trickle = trickle
        self.interval = interval
        self.requests: list[bytes] = []  # the request heads received
        self._outcomes: list[str] = []
        self._ended = threading.Event()
        self._stopping = threading.Event()
        self._listener: socket.socket | None = None

    @property
    def port(self) -> int:
        assert self._listener is not None, "the server is not running"
        port: int = self._listener.getsockname()[1]
        return port

    @property
    def seconds(self) -> float:
        """How long the whole trickle takes."""
        return len(self.trickle) * self.interval

    def url(self, path: str = "/", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def outcome(self, timeout: float = 30.0) -> str | None:
        """How the first connection ended, once it has (None if it is still going after ``timeout``)."""
        self._ended.wait(timeout)
        return self._outcomes[0] if self._outcomes else None

    def __enter__(self) -> Self:
        listener = socket.create_server(("127.0.0.1", 0))
        listener.settimeout(0.05)
        self._listener = listener
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stopping.set()
        assert self._listener is not None
        self._listener.close()

    def _accept(self) -> None:
        assert self._listener is not None
        while not self._stopping.is_set():
            try:
                conn, _address = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return  # closed by __exit__
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            outcome = self._serve(conn)
        self._outcomes.append(outcome)
        self._ended.set()

    def _serve(self, conn: socket.socket) -> str:
        conn.settimeout(5)
        received = b""
        try:
            while b"\r\n\r\n" not in received:
                data = conn.recv(4096)
                if not data:
                    return "client closed"
                received += data
            self.requests.append(received)
            conn.sendall(self.head)
            for i in range(len(self.trickle)):
                # Wait the interval, watching the socket: a readable socket here means the client hung up.
                if select.select([conn], [], [], self.interval)[0] and not conn.recv(1):
                    return "client closed"
                if self._stopping.is_set():
                    return "stopped"
                conn.sendall(self.trickle[i:i + 1])
        except OSError:  # reset by the client
            return "client closed"
        return "finished"


def _not_modified(route: Route, headers: Message) -> bool:
    """RFC 9110 §13.2.2: If-None-Match decides when present; else If-Modified-Since."""
    if_none_match = headers.get("If-None-Match")
    if if_none_match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return route.etag is not None and ("*" in tags or route.etag.removeprefix("W/") in tags)
    since = headers.get("If-Modified-Since")
    if since and route.last_modified:
        try:
            return parsedate_to_datetime(route.last_modified) <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
    return False


def self_signed_cert(directory: Path, name: str = "localhost") -> tuple[Path, Path]:
    """A throwaway certificate for ``name`` (and 127.0.0.1), valid for a day: ``(cert.pem, key.pem)``. The cert is
    its own CA, so a client can trust exactly it."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(
            [x509.DNSName(name), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / f"{name}.crt", directory / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def server_tls_context(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


def wait_healthy(port: int, still_starting: Callable[[], bool], timeout: float = 60) -> None:
    """Poll ``GET /healthz`` on 127.0.0.1:``port`` until it answers 200; fail when the server gave up
    (``still_starting()`` turned false) or after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        if not still_starting():
            raise RuntimeError(f"the server on port {port} stopped before it answered /healthz")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the server on port {port} did not answer /healthz within {timeout:g} s")
        time.sleep(0.1)


def partner_config(site: Any, *, feeds: Iterable[str] = (), article_url: bool = False,
                   limits: Mapping[str, object] | None = None, queue: Mapping[str, object] | None = None) -> str:
    """The TOML configuration of a Zenger partner living on the loopback ``site`` (anything with ``port`` and
    ``url(path)``): its host on the allow-list, private addresses allowed (it is loopback), no pacing between
    requests, its feeds (paths on the site), its ``article_url`` (``/?p={id}``, as WordPress serves a shortlink) when
    asked, and extra ``[limits]`` and ``[queue]`` keys."""
    tables = [toml_table("limits", {"min_seconds_between_requests": 0, **(limits or {})}),
              toml_table("fetch", {"allow_private_addresses": True})]
    if queue:
        tables.append(toml_table("queue", queue))
    partner: dict[str, object] = {"allowed_hosts": [f"127.0.0.1:{site.port}"]}
    if feeds:
        partner["feeds"] = [site.url(path) for path in feeds]
    if article_url:
        partner["article_url"] = site.url("/?p=") + "{id}"
    tables.append(toml_table("partners.zenger", partner))
    return "\n".join(tables)


def toml_table(name: str, keys: Mapping[str, object]) -> str:
    """A TOML table of JSON-compatible values (strings, numbers, booleans, lists of strings)."""
    return f"[{name}]\n" + "".join(f"{key} = {json.dumps(value)}\n" for key, value in keys.items())
