"""The CMS trigger: ``POST /webhooks/ingest``, verified per Standard Webhooks v1 and answered before any work runs.

The request thread only checks the call (size, signature, payload, ``webhook-id`` dedupe), turns it into an ingest
job and sends it to the job queue (:class:`~ingest_plugin.ingest.queue.InProcessQueue`: stored durably in its
journal before the 202); worker threads receive jobs from the queue, run the injected ``handler`` (the one job
handler) and acknowledge them, so a slow partner never holds the CMS's connection open, a crash never loses an
acknowledged job, and this module never imports S3 code. Status codes follow the sender's retry semantics
(``safety.md`` §3): 202 accepted, 200 already accepted, 401 bad signature, 400 bad payload, 413 too large, 429/503
retry later, and never 410 (which tells a Standard Webhooks sender to disable the endpoint).

Public API: :func:`create_app` (the WSGI app and its workers), :func:`make_server` and :func:`serve` (waitress);
the protocol lives in :mod:`.protocol`, dedupe in :mod:`.dedupe`. ``docs/webhook.md`` explains the operation.
"""
from __future__ import annotations

import contextvars
import json
import re
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, NamedTuple

from waitress.server import create_server

from ingest_plugin import log
from ingest_plugin.entrypoints.webhook.dedupe import ClaimPending, DedupeStore, DedupeUnavailable, MemoryDedupe
from ingest_plugin.entrypoints.webhook.metrics import WebhookMetrics
from ingest_plugin.entrypoints.webhook.protocol import (
    DEFAULT_TOLERANCE,
    HEADERS,
    WEBHOOK_ID,
    WebhookRejected,
    decode_secret,
    parse_payload,
    verify_with_keys,
)
from ingest_plugin.errors import IngestError
from ingest_plugin.ingest.jobs import IngestJob, from_webhook_payload
from ingest_plugin.ingest.queue import InProcessQueue, JobJournal, JobQueue, QueueClosed, QueueFull, RetryLater

if TYPE_CHECKING:
    from waitress.server import BaseWSGIServer, MultiSocketServer

    from ingest_plugin.config import WebhookConfig

INGEST_PATH = "/webhooks/ingest"
RETRY_AFTER_SECONDS = 30
_JOB_PATH = re.compile(r"/jobs/([0-9a-f]{32})")

# Runs a job; GET /jobs/{id} shows its result. A result may say how the job ended ("status": done, failed or
# spooled, with the coded "error"); one that does not is done. Raising RetryLater leaves the job queued.
Handler = Callable[[IngestJob], Mapping[str, Any]]


@dataclass
class _Record:
    job: IngestJob
    status: str = "queued"  # queued → running → done | failed; or spooled (left in the journal) by shutdown
    result: Mapping[str, Any] | None = None
    error: Mapping[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"job_id": self.job.job_id, "webhook_id": self.job.request_id,
                                "status": self.status}
        if self.result is not None:
            data["result"] = self.result
        if self.error is not None:
            data["error"] = self.error
        return data


class _Response(NamedTuple):
    status: int
    body: Mapping[str, Any] | bytes  # JSON, or bytes already encoded (the metrics) with their Content-Type header
    headers: tuple[tuple[str, str], ...] = ()


def _error(status: int, reason: str, *headers: tuple[str, str]) -> _Response:
    return _Response(status, {"error": reason}, headers)


