"""Consuming a shared queue: what a ``worker`` process and the Lambda function do with each delivered job.

:func:`run_delivered` is the one place a queued job is judged, for both runners. It runs the job through the job
handler (with a visibility heartbeat while it runs) and says whether the delivery is **done** (every article
published, unchanged, or kept under ``failed/``: delete the message) or must be **retried** (S3 refused even the
failure record, the set-up is wrong, the handler crashed: the message comes back later, and after ``max_receives``
receives SQS moves it to the dead-letter queue). On the last receive before that, a job that fails again is
recorded under ``failed/`` with the reason, so the dead-letter queue never holds a job nobody can explain.

:class:`QueueWorker` is the long-running consumer: ``concurrency`` threads each receive, run and acknowledge one job
at a time; SIGTERM stops receiving, lets running jobs finish (a job received after the signal is released at
once), and exits 0.
"""
from __future__ import annotations

import json
import threading
import time
from collections import Counter
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import structlog

from ingest_plugin import log
from ingest_plugin.errors import ErrorCode, IngestError, Stage
from ingest_plugin.ingest.handler import JobHandler, Outcome
from ingest_plugin.ingest.jobs import IngestJob
from ingest_plugin.ingest.queue import Delivery, RetryLater
from ingest_plugin.ingest.sqs import SqsQueue, UnreadableMessage
from ingest_plugin.parsing.model import ItemResult
from ingest_plugin.publishing import S3SetupError


class Verdict(StrEnum):
    DONE = "done"  # delete the message
    RETRY = "retry"  # leave it: delivered again after the delay (or moved to the dead-letter queue)


@dataclass(frozen=True)
class Judged:
    verdict: Verdict
    outcomes: tuple[Outcome, ...] = ()
    reason: str | None = None


def run_delivered(handler: JobHandler, job: IngestJob, *, receive_count: int, max_receives: int,
                  message_id: str | None = None, heartbeat: _Heartbeat | None = None) -> Judged:
    """Run one delivered job and judge the delivery (module docstring). Never raises for the job's sake. Every
    log line of the job carries its id (as the run id), its trigger, the message id and the receive count."""
    log.bind_job(job.trigger, job.job_id, job.request_id)
    structlog.contextvars.bind_contextvars(message_id=message_id, receive_count=receive_count)
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
        return Judged(Verdict.DONE, outcomes)
    finally:
        if heartbeat is not None:
            heartbeat.stop()
    log.get_logger().warning("job_retried", reason=reason, last_receive=receive_count >= max_receives)
    if receive_count >= max_receives:
        _record_poison(handler, job.name, job.to_dict(handler.payloads), reason, job.summary())
    return Judged(Verdict.RETRY, reason=reason)


def judge_unreadable(handler: JobHandler, message: UnreadableMessage, max_receives: int) -> Judged:
    """A message that holds no job: retried (a newer release may read it), recorded on its last receive."""
    log.bind_run("queue", run_id=message.message_id)
    log.get_logger().error("message_unreadable", message_id=message.message_id, reason=message.reason,
                           receive_count=message.receive_count)
    if message.receive_count >= max_receives:
        _record_poison(handler, f"message {message.message_id}", message.body, message.reason, None)
    return Judged(Verdict.RETRY, reason=message.reason)


def _record_poison(handler: JobHandler, name: str, body: Any, reason: str, job: dict[str, Any] | None) -> None:
    """Keep a job headed for the dead-letter queue under ``failed/``: the message as it was, and why."""
    raw = body.encode("utf-8") if isinstance(body, str) else json.dumps(body).encode("utf-8")
    error = IngestError(ErrorCode.FETCH_FAILED, f"the job failed on every one of its deliveries and goes to the "
                                                f"dead-letter queue: {reason}", input=name, stage=Stage.READ)
    try:
        key = handler.publisher.failed.record(ItemResult(input_name=name, raw=raw), error, job=job)
    except Exception as exc:  # noqa: BLE001 - S3 is down: the message itself is kept by the dead-letter queue
        log.get_logger().error("poison_not_recorded", input=name, error=f"{type(exc).__name__}: {exc}")
        return
    log.get_logger().error("job_to_dead_letter_queue", input=name, key=key, reason=reason)


