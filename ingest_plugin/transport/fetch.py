"""The plugin's only outbound HTTP client: fetch one partner URL without becoming an SSRF proxy.

Thin webhook payloads and feed links mean our worker fetches URLs that others can influence, so every request
passes the guard of ``safety.md`` §4:

* http and https only (``file:`` only where configured, and only inside its roots); no ``user:password@``;
* an exact host (and port) match on the partner's allow-list, checked before any DNS lookup;
* the name is resolved once, here, and every address is checked (private, loopback, link-local, multicast,
  reserved, unspecified, and IPv4 addresses hidden in IPv6); the connection goes to that checked address, so DNS
  rebinding cannot switch it, while the ``Host`` header, TLS SNI and certificate check use the name;
* redirects are followed by hand, each hop checked again, and never from https down to http;
* bodies are streamed and capped on the wire and again after gzip decoding (no zip bombs), per-read and whole-fetch
  timeouts apply, and requests to one host are spaced out (politeness to partners);
* the whole-fetch deadline holds through every step: the name lookup, each connect, TLS handshake, send and socket
  read (status line, each header line, chunk-size lines, trailers, body) waits at most until the deadline, so a
  server that trickles one byte just inside the read timeout cannot keep a worker past ``total_timeout``.

Whether a host is an IP address or a name is decided in one place, :func:`ip_literal`, with the resolver's own
rules (``2130706433``, ``0x7f000001``, ``0177.0.0.1`` and ``127.1`` are all 127.0.0.1); the webhook's payload check
uses the same function (:func:`plain_host_problem`), so the two cannot disagree.

It is built on :mod:`http.client`: the pinning needs our own socket anyway, and urllib3 would add its own
redirects, retries and pools that we would have to switch off. Every failure raises
:class:`~ingest_plugin.errors.IngestError` with code ``fetch_failed`` and stage ``fetch``.
"""
from __future__ import annotations

import http.client
import io
import ipaddress
import mimetypes
import re
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any, cast
from urllib.parse import SplitResult, quote, unquote, urljoin, urlsplit

from ingest_plugin.errors import ErrorCode, IngestError, Stage
from ingest_plugin.log import get_logger

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_DEFAULT_PORTS = {"http": 80, "https": 443}
_CHUNK = 64 * 1024
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # DNS64 answers that reach an IPv4 address through a gateway
_PATH_SAFE = "/%:@!$&'()*+,;=-._~?"  # what may stay unquoted in a request target; only raw non-ASCII gets quoted


def default_user_agent() -> str:
    """An honest User-Agent: who we are, which version, and the project page when the package metadata has one
    (``url`` in setup.cfg)."""
    # Imported here, not at import time: the package sets __version__ after its own imports.
    from ingest_plugin import __version__

    try:
        package = metadata.metadata("ingest-plugin")
    except metadata.PackageNotFoundError:
        home = None
    else:
        home = (package.get_all("Home-page") or [None])[0]
    about = f"+{home}; newsroom partner ingest" if home and home != "UNKNOWN" else "newsroom partner ingest"
    return f"ingest-plugin/{__version__} ({about})"


