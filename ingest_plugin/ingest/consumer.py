"""Consuming a shared queue: what a ``worker`` process and the Lambda function do with each delivered job.

:func:`run_delivered` is the one place a queued job is judged, for both runners. It runs the job through the job
handler and says whether the delivery is **done** (every article
published, unchanged, or kept under ``failed/``: delete the message) or must be **retried** (S3 refused even the
failure record, the set-up is wrong, the handler crashed: the message comes back later, and after ``max_receives``
receives SQS moves it to the dead-letter queue). Its last deliveries are recorded under ``failed/`` with the
reason, so the dead-letter queue never holds a job nobody can explain.

:class:`QueueWorker` is the long-running consumer: ``concurrency`` threads run one job each, fed by one fetcher, with
one visibility heartbeat for all running jobs and batched deletes; SIGTERM stops receiving, lets running jobs finish
(a job received but not started is released at once), and exits 0 (1 when receiving broke on a bug, so that a
supervisor restarts the worker).
"""
from __future__ import annotations

import json
import logging
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from enum import StrEnum
from typing import Any

import structlog

from ingest_plugin import log
from ingest_plugin.errors import ErrorCode, IngestError, Stage
from ingest_plugin.ingest.handler import JobHandler
from ingest_plugin.ingest.jobs import IngestJob
from ingest_plugin.ingest.queue import Delivery, RetryLater
from ingest_plugin.ingest.sqs import SqsQueue, UnreadableMessage
from ingest_plugin.parsing.model import ItemResult
from ingest_plugin.publishing import S3SetupError


class Verdict(StrEnum):
    DONE = "done"  # delete the message
    RETRY = "retry"  # leave it: delivered again after the delay (or moved to the dead-letter queue)


def run_delivered(handler: JobHandler, job: IngestJob, *, receive_count: int, max_receives: int,
                  message_id: str | None = None) -> Verdict:
    """Run one delivered job and judge the delivery (module docstring). Never raises for the job's sake. Every
    log line of the job carries its id (as the run id), its trigger, the message id and the receive count.

    From its second-to-last delivery on, a job is recorded under ``failed/`` *before* it runs (and the record is
    removed if it succeeds): a job that kills its worker (memory, a crash in a C library) still reaches the
    dead-letter queue with a record saying so, even when the worker dies on its last delivery."""
    log.bind_job(job.trigger, job.job_id, job.request_id)
    structlog.contextvars.bind_contextvars(message_id=message_id, receive_count=receive_count)
    last_chances = receive_count >= max_receives - 1
    kept = _record_delivery_failure(handler, job.name, lambda: job.to_dict(handler.payloads), job.summary(),
                                    receive_count, max_receives,
                                    "the worker running it stopped (a crash, a kill, memory, time)"
                                    ) if last_chances else None
    try:
        outcomes = tuple(handler(job, run_id=job.job_id))
    except (RetryLater, S3SetupError, IngestError) as exc:
        reason = f"{type(exc).__name__}: {exc}"
    except Exception as exc:  # noqa: BLE001 - a bug met on this job: retried, then kept with its reason
        log.get_logger().exception("job_crashed")
        reason = f"unexpected {type(exc).__name__}: {exc}"
    else:
        counts = Counter(str(o.status) for o in outcomes)
        log.get_logger().info("job_done", counts=dict(counts))
        if kept is not None:
            _forget(handler, kept)
        return Verdict.DONE
    log.get_logger().warning("job_retried", reason=reason, last_receive=receive_count >= max_receives)
    if last_chances:
        _record_delivery_failure(handler, job.name, lambda: job.to_dict(handler.payloads), job.summary(),
                                 receive_count, max_receives, reason)
    return Verdict.RETRY


def judge_unreadable(handler: JobHandler, message: UnreadableMessage, max_receives: int) -> Verdict:
    """A message that holds no job: retried (a newer release may read it), and recorded at every receive, so that
    it reaches the dead-letter queue with its record even if a worker dies holding it. One whose stored payload S3
    did not give this time (``transient``) is recorded on its last receive only: the next receive may read it, and
    a record made before would outlive the job's success (``[queue] max_receives`` is the redrive policy's)."""
    log.bind_run("queue", run_id=message.message_id)
    log.get_logger().log(logging.WARNING if message.transient else logging.ERROR, "message_unreadable",
                         message_id=message.message_id, reason=message.reason, receive_count=message.receive_count,
                         transient=message.transient)
    if not message.transient or message.receive_count >= max_receives:
        _record_delivery_failure(handler, f"message {message.message_id}", lambda: message.body, None,
                                 message.receive_count, max_receives, message.reason)
    return Verdict.RETRY