class _Heartbeat:
    """Keeps a running job's message hidden: extends its visibility every third of the timeout until stopped."""

    def __init__(self, queue: SqsQueue, delivery: Delivery) -> None:
        self._queue, self._delivery = queue, delivery
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="heartbeat", daemon=True)
        self._thread.start()

    def _beat(self) -> None:
        period = max(1.0, self._queue.visibility_timeout / 3)
        while not self._stopped.wait(period):
            try:
                self._queue.extend(self._delivery, self._queue.visibility_timeout)
            except IngestError as exc:
                log.get_logger().warning("heartbeat_failed", error=exc.message)

    def stop(self) -> None:
        self._stopped.set()


class QueueWorker:
    """``concurrency`` threads consuming ``queue`` through ``handler`` until :meth:`stop`, or ``max_idle`` seconds
    without a job."""

    def __init__(self, queue: SqsQueue, handler: JobHandler, *, concurrency: int = 1,
                 max_idle: float | None = None) -> None:
        self.queue, self.handler = queue, handler
        self.concurrency, self.max_idle = concurrency, max_idle
        self.stopping = threading.Event()
        self.jobs_done = 0
        self._lock = threading.Lock()
        self._last_job = time.monotonic()

    def run(self) -> None:
        threads = [threading.Thread(target=self._consume, name=f"worker-{n}", daemon=True)
                   for n in range(self.concurrency)]
        for thread in threads:
            thread.start()
        while any(t.is_alive() for t in threads):
            for thread in threads:
                thread.join(0.2)
            if self.max_idle is not None and time.monotonic() - self._last_job > self.max_idle:
                log.get_logger().info("worker_idle_exit", idle_seconds=self.max_idle, jobs=self.jobs_done)
                self.stop()
        log.get_logger().info("worker_stopped", jobs=self.jobs_done)

    def stop(self) -> None:
        self.stopping.set()

    def _consume(self) -> None:
        while not self.stopping.is_set():
            wait = self.queue.wait_seconds if self.max_idle is None else min(self.queue.wait_seconds, self.max_idle)
            try:
                delivery = self.queue.receive(timeout=wait)
            except UnreadableMessage as message:
                self._settle_unreadable(message)
                continue
            except IngestError as exc:  # SQS unreachable: wait, then try again
                log.get_logger().error("receive_failed", error=exc.message)
                self.stopping.wait(5)
                continue
            if delivery is None:
                continue
            with self._lock:
                self._last_job = time.monotonic()
            if self.stopping.is_set():  # received after SIGTERM: hand it back at once
                self._settle(delivery, Judged(Verdict.RETRY, reason="worker stopping"), delay=0)
                continue
            judged = run_delivered(self.handler, delivery.job, receive_count=delivery.receive_count,
                                   max_receives=self.queue.max_receives, message_id=delivery.message_id,
                                   heartbeat=_Heartbeat(self.queue, delivery))
            self._settle(delivery, judged, delay=self.queue.retry_delay(delivery.receive_count))
            with self._lock:
                self.jobs_done += 1
                self._last_job = time.monotonic()

    def _settle(self, delivery: Delivery, judged: Judged, *, delay: int) -> None:
        try:
            if judged.verdict is Verdict.DONE:
                self.queue.ack(delivery)
            else:
                self.queue.hide(delivery.receipt, delay)
        except IngestError as exc:  # the message comes back after its visibility timeout; publishing is idempotent
            log.get_logger().error("settle_failed", verdict=str(judged.verdict), error=exc.message)

    def _settle_unreadable(self, message: UnreadableMessage) -> None:
        judge_unreadable(self.handler, message, self.queue.max_receives)
        try:
            self.queue.hide(message.receipt, self.queue.retry_delay(message.receive_count))
        except IngestError as exc:
            log.get_logger().error("settle_failed", verdict=str(Verdict.RETRY), error=exc.message)