class HostRateLimiter:
    """Spaces requests to one host at least ``interval`` seconds apart, across threads.

    Each caller reserves the next free slot under a lock and then sleeps outside it, so concurrent workers queue
    in order instead of all firing when the interval ends."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep):
        self._clock = clock
        self._sleep = sleep
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def reserve(self, host: str, interval: float) -> float:
        """Claim the next slot for ``host``; returns how many seconds to wait before using it."""
        with self._lock:
            now = self._clock()
            slot = max(now, self._next.get(host, now))
            self._next[host] = slot + interval
            return slot - now

    def wait(self, host: str, interval: float) -> float:
        """Reserve a slot and sleep until it comes; returns the seconds waited."""
        delay = self.reserve(host, interval)
        if delay > 0:
            self._sleep(delay)
        return delay


_SHARED_LIMITER = HostRateLimiter()  # per process: two policies naming one host still share its pace


@dataclass(frozen=True)
class FetchPolicy:
    """What fetches for one partner may do. Build it once per partner (``Config.fetch_policy``) and reuse it."""

    allowed_hosts: frozenset[str]  # "host" (default port only) or "host:port", "[::1]:port"; exact match
    allow_file: bool = False
    file_roots: tuple[Path, ...] = ()  # file: URLs must resolve (symlinks followed) inside one of these
    allow_private: bool = False  # tests only: loopback and private addresses; link-local etc. stay refused
    connect_timeout: float = 5.0
    read_timeout: float = 20.0  # per socket read
    total_timeout: float = 120.0  # the whole fetch, redirects included: a slow-drip server cannot hold a worker
    max_bytes: int = 10_000_000  # on the wire and after decoding
    max_redirects: int = 5
    min_interval: float = 1.0  # seconds between two requests to one host
    content_types: frozenset[str] = frozenset()  # media types a 2xx answer may have; empty: any
    user_agent: str = field(default_factory=default_user_agent)
    ca_file: Path | None = None  # trust only this CA bundle (tests, private PKI); None: the system store
    rate_limiter: HostRateLimiter = field(default=_SHARED_LIMITER, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "allowed_hosts", frozenset(h.lower() for h in self.allowed_hosts))
        object.__setattr__(self, "file_roots", tuple(Path(root).resolve() for root in self.file_roots))
        object.__setattr__(self, "content_types", frozenset(t.lower() for t in self.content_types))


@dataclass(frozen=True)
class FetchResult:
    url: str  # as asked for
    final_url: str  # after redirects
    status: int  # a 2xx, or 304 when not_modified
    body: bytes  # decoded (gunzipped); empty when not_modified
    content_type: str | None  # the header as sent, charset included
    etag: str | None  # pass back as ``etag=`` next time
    last_modified: str | None  # pass back as ``last_modified=`` next time
    not_modified: bool = False


def fetch(url: str, policy: FetchPolicy, *, etag: str | None = None, last_modified: str | None = None) -> FetchResult:
    """GET ``url`` under ``policy``. ``etag`` and ``last_modified`` (from an earlier result) make the request
    conditional; an unchanged resource then comes back with ``not_modified=True`` and no body.

    Raises :class:`IngestError` (stage ``fetch``): ``fetch_failed`` for a refused URL, a network failure or a status
    other than 2xx/304; ``too_large`` for a body over ``policy.max_bytes``. Logs one ``fetch`` event, without query
    strings."""
    started = time.monotonic()
    shown = _safe_url(url)
    log = get_logger()
    try:
        if _scheme(url) == "file":
            result = _fetch_file(url, policy)
        else:
            result = _fetch_http(url, policy, etag, last_modified)
    except _Refused as exc:
        log.warning("fetch", url=shown, error=str(exc), duration_ms=_ms(started))
        raise IngestError(exc.code, f"cannot fetch {shown}: {exc}", input=shown, stage=Stage.FETCH) from exc
    log.info("fetch", url=shown, final_url=_safe_url(result.final_url), host=urlsplit(result.final_url).hostname,
             status=result.status, bytes=len(result.body), not_modified=result.not_modified,
             duration_ms=_ms(started))
    return result


def refusal(url: str, policy: FetchPolicy) -> str | None:
    """Why :func:`fetch` would refuse ``url`` before any lookup (its scheme, user information, the allow-list), or
    None: ``check-config`` names every feed a run would never read, and a kill by URL reads S3 only for a URL of
    the partner's."""
    return None if _scheme(url) == "file" else http_url_refusal(url, policy)  # a file: against the file roots


class _Refused(Exception):
    """Why this URL was not fetched; :func:`fetch` turns it into an IngestError that names the URL."""

    code = ErrorCode.FETCH_FAILED


class _TooLarge(_Refused):
    """A body over the size limit: refused as ``too_large``, as every input over it is."""

    code = ErrorCode.TOO_LARGE