class WebhookApp:
    """The WSGI application with its job queue and worker threads. Build it with :func:`create_app`; end it with
    :meth:`shutdown`. Without a journal, queued jobs live in memory only and shutdown runs them before it returns."""

    def __init__(self, keys: Sequence[bytes], handler: Handler, *, queue_size: int, workers: int, max_body: int,
                 tolerance: float, dedupe: DedupeStore, max_jobs: int, journal: JobJournal | None,
                 queue: JobQueue | None = None, partners: Collection[str] | None = None) -> None:
        self.max_body = max_body
        self.partners = partners  # the keys a payload may name (None: every installed partner's)
        self._keys = keys
        self._handler = handler
        self._tolerance = tolerance
        self.dedupe = dedupe
        self._max_jobs = max_jobs
        self._queue: JobQueue = queue if queue is not None else InProcessQueue(queue_size, journal)
        self._journal = journal
        self.metrics = WebhookMetrics(self._queue.depth, lambda: journal.size() if journal is not None else 0)
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
        if isinstance(response.body, bytes):
            data, headers = response.body, response.headers
        else:
            data, headers = json.dumps(response.body, default=str).encode(), (
                ("Content-Type", "application/json"), *response.headers)
        start_response(f"{response.status} {HTTPStatus(response.status).phrase}", [
            *headers, ("Content-Length", str(len(data))), ("Cache-Control", "no-store")])
        return [data]

    def _route(self, method: str, path: str, environ: dict[str, Any]) -> _Response:
        job = _JOB_PATH.fullmatch(path)
        if path == INGEST_PATH:
            allowed, action = "POST", lambda: self._ingest(environ)
        elif path == "/healthz":
            allowed, action = "GET", self._health
        elif path == "/metrics":
            allowed, action = "GET", self._metrics
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
            headers = {name: environ.get("HTTP_" + name.upper().replace("-", "_"), "") for name in HEADERS}
            webhook_id = verify_with_keys(headers, body, self._keys, None, self._tolerance)
            return self._enqueue(webhook_id, parse_payload(body, self.partners))
        except WebhookRejected as exc:
            claimed_id = environ.get("HTTP_WEBHOOK_ID", "")
            log.get_logger().warning(
                "webhook_rejected", status=exc.status, reason=exc.reason, remote_addr=environ.get("REMOTE_ADDR"),
                webhook_id=claimed_id if WEBHOOK_ID.fullmatch(claimed_id) else None)
            retry = (("Retry-After", str(exc.retry_after)),) if exc.retry_after else ()
            return _error(exc.status, exc.reason, *retry)

    def _enqueue(self, webhook_id: str, payload: dict[str, Any]) -> _Response:
        """Claim the ``webhook-id`` (pending), queue the job, then confirm the claim. A claim is never a duplicate's
        answer before its job is queued, so a claim left by a lost reply or a crash cannot swallow the retries."""
        job = from_webhook_payload(payload, request_id=webhook_id)
        try:
            original = self.dedupe.claim(webhook_id, job.job_id)
        except ClaimPending as exc:  # another request may be queueing it now, or died doing so: ask again later
            log.get_logger().warning("dedupe_claim_pending", webhook_id=webhook_id, pending_job_id=exc.job_id,
                                     retry_after=exc.retry_after)
            raise WebhookRejected(503, "the webhook-id is being queued", retry_after=exc.retry_after) from None
        except DedupeUnavailable as exc:  # we cannot know whether the id ran before: no job, the sender retries
            log.get_logger().error("dedupe_unavailable", webhook_id=webhook_id, error=str(exc))
            self._release(webhook_id, job.job_id)  # our claim may have landed, its reply lost
            raise WebhookRejected(503, "cannot check the webhook-id", retry_after=RETRY_AFTER_SECONDS) from None
        if original is not None:
            log.get_logger().info("webhook_received", webhook_id=webhook_id, job_id=original, duplicate=True,
                                  partner=payload["partner"])
            return _Response(200, {"job_id": original, "status": "duplicate"})
        try:
            self._offer(job)
        except WebhookRejected:
            self._release(webhook_id, job.job_id)
            raise
        try:
            self.dedupe.confirm(webhook_id, job.job_id)
        except DedupeUnavailable as exc:  # the job is queued and will run: still 202. The claim stays pending, so a
            # retry after the grace period may run the job again (an unchanged article publishes nothing)
            log.get_logger().error("dedupe_not_confirmed", webhook_id=webhook_id, job_id=job.job_id, error=str(exc))
        log.get_logger().info("webhook_received", webhook_id=webhook_id, job_id=job.job_id, duplicate=False,
                              partner=payload["partner"])
        return _Response(202, {"job_id": job.job_id, "status": "queued"})

    def _release(self, webhook_id: str, job_id: str) -> None:
        """Forget our claim on ``webhook_id``: its job was never queued, so the sender's retry must run. If the store
        cannot answer, the claim stays pending until a retry takes it over after the grace period."""
        try:
            self.dedupe.release(webhook_id, job_id)
        except DedupeUnavailable as exc:
            log.get_logger().error("dedupe_not_released", webhook_id=webhook_id, job_id=job_id, error=str(exc))

    def _offer(self, job: IngestJob) -> None:
        """Send the job to the queue (journaled first), or raise the rejection that makes the sender retry later."""
        with self._lock:  # the record exists before a worker can receive the job
            self._records[job.job_id] = _Record(job)
        try:
            self._queue.send(job)
        except (QueueFull, QueueClosed, OSError, IngestError) as exc:
            with self._lock:
                del self._records[job.job_id]
            if isinstance(exc, QueueFull):
                raise WebhookRejected(429, "queue full", retry_after=RETRY_AFTER_SECONDS) from None
            if isinstance(exc, QueueClosed):
                raise WebhookRejected(503, "shutting down", retry_after=RETRY_AFTER_SECONDS) from None
            # a disk we cannot write to, a shared queue we cannot reach: no 202 for work we could lose
            log.get_logger().error("job_not_stored", job_id=job.job_id, error=str(exc))
            raise WebhookRejected(503, "cannot store the job", retry_after=RETRY_AFTER_SECONDS) from None

    def _health(self) -> _Response:
        body = {"status": "ok" if self._accepting else "stopping", "queue": self._queue.depth(),
                "workers": sum(worker.is_alive() for worker in self._workers)}
        return _Response(200 if self._accepting else 503, body)

    def _metrics(self) -> _Response:
        return _Response(200, self.metrics.render(), (("Content-Type", self.metrics.content_type),))

    def _job(self, job_id: str) -> _Response:
        with self._lock:
            record = self._records.get(job_id)
            return _Response(200, record.to_dict()) if record else _error(404, "no such job")

    # workers ---------------------------------------------------------------------------------------------------

    def _work(self) -> None:
        while (delivery := self._queue.receive()) is not None:
            if self._run(delivery.job):
                self._queue.ack(delivery)  # a failed job's articles are under failed/ already: replaying adds nothing
            else:
                self._queue.release(delivery)

    def _run(self, job: IngestJob) -> bool:
        """Run one job; whatever the handler raises becomes the job's error, so a worker never dies. False when the
        job could not run at all and must stay queued (:class:`RetryLater`). (The serve handler keeps a job that
        crashed under failed/ itself: what crashes here is a handler of no such care.)"""
        log.bind_job("webhook", job.job_id, job.request_id)  # the handler's own events then carry the job
        self._update(job.job_id, "running")
        started = time.monotonic()
        result: dict[str, Any] | None = None
        error: dict[str, str] | None = None
        status, kept_queued = "done", False
        try:
            result = dict(self._handler(job))
            status, error = result.pop("status", status), result.pop("error", None)
        except RetryLater as exc:
            log.get_logger().error("job_kept_for_retry", reason=str(exc))
            status, error, kept_queued = "spooled", {"code": "retry_later", "message": str(exc)}, True
        except IngestError as exc:
            status, error = "failed", exc.to_dict()
        except Exception as exc:  # a bug in one job must not stop the others
            log.get_logger().error("job_crashed", error=f"{type(exc).__name__}: {exc}")
            status, error = "failed", {"code": "internal_error", "message": type(exc).__name__}
        self._update(job.job_id, status, result=result, error=error)
        self.metrics.job_done(status, time.monotonic() - started, result)
        log.get_logger().info("job_done", status=status, duration_ms=round((time.monotonic() - started) * 1000))
        return not kept_queued  # a job whose article waits in the local spool is done: the spool holds the work

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
        left = self._queue.close()
        for job in left:
            self._leave_queued(job)
        for worker in self._workers:
            worker.join()
        log.get_logger().info("webhook_shutdown", spooled=len(left) if self._journal is not None else 0)

    def _leave_queued(self, job: IngestJob) -> None:
        """A queued job at shutdown stays in the journal; without a journal it runs now."""
        if self._journal is not None:
            self._update(job.job_id, "spooled")
            log.get_logger().info("job_spooled", job_id=job.job_id, webhook_id=job.request_id)
            return
        contextvars.copy_context().run(self._run, job)  # keeps the job's log context off the caller's


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
               max_jobs: int = 10_000, journal: JobJournal | None = None,
               queue: JobQueue | None = None, partners: Collection[str] | None = None) -> WebhookApp:
    """The webhook WSGI app with its worker threads already running. ``secrets`` are ``whsec_…`` values (all are
    accepted, for rotation); ``max_jobs`` bounds how many finished jobs ``GET /jobs/{id}`` remembers; ``journal``
    keeps accepted jobs across a crash (see :class:`JobJournal`). With a shared ``queue`` (SQS) the app only sends
    jobs to it (give ``workers=0``): workers elsewhere run them, and this process keeps no state. ``partners``: the
    keys a payload may name (the configured partners; default: every installed one); others get 400."""
    keys = [decode_secret(secret) for secret in secrets]
    if not keys:
        raise ValueError("the webhook needs at least one secret")
    dedupe = MemoryDedupe() if dedupe is None else dedupe
    if dedupe.ttl_seconds < 2 * tolerance:
        raise ValueError(f"the dedupe TTL ({dedupe.ttl_seconds} s) must cover the whole ±{tolerance} s window")
    return WebhookApp(keys, handler, queue_size=queue_size, workers=workers, max_body=max_body,
                      tolerance=tolerance, dedupe=dedupe, max_jobs=max_jobs, journal=journal, queue=queue,
                      partners=partners)


