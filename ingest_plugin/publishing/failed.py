"""Failed articles, kept in S3 for replay: the raw payload next to a JSON record of why it failed.

One folder per article (``failed/{partner}/{article_key}/``), so repeated failures of the same article update one
record (attempt count, first and last failure) instead of piling up; a replay updates the record it replays. The
record keeps the job that failed (what :meth:`IngestJob.to_dict` writes, less the raw payload, which is stored
once beside it), so a replay runs the same work; records of release 0.1.0 carry no job and replay from their
fields. The raw payload is written before the record
that points at it, and only when it changed. The record itself moves by compare-and-swap, like ``current.json``,
so overlapping runs count every attempt.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ingest_plugin.errors import IngestError
from ingest_plugin.parsing.model import ItemResult
from ingest_plugin.publishing.content import utc_now
from ingest_plugin.publishing.keys import KeyLayout, is_safe_segment
from ingest_plugin.publishing.s3io import Bucket


def failed_identity(item: ItemResult) -> tuple[str, str]:
    """(partner, article key) for the failed/ folder: the parser's when known and safe, else "unknown" and a hash
    of the raw input (or of its name, when even reading it failed). An unusable key must not stop the record."""
    fallback = hashlib.sha256(item.raw or item.input_name.encode("utf-8")).hexdigest()[:32]
    partner = item.partner if item.partner and is_safe_segment(item.partner) else "unknown"
    key = item.article_key if item.article_key and is_safe_segment(item.article_key) else fallback
    return partner, key


@dataclass(frozen=True)
class FailedEntry:
    key: str  # the error.json key
    record: dict[str, Any]


class FailedStore:
    def __init__(self, bucket: Bucket, keys: KeyLayout) -> None:
        self.bucket = bucket
        self.keys = keys

    def record(self, item: ItemResult, error: IngestError, *, run_id: str | None = None,
               job: dict[str, Any] | None = None, record_key: str | None = None) -> str:
        """Store ``item.raw`` and an error record for ``error`` (with ``job``, the work that failed), at
        ``record_key`` when the failure is a replay of that record; returns the record's key."""
        folder = record_key.removesuffix("error.json") if record_key else self.keys.failed(*failed_identity(item))
        raw_key, record_key = f"{folder}raw", f"{folder}error.json"
        now = utc_now()
        previous = self.bucket.get(record_key)
        kept = previous.json() if previous is not None else {}
        if item.raw or not kept.get("raw_bytes"):
            payload = {"raw_key": raw_key, "raw_sha256": hashlib.sha256(item.raw).hexdigest(),
                       "raw_bytes": len(item.raw)}
            if kept.get("raw_sha256") != payload["raw_sha256"]:
                self.bucket.put(raw_key, item.raw, content_type="application/octet-stream")
        else:  # an attempt that never got the content (S3 or the partner refused) keeps the payload stored before
            payload = {name: kept.get(name) for name in ("raw_key", "raw_sha256", "raw_bytes")}

        def counted(before: dict[str, Any] | None) -> dict[str, Any]:
            before = before or {}
            return {
                **error.to_dict(),
                "partner": item.partner or before.get("partner"),
                "article_key": item.article_key or before.get("article_key"),
                "source_url": item.source_url or before.get("source_url"),
                "attempts": int(before.get("attempts", 0)) + 1,
                "first_failed_at": before.get("first_failed_at", now),
                "last_failed_at": now,
                "run_id": run_id,
                "job": job or before.get("job"),
                **payload,
            }

        self.bucket.update_json(record_key, counted)
        return record_key

    def entries(self, since: str | None = None) -> Iterator[FailedEntry]:
        """Every failed article whose last failure is at or after ``since`` (ISO 8601), oldest first."""
        found = []
        for key in self.bucket.keys(self.keys.failed_root()):
            if not key.endswith("/error.json"):
                continue
            stored = self.bucket.get(key)
            if stored is None:
                continue  # replayed by someone else meanwhile
            record = stored.json()
            if since is None or str(record.get("last_failed_at", "")) >= since:
                found.append(FailedEntry(key, record))
        yield from sorted(found, key=lambda entry: str(entry.record.get("last_failed_at", "")))

    def get(self, record_key: str) -> FailedEntry | None:
        """The entry whose ``error.json`` is ``record_key``; None once it is gone (replayed meanwhile)."""
        stored = self.bucket.get(record_key)
        return FailedEntry(record_key, stored.json()) if stored is not None else None

    def raw(self, entry: FailedEntry) -> bytes:
        stored = self.bucket.get(entry.record.get("raw_key") or entry.key.replace("error.json", "raw"))
        return stored.body or b"" if stored else b""

    def remove(self, entry: FailedEntry) -> None:
        """Forget a failure whose article has now been published: the record first, then its raw payload."""
        self.bucket.delete(entry.key)
        self.bucket.delete(entry.record.get("raw_key") or entry.key.replace("error.json", "raw"))
