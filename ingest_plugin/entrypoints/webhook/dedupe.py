"""Webhook dedupe: which job each ``webhook-id`` started, so that retries and replays run once."""
from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol

from ingest_plugin.errors import IngestError
from ingest_plugin.log import get_logger
from ingest_plugin.publishing.s3io import Bucket, Put, S3SetupError, Stored

DEFAULT_DEDUPE_TTL = 48 * 3600  # senders retry for days with the same webhook-id; remembering longer is cheap


class DedupeUnavailable(Exception):
    """The store cannot answer now (S3 refused or did not answer): the sender should retry later."""


class DedupeStore(Protocol):
    """Which job each ``webhook-id`` started. A sender retries with the same id, and a captured request can be
    replayed within the tolerance window, so ``ttl_seconds`` must cover at least that whole window (2 × tolerance).
    :class:`MemoryDedupe` serves one host; :class:`S3Dedupe` shares the memory across hosts. Both methods raise
    :class:`DedupeUnavailable` when the store cannot answer."""

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


class S3Dedupe:
    """The :class:`DedupeStore` for several hosts behind one endpoint: one small object per ``webhook-id``
    (``webhooks/dedupe/{id}.json``: the job id and when the claim expires), created with ``If-None-Match: *``,
    so that exactly one host wins a claim. An expired claim, or one that holds no claim (cut short, edited by hand),
    is taken over by compare-and-swap. The objects outlive their claim harmlessly; the lifecycle rule in
    deploy/s3/lifecycle.json removes them."""

    def __init__(self, bucket: Bucket, key_for: Callable[[str], str], ttl_seconds: float = DEFAULT_DEDUPE_TTL,
                 clock: Callable[[], float] = time.time) -> None:
        self.ttl_seconds = ttl_seconds
        self._bucket = bucket
        self._key_for = key_for
        self._clock = clock

    def claim(self, webhook_id: str, job_id: str) -> str | None:
        try:
            return self._claim(self._key_for(webhook_id), job_id)
        except (IngestError, S3SetupError) as exc:
            raise DedupeUnavailable(str(exc)) from exc

    def _claim(self, key: str, job_id: str) -> str | None:
        claim = json.dumps({"job_id": job_id, "expires_at": self._clock() + self.ttl_seconds}).encode()
        written = self._bucket.put(key, claim, if_none_match=True)
        if written is Put.WRITTEN:
            return None
        stored = self._bucket.get(key)
        if stored is None:  # released between our write and our read: the retry is ours to run
            return self._claim(key, job_id) if written is Put.REFUSED else None
        held = _held(stored)
        if held is None:  # kept, it would answer 500 to every retry of this webhook-id, for ever
            get_logger().warning("dedupe_claim_unreadable", key=key, reason="it holds no job id and expiry")
        elif held[0] == job_id:  # our own first send landed; its reply was lost
            return None
        elif held[1] > self._clock():
            return held[0]
        taken = self._bucket.put(key, claim, if_match=stored.etag)  # expired or unreadable: take it over, or lose
        return None if taken is Put.WRITTEN else self._claim(key, job_id)

    def release(self, webhook_id: str, job_id: str) -> None:
        key = self._key_for(webhook_id)
        try:
            stored = self._bucket.get(key)
            if stored is not None and (held := _held(stored)) is not None and held[0] == job_id:
                self._bucket.delete(key)
        except (IngestError, S3SetupError) as exc:
            raise DedupeUnavailable(str(exc)) from exc


def _held(stored: Stored) -> tuple[str, float] | None:
    """The job id and expiry time a claim object holds; None when it holds no claim."""
    held = stored.json_object() or {}
    job_id, expires_at = held.get("job_id"), held.get("expires_at")
    if isinstance(job_id, str) and isinstance(expires_at, (int, float)) and not isinstance(expires_at, bool):
        return job_id, float(expires_at)
    return None