# --- serving ----------------------------------------------------------------------------------------------------

class ListenError(Exception):
    """The address to serve on cannot be listened on: a usage error of ``serve``."""


def make_server(app: WebhookApp, host: str, port: int) -> BaseWSGIServer | MultiSocketServer:
    """A waitress server for the app. Waitress buffers a body before the app sees it, so its own cap (a few times
    ours) stops huge uploads early; below that the app answers 413 itself, in JSON and logged."""
    return create_server(app, host=host, port=port, ident="ingest-plugin",
                                  max_request_body_size=max(4 * app.max_body, 65_536))


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # waitress stops its loop on this and lets in-flight requests finish


def serve(settings: WebhookConfig, handler: Handler, *, host: str = "127.0.0.1", port: int = 8080,
          journal: JobJournal | None = None, dedupe: DedupeStore | None = None,
          queue: JobQueue | None = None, partners: Collection[str] | None = None) -> None:
    """Serve the webhook until SIGTERM or SIGINT, then shut down gracefully: stop listening, let running jobs
    finish, and leave queued jobs in ``journal`` for the next start (``None``: run them here before returning).
    ``dedupe`` defaults to this process's memory; ``partners`` are the keys a payload may name (see
    :func:`create_app`). Call it from the main thread, which owns signal handling."""
    app = create_app(settings.secrets, handler, queue_size=settings.queue_size,
                     workers=0 if queue is not None else settings.workers, max_body=settings.max_body_bytes,
                     tolerance=settings.tolerance_seconds, journal=journal, dedupe=dedupe, queue=queue,
                     partners=partners)
    previous = {sig: signal.signal(sig, _interrupt) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        try:
            server = make_server(app, host, port)
        except (OSError, ValueError) as exc:  # in use, not ours, no such host: the operator's to fix
            raise ListenError(f"cannot listen on {host}:{port}: {exc}") from None
        log.get_logger().info("webhook_listening", host=host, port=int(getattr(server, "effective_port", port)),
                              workers=settings.workers, queue_size=settings.queue_size,
                              signing_keys=len(settings.secrets), journal=journal is not None,
                              dedupe=type(app.dedupe).__name__)
        server.run()
        server.close()
    finally:
        for sig in previous:  # a second Ctrl-C must not cut the drain short
            signal.signal(sig, signal.SIG_IGN)
        app.shutdown()
        for sig, action in previous.items():
            signal.signal(sig, action)