def _record_delivery_failure(handler: JobHandler, name: str, body: Callable[[], Any], job: dict[str, Any] | None,
                             receive_count: int, max_receives: int, reason: str) -> str | None:
    """Keep a job that may end in the dead-letter queue under ``failed/``: the message as it was (``body()``: the
    job, its large payloads stored again), and why; the record's key, or None when S3 takes not even that (the
    dead-letter queue still keeps the message)."""
    error = IngestError(ErrorCode.FETCH_FAILED, f"delivery {receive_count} of at most {max_receives} failed; after "
                                                f"the last one the job goes to the dead-letter queue: {reason}",
                        input=name, stage=Stage.READ)
    try:
        message = body()
        raw = message.encode("utf-8") if isinstance(message, str) else json.dumps(message).encode("utf-8")
        key = handler.publisher.failed.record(ItemResult(input_name=name, raw=raw), error, job=job)
    except Exception as exc:  # noqa: BLE001 - S3 is down: the message itself is kept by the queue
        log.get_logger().error("delivery_failure_not_recorded", input=name, error=f"{type(exc).__name__}: {exc}")
        return None
    log.get_logger().warning("delivery_failure_recorded", input=name, key=key, reason=reason,
                             to_dead_letter_queue=receive_count >= max_receives)
    return key


def _forget(handler: JobHandler, key: str) -> None:
    """The job succeeded after all: its delivery-failure record goes."""
    try:
        entry = handler.publisher.failed.get(key)
        if entry is not None:
            handler.publisher.failed.remove(entry)
    except Exception as exc:  # noqa: BLE001 - a stale record is harmless: replaying it publishes nothing new
        log.get_logger().warning("delivery_record_not_removed", key=key, error=f"{type(exc).__name__}: {exc}")