@dataclass(frozen=True)
class _Target:
    """One checked hop: where to connect (``addresses``) and what to send (``host_header``, ``request_target``)."""

    scheme: str
    host: str  # ASCII, lower-case, without brackets
    host_header: str
    request_target: str
    addresses: tuple[tuple[int, int, int, Any], ...]  # (family, type, proto, sockaddr), every one checked


def _fetch_http(url: str, policy: FetchPolicy, etag: str | None, last_modified: str | None) -> FetchResult:
    deadline = time.monotonic() + policy.total_timeout
    current = url
    for hop in range(policy.max_redirects + 1):
        try:
            target = _check_http_url(current, policy, deadline)
        except _Refused as exc:
            if hop == 0:
                raise
            raise _Refused(f"redirect to {_safe_url(current)}: {exc}") from None
        deadline += policy.rate_limiter.wait(target.host, policy.min_interval)  # waiting our turn is not slowness
        status, headers, body = _exchange(target, policy, etag, last_modified, deadline)
        if status in REDIRECT_STATUSES:
            location = headers.get("Location", "").strip()
            if not location:
                raise _Refused(f"HTTP {status} redirect without a Location")
            following = urljoin(current, location)
            if target.scheme == "https" and _scheme(following) == "http":
                raise _Refused(f"redirect to {_safe_url(following)}: refused, it downgrades https to http")
            current = following
            continue
        return FetchResult(url=url, final_url=current, status=status, body=body,
                           content_type=headers.get("Content-Type"),
                           etag=headers.get("ETag") or (etag if status == 304 else None),
                           last_modified=headers.get("Last-Modified") or (last_modified if status == 304 else None),
                           not_modified=status == 304)
    raise _Refused(f"too many redirects (more than {policy.max_redirects})")


def http_url_refusal(url: str, policy: FetchPolicy | None) -> str | None:
    """Why :func:`fetch` refuses the http(s) URL ``url`` under ``policy`` before any name lookup (scheme, user info,
    host or port off the allow-list), or None; a ``file:`` URL is refused here. For a trigger that checks URLs
    before anything runs (``backfill``, ``reingest --url``): the same rule, so the two cannot disagree. No
    ``policy`` (the partner is not known yet): only whether it is an http(s) URL at all."""
    try:
        if policy is None:
            _well_formed(url)
        else:
            _allowed(url, policy)
    except _Refused as exc:
        return str(exc)
    return None


def _check_http_url(url: str, policy: FetchPolicy, deadline: float) -> _Target:
    """Everything that must hold before a packet leaves: scheme, no userinfo, allow-list, then every address."""
    parts, scheme, host, port = _allowed(url, policy)
    bracketed = f"[{host}]" if ":" in host else host
    addresses = _resolve_checked(host, port, policy.allow_private, min(policy.connect_timeout,
                                                                      deadline - time.monotonic()))
    request_target = quote((parts.path or "/") + (f"?{parts.query}" if parts.query else ""), safe=_PATH_SAFE)
    return _Target(scheme=scheme, host=host,
                   host_header=bracketed if port == _DEFAULT_PORTS[scheme] else f"{bracketed}:{port}",
                   request_target=request_target, addresses=addresses)


def _allowed(url: str, policy: FetchPolicy) -> tuple[SplitResult, str, str, int]:
    """What is checked before a name is looked up: the URL's form (:func:`_well_formed`), then the allow-list.
    Returns the URL's parts, scheme, ASCII host and port."""
    parts, scheme, host, port = _well_formed(url)
    default_port = _DEFAULT_PORTS[scheme]
    port = port or default_port
    bracketed = f"[{host}]" if ":" in host else host
    with_port = f"{bracketed}:{port}"
    allowed = policy.allowed_hosts
    if not (with_port in allowed or (port == default_port and host in allowed)):
        if host in allowed or any(entry.startswith(bracketed + ":") for entry in allowed):
            raise _Refused(f"port {port} of host {host} is not on the allow-list for this partner")
        raise _Refused(f"host {host} is not on the allow-list for this partner")
    return parts, scheme, host, port


