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

**Presumed new.** Once :data:`PRESUME_NEW_AFTER` articles in a row were new (a backfill, a burst of fresh stories),
the store skips step 1 for the next one: it writes ``v1.json`` create-only and then ``current.json`` create-only, 2
requests. The conditions keep this exact: a refused ``v1.json`` means the article exists, and it then goes through
steps 1-4 as usual (one wasted request, and the streak starts again); ``current.json`` is left alone unless it is
absent or already holds this content, so an article whose old versions were removed never loses an update.

``current.json`` only ever moves one version forward from the version it was read at, so it never goes back, and a
run that died between steps 2 and 4 is repaired by the next writer of that article.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from ingest_plugin import log
from ingest_plugin.errors import ErrorCode, IngestError, Stage
from ingest_plugin.publishing.content import CANCELED, content_hash, to_bytes, version_document
from ingest_plugin.publishing.keys import KeyLayout
from ingest_plugin.publishing.s3io import Bucket, Put, Stored, checksum_sha256, metadata_value, stamp_metadata

# Each round is lost only to a writer that completed a version, so N concurrent writers need at most N rounds.
MAX_ROUNDS = 32
# New articles in a row after which the next one is presumed new too (module docstring): long enough that a run of
# mostly known articles (a re-run, a replay) never pays for a wrong guess, short enough to matter in a burst.
PRESUME_NEW_AFTER = 4


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


@dataclass(frozen=True)
class _Draft:
    """Version ``number`` of an article, built, validated and ready to PUT."""

    number: int
    key: str
    document: dict[str, Any]
    body: bytes
    metadata: dict[str, str]
    status: Status

    def stored(self) -> Stored:
        return Stored(self.key, "", self.metadata, self.body)


class ArticleStore:
    def __init__(self, bucket: Bucket, keys: KeyLayout, validate: Callable[[dict[str, Any]], None]) -> None:
        self.bucket = bucket
        self.keys = keys
        self.validate = validate  # runs on every document we build, so nothing invalid leaves the process
        # New articles seen in a row. Threads sharing the store may race on it; it is a hint, never a guarantee.
        self._new_streak = 0

    def start_run(self) -> None:
        """Presume nothing at the start of a run, so a re-run of known articles costs one HEAD each."""
        self._new_streak = 0

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

        def draft(number: int, previous: Stored | None, same: bool) -> _Draft:
            built = version_document(incoming, number, previous.stamps if previous else None, forced=same)
            self.validate(built)
            metadata = {"content-sha256": digest, "version": str(number), **stamp_metadata(built)}
            if source_url:
                metadata["source-url"] = metadata_value(source_url)
            key = self.keys.version(partner, article_key, number)
            return _Draft(number, key, built, to_bytes(built), metadata, _written_status(built, number))

        if self._new_streak >= PRESUME_NEW_AFTER and not (force or cancel or dry_run):
            created = self._create_presumed_new(current_key, draft(1, None, False), partner, article_key)
            if created is not None:
                return created
        read_body = False  # only for a current.json written before its times were metadata
        for _ in range(MAX_ROUNDS):
            current = self.bucket.get(current_key, body=read_body)
            self._new_streak = self._new_streak + 1 if current is None else 0
            same = current is not None and current.content_hash == digest
            if current is not None and same and not force:
                existing = self.keys.version(partner, article_key, current.version)
                return PublishResult(Status.UNCHANGED, current.version, existing)
            if current is not None and current.stamps is None:
                read_body = True
                continue
            version = draft(current.version + 1 if current else 1, current, same)
            if dry_run:
                return PublishResult(version.status, version.number, version.key, document=version.document)
            put = self.bucket.put(version.key, version.body, metadata=version.metadata, if_none_match=True)
            recovered = False
            status = version.status
            stored: Stored | None
            if put is Put.WRITTEN:
                stored = version.stored()
            else:
                stored = self.bucket.get(version.key)
                if stored is None:  # 409: a concurrent write that did not land after all
                    continue
                if stored.content_hash != digest:
                    log.get_logger().info("version taken by another writer; retrying", version=version.number)
                    self._advance(current_key, current, stored)
                    continue
                recovered = put is Put.REFUSED_ON_RETRY and stored.checksum_sha256 == checksum_sha256(version.body)
                if not recovered:
                    status = Status.UNCHANGED  # an overlapping run published this very content first
            self._advance(current_key, current, stored)
            return PublishResult(status, version.number, version.key, recovered=recovered)
        raise IngestError(
            ErrorCode.PUBLISH_FAILED, f"{current_key}: still contended after {MAX_ROUNDS} rounds", stage=Stage.PUBLISH
        )

    def _create_presumed_new(
        self, current_key: str, first: _Draft, partner: str, article_key: str
    ) -> PublishResult | None:
        """Write version 1 and ``current.json``, both create-only, without reading first (module docstring).

        None when the article turns out to exist: the caller then runs the full protocol, which finds what is
        stored and writes the next version if the content differs.
        """
        put = self.bucket.put(first.key, first.body, metadata=first.metadata, if_none_match=True)
        recovered = put is Put.REFUSED_ON_RETRY and self._holds(first.key, first.body)
        if put is Put.WRITTEN or recovered:
            moved = self.bucket.put(current_key, first.body, metadata=first.metadata, if_none_match=True)
            if moved is Put.WRITTEN:
                return PublishResult(first.status, 1, first.key, recovered=recovered)
            now = self.bucket.get(current_key, body=False)
            if now is not None and now.content_hash == first.metadata["content-sha256"]:
                if now.version == 1:  # ours, moved by an overlapping writer or by our own lost-reply write
                    return PublishResult(first.status, 1, first.key, recovered=recovered)
                existing = self.keys.version(partner, article_key, now.version)
                return PublishResult(Status.UNCHANGED, now.version, existing)
        self._new_streak = 0
        return None

    def _holds(self, key: str, body: bytes) -> bool:
        """True when ``key`` holds exactly ``body``: a create refused only on a retry was our own lost-reply write."""
        stored = self.bucket.get(key)
        return stored is not None and stored.checksum_sha256 == checksum_sha256(body)

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
            ErrorCode.PUBLISH_FAILED, f"{current_key}: could not move to v{target.version}", stage=Stage.PUBLISH
        )