class QueueWorker:
    """``concurrency`` threads consuming ``queue`` through ``handler`` until :meth:`stop`, or ``max_idle`` seconds
    without a job.

    One fetcher receives up to ten messages a request, only for threads that are free (a message never waits long
    in this process, its visibility clock running); one heartbeat keeps every running job's message hidden with
    one request per ten; deletes are batched too (flushed every half second, and at the end). A crash between a
    job's end and its delete only means one more delivery, which publishing shrugs off.
    """

    ACK_EVERY = 0.5  # seconds

    def __init__(self, queue: SqsQueue, handler: JobHandler, *, concurrency: int = 1,
                 max_idle: float | None = None) -> None:
        self.queue, self.handler = queue, handler
        self.concurrency, self.max_idle = concurrency, max_idle
        self.stopping = threading.Event()
        self.jobs_done = 0
        self._lock = threading.Condition()
        self._waiting: deque[Delivery | UnreadableMessage] = deque()  # received, not yet started
        self._running: dict[str, Delivery] = {}  # receipt -> delivery, for the heartbeat
        self._reserved = 0  # received and not yet settled
        self._to_ack: list[str] = []
        self._fetching_done = False
        self._last_job = time.monotonic()
        self.crashed: str | None = None  # why the fetcher stopped on a bug: the worker then exits non-zero

    def run(self) -> None:
        threads = [threading.Thread(target=self._consume, name=f"worker-{n}", daemon=True)
                   for n in range(self.concurrency)]
        helpers = [threading.Thread(target=self._fetch, name="fetcher", daemon=True),
                   threading.Thread(target=self._beat, name="heartbeat", daemon=True)]
        for thread in threads + helpers:
            thread.start()
        for thread in threads:
            thread.join()
        self.stopping.set()
        for thread in helpers:
            thread.join()
        self._flush_acks()
        log.get_logger().info("worker_stopped", jobs=self.jobs_done)

    def stop(self) -> None:
        self.stopping.set()
        with self._lock:
            self._lock.notify_all()

    def _fetch(self) -> None:
        """Receive for the free threads; give up after ``max_idle`` seconds without a message."""
        try:
            while not self.stopping.is_set():
                with self._lock:
                    while self._reserved >= self.concurrency and not self.stopping.is_set():
                        self._lock.wait(0.5)
                    wanted = self.concurrency - self._reserved
                if self.stopping.is_set():
                    return
                wait = self.queue.wait_seconds if self.max_idle is None else min(self.queue.wait_seconds,
                                                                                 self.max_idle)
                try:
                    received = self.queue.receive_many(wanted, timeout=wait)
                except IngestError as exc:  # SQS unreachable: wait, then try again
                    log.get_logger().error("receive_failed", error=exc.message)
                    self.stopping.wait(5)
                    continue
                with self._lock:
                    if received:
                        self._last_job = time.monotonic()
                    self._waiting.extend(received)
                    self._reserved += len(received)
                    self._lock.notify_all()
                    idle = time.monotonic() - self._last_job
                if not received and self.max_idle is not None and idle > self.max_idle and not self._reserved:
                    log.get_logger().info("worker_idle_exit", idle_seconds=self.max_idle, jobs=self.jobs_done)
                    return
        except Exception as exc:  # a bug: running jobs finish, and the exit status lets a supervisor restart us
            log.get_logger().exception("fetcher_crashed")
            self.crashed = f"{type(exc).__name__}: {exc}"
            self.stop()
        finally:
            with self._lock:
                self._fetching_done = True
                self._lock.notify_all()

    def _next(self) -> Delivery | UnreadableMessage | None:
        with self._lock:
            while not self._waiting and not self._fetching_done:
                self._lock.wait(0.5)
            return self._waiting.popleft() if self._waiting else None

    def _consume(self) -> None:
        while (item := self._next()) is not None:
            if isinstance(item, UnreadableMessage):
                self._settle(item.receipt, judge_unreadable(self.handler, item, self.queue.max_receives),
                             item.receive_count)
                continue
            if self.stopping.is_set():  # received, never started: hand it back at once
                self._settle(item.receipt, Verdict.RETRY, item.receive_count, delay=0)
                continue
            with self._lock:
                self._running[item.receipt] = item
            verdict = Verdict.RETRY
            try:
                verdict = run_delivered(self.handler, item.job, receive_count=item.receive_count,
                                        max_receives=self.queue.max_receives, message_id=item.message_id)
            except Exception:  # a bug: the message comes back, and this thread takes the next job
                log.get_logger().exception("job_not_judged")
            finally:
                with self._lock:
                    del self._running[item.receipt]
                    self.jobs_done += 1
                    self._last_job = time.monotonic()
            self._settle(item.receipt, verdict, item.receive_count)

    def _settle(self, receipt: str, verdict: Verdict, receive_count: int, delay: int | None = None) -> None:
        if verdict is Verdict.DONE:
            with self._lock:
                self._to_ack.append(receipt)
        else:
            try:
                self.queue.hide(receipt, self.queue.retry_delay(receive_count) if delay is None else delay)
            except IngestError as exc:  # it comes back after its visibility timeout anyway
                log.get_logger().error("settle_failed", verdict=str(verdict), error=exc.message)
        with self._lock:
            self._reserved -= 1
            self._lock.notify_all()

    def _beat(self) -> None:
        """Every third of the visibility timeout: keep the running jobs' messages hidden; delete the done ones."""
        period = max(1.0, self.queue.visibility_timeout / 3)
        last_beat = time.monotonic()
        while not (self.stopping.is_set() and self._fetching_done and not self._reserved):
            time.sleep(self.ACK_EVERY)  # not stopping.wait(): once set, it no longer waits while jobs finish
            self._flush_acks()
            if time.monotonic() - last_beat < period:
                continue
            last_beat = time.monotonic()
            with self._lock:
                running = list(self._running)
            if running:
                try:
                    self.queue.hide_many(running, self.queue.visibility_timeout)
                except IngestError as exc:
                    log.get_logger().warning("heartbeat_failed", error=exc.message)

    def _flush_acks(self) -> None:
        with self._lock:
            receipts, self._to_ack = self._to_ack, []
        if not receipts:
            return
        try:
            self.queue.ack_many(receipts)
        except IngestError as exc:  # the messages come back; publishing is idempotent
            log.get_logger().error("ack_failed", jobs=len(receipts), error=exc.message)