def _well_formed(url: str) -> tuple[SplitResult, str, str, int | None]:
    """An http(s) URL with a host, no userinfo and a valid port: its parts, scheme, ASCII host and port (None: the
    scheme's)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise _Refused(f"malformed URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise _Refused(f"scheme {scheme or '(none)'}: is not allowed (only http and https)")
    if parts.username is not None or parts.password is not None:
        raise _Refused("URLs with user info (user:password@) are not allowed")
    host = parts.hostname or ""
    if not host:
        raise _Refused("the URL has no host")
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise _Refused(f"invalid host name {host!r}") from None
    return parts, scheme, host, port


def _resolve_checked(host: str, port: int, allow_private: bool,
                     timeout: float) -> tuple[tuple[int, int, int, Any], ...]:
    """Resolve once, within ``timeout``, and refuse the host if ANY address is off limits (a mixed answer is a
    rebinding attempt).

    An IP literal in any form the resolver accepts (:func:`ip_literal`) is not looked up: its one address is used."""
    literal = ip_literal(host)
    if literal is not None:
        infos = socket.getaddrinfo(str(literal), port, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST)
    else:
        infos = _lookup(host, port, timeout)
    if not infos:
        raise _Refused(f"cannot resolve {host}: no addresses")
    for _family, _type, _proto, _name, sockaddr in infos:
        ip = ipaddress.ip_address(sockaddr[0])
        inner = _embedded_ipv4(ip)
        problem = _address_problem(inner or ip, allow_private)
        if problem:
            shown = f"{ip} (IPv4 {inner})" if inner else str(ip)
            raise _Refused(f"{shown} is {problem}" if literal is not None else f"{host} resolves to {problem} {shown}")
    return tuple((family, type_, proto, sockaddr) for family, type_, proto, _name, sockaddr in infos)


def _lookup(host: str, port: int, timeout: float) -> list[Any]:
    """``getaddrinfo`` within ``timeout``: the C resolver cannot be interrupted (a slow or silent DNS server keeps it
    for its own retries, many seconds), so it runs in a daemon thread that is abandoned if it answers too late."""
    answer: list[Any] = []

    def look_up() -> None:
        try:
            answer.append(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except (OSError, UnicodeError) as exc:
            answer.append(exc)

    resolver = threading.Thread(target=look_up, name=f"resolve {host}", daemon=True)
    resolver.start()
    resolver.join(max(timeout, 0))
    if not answer:
        raise _Refused(f"cannot resolve {host}: no answer within {max(timeout, 0):.1f} s")
    if isinstance(answer[0], BaseException):
        raise _Refused(f"cannot resolve {host}: {getattr(answer[0], 'strerror', None) or answer[0]}")
    return cast(list[Any], answer[0])


def _embedded_ipv4(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one really reaches (IPv4-mapped, NAT64), which is the one to judge."""
    if isinstance(ip, ipaddress.IPv4Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF) if ip in _NAT64 else None


def _address_problem(ip: ipaddress.IPv4Address | ipaddress.IPv6Address, allow_private: bool) -> str | None:
    """Why we must not connect to ``ip`` ("a private address"), or None."""
    if ip.is_unspecified:
        return "an unspecified address"
    if ip.is_link_local:
        return "a link-local address"  # 169.254.0.0/16 (cloud metadata), fe80::/10
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_loopback:
        return None if allow_private else "a loopback address"
    if ip.is_reserved:  # after loopback: IPv6 ::/8, which holds ::1, counts as reserved
        return "a reserved address"
    if allow_private:
        return None
    if ip.is_private:
        return "a private address"
    if not ip.is_global:
        return "a non-public address"  # e.g. 100.64.0.0/10, carrier-grade NAT
    return None


