"""Webhook dedupe: which job each ``webhook-id`` started, so that retries and replays run once."""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol

DEFAULT_DEDUPE_TTL = 48 * 3600  # senders retry for days with the same webhook-id; remembering longer is cheap


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
