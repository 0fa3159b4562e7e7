"""Webhook dedupe: which job each ``webhook-id`` started, so that retries and replays run once."""
from __future__ import annotations

import json
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, NamedTuple, Protocol, TypeGuard

from ingest_plugin.errors import IngestError
from ingest_plugin.log import get_logger
from ingest_plugin.publishing.s3io import Bucket, Put, S3SetupError, Stored

DEFAULT_DEDUPE_TTL = 48 * 3600  # senders retry for days with the same webhook-id; remembering longer is cheap
# How long a claim whose job is not yet known to be queued holds its webhook-id against other jobs. Between claim
# and confirm a request only sends its job to the queue (a synced journal write, or one SQS send) and writes the
# confirmation: well under a second when healthy, and bounded by the Lambda's 29 s (an HTTP API waits 30 s) and by
# the S3 client's timeouts. After 60 s the request that claimed it has answered or died, so a retry may take the
# claim over and run the job: it costs at most one more retry of the sender's (Standard Webhooks senders wait
# minutes between their later retries), and a request slower than that makes a second run, never a lost job.
PENDING_GRACE_SECONDS = 60.0
_ROUNDS = 8  # re-reads after a lost compare-and-swap before the store gives up (DedupeUnavailable)
# A retry of an id whose job this process is queueing right now: asked back after a few seconds, when that request has
# answered (queued: a duplicate then; failed: the claim is gone and the retry runs).
MEMORY_PENDING_RETRY_SECONDS = 5.0


class DedupeUnavailable(Exception):
    """The store cannot answer now (S3 refused or did not answer): the sender should retry later."""


class ClaimPending(Exception):
    """Another request claimed the ``webhook-id`` moments ago and has not yet said that its job is queued: it may
    still be queueing it, or it may have died. The sender should retry in ``retry_after`` seconds: by then the claim
    is confirmed (a duplicate) or may be taken over (the retry runs)."""

    def __init__(self, job_id: str, retry_after: float) -> None:
        super().__init__(f"job {job_id} is being queued; retry in {retry_after:.0f} s")
        self.job_id = job_id
        self.retry_after = max(1, math.ceil(retry_after))


class DedupeStore(Protocol):
    """Which job each ``webhook-id`` started. A sender retries with the same id, and a captured request can be
    replayed within the tolerance window, so ``ttl_seconds`` must cover at least that whole window (2 × tolerance).
    :class:`MemoryDedupe` serves one host; :class:`S3Dedupe` shares the memory across hosts. Every method raises
    :class:`DedupeUnavailable` when the store cannot answer.

    A claim is *pending* until :meth:`confirm` says its job is queued: a claim whose job never reached the queue (a
    lost reply, a crash) must not turn the sender's retries into duplicates of nothing."""

    ttl_seconds: float

    def claim(self, webhook_id: str, job_id: str) -> str | None:
        """Atomically record ``webhook_id → job_id`` (pending) and return ``None``; if the id is already recorded,
        record nothing and return the job id it started, or raise :class:`ClaimPending` while that job may still be
        being queued."""
        ...

    def confirm(self, webhook_id: str, job_id: str) -> None:
        """Say that ``job_id``, which claimed ``webhook_id``, is queued: from now on retries are duplicates."""
        ...

    def release(self, webhook_id: str, job_id: str) -> None:
        """Forget ``webhook_id`` if ``job_id`` still holds it: that job was never queued, so a retry must run."""
        ...


