"""The queue boundary between the triggers that make jobs and the runners that consume them.

:class:`JobQueue` is the small interface every runner uses, shaped for at-least-once delivery: a received job stays
owned by the queue until it is acknowledged (:meth:`~JobQueue.ack`) once it reached its final place, and a job
released (:meth:`~JobQueue.release`) or never acknowledged is delivered again: after a restart here, after its
visibility timeout on a remote queue, which also counts receives and moves a job that keeps failing to a dead-letter
queue. Publishing is idempotent, so a job that runs twice writes no second version.

:class:`InProcessQueue` is the implementation for one host: a bounded queue in memory, made durable by a
:class:`JobJournal` (:class:`DiskJournal`: one synced file per job) so that a crash loses no acknowledged job.
"""
from __future__ import annotations

import json
import os
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ingest_plugin import log
from ingest_plugin.ingest.jobs import IngestJob
from ingest_plugin.log import get_logger


class QueueFull(Exception):
    """No room for the job now: the sender should retry later."""


class QueueClosed(Exception):
    """The queue takes no more jobs (the process is shutting down)."""


class RetryLater(Exception):
    """A runner's handler could not run the job at all (S3 refused the set-up, say): the runner must not
    acknowledge it but release it, so that it stays queued (here: journaled for the next start)."""


@dataclass(frozen=True)
class Delivery:
    """One delivery of a job: what :meth:`JobQueue.ack` and :meth:`JobQueue.release` are given back."""

    job: IngestJob
    receipt: str  # the queue's handle for this delivery (an SQS receipt handle; here the job id)
    receive_count: int = 1
    message_id: str | None = None  # the queue's id of the message (SQS), for the logs


class JobQueue(Protocol):
    def send(self, job: IngestJob) -> None:
        """Durably accept ``job``, or raise :class:`QueueFull`, :class:`QueueClosed` or ``OSError``."""
        ...

    def receive(self, timeout: float | None = None) -> Delivery | None:
        """The next job, waiting at most ``timeout`` seconds (None: until one comes or the queue closes);
        None when there is none, or the queue is closed and empty."""
        ...

    def ack(self, delivery: Delivery) -> None:
        """The job reached its final place (published, unchanged, recorded under ``failed/`` or spooled)."""
        ...

    def release(self, delivery: Delivery) -> None:
        """The job did not run: deliver it again (here: after the next start)."""
        ...

    def extend(self, delivery: Delivery, seconds: float) -> None:
        """Keep a long job (a big feed) from being delivered again for ``seconds`` more: the visibility heartbeat
        of a remote queue."""
        ...

    def depth(self) -> int:
        """Jobs waiting (approximately, on a remote queue)."""
        ...

    def close(self) -> list[IngestJob]:
        """Take no more jobs and let receivers stop; hand back the jobs not yet delivered (a durable queue keeps
        them for the next start)."""
        ...


class JobJournal(Protocol):
    """Durable storage for accepted jobs: a job is stored before it is acknowledged to its sender and removed once
    it has run, so what a crash (SIGKILL, OOM, power loss) or a shutdown leaves in it is exactly the accepted work
    still to do."""

    def store(self, job: IngestJob) -> object: ...

    def remove(self, job_id: str) -> None: ...

    def size(self) -> int:
        """How many jobs it holds."""
        ...


