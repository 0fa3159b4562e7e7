"""Failed articles, kept in S3 for replay: the raw payload next to a JSON record of why it failed.

One folder per article (``failed/{partner}/{article_key}/``), so repeated failures of the same article update one
record (attempt count, first and last failure) instead of piling up. The raw payload is written before the record
that points at it, and only when it changed. The record itself moves by compare-and-swap, like ``current.json``,
so overlapping runs count every attempt.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any

from ..errors import ErrorCode, IngestError
from ..model import ItemResult
from .content import utc_now
from .keys import KeyLayout, is_safe_segment
from .s3io import Bucket, Put

_ROUNDS = 8


def failed_identity(item: ItemResult) -> tuple[str, str]:
    """(partner, article key) for the failed/ folder: the parser's when known and safe, else "unknown" and a hash
    of the raw input (or of its name, when even reading it failed). An unusable key must not stop the record."""
    fallback = hashlib.sha256(item.raw or item.input_name.encode("utf-8")).hexdigest()[:32]
    partner = item.partner if item.partner and is_safe_segment(item.partner) else "unknown"
    key = item.article_key if item.article_key and is_safe_segment(item.article_key) else fallback
    return partner, key


class FailedStore:
    def __init__(self, bucket: Bucket, keys: KeyLayout) -> None:
        self.bucket = bucket
        self.keys = keys

    def record(self, item: ItemResult, error: IngestError, *, run_id: str | None = None) -> str:
        """Store ``item.raw`` and an error record for ``error``; returns the record's key."""
        folder = self.keys.failed(*failed_identity(item))
        raw_key, record_key = f"{folder}raw", f"{folder}error.json"
        raw_sha256 = hashlib.sha256(item.raw).hexdigest()
        now = utc_now()
        previous = self.bucket.get(record_key)
        if previous is None or previous.json().get("raw_sha256") != raw_sha256:
            self.bucket.put(raw_key, item.raw, content_type="application/octet-stream")
        for _ in range(_ROUNDS):
            before: dict[str, Any] = previous.json() if previous else {}
            record = {
                **error.to_dict(),
                "partner": item.partner,
                "article_key": item.article_key,
                "source_url": item.source_url,
                "attempts": int(before.get("attempts", 0)) + 1,
                "first_failed_at": before.get("first_failed_at", now),
                "last_failed_at": now,
                "run_id": run_id,
                "raw_key": raw_key,
                "raw_sha256": raw_sha256,
                "raw_bytes": len(item.raw),
            }
            body = json.dumps(record, ensure_ascii=False, indent=2).encode("utf-8")
            etag = previous.etag if previous else None
            put = self.bucket.put(record_key, body, if_match=etag, if_none_match=etag is None)
            if put is Put.WRITTEN:
                return record_key
            previous = self.bucket.get(record_key)
            if put is Put.REFUSED_ON_RETRY and previous is not None and previous.body == body:
                return record_key  # our write landed, its reply was lost: do not count this attempt twice
        raise IngestError(ErrorCode.PUBLISH_FAILED, f"{record_key}: too many concurrent updates", stage="publish")
