"""ingest_plugin.transport.fetch against a real HTTP(S) server on 127.0.0.1.

Nothing here leaves the machine: the autouse ``net`` fixture answers DNS for made-up partner names itself (and
refuses any other name), records every ``connect()``, and fails the test on a connect to anything but loopback.
"Refused before any traffic" is asserted as "no connect() was attempted", never by timing.
"""
from __future__ import annotations

import gzip
import ipaddress
import socket
import threading
from collections.abc import Callable, Iterator, MutableMapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from structlog.testing import capture_logs

from ingest_plugin import __version__, partners
from ingest_plugin import log as plugin_log
from ingest_plugin.config import Config, Limits, PartnerConfig
from ingest_plugin.errors import ErrorCode, IngestError
from ingest_plugin.transport.fetch import (
    FetchPolicy,
    FetchResult,
    HostRateLimiter,
    default_user_agent,
    fetch,
    ip_literal,
    plain_host_problem,
)
from tests.conftest import logging_as_it_was
from tests.httpserver import (
    LoopbackHTTPServer,
    Route,
    TrickleServer,
    gzip_bomb,
    gzipped,
    redirect,
    self_signed_cert,
    server_tls_context,
)

REAL_GETADDRINFO = socket.getaddrinfo  # before the ``net`` fixture replaces it; used with AI_NUMERICHOST only
PUBLIC_IP = "203.0.114.10"  # a global address that the ``net`` fixture diverts to 127.0.0.1; never reached
LAST_MODIFIED = "Wed, 01 Jan 2025 00:00:00 GMT"


@dataclass
class FakeNet:
    """DNS answers for made-up names, and a log of every connect() (with the address fetch chose)."""

    answers: dict[str, list[list[str]]] = field(default_factory=dict)  # name -> answer per lookup (last repeats)
    divert: dict[str, str] = field(default_factory=dict)  # address fetch chose -> loopback address really used
    lookups: list[str] = field(default_factory=list)
    connects: list[str] = field(default_factory=list)

    def resolve(self, name: str, *answers: list[str]) -> None:
        self.answers[name] = list(answers)