class InProcessQueue:
    """A bounded in-memory :class:`JobQueue` for threads of one process, durable through an optional journal."""

    def __init__(self, maxsize: int, journal: JobJournal | None = None) -> None:
        self.journal = journal
        self._queue: queue.Queue[IngestJob | None] = queue.Queue(maxsize)  # None wakes a receiver at close
        self._lock = threading.Lock()
        self._closed = False

    def send(self, job: IngestJob) -> None:
        if self._queue.full():  # the cheap early answer, before the journal write; the put below still decides
            raise QueueFull
        if self.journal is not None:
            self.journal.store(job)
        try:
            with self._lock:  # close() flips _closed under this lock, so nothing is queued after it drained
                if self._closed:
                    raise QueueClosed
                try:
                    self._queue.put_nowait(job)
                except queue.Full:
                    raise QueueFull from None
        except (QueueFull, QueueClosed):
            if self.journal is not None:
                self.journal.remove(job.job_id)
            raise

    def receive(self, timeout: float | None = None) -> Delivery | None:
        try:
            job = self._queue.get(timeout=timeout)
        except queue.Empty:
            return None
        if job is None:
            self._queue.put(None)  # keep waking the other receivers
            return None
        return Delivery(job, job.job_id)

    def ack(self, delivery: Delivery) -> None:
        if self.journal is not None:
            self.journal.remove(delivery.job.job_id)

    def release(self, delivery: Delivery) -> None:
        """Nothing to do in memory: the job stays in the journal, which the next start replays."""

    def extend(self, delivery: Delivery, seconds: float) -> None:
        """Nothing to extend: a job in memory is never delivered again while it runs."""

    def depth(self) -> int:
        return self._queue.qsize()

    def close(self) -> list[IngestJob]:
        """Take no more jobs; return the ones still queued (they stay in the journal) and let every receiver stop
        once the queue is empty. Calling it again returns nothing."""
        with self._lock:
            if self._closed:
                return []
            self._closed = True
        left = []
        while True:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                break
            if job is not None:
                left.append(job)
        self._queue.put(None)
        return left


class DiskJournal:
    """A :class:`JobJournal` on local disk: one JSON file per job under ``{spool_dir}/jobs``, written and synced
    before the job is acknowledged, deleted once it ran. Files written by release 0.1.0 (webhook jobs) still load."""

    def __init__(self, spool_dir: str | os.PathLike[str]) -> None:
        self.directory = Path(spool_dir) / "jobs"

    def store(self, job: IngestJob) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self._path(job.job_id)
        temporary = path.with_suffix(".tmp")
        with open(temporary, "w", encoding="utf-8") as out:
            out.write(json.dumps(job.to_dict()))
            out.flush()
            os.fsync(out.fileno())
        temporary.replace(path)  # atomic: a crash leaves no job or the whole job, never half of one
        directory = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(directory)  # the rename itself survives power loss
        finally:
            os.close(directory)
        return path

    def remove(self, job_id: str) -> None:
        self._path(job_id).unlink(missing_ok=True)

    def _path(self, job_id: str) -> Path:
        return self.directory / f"{job_id}.json"

    def size(self) -> int:
        return sum(1 for _ in self.directory.glob("*.json")) if self.directory.is_dir() else 0

    def jobs(self) -> Iterator[tuple[Path, IngestJob]]:
        """The journaled jobs, oldest first. A file this release cannot read (a newer release wrote it, say) is
        reported and left in place, never deleted; the others go on."""
        if not self.directory.is_dir():
            return
        for path in sorted(self.directory.glob("*.json"), key=lambda p: p.stat().st_mtime):
            try:
                job = IngestJob.from_dict(json.loads(path.read_text(encoding="utf-8")))
            except (OSError, ValueError, KeyError, TypeError) as exc:
                get_logger().error("journal_entry_unreadable", path=str(path), error=f"{type(exc).__name__}: {exc}")
                continue
            yield path, job

    def replay(self, handler: Callable[[IngestJob], Any]) -> int:
        """Run every journaled job (oldest first) and remove it once it ran; returns how many there were. A job
        whose handler raises stays for the next start."""
        count = 0
        for path, job in self.jobs():
            count += 1
            log.bind_job(job.trigger, job.job_id, job.request_id)
            try:
                result = handler(job)
            except Exception as exc:  # noqa: BLE001 - one bad job must not keep the server down
                get_logger().error("journaled_job_failed", job_id=job.job_id, error=f"{type(exc).__name__}: {exc}")
                continue
            get_logger().info("journaled_job_replayed", job_id=job.job_id, result=result)
            path.unlink()
        return count
