"""The CMS trigger: ``POST /webhooks/ingest``, verified per Standard Webhooks v1 and answered before any work runs.

The request thread only checks the call (size, signature, payload, ``webhook-id`` dedupe), stores the job in the
injected journal (durably, before answering 202) and puts it on a bounded in-process queue; worker threads run the
injected ``handler`` (the core ingest) and drop the job from the journal once it ran, so a slow partner never holds
the CMS's connection open, a crash never loses an acknowledged job, and this module never imports S3 code. Status
codes follow the sender's retry semantics (``safety.md`` §3): 202 accepted, 200 already accepted, 401 bad signature,
400 bad payload, 413 too large, 429/503 retry later, and never 410 (which tells a Standard Webhooks sender to disable
the endpoint).

Public API: :func:`sign` and :func:`verify` (the protocol), :func:`parse_payload`, :class:`DedupeStore` and
:class:`MemoryDedupe`, :class:`JobJournal`, :func:`create_app` (the WSGI app and its workers), :func:`make_server`
and :func:`serve` (waitress). ``docs/webhook.md`` explains the operation.
"""
from __future__ import annotations

import base64
import binascii
import contextvars
import hashlib
import hmac
import json
import queue
import re
import signal
import threading
import time
import uuid
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, TypedDict

import structlog
import waitress
from jsonschema.exceptions import best_match

from . import log
from .errors import IngestError
from .validate import SCHEMA_DIR, compile_validator, load_schema

if TYPE_CHECKING:
    from waitress.server import BaseWSGIServer, MultiSocketServer

    from .config import WebhookConfig

INGEST_PATH = "/webhooks/ingest"
SECRET_PREFIX = "whsec_"
MIN_SECRET_BYTES = 24  # the spec asks for 24 to 64 random bytes
DEFAULT_TOLERANCE = 300  # seconds either side of our clock, as the reference library
DEFAULT_DEDUPE_TTL = 48 * 3600  # senders retry for days with the same webhook-id; remembering longer is cheap
RETRY_AFTER_SECONDS = 30
MAX_SIGNATURES = 10  # entries of webhook-signature we look at: rotation needs two, more is only CPU for attackers
_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")
# No "." in ids: the signed content is "id.timestamp.body", so a dotted id could be re-split into another message.
# Ids are also log fields and dedupe keys; a UUID, a ULID or Svix's "msg_…" all fit.
_WEBHOOK_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_:-]{0,127}")
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_JOB_PATH = re.compile(r"/jobs/([0-9a-f]{32})")
_PAYLOAD = compile_validator(load_schema(SCHEMA_DIR / "webhook-payload.schema.json"))


class WebhookRejected(Exception):
    """A request we refuse. ``reason`` is short and safe to send back; it never says which secret or entry failed."""

    def __init__(self, status: int, reason: str, *, retry_after: int | None = None) -> None:
        super().__init__(f"{status} {reason}")
        self.status = status
        self.reason = reason
        self.retry_after = retry_after


# --- the protocol -----------------------------------------------------------------------------------------------

def decode_secret(secret: str) -> bytes:
    """The key bytes of a ``whsec_<base64>`` secret. Errors never quote the secret, since they may be logged."""
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError(f"a webhook secret must look like {SECRET_PREFIX}<base64>")
    encoded = secret[len(SECRET_PREFIX):]
    try:
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except binascii.Error:
        raise ValueError(f"a webhook secret is not valid base64 after {SECRET_PREFIX}") from None
    if len(key) < MIN_SECRET_BYTES:
        raise ValueError(f"a webhook secret holds {len(key)} bytes; Standard Webhooks asks for at least "
                         f"{MIN_SECRET_BYTES}")
    return key