@pytest.fixture(autouse=True)
def net(monkeypatch: pytest.MonkeyPatch) -> FakeNet:
    fake = FakeNet()
    real_getaddrinfo, real_connect = socket.getaddrinfo, socket.socket.connect

    def getaddrinfo(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        fake.lookups.append(host)
        if host in fake.answers:
            answers = fake.answers[host]
            ips = answers[min(fake.lookups.count(host), len(answers)) - 1]
            return [(socket.AF_INET6 if ":" in ip else socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "",
                     (ip, port, 0, 0) if ":" in ip else (ip, port)) for ip in ips]
        if host != "localhost" and not _is_ip(host):
            raise socket.gaierror(socket.EAI_NONAME, "not a test name (no real DNS in these tests)")
        return real_getaddrinfo(host, port, *args, **kwargs)

    def connect(sock: socket.socket, address: Any) -> None:
        fake.connects.append(address[0])
        host = fake.divert.get(address[0], address[0])
        assert ipaddress.ip_address(host).is_loopback, f"test traffic to {host}"
        real_connect(sock, (host, *address[1:]))

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", connect)
    return fake


@pytest.fixture
def serve() -> Iterator[Callable[..., LoopbackHTTPServer]]:
    """``serve(routes, **options)``: a started loopback server, stopped after the test."""
    with ExitStack() as stack:
        yield lambda routes=None, **options: stack.enter_context(LoopbackHTTPServer(routes, **options))


@pytest.fixture
def events() -> Iterator[list[MutableMapping[str, Any]]]:
    """The structlog events the test emits (at every level)."""
    with logging_as_it_was():
        plugin_log.configure("DEBUG", json=True)
        with capture_logs() as logs:
            yield logs


def policy_for(server: LoopbackHTTPServer | None = None, **overrides: Any) -> FetchPolicy:
    """The loopback server (as 127.0.0.1 and localhost) on the allow-list, private addresses allowed, no pacing."""
    hosts = {f"127.0.0.1:{server.port}", f"localhost:{server.port}"} if server else set()
    settings: dict[str, Any] = {"allowed_hosts": frozenset(hosts), "allow_private": True, "connect_timeout": 2.0,
                                "read_timeout": 2.0, "min_interval": 0.0, "rate_limiter": HostRateLimiter()}
    return FetchPolicy(**{**settings, **overrides})


def refused(url: str, policy: FetchPolicy, code: ErrorCode = ErrorCode.FETCH_FAILED) -> str:
    """Fetch, expect the ``code`` error, and return its message (checked to leak no query string)."""
    with pytest.raises(IngestError) as caught:
        fetch(url, policy)
    error = caught.value
    assert (error.code, error.stage) == (code, "fetch")
    assert "token" not in str(error)
    return error.message


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


# --- the allowed path -------------------------------------------------------------------------------------------

def test_allowed_url_is_fetched_with_honest_headers(serve: Callable[..., LoopbackHTTPServer], net: FakeNet,
                                                    events: list[MutableMapping[str, Any]]) -> None:
    server = serve({"/story.html": Route(b"<html>story</html>")})
    url = server.url("/story.html?token=s3cret")

    result = fetch(url, policy_for(server))

    assert result == FetchResult(url=url, final_url=url, status=200, body=b"<html>story</html>",
                                 content_type="text/html; charset=utf-8", etag=None, last_modified=None)
    [seen] = server.requests
    assert seen.path == "/story.html?token=s3cret"
    assert seen.headers["host"] == f"127.0.0.1:{server.port}"
    assert seen.headers["user-agent"] == default_user_agent()
    assert seen.headers["accept-encoding"] == "gzip"
    assert net.connects == ["127.0.0.1"]
    [event] = [e for e in events if e["event"] == "fetch"]
    assert event["url"] == server.url("/story.html") and "s3cret" not in repr(events)
    assert (event["host"], event["status"], event["bytes"]) == ("127.0.0.1", 200, 18)
    assert isinstance(event["duration_ms"], int)


def test_user_agent_names_the_plugin_and_version() -> None:
    agent = default_user_agent()
    assert agent.startswith(f"ingest-plugin/{__version__} (") and agent.endswith("newsroom partner ingest)")
    assert FetchPolicy(allowed_hosts=frozenset()).user_agent == agent


def test_failure_is_logged_without_query(serve: Callable[..., LoopbackHTTPServer],
                                         events: list[MutableMapping[str, Any]]) -> None:
    server = serve()
    assert "HTTP 404" in refused(server.url("/missing?token=abc"), policy_for(server))
    [event] = [e for e in events if e["event"] == "fetch"]
    assert event["log_level"] == "warning" and "HTTP 404" in event["error"]
    assert "token" not in repr(events)


# --- SSRF: refused before any traffic ---------------------------------------------------------------------------

def test_same_loopback_url_refused_without_allow_private(serve: Callable[..., LoopbackHTTPServer],
                                                         net: FakeNet) -> None:
    server = serve({"/": Route(b"ok")})
    message = refused(server.url("/"), policy_for(server, allow_private=False))
    assert "127.0.0.1 is a loopback address" in message
    assert net.connects == [] and server.requests == []


def test_localhost_name_refused_without_allow_private(serve: Callable[..., LoopbackHTTPServer],
                                                      net: FakeNet) -> None:
    server = serve({"/": Route(b"ok")})
    message = refused(server.url("/", host="localhost"), policy_for(server, allow_private=False))
    assert "localhost resolves to a loopback address" in message
    assert net.connects == []


def test_host_not_on_allow_list_refused_before_dns(net: FakeNet) -> None:
    message = refused("https://evil.example/feed?token=1", policy_for(allowed_hosts=frozenset({"zenger.news"})))
    assert message == "cannot fetch https://evil.example/feed: host evil.example is not on the allow-list for " \
                      "this partner"
    assert net.lookups == [] and net.connects == []


@pytest.mark.parametrize("url, reason", [
    ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
    ("http://10.0.0.1/", "10.0.0.1 is a private address"),
    ("http://[::1]/", "::1 is a loopback address"),
    ("http://0.0.0.0/", "0.0.0.0 is an unspecified address"),
    ("http://[::ffff:10.0.0.1]/", "(IPv4 10.0.0.1) is a private address"),
    ("http://[64:ff9b::a9fe:a9fe]/", "64:ff9b::a9fe:a9fe (IPv4 169.254.169.254) is a link-local"),
    ("http://224.0.0.1/", "224.0.0.1 is a multicast address"),
    ("http://100.64.0.1/", "100.64.0.1 is a non-public address"),
])
def test_forbidden_address_literals_refused_before_connect(url: str, reason: str, net: FakeNet) -> None:
    policy = policy_for(allowed_hosts=frozenset({urlsplit(url).hostname}), allow_private=False)
    assert reason in refused(url, policy)
    assert net.connects == []


@pytest.mark.parametrize("host", ["169.254.169.254", "0.0.0.0", "224.0.0.1", "fe80::1", "240.0.0.1"])
def test_allow_private_still_refuses_metadata_and_odd_addresses(host: str, net: FakeNet) -> None:
    url = f"http://[{host}]/" if ":" in host else f"http://{host}/"
    assert f"{host} is a" in refused(url, policy_for(allowed_hosts=frozenset({host})))
    assert net.connects == []


def test_name_resolving_to_private_address_refused(net: FakeNet) -> None:
    net.resolve("feeds.partner.example", ["10.0.0.5"])
    message = refused("https://feeds.partner.example/rss", policy_for(allowed_hosts=frozenset(
        {"feeds.partner.example"}), allow_private=False))
    assert "feeds.partner.example resolves to a private address 10.0.0.5" in message
    assert net.connects == []


def test_mixed_dns_answer_refused(net: FakeNet) -> None:
    net.resolve("feeds.partner.example", [PUBLIC_IP, "192.168.1.4"])
    message = refused("https://feeds.partner.example/rss", policy_for(allowed_hosts=frozenset(
        {"feeds.partner.example"}), allow_private=False))
    assert "resolves to a private address 192.168.1.4" in message
    assert net.connects == []


@pytest.mark.parametrize("url, reason", [
    ("ftp://127.0.0.1/feed.xml", "scheme ftp: is not allowed"),
    ("gopher://127.0.0.1/", "scheme gopher: is not allowed"),
    ("//127.0.0.1/feed.xml", "scheme (none): is not allowed"),
    ("http://user:hunter2@127.0.0.1:{port}/", "user info (user:password@) are not allowed"),
    ("http://127.0.0.1:1/", "port 1 of host 127.0.0.1 is not on the allow-list"),
    ("http://[::1/", "malformed URL"),
    ("file:///etc/passwd", "file: URLs are not allowed for this partner"),
])
def test_bad_urls_refused_before_connect(url: str, reason: str, serve: Callable[..., LoopbackHTTPServer],
                                         net: FakeNet) -> None:
    server = serve()
    message = refused(url.format(port=server.port), policy_for(server))
    assert reason in message and "hunter2" not in message
    assert net.connects == []


def test_connects_to_the_checked_address_and_sends_the_name(serve: Callable[..., LoopbackHTTPServer],
                                                            net: FakeNet) -> None:
    """DNS rebinding: a second lookup would say 10.0.0.5, but there is no second lookup."""
    server = serve({"/feed": Route(b"<rss/>")})
    net.resolve("feeds.partner.example", ["127.0.0.1"], ["10.0.0.5"])
    url = f"http://feeds.partner.example:{server.port}/feed"

    result = fetch(url, policy_for(allowed_hosts=frozenset({f"feeds.partner.example:{server.port}"})))

    assert result.body == b"<rss/>"
    assert server.requests[0].headers["host"] == f"feeds.partner.example:{server.port}"
    assert net.lookups.count("feeds.partner.example") == 1
    assert net.connects == ["127.0.0.1"]


# --- redirects --------------------------------------------------------------------------------------------------

def test_redirect_chain_followed(serve: Callable[..., LoopbackHTTPServer]) -> None:
    server = serve()
    server.routes.update({"/a": redirect("/b", 301), "/b": redirect(server.url("/c", host="localhost"), 307),
                          "/c": Route(b"landed")})
    result = fetch(server.url("/a"), policy_for(server))
    assert (result.body, result.final_url) == (b"landed", server.url("/c", host="localhost"))
    assert server.paths() == ["/a", "/b", "/c"]


def test_redirect_to_host_off_the_allow_list_refused(serve: Callable[..., LoopbackHTTPServer],
                                                     net: FakeNet) -> None:
    server = serve({"/go": redirect("http://evil.example/steal?token=1")})
    message = refused(server.url("/go"), policy_for(server))
    assert "redirect to http://evil.example/steal: host evil.example is not on the allow-list" in message
    assert "evil.example" not in net.lookups and net.connects == ["127.0.0.1"]


def test_redirect_to_private_address_refused(serve: Callable[..., LoopbackHTTPServer], net: FakeNet) -> None:
    """With allow_private off: the first hop is a (diverted) public address, the second resolves to 10.0.0.5."""
    server = serve({"/r": redirect("http://intranet.partner.example/admin")})
    net.resolve("www.partner.example", [PUBLIC_IP])
    net.resolve("intranet.partner.example", ["10.0.0.5"])
    net.divert[PUBLIC_IP] = "127.0.0.1"
    policy = policy_for(allowed_hosts=frozenset({f"www.partner.example:{server.port}", "intranet.partner.example"}),
                        allow_private=False)
    message = refused(f"http://www.partner.example:{server.port}/r", policy)
    assert ("redirect to http://intranet.partner.example/admin: intranet.partner.example resolves to a private "
            "address 10.0.0.5") in message
    assert net.connects == [PUBLIC_IP] and server.paths() == ["/r"]


@pytest.mark.parametrize("location, reason", [
    ("http://169.254.169.254/latest/meta-data/iam/", "169.254.169.254 is a link-local address"),
    ("http://0.0.0.0:{port}/", "0.0.0.0 is an unspecified address"),
    ("file:///etc/passwd", "scheme file: is not allowed"),
])
def test_redirect_to_forbidden_target_refused(location: str, reason: str, serve: Callable[..., LoopbackHTTPServer],
                                              net: FakeNet, tmp_path: Path) -> None:
    server = serve()
    server.routes["/r"] = redirect(location.format(port=server.port))
    policy = policy_for(server, allowed_hosts=frozenset({f"127.0.0.1:{server.port}", "169.254.169.254",
                                                         f"0.0.0.0:{server.port}"}),
                        allow_file=True, file_roots=(Path("/etc"),))
    assert reason in refused(server.url("/r"), policy)
    assert net.connects == ["127.0.0.1"]


def test_redirect_loop_capped(serve: Callable[..., LoopbackHTTPServer]) -> None:
    server = serve({"/loop": redirect("/loop")})
    assert "too many redirects (more than 3)" in refused(server.url("/loop"), policy_for(server, max_redirects=3))
    assert server.paths() == ["/loop"] * 4


# --- limits -----------------------------------------------------------------------------------------------------

def test_declared_oversized_body_refused(serve: Callable[..., LoopbackHTTPServer]) -> None:
    server = serve({"/big": Route(bytes(10_000_001))})
    assert "response over 10,000,000 bytes" in refused(server.url("/big"), policy_for(server, max_bytes=10_000_000),
                                                        ErrorCode.TOO_LARGE)


def test_streamed_oversized_body_refused(serve: Callable[..., LoopbackHTTPServer]) -> None:
    server = serve({"/big": Route(b"x" * 5000, content_length=False)})
    assert "response over 1,000 bytes" in refused(server.url("/big"), policy_for(server, max_bytes=1000),
                                                   ErrorCode.TOO_LARGE)


def test_gzip_bomb_refused(serve: Callable[..., LoopbackHTTPServer]) -> None:
    server = serve({"/bomb.xml": gzip_bomb(20_000_000)})  # about 20 KB on the wire
    assert "response over 10,000,000 bytes" in refused(server.url("/bomb.xml"), policy_for(server),
                                                        ErrorCode.TOO_LARGE)


def test_gzip_body_decoded(serve: Callable[..., LoopbackHTTPServer]) -> None:
    feed = b"<rss><channel>" + b"<item>story</item>" * 500 + b"</channel></rss>"
    server = serve({"/feed.xml": gzipped(feed, content_type="application/rss+xml")})
    assert fetch(server.url("/feed.xml"), policy_for(server, max_bytes=len(feed))).body == feed


def test_concatenated_gzip_members_refused(serve: Callable[..., LoopbackHTTPServer]) -> None:
    route = gzipped(b"<rss/>")
    route.body += gzip.compress(b"<!-- more -->")
    server = serve({"/feed.xml": route})
    assert "data after the end of the gzip body" in refused(server.url("/feed.xml"), policy_for(server))


def test_truncated_body_refused(serve: Callable[..., LoopbackHTTPServer]) -> None:
    server = serve({"/cut": Route(b"x" * 100, content_length=False, headers={"Content-Length": "5000"})})
    assert "closed 4,900 bytes before the end" in refused(server.url("/cut"), policy_for(server))


def test_unexpected_content_type_refused(serve: Callable[..., LoopbackHTTPServer]) -> None:
    server = serve({"/feed": Route(b"<html/>", content_type="text/html")})
    policy = policy_for(server, content_types=frozenset({"application/rss+xml"}))
    assert "unexpected Content-Type text/html" in refused(server.url("/feed"), policy)
    assert server.requests[0].headers["accept"] == "application/rss+xml"


def test_read_timeout(serve: Callable[..., LoopbackHTTPServer]) -> None:
    server = serve({"/slow": Route(b"late", delay=10)})
    assert "read timed out after 0.5 s" in refused(server.url("/slow"), policy_for(server, read_timeout=0.5))


def test_slow_drip_body_stopped_by_total_timeout(serve: Callable[..., LoopbackHTTPServer]) -> None:
    server = serve({"/drip": Route(b"x" * 200, drip=0.05)})
    policy = policy_for(server, read_timeout=2.0, total_timeout=0.5)
    assert "took longer than the total time limit of 0.5 s" in refused(server.url("/drip"), policy)


# --- the total deadline holds through every read: servers that trickle one byte at a time -----------------------
# Each server sends a byte every 0.2 s, well inside the 0.5 s read timeout, for about 60 s. The fetch must give up
# at its 1 s total limit; the test asserts the error and that the server saw the client hang up before its trickle
# was over, never a duration (pytest's own run time is the guard).

TRICKLE = {
    "status line": (b"", b"HTTP/1.1 200 " + b"O" * 300 + b"\r\n\r\n"),
    "header line": (b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n", b"X-Slow: " + b"a" * 300 + b"\r\n\r\n"),
    "many headers": (b"HTTP/1.1 200 OK\r\n", b"X-A: 1\r\n" * 40 + b"\r\n"),
    "chunk-size line": (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
                        b"1;ext=" + b"x" * 300 + b"\r\na\r\n0\r\n\r\n"),
    "chunk trailer": (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n",
                      b"X-Trailer: " + b"t" * 300 + b"\r\n\r\n"),
    "body": (b"HTTP/1.1 200 OK\r\nContent-Length: 300\r\n\r\n", b"x" * 300),
    "body without length": (b"HTTP/1.0 200 OK\r\n\r\n", b"x" * 300),
}
TRICKLE_LIMITS = {"read_timeout": 0.5, "total_timeout": 1.0}


def trickling(kind: str) -> TrickleServer:
    head, trickle = TRICKLE[kind]
    return TrickleServer(head, trickle, interval=0.2)


@pytest.mark.parametrize("kind", list(TRICKLE))
def test_a_trickling_server_cannot_outlast_the_total_timeout(kind: str) -> None:
    with trickling(kind) as server:
        assert server.seconds >= 59  # what the server would take to finish, were the client to wait
        policy = policy_for(allowed_hosts=frozenset({f"127.0.0.1:{server.port}"}), **TRICKLE_LIMITS)
        message = refused(server.url("/story"), policy)
        assert message == f"cannot fetch {server.url('/story')}: took longer than the total time limit of 1 s"
        assert server.outcome() == "client closed"


def test_a_trickling_redirect_target_cannot_outlast_the_total_timeout(
        serve: Callable[..., LoopbackHTTPServer]) -> None:
    with trickling("status line") as target:
        site = serve({"/go": redirect(target.url("/landing"))})
        hosts = {f"127.0.0.1:{site.port}", f"127.0.0.1:{target.port}"}
        policy = policy_for(allowed_hosts=frozenset(hosts), **TRICKLE_LIMITS)
        message = refused(site.url("/go"), policy)
        assert message == f"cannot fetch {site.url('/go')}: took longer than the total time limit of 1 s"
        assert site.paths() == ["/go"] and len(target.requests) == 1
        assert target.outcome() == "client closed"


def test_the_total_timeout_bounds_the_tls_handshake(net: FakeNet, tmp_path: Path) -> None:
    """A listener that never answers the ClientHello: the handshake is part of connecting, with a 5 s connect
    timeout, and still ends at the 1 s total limit."""
    pytest.importorskip("cryptography")
    cert, _key = self_signed_cert(tmp_path, "secure.partner.example")
    net.resolve("secure.partner.example", ["127.0.0.1"])
    with socket.create_server(("127.0.0.1", 0)) as silent:  # the kernel accepts; nobody ever reads or writes
        port = silent.getsockname()[1]
        policy = policy_for(allowed_hosts=frozenset({f"secure.partner.example:{port}"}), ca_file=cert,
                            connect_timeout=5.0, **TRICKLE_LIMITS)
        message = refused(f"https://secure.partner.example:{port}/feed", policy)
    assert message.endswith(": took longer than the total time limit of 1 s")


def test_the_total_timeout_bounds_a_name_lookup_that_never_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    """A DNS server that stays silent keeps the C resolver for its own retries (tens of seconds): the fetch gives up
    at its 1 s total limit and never connects."""
    released = threading.Event()
    answer_for_test_names = socket.getaddrinfo

    def silent_resolver(host: str, *args: Any, **kwargs: Any) -> Any:
        if host == "silent.partner.example":
            released.wait(60)  # the resolver answers only after the test ends
        return answer_for_test_names(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", silent_resolver)
    policy = policy_for(allowed_hosts=frozenset({"silent.partner.example"}), connect_timeout=5.0, **TRICKLE_LIMITS)
    try:
        message = refused("http://silent.partner.example/feed", policy)
    finally:
        released.set()
    assert message == ("cannot fetch http://silent.partner.example/feed: cannot resolve silent.partner.example: no "
                       "answer within 1.0 s")


def test_a_quick_answer_is_unaffected_by_the_deadline_reader(serve: Callable[..., LoopbackHTTPServer]) -> None:
    """Chunked transfer, headers and body all read through the deadline-bound reader."""
    with TrickleServer(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nETag: \"v1\"\r\n\r\n"
                       b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", b"") as server:
        policy = policy_for(allowed_hosts=frozenset({f"127.0.0.1:{server.port}"}), **TRICKLE_LIMITS)
        result = fetch(server.url("/"), policy)
    assert (result.status, result.body, result.etag) == (200, b"hello world", '"v1"')


# --- IP literals: the fetcher and the webhook read hosts the way the resolver does -------------------------------

@pytest.mark.parametrize("host, address", [
    ("127.0.0.1", "127.0.0.1"),
    ("2130706433", "127.0.0.1"),
    ("0x7f000001", "127.0.0.1"),
    ("0X7F.1", "127.0.0.1"),
    ("0177.0.0.1", "127.0.0.1"),
    ("00000127.1", "87.0.0.1"),
    ("127.1", "127.0.0.1"),
    ("10.1.65535", "10.1.255.255"),
    ("4294967295", "255.255.255.255"),
    ("0", "0.0.0.0"),
    ("::1", "::1"),
    ("::ffff:127.0.0.1", "::ffff:127.0.0.1"),
    ("0x", None),
    ("08.0.0.1", None),
    ("1.2.3.4.5", None),
    ("127.0.0.1.", None),
    ("1.2.3.256", None),
    ("4294967296", None),
    ("+1.2.3.4", None),
    (" 127.0.0.1", None),
    ("1.0x", None),
    ("0x1g", None),
    ("１２７.0.0.1", "127.0.0.1"),  # full-width digits: IDNA maps them to ASCII before the resolver sees them
    ("www.zenger.news", None),
    ("1.example", None),
])
def test_ip_literal_agrees_with_the_resolver(host: str, address: str | None) -> None:
    assert ip_literal(host) == (ipaddress.ip_address(address) if address else None)
    try:  # numeric parsing only: AI_NUMERICHOST never sends a DNS query
        numeric = REAL_GETADDRINFO(host, 80, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST)[0][4][0]
    except (socket.gaierror, UnicodeError):
        numeric = None
    assert numeric == address


@pytest.mark.parametrize("host", ["2130706433", "0x7f000001", "0177.0.0.1", "127.1"])
def test_every_ipv4_form_is_judged_as_the_address_it_names(host: str, serve: Callable[..., LoopbackHTTPServer],
                                                           net: FakeNet) -> None:
    server = serve({"/": Route(b"ok")})
    allowed = frozenset({f"{host}:{server.port}"})
    message = refused(f"http://{host}:{server.port}/", policy_for(allowed_hosts=allowed, allow_private=False))
    assert message.endswith(": 127.0.0.1 is a loopback address")
    assert net.connects == [] and host not in net.lookups  # a literal is never looked up as a name

    assert fetch(f"http://{host}:{server.port}/", policy_for(allowed_hosts=allowed)).body == b"ok"
    assert net.connects == ["127.0.0.1"] and server.requests[0].headers["host"] == f"{host}:{server.port}"


@pytest.mark.parametrize("host, problem", [
    ("www.zenger.news", None),
    ("localhost.example.com", None),
    ("1password.example", None),
    ("2130706433", "is an IP address literal"),
    ("0x7f000001", "is an IP address literal"),
    ("0177.0.0.1", "is an IP address literal"),
    ("127.1", "is an IP address literal"),
    ("::1", "is an IP address literal"),
    ("1.2.3.4.5", "ends in a number"),
    ("example.0x1f", "ends in a number"),
    ("localhost", "is a local name"),
    ("news.LOCALHOST", "is a local name"),
    ("www.zenger.news.", "is not a valid host name"),
    ("a..b", "is not a valid host name"),
    ("-a.example", "is not a valid host name"),
    ("a_b.example", "is not a valid host name"),
    ("www.zenger.news\n", "is not a valid host name"),
    ("１２７.0.0.1", "is an IP address literal"),
])
def test_plain_host_problem(host: str, problem: str | None) -> None:
    found = plain_host_problem(host)
    assert found == problem if problem is None else (found or "").startswith(problem)


def test_connection_refused(net: FakeNet) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago and has no listener
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    message = refused(f"http://127.0.0.1:{port}/", policy_for(allowed_hosts=frozenset({f"127.0.0.1:{port}"})))
    assert "cannot connect to 127.0.0.1" in message


@pytest.mark.parametrize("status", [404, 500])
def test_http_error_status(status: int, serve: Callable[..., LoopbackHTTPServer]) -> None:
    server = serve({"/x": Route(b"no", status=status)})
    assert f"HTTP {status}" in refused(server.url("/x"), policy_for(server))


# --- conditional GET --------------------------------------------------------------------------------------------

def test_conditional_get(serve: Callable[..., LoopbackHTTPServer]) -> None:
    server = serve({"/feed": Route(b"<rss/>", etag='"v1"', last_modified=LAST_MODIFIED)})
    policy, url = policy_for(server), server.url("/feed")

    first = fetch(url, policy)
    by_etag = fetch(url, policy, etag=first.etag)
    by_date = fetch(url, policy, last_modified=first.last_modified)
    changed = fetch(url, policy, etag='"v0"')

    assert (first.etag, first.last_modified, first.not_modified) == ('"v1"', LAST_MODIFIED, False)
    assert (by_etag.status, by_etag.body, by_etag.not_modified, by_etag.etag) == (304, b"", True, '"v1"')
    assert (by_date.status, by_date.not_modified, by_date.last_modified) == (304, True, LAST_MODIFIED)
    assert (changed.status, changed.body, changed.not_modified) == (200, b"<rss/>", False)
    sent = [(r.headers.get("if-none-match"), r.headers.get("if-modified-since")) for r in server.requests]
    assert sent == [(None, None), ('"v1"', None), (None, LAST_MODIFIED), ('"v0"', None)]


# --- https ------------------------------------------------------------------------------------------------------

@pytest.fixture
def tls_server(serve: Callable[..., LoopbackHTTPServer], tmp_path: Path) -> tuple[LoopbackHTTPServer, Path]:
    pytest.importorskip("cryptography")
    cert, key = self_signed_cert(tmp_path, "secure.partner.example")
    return serve({"/feed": Route(b"<rss/>")}, tls=server_tls_context(cert, key)), cert


def test_https_pins_address_but_verifies_and_sends_the_name(tls_server: tuple[LoopbackHTTPServer, Path],
                                                            net: FakeNet) -> None:
    server, cert = tls_server
    net.resolve("secure.partner.example", ["127.0.0.1"])
    policy = policy_for(allowed_hosts=frozenset({f"secure.partner.example:{server.port}"}), ca_file=cert)

    result = fetch(server.url("/feed", host="secure.partner.example"), policy)

    assert result.body == b"<rss/>"
    assert server.sni_names == ["secure.partner.example"]
    assert server.requests[0].headers["host"] == f"secure.partner.example:{server.port}"
    assert net.connects == ["127.0.0.1"]


def test_https_certificate_for_another_name_refused(tls_server: tuple[LoopbackHTTPServer, Path],
                                                    net: FakeNet) -> None:
    server, cert = tls_server
    net.resolve("other.partner.example", ["127.0.0.1"])
    policy = policy_for(allowed_hosts=frozenset({f"other.partner.example:{server.port}"}), ca_file=cert)
    message = refused(server.url("/feed", host="other.partner.example"), policy)
    assert "TLS certificate of other.partner.example is not accepted" in message
    assert server.requests == []


def test_https_to_http_redirect_refused(tls_server: tuple[LoopbackHTTPServer, Path], net: FakeNet) -> None:
    server, cert = tls_server
    server.routes["/down"] = redirect(f"http://secure.partner.example:{server.port}/feed")
    net.resolve("secure.partner.example", ["127.0.0.1"])
    policy = policy_for(allowed_hosts=frozenset({f"secure.partner.example:{server.port}"}), ca_file=cert)
    assert "downgrades https to http" in refused(server.url("/down", host="secure.partner.example"), policy)
    assert server.paths() == ["/down"]


# --- file: URLs -------------------------------------------------------------------------------------------------

@pytest.fixture
def feed_root(tmp_path: Path) -> Path:
    root = tmp_path / "feeds"
    root.mkdir()
    (root / "zenger.xml").write_bytes(b"<rss/>")
    (tmp_path / "secret.txt").write_bytes(b"secret")
    (root / "escape.xml").symlink_to(tmp_path / "secret.txt")
    return root


def test_file_url_inside_root(feed_root: Path) -> None:
    result = fetch((feed_root / "zenger.xml").as_uri(), policy_for(allow_file=True, file_roots=(feed_root,)))
    assert (result.status, result.body, result.content_type) == (200, b"<rss/>", "application/xml")


@pytest.mark.parametrize("url, reason", [
    ("{root}/../secret.txt", "is outside the allowed file roots"),
    ("{root}/escape.xml", "is outside the allowed file roots"),  # a symlink out of the root
    ("{root}/missing.xml", "cannot read"),
    ("file://evil.example{root}/zenger.xml", "file: URL names a host (evil.example)"),
])
def test_file_url_outside_root_refused(url: str, reason: str, feed_root: Path) -> None:
    url = url.format(root=feed_root.as_uri() if url.startswith("{") else feed_root)
    assert reason in refused(url, policy_for(allow_file=True, file_roots=(feed_root,)))


def test_file_url_needs_allow_file(feed_root: Path) -> None:
    message = refused((feed_root / "zenger.xml").as_uri(), policy_for(file_roots=(feed_root,)))
    assert "file: URLs are not allowed" in message


def test_file_over_max_bytes_refused(feed_root: Path) -> None:
    policy = policy_for(allow_file=True, file_roots=(feed_root,), max_bytes=3)
    assert "response over 3 bytes" in refused((feed_root / "zenger.xml").as_uri(), policy, ErrorCode.TOO_LARGE)


# --- per-host rate limit ----------------------------------------------------------------------------------------

class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_rate_limiter_spaces_slots_per_host() -> None:
    clock = FakeClock()
    limiter = HostRateLimiter(clock, clock.sleep)
    assert [limiter.reserve("a.example", 2.0) for _ in range(3)] == [0.0, 2.0, 4.0]
    assert limiter.reserve("b.example", 2.0) == 0.0
    clock.now = 10.0
    assert limiter.reserve("a.example", 2.0) == 0.0


def test_rate_limiter_is_thread_safe() -> None:
    limiter = HostRateLimiter(clock=lambda: 0.0)
    waits: list[float] = []
    start = threading.Barrier(8)

    def worker() -> None:
        start.wait()
        waits.append(limiter.reserve("a.example", 1.0))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(waits) == [float(i) for i in range(8)]


def test_fetches_to_one_host_wait_their_turn(serve: Callable[..., LoopbackHTTPServer]) -> None:
    server = serve({"/a": Route(b"a"), "/r": redirect("/a")})
    clock = FakeClock()
    policy = policy_for(server, min_interval=2.0, rate_limiter=HostRateLimiter(clock, clock.sleep))
    fetch(server.url("/a"), policy)
    fetch(server.url("/a"), policy)
    fetch(server.url("/r"), policy)  # the redirect hop waits its turn too
    fetch(server.url("/a", host="localhost"), policy)  # another host name: its own pace
    assert clock.sleeps == [2.0, 2.0, 2.0]
    assert server.paths() == ["/a", "/a", "/r", "/a", "/a"]


# --- configuration ----------------------------------------------------------------------------------------------

def test_policy_from_configuration() -> None:
    partner = PartnerConfig(profile=partners.by_key("zenger"), allowed_hosts=frozenset({"www.zenger.news"}))
    config = Config(partners=(partner,), limits=Limits(fetch_read_timeout=7.0, min_seconds_between_requests=3.0),
                    allow_file_urls=True, file_roots=("/srv/feeds",))
    policy = config.fetch_policy(partner, max_redirects=2)
    assert policy.allowed_hosts == {"www.zenger.news"}
    assert (policy.read_timeout, policy.min_interval, policy.max_redirects) == (7.0, 3.0, 2)
    assert (policy.allow_file, policy.file_roots, policy.allow_private) == (True, (Path("/srv/feeds"),), False)
    assert policy.max_bytes == config.limits.max_input_bytes