class MemoryDedupe:
    """The in-process :class:`DedupeStore`: enough for one host, forgotten on restart (a crash forgets the claims with
    the jobs they guarded). A claim is pending until confirmed here too: a retry that arrives while the first request
    is still queueing its job waits (:class:`ClaimPending`), for that request may yet fail and release the claim."""

    def __init__(self, ttl_seconds: float = DEFAULT_DEDUPE_TTL, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        # id → (expiry, job id, queued), oldest first
        self._seen: OrderedDict[str, tuple[float, str, bool]] = OrderedDict()
        self._lock = threading.Lock()

    def claim(self, webhook_id: str, job_id: str) -> str | None:
        now = self._clock()
        with self._lock:
            while self._seen and next(iter(self._seen.values()))[0] <= now:
                self._seen.popitem(last=False)
            if webhook_id not in self._seen:
                self._seen[webhook_id] = (now + self.ttl_seconds, job_id, False)
                return None
            _, held, queued = self._seen[webhook_id]
            if not queued:  # its request is queueing it in this process now: it answers soon, one way or the other
                raise ClaimPending(held, MEMORY_PENDING_RETRY_SECONDS)
            return held

    def confirm(self, webhook_id: str, job_id: str) -> None:
        with self._lock:
            if webhook_id in self._seen and (held := self._seen[webhook_id])[1] == job_id:
                self._seen[webhook_id] = (held[0], job_id, True)  # keeps its place in the expiry order

    def release(self, webhook_id: str, job_id: str) -> None:
        with self._lock:
            if webhook_id in self._seen and self._seen[webhook_id][1] == job_id:
                del self._seen[webhook_id]


class _Claim(NamedTuple):
    job_id: str
    expires_at: float
    claimed_at: float
    queued: bool


class S3Dedupe:
    """The :class:`DedupeStore` for several hosts behind one endpoint: one small object per ``webhook-id``
    (``webhooks/dedupe/{id}.json``: the job id, when the claim expires, when it was made, and whether its job is
    queued), created with ``If-None-Match: *``, so that exactly one host wins a claim.

    A claim is written pending (``"queued": false``) and confirmed by compare-and-swap once its job is queued. A
    confirmed claim of another job makes a retry a duplicate; a pending one makes it wait (:class:`ClaimPending`) for
    ``pending_grace_seconds`` (:data:`PENDING_GRACE_SECONDS`), after which the retry takes the claim over: the
    request that wrote it lost S3's reply or died before its job was queued, and its job may never run. A claim
    without ``queued`` (written before claims had it) counts as confirmed. An expired claim, or an object that holds
    no claim (cut short, edited by hand), is taken over by compare-and-swap as well. The objects outlive their claim
    harmlessly; the lifecycle rule in deploy/s3/lifecycle.json removes them."""

    def __init__(self, bucket: Bucket, key_for: Callable[[str], str], ttl_seconds: float = DEFAULT_DEDUPE_TTL,
                 clock: Callable[[], float] = time.time,
                 pending_grace_seconds: float = PENDING_GRACE_SECONDS) -> None:
        self.ttl_seconds = ttl_seconds
        self.pending_grace_seconds = pending_grace_seconds
        self._bucket = bucket
        self._key_for = key_for
        self._clock = clock  # wall-clock time: claims are compared across hosts

    def claim(self, webhook_id: str, job_id: str) -> str | None:
        try:
            return self._claim(webhook_id, self._key_for(webhook_id), job_id)
        except (IngestError, S3SetupError) as exc:
            raise DedupeUnavailable(str(exc)) from exc

    def _claim(self, webhook_id: str, key: str, job_id: str) -> str | None:
        now = self._clock()
        claim = json.dumps(_Claim(job_id, now + self.ttl_seconds, now, queued=False)._asdict()).encode()
        written = self._bucket.put(key, claim, if_none_match=True)
        for _ in range(_ROUNDS):
            if written is Put.WRITTEN:
                return None
            stored = self._bucket.get(key)
            if stored is None:  # released between the write and the read: create it again
                written = self._bucket.put(key, claim, if_none_match=True)
                continue
            held = _held(stored)
            if held is None:  # kept, it would answer 500 to every retry of this webhook-id, for ever
                get_logger().warning("dedupe_claim_unreadable", key=key, webhook_id=webhook_id,
                                     reason="it holds no readable claim")
            elif held.job_id == job_id:  # our own first send landed; its reply was lost
                return None
            elif held.expires_at > now and held.queued:
                return held.job_id
            elif held.expires_at > now:
                age, grace = now - held.claimed_at, self.pending_grace_seconds
                if -grace < age < grace:  # its request may be queueing the job right now (or its clock is ahead)
                    raise ClaimPending(held.job_id, min(grace, grace - age))
                get_logger().warning("dedupe_pending_claim_taken_over", key=key, webhook_id=webhook_id,
                                     job_id=job_id, pending_job_id=held.job_id, age_seconds=round(age, 1))
            # expired, unreadable, or pending past the grace period: take it over, or lose to a faster host
            written = self._bucket.put(key, claim, if_match=stored.etag)
        if written is Put.WRITTEN:
            return None
        raise DedupeUnavailable(f"{key}: too many concurrent claims")

    def confirm(self, webhook_id: str, job_id: str) -> None:
        key = self._key_for(webhook_id)

        def confirmed(stored: dict[str, Any] | None) -> dict[str, Any]:
            if stored is None or (held := _parse(stored)) is None:  # deleted or broken meanwhile: say it anyway
                now = self._clock()
                return _Claim(job_id, now + self.ttl_seconds, now, queued=True)._asdict()
            if held.job_id != job_id or held.queued:  # taken over meanwhile, or confirmed already: leave it
                return stored
            return held._replace(queued=True)._asdict()

        try:
            stored = self._bucket.update_json(key, confirmed, rounds=_ROUNDS)
        except (IngestError, S3SetupError) as exc:
            raise DedupeUnavailable(str(exc)) from exc
        if (held := _parse(stored)) is not None and held.job_id != job_id:
            get_logger().warning("dedupe_claim_taken_over", key=key, webhook_id=webhook_id, job_id=job_id,
                                 holder_job_id=held.job_id, reason="the job took longer than the grace period to "
                                                                   "queue: the webhook may run twice")

    def release(self, webhook_id: str, job_id: str) -> None:
        key = self._key_for(webhook_id)
        try:
            stored = self._bucket.get(key)
            if stored is not None and (held := _held(stored)) is not None and held.job_id == job_id:
                # An expired claim in its place, by compare-and-swap: a host that took the claim over meanwhile
                # keeps it (an unconditional delete removed its confirmed claim, and the id then ran again).
                now = self._clock()
                self._bucket.put(key, json.dumps(_Claim(job_id, now - 1, now, queued=True)._asdict()).encode(),
                                 if_match=stored.etag)
        except (IngestError, S3SetupError) as exc:
            raise DedupeUnavailable(str(exc)) from exc


def _held(stored: Stored) -> _Claim | None:
    """The claim an object holds; None when it holds none."""
    return _parse(stored.json_object())


def _number(value: object) -> TypeGuard[float]:
    """A finite number a float holds: JSON allows NaN, Infinity and integers of any length in a hand-edited claim."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer too long for a float
        return False


def _parse(held: dict[str, Any] | None) -> _Claim | None:
    """The claim a JSON object holds; None when it holds none. A claim without ``queued`` was written by a release
    that did not confirm claims: it counts as confirmed, as that release counted it (whether its job was queued
    cannot be told any more)."""
    held = held or {}
    job_id, expires_at, claimed_at = held.get("job_id"), held.get("expires_at"), held.get("claimed_at")
    queued = held.get("queued", True)
    if not (isinstance(job_id, str) and _number(expires_at) and isinstance(queued, bool)):
        return None
    if not _number(claimed_at):
        if not queued:  # a pending claim must say since when, or it could never be taken over before it expires
            return None
        claimed_at = expires_at  # only a pending claim's age is ever asked
    return _Claim(job_id, float(expires_at), float(claimed_at), queued)