def _mac(key: bytes, msg_id: str, timestamp: str, body: bytes) -> bytes:
    return hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` entry a sender computes (``v1,<base64>``): for tests, docs and the CMS side."""
    return "v1," + base64.b64encode(_mac(decode_secret(secret), msg_id, str(timestamp), body)).decode()


def _b64(text: str) -> bytes:
    """Decoded signature bytes, or ``b""`` (which matches nothing) when the entry is not base64."""
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error:
        return b""


def _verify(headers: Mapping[str, str], body: bytes, keys: Sequence[bytes], now: float | None,
            tolerance: float) -> str:
    """:func:`verify` with decoded keys; returns the verified ``webhook-id``."""
    lowered = {name.lower(): value for name, value in headers.items()}
    msg_id, timestamp, signatures = (lowered.get(name, "") for name in _HEADERS)
    if not (_WEBHOOK_ID.fullmatch(msg_id) and _TIMESTAMP.fullmatch(timestamp) and signatures):
        raise WebhookRejected(401, "missing or malformed webhook headers")
    if abs((time.time() if now is None else now) - int(timestamp)) > tolerance:
        raise WebhookRejected(401, "timestamp outside the tolerance window")
    offered = [_b64(entry[3:]) for entry in signatures.split()[:MAX_SIGNATURES] if entry.startswith("v1,")]
    matched = False
    for key in keys:  # no early exit: the time taken does not tell which secret or entry matched
        expected = _mac(key, msg_id, timestamp, body)
        for candidate in offered:
            matched |= hmac.compare_digest(expected, candidate)
    if not matched:
        raise WebhookRejected(401, "no valid signature")
    return msg_id


def verify(headers: Mapping[str, str], body: bytes, secrets: Iterable[str], now: float | None = None,
           tolerance: float = DEFAULT_TOLERANCE) -> None:
    """Accept the call only if a ``v1`` signature over ``id.timestamp.body`` (the raw bytes) matches one of the
    ``whsec_`` secrets and the timestamp is within ``tolerance`` seconds of ``now``; else raise a 401
    :class:`WebhookRejected`. Header names are case-insensitive; several secrets allow rotation."""
    _verify(headers, body, [decode_secret(secret) for secret in secrets], now, tolerance)


def parse_payload(body: bytes) -> dict[str, Any]:
    """The thin payload, checked against ``schemas/webhook-payload.schema.json``; 400 otherwise."""
    try:
        payload = json.loads(body.decode("utf-8"))
    except (ValueError, RecursionError):  # bad UTF-8, bad JSON, or nesting deep enough to blow the stack
        raise WebhookRejected(400, "body is not UTF-8 JSON") from None
    error = best_match(_PAYLOAD.iter_errors(payload))
    if error is not None:
        where = "/".join(map(str, error.absolute_path)) or "(root)"
        raise WebhookRejected(400, f"payload {where}: {error.message}"[:200])
    return payload


# --- dedupe -----------------------------------------------------------------------------------------------------

class DedupeStore(Protocol):
    """Which job each ``webhook-id`` started. A sender retries with the same id, and a captured request can be
    replayed within the tolerance window, so ``ttl_seconds`` must cover at least that whole window (2 × tolerance).
    An S3-backed store (a conditional ``PUT`` with ``If-None-Match: *``) shares the memory across hosts."""

    ttl_seconds: float

    def claim(self, webhook_id: str, job_id: str) -> str | None:
        """Atomically record ``webhook_id → job_id`` and return ``None``; if the id is already recorded, record
        nothing and return the job id it started."""
        ...

    def release(self, webhook_id: str, job_id: str) -> None:
        """Forget ``webhook_id`` if ``job_id`` still holds it: that job was never queued, so a retry must run."""
        ...


class MemoryDedupe:
    """The in-process :class:`DedupeStore`: enough for one host, forgotten on restart."""

    def __init__(self, ttl_seconds: float = DEFAULT_DEDUPE_TTL, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        self._seen: OrderedDict[str, tuple[float, str]] = OrderedDict()  # id → (expiry, job id), oldest first
        self._lock = threading.Lock()

    def claim(self, webhook_id: str, job_id: str) -> str | None:
        now = self._clock()
        with self._lock:
            while self._seen and next(iter(self._seen.values()))[0] <= now:
                self._seen.popitem(last=False)
            if webhook_id in self._seen:
                return self._seen[webhook_id][1]
            self._seen[webhook_id] = (now + self.ttl_seconds, job_id)
            return None

    def release(self, webhook_id: str, job_id: str) -> None:
        with self._lock:
            if webhook_id in self._seen and self._seen[webhook_id][1] == job_id:
                del self._seen[webhook_id]


# --- the application --------------------------------------------------------------------------------------------

class Job(TypedDict):
    job_id: str
    webhook_id: str
    payload: dict[str, Any]


Handler = Callable[[Job], Mapping[str, Any]]  # the core ingest; its result is shown by GET /jobs/{id}


class JobJournal(Protocol):
    """Durable storage for accepted jobs: a job is stored before its 202 and removed once it has run, so what a
    crash (SIGKILL, OOM, power loss) or a shutdown leaves in it is exactly the acknowledged work still to do."""

    def store(self, job: Job) -> object: ...

    def remove(self, job_id: str) -> None: ...


@dataclass
class _Record:
    job: Job
    status: str = "queued"  # queued → running → done | failed; or spooled (left in the journal) by shutdown
    result: Mapping[str, Any] | None = None
    error: Mapping[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"job_id": self.job["job_id"], "webhook_id": self.job["webhook_id"],
                                "status": self.status}
        if self.result is not None:
            data["result"] = self.result
        if self.error is not None:
            data["error"] = self.error
        return data


class _Response(NamedTuple):
    status: int
    body: Mapping[str, Any]
    headers: tuple[tuple[str, str], ...] = ()


def _error(status: int, reason: str, *headers: tuple[str, str]) -> _Response:
    return _Response(status, {"error": reason}, headers)


class WebhookApp:
    """The WSGI application with its job queue and worker threads. Build it with :func:`create_app`; end it with
    :meth:`shutdown`. Without a journal, queued jobs live in memory only and shutdown runs them before it returns."""

    def __init__(self, keys: Sequence[bytes], handler: Handler, *, queue_size: int, workers: int, max_body: int,
                 tolerance: float, dedupe: DedupeStore, max_jobs: int, journal: JobJournal | None) -> None:
        self.max_body = max_body
        self._keys = keys
        self._handler = handler
        self._journal = journal
        self._tolerance = tolerance
        self._dedupe = dedupe
        self._max_jobs = max_jobs
        self._queue: queue.Queue[Job | None] = queue.Queue(queue_size)  # None tells a worker to stop
        self._records: dict[str, _Record] = {}
        self._finished: deque[str] = deque()  # finished job ids, oldest first, so old records can be forgotten
        self._lock = threading.Lock()
        self._accepting = True
        self._workers = [threading.Thread(target=self._work, name=f"webhook-worker-{n}") for n in range(workers)]
        for worker in self._workers:
            worker.start()

    # WSGI ------------------------------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        response = self._route(environ["REQUEST_METHOD"], environ.get("PATH_INFO", ""), environ)
        data = json.dumps(response.body, default=str).encode()
        start_response(f"{response.status} {HTTPStatus(response.status).phrase}", [
            ("Content-Type", "application/json"), ("Content-Length", str(len(data))), ("Cache-Control", "no-store"),
            *response.headers])
        return [data]

    def _route(self, method: str, path: str, environ: dict[str, Any]) -> _Response:
        job = _JOB_PATH.fullmatch(path)
        if path == INGEST_PATH:
            allowed, action = "POST", lambda: self._ingest(environ)
        elif path == "/healthz":
            allowed, action = "GET", self._health
        elif job:
            allowed, action = "GET", lambda: self._job(job[1])
        else:
            return _error(404, "not found")
        if method != allowed:
            return _error(405, "method not allowed", ("Allow", allowed))
        return action()

    def _ingest(self, environ: dict[str, Any]) -> _Response:
        try:
            body = _read_body(environ, self.max_body)
            headers = {name: environ.get("HTTP_" + name.upper().replace("-", "_"), "") for name in _HEADERS}
            webhook_id = _verify(headers, body, self._keys, None, self._tolerance)
            return self._enqueue(webhook_id, parse_payload(body))
        except WebhookRejected as exc:
            claimed_id = environ.get("HTTP_WEBHOOK_ID", "")
            log.get_logger().warning(
                "webhook_rejected", status=exc.status, reason=exc.reason, remote_addr=environ.get("REMOTE_ADDR"),
                webhook_id=claimed_id if _WEBHOOK_ID.fullmatch(claimed_id) else None)
            retry = (("Retry-After", str(exc.retry_after)),) if exc.retry_after else ()
            return _error(exc.status, exc.reason, *retry)

    def _enqueue(self, webhook_id: str, payload: dict[str, Any]) -> _Response:
        job: Job = {"job_id": uuid.uuid4().hex, "webhook_id": webhook_id, "payload": payload}
        original = self._dedupe.claim(webhook_id, job["job_id"])
        if original is not None:
            log.get_logger().info("webhook_received", webhook_id=webhook_id, job_id=original, duplicate=True)
            return _Response(200, {"job_id": original, "status": "duplicate"})
        try:
            self._offer(job)
        except WebhookRejected:
            self._dedupe.release(webhook_id, job["job_id"])
            raise
        log.get_logger().info("webhook_received", webhook_id=webhook_id, job_id=job["job_id"], duplicate=False,
                              partner=payload["partner"])
        return _Response(202, {"job_id": job["job_id"], "status": "queued"})

    def _offer(self, job: Job) -> None:
        """Journal and queue the job, or raise the rejection that makes the sender retry later."""
        if self._queue.full():  # the cheap early answer; the put below still decides
            raise WebhookRejected(429, "queue full", retry_after=RETRY_AFTER_SECONDS)
        if self._journal is not None:
            try:
                self._journal.store(job)
            except OSError as exc:  # a disk we cannot write to: no 202 for work we could lose
                log.get_logger().error("job_journal_failed", job_id=job["job_id"], error=str(exc))
                raise WebhookRejected(503, "cannot store the job", retry_after=RETRY_AFTER_SECONDS) from None
        try:
            with self._lock:  # shutdown flips _accepting under this lock, so nothing is queued after it drains
                if not self._accepting:
                    raise WebhookRejected(503, "shutting down", retry_after=RETRY_AFTER_SECONDS)
                try:
                    self._queue.put_nowait(job)
                except queue.Full:
                    raise WebhookRejected(429, "queue full", retry_after=RETRY_AFTER_SECONDS) from None
                self._records[job["job_id"]] = _Record(job)
        except WebhookRejected:
            self._forget(job["job_id"])
            raise

    def _forget(self, job_id: str) -> None:
        if self._journal is not None:
            self._journal.remove(job_id)

    def _health(self) -> _Response:
        body = {"status": "ok" if self._accepting else "stopping", "queue": self._queue.qsize(),
                "workers": sum(worker.is_alive() for worker in self._workers)}
        return _Response(200 if self._accepting else 503, body)

    def _job(self, job_id: str) -> _Response:
        with self._lock:
            record = self._records.get(job_id)
            return _Response(200, record.to_dict()) if record else _error(404, "no such job")

    # workers ---------------------------------------------------------------------------------------------------

    def _work(self) -> None:
        while (job := self._queue.get()) is not None:
            self._run(job)

    def _run(self, job: Job) -> None:
        """Run one job; whatever the handler raises becomes the job's error, so a worker never dies."""
        log.bind_run("webhook", run_id=job["job_id"])  # the core's own events then carry the job
        structlog.contextvars.bind_contextvars(job_id=job["job_id"], webhook_id=job["webhook_id"])
        self._update(job["job_id"], "running")
        started = time.monotonic()
        result: dict[str, Any] | None = None
        error: dict[str, str] | None = None
        try:
            result = dict(self._handler(job))
        except IngestError as exc:
            error = exc.to_dict()
        except Exception as exc:  # a bug in one job must not stop the others
            log.get_logger().error("job_crashed", error=f"{type(exc).__name__}: {exc}")
            error = {"code": "internal_error", "message": type(exc).__name__}
        status = "failed" if error else "done"
        self._forget(job["job_id"])  # a failed job's articles are under failed/ already: replaying it adds nothing
        self._update(job["job_id"], status, result=result, error=error)
        log.get_logger().info("job_done", status=status, duration_ms=round((time.monotonic() - started) * 1000))

    def _update(self, job_id: str, status: str, result: Mapping[str, Any] | None = None,
                error: Mapping[str, Any] | None = None) -> None:
        with self._lock:
            record = self._records[job_id]
            record.status, record.result, record.error = status, result, error
            if status in ("done", "failed", "spooled"):
                self._finished.append(job_id)
                while len(self._finished) > self._max_jobs:
                    del self._records[self._finished.popleft()]

    # shutdown --------------------------------------------------------------------------------------------------

    def shutdown(self) -> None:
        """Stop taking webhooks (503 from now on), let the workers finish the jobs they are running, and leave every
        job still queued in the journal for the next start (without a journal, run it here so that none is
        dropped). Blocks until the workers have stopped; calling it again does nothing."""
        with self._lock:
            if not self._accepting:
                return
            self._accepting = False
        spooled = 0
        while True:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                break
            if job is not None:  # always: the workers' stop signals are only queued below
                spooled += self._leave_queued(job)
        for _ in self._workers:
            self._queue.put(None)
        for worker in self._workers:
            worker.join()
        log.get_logger().info("webhook_shutdown", spooled=spooled)

    def _leave_queued(self, job: Job) -> bool:
        """A queued job at shutdown stays in the journal (True); without a journal it runs now."""
        if self._journal is not None:
            self._update(job["job_id"], "spooled")
            log.get_logger().info("job_spooled", job_id=job["job_id"], webhook_id=job["webhook_id"])
            return True
        contextvars.copy_context().run(self._run, job)  # keeps the job's log context off the caller's
        return False


def _read_body(environ: dict[str, Any], max_body: int) -> bytes:
    """At most ``max_body`` bytes of the raw body (413 beyond); never more than that is read into memory."""
    declared = environ.get("CONTENT_LENGTH") or ""
    if declared and not (declared.isascii() and declared.isdigit()):
        raise WebhookRejected(400, "bad Content-Length")
    if declared and int(declared) > max_body:
        raise WebhookRejected(413, f"body over {max_body} bytes")
    body = environ["wsgi.input"].read(int(declared) if declared else max_body + 1)
    if len(body) > max_body:  # a WSGI server may pass no Content-Length (e.g. for a chunked body)
        raise WebhookRejected(413, f"body over {max_body} bytes")
    return body


def create_app(secrets: Iterable[str], handler: Handler, *, queue_size: int = 100, workers: int = 2,
               max_body: int = 20_000, tolerance: float = DEFAULT_TOLERANCE, dedupe: DedupeStore | None = None,
               max_jobs: int = 10_000, journal: JobJournal | None = None) -> WebhookApp:
    """The webhook WSGI app with its worker threads already running. ``secrets`` are ``whsec_…`` values (all are
    accepted, for rotation); ``max_jobs`` bounds how many finished jobs ``GET /jobs/{id}`` remembers; ``journal``
    keeps accepted jobs across a crash (see :class:`JobJournal`)."""
    keys = [decode_secret(secret) for secret in secrets]
    if not keys:
        raise ValueError("the webhook needs at least one secret")
    dedupe = MemoryDedupe() if dedupe is None else dedupe
    if dedupe.ttl_seconds < 2 * tolerance:
        raise ValueError(f"the dedupe TTL ({dedupe.ttl_seconds} s) must cover the whole ±{tolerance} s window")
    return WebhookApp(keys, handler, queue_size=queue_size, workers=workers, max_body=max_body,
                      tolerance=tolerance, dedupe=dedupe, max_jobs=max_jobs, journal=journal)


# --- serving ----------------------------------------------------------------------------------------------------

def make_server(app: WebhookApp, host: str, port: int) -> BaseWSGIServer | MultiSocketServer:
    """A waitress server for the app. Waitress buffers a body before the app sees it, so its own cap (a few times
    ours) stops huge uploads early; below that the app answers 413 itself, in JSON and logged."""
    return waitress.create_server(app, host=host, port=port, ident="ingest-plugin",
                                  max_request_body_size=max(4 * app.max_body, 65_536))


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # waitress stops its loop on this and lets in-flight requests finish


def serve(settings: WebhookConfig, handler: Handler, *, host: str = "127.0.0.1", port: int = 8080,
          journal: JobJournal | None = None) -> None:
    """Serve the webhook until SIGTERM or SIGINT, then shut down gracefully: stop listening, let running jobs
    finish, and leave queued jobs in ``journal`` for the next start (``None``: run them here before returning).
    Call it from the main thread, which owns signal handling."""
    app = create_app(settings.secrets, handler, queue_size=settings.queue_size, workers=settings.workers,
                     max_body=settings.max_body_bytes, tolerance=settings.tolerance_seconds, journal=journal)
    previous = {sig: signal.signal(sig, _interrupt) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        server = make_server(app, host, port)
        log.get_logger().info("webhook_listening", host=host, port=int(getattr(server, "effective_port", port)),
                              workers=settings.workers, queue_size=settings.queue_size)
        server.run()
        server.close()
    finally:
        for sig in previous:  # a second Ctrl-C must not cut the drain short
            signal.signal(sig, signal.SIG_IGN)
        app.shutdown()
        for sig, action in previous.items():
            signal.signal(sig, action)