def _exchange(target: _Target, policy: FetchPolicy, etag: str | None, last_modified: str | None,
              deadline: float) -> tuple[int, http.client.HTTPMessage, bytes]:
    """One request on a socket pinned to a checked address; the body is read only for a 2xx answer.

    http.client sends the request, but the answer is read through a :class:`_DeadlineReader`: every read it makes
    (status line, header lines, chunk sizes, trailers, body) is bounded by the read timeout and the deadline."""
    sock = _connect(target, policy, deadline)
    conn = http.client.HTTPConnection(target.host)
    conn.sock = sock  # pinned: http.client never resolves or connects by itself
    conn.auto_open = 0
    headers = {"Host": target.host_header, "User-Agent": policy.user_agent, "Accept-Encoding": "gzip",
               "Accept": ", ".join(sorted(policy.content_types)) or "*/*", "Connection": "close"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    response: http.client.HTTPResponse | None = None
    try:
        _arm(sock, policy, deadline)
        conn.request("GET", target.request_target, headers=headers)
        # HTTPResponse only calls makefile("rb") on what it is given; ours hands it the deadline-bound reader.
        response = http.client.HTTPResponse(cast(socket.socket, _DeadlineSocket(sock, policy, deadline)),
                                            method="GET")
        response.begin()
        status = response.status
        if status in REDIRECT_STATUSES or status == 304:
            return status, response.headers, b""
        if not 200 <= status < 300:
            raise _Refused(f"HTTP {status} {response.reason}".strip())
        _check_content_type(response.headers.get("Content-Type"), policy)
        return status, response.headers, _read_body(response, policy)
    except _DeadlineExceeded:
        raise _Refused(_total_limit(policy)) from None
    except TimeoutError:
        if time.monotonic() >= deadline:
            raise _Refused(_total_limit(policy)) from None
        raise _Refused(f"read timed out after {policy.read_timeout:g} s") from None
    except (OSError, http.client.HTTPException, ValueError, zlib.error) as exc:
        raise _Refused(f"{type(exc).__name__}: {exc}") from None
    finally:
        if response is not None:
            response.close()
        conn.close()
        sock.close()


def _total_limit(policy: FetchPolicy) -> str:
    return f"took longer than the total time limit of {policy.total_timeout:g} s"


class _DeadlineExceeded(TimeoutError):
    """A wait cut short by the whole-fetch deadline rather than by the per-read timeout."""


def _connect(target: _Target, policy: FetchPolicy, deadline: float) -> socket.socket:
    """A connected socket (TLS-wrapped for https, verified against the host NAME) to the first checked address
    that answers. Each attempt, TLS handshake included, waits at most the connect timeout and never past the
    deadline."""
    problem = "no address"
    for family, type_, proto, sockaddr in target.addresses:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _Refused(_total_limit(policy))
        sock = socket.socket(family, type_, proto)
        try:
            sock.settimeout(min(policy.connect_timeout, remaining))
            sock.connect(sockaddr)
            if target.scheme == "https":  # the handshake as a whole is bounded by the socket timeout
                return _tls_context(policy.ca_file).wrap_socket(sock, server_hostname=target.host)
            return sock
        except ssl.SSLCertVerificationError as exc:
            sock.close()
            raise _Refused(f"the TLS certificate of {target.host} is not accepted: {exc.verify_message}") from None
        except TimeoutError:
            sock.close()
            if remaining <= policy.connect_timeout:
                raise _Refused(_total_limit(policy)) from None
            problem = f"connecting to {sockaddr[0]} timed out after {policy.connect_timeout:g} s"
        except OSError as exc:
            sock.close()
            problem = f"cannot connect to {sockaddr[0]}: {exc.strerror or exc}"
    raise _Refused(problem)


@lru_cache(maxsize=8)
def _tls_context(ca_file: Path | None) -> ssl.SSLContext:
    """Built once per CA bundle: loading the system store costs milliseconds, and contexts are thread-safe."""
    return ssl.create_default_context(cafile=str(ca_file) if ca_file else None)


def _arm(sock: socket.socket, policy: FetchPolicy, deadline: float) -> bool:
    """Before each blocking socket call: wait at most the read timeout, and never past the whole-fetch deadline.
    Returns whether the deadline is the nearer limit (a timeout then means the fetch ran out of time)."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise _DeadlineExceeded
    sock.settimeout(min(policy.read_timeout, remaining))
    return remaining <= policy.read_timeout


class _DeadlineReader(io.RawIOBase):
    """The response side of the socket as http.client reads it. Every ``recv`` is re-armed from the time left, so
    a server sending one byte just inside the read timeout (in the status line, a header line, a chunk-size line
    or the body) still cannot stretch the fetch past its deadline."""

    def __init__(self, sock: socket.socket, policy: FetchPolicy, deadline: float) -> None:
        super().__init__()
        self._sock = sock
        self._policy = policy
        self._deadline = deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        bounded_by_deadline = _arm(self._sock, self._policy, self._deadline)
        try:
            return self._sock.recv_into(buffer)
        except TimeoutError:
            if bounded_by_deadline:
                raise _DeadlineExceeded from None
            raise


class _DeadlineSocket:
    """What :class:`http.client.HTTPResponse` is given instead of the socket: it only calls ``makefile("rb")``."""

    def __init__(self, sock: socket.socket, policy: FetchPolicy, deadline: float) -> None:
        self._reader = _DeadlineReader(sock, policy, deadline)

    def makefile(self, mode: str) -> io.BufferedReader:
        if mode != "rb":
            raise ValueError(f"unsupported mode {mode!r}")
        return io.BufferedReader(self._reader)


def _check_content_type(value: str | None, policy: FetchPolicy) -> None:
    media_type = (value or "").split(";", 1)[0].strip().lower()
    if policy.content_types and media_type not in policy.content_types:
        raise _Refused(f"unexpected Content-Type {media_type or '(none)'} (expected "
                       f"{', '.join(sorted(policy.content_types))})")


def _read_body(response: http.client.HTTPResponse, policy: FetchPolicy) -> bytes:
    """Stream the body, stopping as soon as it passes ``max_bytes``, compressed or decompressed. The response reads
    through a :class:`_DeadlineReader`, so every read here is bounded by the read timeout and the deadline."""
    limit = policy.max_bytes
    too_large = _TooLarge(f"response over {limit:,} bytes")
    if response.length is not None and response.length > limit:
        raise too_large
    encoding = (response.headers.get("Content-Encoding") or "identity").strip().lower()
    if encoding not in ("identity", "gzip", "x-gzip"):
        raise _Refused(f"unsupported Content-Encoding {encoding}")
    gunzip = zlib.decompressobj(zlib.MAX_WBITS | 16) if encoding != "identity" else None
    body = bytearray()
    received = 0
    while True:
        chunk = response.read1(_CHUNK)
        if not chunk:
            break
        received += len(chunk)
        if received > limit:
            raise too_large
        if gunzip is None:
            body += chunk
            continue
        body += gunzip.decompress(chunk, limit - len(body) + 1)  # never more than one byte past the cap
        if len(body) > limit or gunzip.unconsumed_tail:
            raise too_large
    if response.length:  # http.client counts down what Content-Length promised
        raise _Refused(f"the connection closed {response.length:,} bytes before the end of the body")
    if gunzip is not None and not gunzip.eof:
        raise _Refused("the gzip body is truncated")
    if gunzip is not None and gunzip.unused_data:
        raise _Refused("data after the end of the gzip body (several gzip members are not supported)")
    return bytes(body)


def _fetch_file(url: str, policy: FetchPolicy) -> FetchResult:
    """A file: URL, for local runs and tests: only when allowed, and only inside the configured roots."""
    if not policy.allow_file:
        raise _Refused("file: URLs are not allowed for this partner")
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        raise _Refused(f"file: URL names a host ({parts.netloc})")
    if not parts.path.startswith("/"):
        raise _Refused("file: URL path is not absolute")
    path = Path(unquote(parts.path)).resolve()  # symlinks and .. resolved before the root check
    if not any(path.is_relative_to(root) for root in policy.file_roots):
        raise _Refused(f"{path} is outside the allowed file roots")
    try:
        with path.open("rb") as handle:
            body = handle.read(policy.max_bytes + 1)
    except OSError as exc:
        raise _Refused(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(body) > policy.max_bytes:
        raise _TooLarge(f"response over {policy.max_bytes:,} bytes")
    return FetchResult(url=url, final_url=url, status=200, body=body, content_type=mimetypes.guess_type(path.name)[0],
                       etag=None, last_modified=None)


def _scheme(url: str) -> str:
    try:
        return urlsplit(url).scheme.lower()
    except ValueError:
        return ""


def _safe_url(url: str) -> str:
    """Scheme, host, port and path only: query strings and userinfo may carry tokens and never reach logs."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "(malformed URL)"
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{host}{f':{port}' if port else ''}{parts.path}"[:300]


def ip_literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address ``host`` names when the resolver would read it as a number instead of looking it up, else None.

    IPv4 follows ``inet_aton`` as ``getaddrinfo`` applies it (glibc, BSD): one to four dot-separated parts, each
    decimal, octal (leading ``0``) or hex (``0x``), the last one filling the remaining bytes. So ``2130706433``,
    ``0x7f000001``, ``0177.0.0.1`` and ``127.1`` are all 127.0.0.1. IPv6 may be bracketed and carry a zone
    (``fe80::1%eth0``). A non-ASCII host is IDNA-encoded first, as ``getaddrinfo`` does. The fetcher decides
    "address or name" with this function and the webhook's payload check refuses whatever it accepts, so the two
    agree."""
    text = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not text.isascii():  # as socket.getaddrinfo does: IDNA maps "１２７.0.0.1" (full-width digits) to 127.0.0.1
        try:
            text = text.encode("idna").decode("ascii")
        except UnicodeError:
            return None
    if ":" in text:
        try:
            return ipaddress.IPv6Address(text)
        except ValueError:
            return None
    parts = text.split(".")
    if not 1 <= len(parts) <= 4:
        return None
    values = []
    for part in parts:
        value = _inet_aton_part(part)
        if value is None:
            return None
        values.append(value)
    *leading, last = values
    if any(value > 0xFF for value in leading) or last >= 1 << (8 * (4 - len(leading))):
        return None
    number = last
    for index, value in enumerate(leading):
        number |= value << (8 * (3 - index))
    return ipaddress.IPv4Address(number)


def _inet_aton_part(part: str) -> int | None:
    """One part of an ``inet_aton`` address: ``0x1F`` (hex, at least one digit), ``017`` (octal) or ``15``."""
    if not part or not part.isascii() or not part[0].isdigit():
        return None
    if part[:2] in ("0x", "0X"):
        digits, base = part[2:], 16
        allowed = "0123456789abcdefABCDEF"
    elif part[0] == "0":
        digits, base, allowed = part[1:] or "0", 8, "01234567"
    else:
        digits, base, allowed = part, 10, "0123456789"
    if not digits or any(char not in allowed for char in digits):
        return None
    value = int(digits, base)
    return value if value <= 0xFFFFFFFF else None


_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


def plain_host_problem(host: str) -> str | None:
    """Why ``host`` is not a plain public DNS name (what the webhook payload's ``url`` must name), or None.

    Refused: an IP literal in any form :func:`ip_literal` (the fetcher) reads as one; a name whose last label is a
    number (a browser reads ``1.2.3.4.5`` or ``example.0x1`` as an IPv4 address too); ``localhost`` and
    ``*.localhost``; anything but dot-separated LDH labels of 1 to 63 characters (no empty label, no trailing dot)."""
    if ip_literal(host) is not None:
        return "is an IP address literal"
    name = host.lower()
    labels = name.split(".")
    last = labels[-1]
    if last.isascii() and (last.isdigit() or (last[:2] == "0x" and all(c in "0123456789abcdef" for c in last[2:]))):
        return "ends in a number, which reads as an IPv4 address"
    if last == "localhost":
        return "is a local name"
    if len(name) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        return "is not a valid host name"
    return None


def _ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)
