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
from datetime import date, datetime, timedelta, timezone
from typing import Any

from ingest_plugin.errors import IngestError
from ingest_plugin.log import get_logger
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


Moment = str | date | datetime  # a string is read by parse_moment; a time without an offset is UTC


def parse_moment(text: str) -> date | datetime:
    """A date (``2026-11-01``) or an ISO 8601 time (``2026-11-01T08:00``, ``…Z``, ``…+02:00``) as given on a
    command line; ValueError, saying what is expected, for anything else, an impossible date included."""
    text = text.strip()
    try:
        return date.fromisoformat(text) if len(text) <= 10 else datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a date (YYYY-MM-DD) or an ISO 8601 time (YYYY-MM-DDTHH:MM[:SS][+HH:MM]): "
                         f"{exc}") from None


def moment_bound(value: Moment, *, upper: bool = False) -> datetime:
    """The bound ``value`` sets on a failure time, in UTC: a date from its first moment, or when ``upper`` up to
    (excluding) the next day's first moment; a time without an offset is UTC. Upper bounds are exclusive."""
    moment = parse_moment(value) if isinstance(value, str) else value
    if not isinstance(moment, datetime):
        start = datetime(moment.year, moment.month, moment.day, tzinfo=timezone.utc)
        return start + timedelta(days=1) if upper else start
    moment = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return moment + timedelta(microseconds=1) if upper else moment


def failure_time(record: dict[str, Any], field: str = "last_failed_at") -> datetime | None:
    """When a record last failed (UTC), or the time of its other ``field``; None when it does not say."""
    try:
        moment = datetime.fromisoformat(str(record.get(field) or ""))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class FailedEntry:
    key: str  # the error.json key
    record: dict[str, Any]

    @property
    def partner(self) -> str:
        """The partner segment of the entry's folder ("unknown" when the input named none)."""
        return self.key.rsplit("/", 3)[-3]

    @property
    def article_key(self) -> str:
        return self.key.rsplit("/", 3)[-2]

    @property
    def name(self) -> str:
        """``partner/article_key``: how a person names the entry (``ingest-plugin failed show zenger/63809``)."""
        return f"{self.partner}/{self.article_key}"


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
        kept = (previous.json_object() or {}) if previous is not None else {}  # a broken record is written anew
        if item.raw or not kept.get("raw_bytes"):
            # what the payload is (a document's line, a page…: the kind of job that read it), for its replay
            kind = (job or {}).get("source", {}).get("kind") if item.raw else None
            digest = hashlib.sha256(item.raw).hexdigest()
            # when the bytes were read: a replay parsing them again reads nothing new
            read_at = kept.get("raw_kept_at") if record_key and kept.get("raw_sha256") == digest else None
            payload = {"raw_key": raw_key, "raw_sha256": digest, "raw_bytes": len(item.raw),
                       "raw_kept_at": read_at or utc_now("milliseconds") if item.raw else None,
                       "raw_kind": kind or kept.get("raw_kind") if item.raw else None}
            if kept.get("raw_sha256") != payload["raw_sha256"] or self.bucket.get(raw_key, body=False) is None:
                self.bucket.put(raw_key, item.raw, content_type="application/octet-stream")  # (again, if it went)
        else:  # an attempt that never got the content (S3 or the partner refused) keeps the payload stored before
            payload = {name: kept.get(name) for name in ("raw_key", "raw_sha256", "raw_bytes", "raw_kept_at",
                                                         "raw_kind")}

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

    def entries(self, since: Moment | None = None, until: Moment | None = None, *, partner: str | None = None,
                code: str | None = None) -> Iterator[FailedEntry]:
        """The failed articles whose last failure is at or after ``since`` and at or before ``until`` (a date
        includes its whole day, UTC; a string is read by :func:`parse_moment`, ValueError if it does not parse),
        of ``partner`` (the folder's: "unknown" when the input named none) and with error ``code``; oldest first.
        A record without a readable failure time matches no time filter."""
        start = moment_bound(since) if since is not None else None
        end = moment_bound(until, upper=True) if until is not None else None
        root = self.keys.failed_root()
        found = []
        for key in self.bucket.keys(f"{root}{partner}/" if partner else root):
            if not key.endswith("/error.json") or key.count("/", len(root)) != 2:
                continue
            stored = self.bucket.get(key)
            if stored is None:
                continue  # replayed by someone else meanwhile
            if (record := stored.json_object()) is None:
                get_logger().error("failed_record_unreadable", key=key,
                                   message=f"{key} holds no record (cut short, or edited by hand): left out")
                continue
            entry = FailedEntry(key, record)
            if code is not None and entry.record.get("code") != code:
                continue
            if start is not None or end is not None:
                failed_at = failure_time(entry.record)
                if failed_at is None or (start is not None and failed_at < start) or (end is not None and
                                                                                      failed_at >= end):
                    continue
            found.append(entry)
        yield from sorted(found, key=lambda entry: str(entry.record.get("last_failed_at", "")))

    def record_key(self, name: str) -> str:
        """The ``error.json`` key of the entry ``name`` names: that key itself (with or without the configured
        prefix), the entry's folder, or ``partner/article_key``. ValueError when it names no entry's place; whether
        the entry exists is :meth:`get`'s question."""
        root = self.keys.failed_root()
        rest = name.strip()
        for head in (root, "failed/"):
            if rest.startswith(head):
                rest = rest[len(head):]
                break
        rest = rest.strip("/").removesuffix("/error.json")
        parts = rest.split("/")
        if len(parts) != 2 or not all(is_safe_segment(part) for part in parts):
            raise ValueError(f"{name!r} names no failed entry: give partner/article_key (as 'failed list' shows it) "
                             f"or its {root}…/error.json key")
        return f"{self.keys.failed(*parts)}error.json"

    def get(self, record_key: str) -> FailedEntry | None:
        """The entry whose ``error.json`` is ``record_key``; None once it is gone (replayed meanwhile)."""
        stored = self.bucket.get(record_key)
        # a record someone broke is an entry with no record: shown as such, and it can be dropped
        return FailedEntry(record_key, stored.json_object() or {}) if stored is not None else None

    def raw_key(self, entry: FailedEntry) -> str:
        """Where the entry's raw payload is: as its record says, if that is in the entry's folder, else beside the
        record (a damaged record must never make :meth:`remove` delete someone else's object)."""
        folder = entry.key.removesuffix("error.json")
        kept = entry.record.get("raw_key")
        return kept if isinstance(kept, str) and kept.startswith(folder) else f"{folder}raw"

    def raw(self, entry: FailedEntry) -> bytes:
        stored = self.bucket.get(self.raw_key(entry))
        return stored.body or b"" if stored else b""

    def remove(self, entry: FailedEntry) -> None:
        """Forget a failure (its article has now been published, or someone dropped it): the record first, then
        its raw payload."""
        self.bucket.delete(entry.key)
        self.bucket.delete(self.raw_key(entry))
