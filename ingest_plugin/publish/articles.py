"""Publishing one article: versions written create-only, the current copy moved by compare-and-swap.

The protocol needs no lock, so overlapping cron, webhook and manual runs (and their retries) are harmless:

1. HEAD ``current.json``: its metadata holds the content hash, the version number and the two times a next version
   keeps or compares (``firstCreated``, ``versionCreated``), so no body is read. Same content hash: done, nothing
   written (unless forced). When a next version is due and the times are not in the metadata (an object written
   before they were), read it again with a GET.
2. Build version N = current + 1 (1 when there is none) and PUT ``v{N}.json`` with ``If-None-Match: *``.
3. Refused: GET ``v{N}``. Same content hash: adopt it; it is our own write whose reply was lost (refused only on
   botocore's retry, same bytes) or an overlapping run's identical one. Different: another writer owns N; help it
   move ``current.json`` to N, then start again at 1, now as N+1. No update is lost, and no version is written twice.
4. Move ``current.json`` to the new version with ``If-Match`` on the ETag read in 1 (``If-None-Match: *`` when there
   was none). Refused: re-read; at N or beyond already means done, otherwise try again with the fresh ETag.

A new article costs 3 requests (HEAD 404, PUT, PUT), an update 3 as well, an unchanged article 1 HEAD.

``current.json`` only ever moves one version forward from the version it was read at, so it never goes back, and a
run that died between steps 2 and 4 is repaired by the next writer of that article.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from .. import log
from ..errors import ErrorCode, IngestError
from .content import CANCELED, content_hash, to_bytes, version_document
from .keys import KeyLayout
from .s3io import Bucket, Put, Stored, checksum_sha256, metadata_value, stamp_metadata

# Each round is lost only to a writer that completed a version, so N concurrent writers need at most N rounds.
MAX_ROUNDS = 32


class Status(StrEnum):
    """What happened to one article."""

    CREATED = "created"  # version 1 written
    UPDATED = "updated"  # version N > 1 written
    CANCELED = "canceled"  # a version with pubStatus "canceled" written
    UNCHANGED = "unchanged"  # nothing to write: S3 already holds this content
    FAILED = "failed"  # kept under failed/ with its raw payload and error record
    SPOOLED = "spooled"  # S3 unreachable: kept in the local spool until the next run


@dataclass(frozen=True)
class PublishResult:
    status: Status
    version: int
    key: str  # the version object that holds this content
    recovered: bool = False  # our write landed although its reply was lost
    document: dict[str, Any] | None = None  # dry runs: what would be written


def _written_status(document: dict[str, Any], number: int) -> Status:
    if document.get("pubStatus") == CANCELED:
        return Status.CANCELED
    return Status.CREATED if number == 1 else Status.UPDATED


class ArticleStore:
    def __init__(self, bucket: Bucket, keys: KeyLayout, validate: Callable[[dict[str, Any]], None]) -> None:
        self.bucket = bucket
        self.keys = keys
        self.validate = validate  # runs on every document we build, so nothing invalid leaves the process

    def publish(
        self,
        document: dict[str, Any],
        *,
        partner: str,
        article_key: str,
        source_url: str | None = None,
        force: bool = False,
        cancel: bool = False,
        dry_run: bool = False,
    ) -> PublishResult:
        """Publish ``document`` as the next version of the article, unless S3 already holds the same content.

        ``force`` writes a new version even then; ``cancel`` publishes it with ``pubStatus: canceled`` (a kill);
        ``dry_run`` reads but stops before the first write and returns the document it would have written.
        """
        incoming = {**document, "pubStatus": CANCELED} if cancel else document
        digest = content_hash(incoming)
        current_key = self.keys.current(partner, article_key)
        read_body = False  # only for a current.json written before its times were metadata
        for _ in range(MAX_ROUNDS):
            current = self.bucket.get(current_key, body=read_body)
            same = current is not None and current.content_hash == digest
            if current is not None and same and not force:
                existing = self.keys.version(partner, article_key, current.version)
                return PublishResult(Status.UNCHANGED, current.version, existing)
            if current is not None and current.stamps is None:
                read_body = True
                continue
            number = current.version + 1 if current else 1
            built = version_document(incoming, number, current.stamps if current else None, forced=same)
            self.validate(built)
            key = self.keys.version(partner, article_key, number)
            status = _written_status(built, number)
            if dry_run:
                return PublishResult(status, number, key, document=built)
            body = to_bytes(built)
            metadata = {"content-sha256": digest, "version": str(number), **stamp_metadata(built)}
            if source_url:
                metadata["source-url"] = metadata_value(source_url)
            put = self.bucket.put(key, body, metadata=metadata, if_none_match=True)
            recovered = False
            if put is Put.WRITTEN:
                stored = Stored(key, "", metadata, body)
            else:
                stored = self.bucket.get(key)
                if stored is None:  # 409: a concurrent write that did not land after all
                    continue
                if stored.content_hash != digest:
                    log.get_logger().info("version taken by another writer; retrying", version=number)
                    self._advance(current_key, current, stored)
                    continue
                recovered = put is Put.REFUSED_ON_RETRY and stored.checksum_sha256 == checksum_sha256(body)
                if not recovered:
                    status = Status.UNCHANGED  # an overlapping run published this very content first
            self._advance(current_key, current, stored)
            return PublishResult(status, number, key, recovered=recovered)
        raise IngestError(
            ErrorCode.PUBLISH_FAILED, f"{current_key}: still contended after {MAX_ROUNDS} rounds", stage="publish"
        )

    def _advance(self, current_key: str, seen: Stored | None, target: Stored) -> None:
        """Move ``current.json`` from ``seen`` to ``target`` by compare-and-swap; done once at ``target`` or beyond."""
        etag = seen.etag if seen else None
        for _ in range(MAX_ROUNDS):
            body = target.body or b""
            put = self.bucket.put(current_key, body, metadata=target.metadata, if_match=etag, if_none_match=not etag)
            if put is Put.WRITTEN:
                return
            now = self.bucket.get(current_key, body=False)
            if now is not None and now.version >= target.version:
                return
            etag = now.etag if now else None
        raise IngestError(
            ErrorCode.PUBLISH_FAILED, f"{current_key}: could not move to v{target.version}", stage="publish"
        )
