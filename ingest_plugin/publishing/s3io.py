"""One bucket, seen through the operations publishing needs: read, plain write, conditional write, and a listing.

botocore already retries transient failures (bounded by ``S3Settings.max_attempts``); what reaches this layer is
final. Errors leave it as our own: :class:`S3Unreachable` when nothing answers (the caller spools locally),
:class:`~ingest_plugin.errors.IngestError` ``publish_failed`` for anything else, and a failed write condition as a
plain :class:`Put` answer, because losing a race is normal here, not an error.
"""
from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any, Callable
from urllib.parse import quote

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
)

from ingest_plugin.errors import ErrorCode, IngestError, Stage
from ingest_plugin.log import get_logger
from ingest_plugin.publishing.content import USABLE

UNREACHABLE_RECHECK_SECONDS = 5.0


class S3SetupError(Exception):
    """The bucket is missing, or S3 refuses our credentials: a configuration error, not one article's failure, so
    it stops the run (exit 2) instead of filling ``failed/`` or the spool with articles that could never land."""


# S3 error codes that say the set-up is wrong, whichever object was asked for.
SETUP_ERROR_CODES = frozenset({"NoSuchBucket", "AccessDenied", "AllAccessDisabled", "InvalidAccessKeyId",
                               "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken", "AccountProblem"})


class S3Unreachable(IngestError):
    """No S3 endpoint answered at all. Once raised, the bucket refuses further calls for
    ``UNREACHABLE_RECHECK_SECONDS``, so a dead endpoint costs one timeout per few seconds, not one per article, and a
    long-lived process (``serve``) publishes again soon after S3 is back. Each call refused names its own object,
    never the one that met the outage: that is another article's."""

    def __init__(self, message: str) -> None:
        super().__init__(ErrorCode.PUBLISH_FAILED, message, stage=Stage.PUBLISH)


@dataclass(frozen=True)
class Stored:
    """An object as read back: ETag and user metadata always, the body only from a GET (a listing gives the key,
    ETag and time only)."""

    key: str
    etag: str
    metadata: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    checksum_sha256: str | None = None  # base64, as S3 returns it (``ChecksumMode="ENABLED"``)
    last_modified: datetime | None = None

    @property
    def version(self) -> int:
        """The version number: from the metadata, else (an object put back by hand, without our metadata: ``aws s3
        cp``) the document's own ``version``; 0 when neither says."""
        value = self.metadata.get("version")
        if value is None and self.body is not None:
            value = (self.json_object() or {}).get("version")
        try:
            return max(int(value), 0) if isinstance(value, str) else 0
        except ValueError:
            return 0

    @property
    def content_hash(self) -> str | None:
        return self.metadata.get("content-sha256")

    @property
    def stamps(self) -> dict[str, str] | None:
        """The version's ``firstCreated`` and ``versionCreated``, all a next version needs from it: from the
        metadata, else from the body; None for a HEAD of an object written before they were metadata."""
        if STAMP_METADATA["versionCreated"] in self.metadata:
            return {field: self.metadata[name] for field, name in STAMP_METADATA.items() if name in self.metadata}
        if self.body is None:
            return None
        document = self.json_object() or {}  # a body that is no document has no times to keep
        return {field: document[field] for field in STAMP_METADATA if isinstance(document.get(field), str)}

    @property
    def pub_status(self) -> str | None:
        """The document's ``pubStatus`` (``usable`` when it has none): from the metadata, else from the body; None for
        a HEAD of an object written before it was metadata."""
        if PUB_STATUS_METADATA in self.metadata:
            return self.metadata[PUB_STATUS_METADATA]
        if self.body is None:
            return None
        return str((self.json_object() or {}).get("pubStatus") or USABLE)

    def json(self) -> dict[str, Any]:
        return json.loads(self.body or b"null")

    def json_object(self) -> dict[str, Any] | None:
        """The body as a JSON object, or None when it is none: cut short, or edited by hand into something else."""
        try:
            value = json.loads(self.body or b"null")
        except ValueError:  # invalid JSON, or bytes that are not UTF-8
            return None
        return value if isinstance(value, dict) else None


# The document times a next version keeps or compares, and their user-metadata names.
STAMP_METADATA = {"firstCreated": "first-created", "versionCreated": "version-created"}
# The document's pubStatus, so that a HEAD tells whether the article is killed.
PUB_STATUS_METADATA = "pub-status"


def stamp_metadata(document: dict[str, Any]) -> dict[str, str]:
    """User metadata carrying the document's :data:`STAMP_METADATA` times, so a HEAD tells all a next version needs.

    Only times that travel in a header unchanged; without them the next writer reads the body (a GET) instead."""
    stamps = {name: document[field] for field, name in STAMP_METADATA.items() if isinstance(document.get(field), str)}
    return stamps if all(value.isascii() and value.isprintable() for value in stamps.values()) else {}


def checksum_sha256(body: bytes) -> str:
    """The base64 SHA-256 that S3 stores for a single-part upload with ``ChecksumAlgorithm="SHA256"``."""
    return base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")


def metadata_value(value: str) -> str:
    """S3 user metadata travels in HTTP headers: keep it ASCII by percent-encoding anything else."""
    return quote(value, safe=":/?#[]@!$&'()*+,;=%-._~ ")


def _status(exc: ClientError) -> int:
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)


class Put(Enum):
    WRITTEN = "written"
    REFUSED = "refused"  # the write condition failed on the first send: another writer got there first
    REFUSED_ON_RETRY = "refused_on_retry"  # failed only on a retry: perhaps our own first send landed (lost reply)


class Bucket:
    def __init__(self, client: Any, name: str) -> None:
        self.client = client
        self.name = name
        self._unreachable_since: float | None = None  # when nothing answered
        self._bucket_seen = False  # the bucket answered a HEAD: a HEAD's 404 now means a missing key

    @property
    def unreachable(self) -> str | None:
        """Why S3 is taken as unreachable, for a few seconds after nothing answered; None otherwise."""
        if self._unreachable_since is None or \
                time.monotonic() - self._unreachable_since >= UNREACHABLE_RECHECK_SECONDS:
            return None
        return f"nothing answered at {self.client.meta.endpoint_url} in the last {UNREACHABLE_RECHECK_SECONDS:g} s"

    @contextmanager
    def _translate(self, operation: str, key: str) -> Iterator[None]:
        reason = self.unreachable
        if reason:
            raise S3Unreachable(f"S3 unreachable: {operation} {key} not sent: {reason}")
        try:
            yield
        except (EndpointConnectionError, ConnectTimeoutError) as exc:  # its message names the URL of ``key``
            self._unreachable_since = time.monotonic()
            raise S3Unreachable(f"S3 unreachable: {exc}") from exc
        except ClientError as exc:
            error = exc.response.get("Error", {})
            message = f"{operation} {key}: {error.get('Code', _status(exc))} {error.get('Message', '')}".rstrip()
            if error.get("Code") in SETUP_ERROR_CODES:
                raise S3SetupError(f"bucket {self.name}: {message}") from exc
            raise IngestError(ErrorCode.PUBLISH_FAILED, message, stage=Stage.PUBLISH) from exc
        except NoCredentialsError as exc:
            raise S3SetupError(f"bucket {self.name}: {exc}") from exc
        except BotoCoreError as exc:  # retries exhausted on dropped connections, read timeouts, broken streams
            raise IngestError(ErrorCode.PUBLISH_FAILED, f"{operation} {key}: {exc}", stage=Stage.PUBLISH) from exc

    def _raise_if_no_bucket(self, not_found: ClientError, request: str) -> None:
        """A 404 for a missing bucket raises: it must never pass for a missing article (a new one, written).

        A GET's 404 names its cause; a HEAD's has no body, so the first one per bucket asks the bucket itself
        (``head_bucket``: one request per run, not per article). A 403 to that question also says the bucket exists:
        a policy granting ``s3:ListBucket`` on a key prefix only (deploy/aws/template.yaml) refuses ``HeadBucket``.
        """
        code = not_found.response.get("Error", {}).get("Code")
        if code not in ("NoSuchBucket", "NoSuchKey") and not self._bucket_seen:
            try:
                self.client.head_bucket(Bucket=self.name)
            except ClientError as exc:
                code = "NoSuchBucket" if _status(exc) == 404 else code
                self._bucket_seen = _status(exc) == 403
            else:
                self._bucket_seen = True
        if code == "NoSuchBucket":
            raise S3SetupError(f"bucket {self.name}: {request}: NoSuchBucket")

    def get(self, key: str, *, body: bool = True) -> Stored | None:
        """GET (or HEAD when ``body`` is false) an object; None when it does not exist."""
        with self._translate("GET" if body else "HEAD", key):
            call = self.client.get_object if body else self.client.head_object
            try:
                reply = call(Bucket=self.name, Key=key, ChecksumMode="ENABLED")
            except ClientError as exc:
                if _status(exc) != 404:
                    raise
                self._raise_if_no_bucket(exc, f"{'GET' if body else 'HEAD'} {key}")
                return None
            data = reply["Body"].read() if body else None
        return Stored(key, reply["ETag"], reply.get("Metadata", {}), data, reply.get("ChecksumSHA256"),
                      reply.get("LastModified"))

    def put(
        self,
        key: str,
        body: bytes,
        *,
        metadata: dict[str, str] | None = None,
        content_type: str = "application/json",
        if_match: str | None = None,
        if_none_match: bool = False,
    ) -> Put:
        """Write ``body`` with its SHA-256 checksum, which S3 verifies and stores; with a condition, say whether
        the condition held.

        A failed condition is 412 everywhere, 404 for ``If-Match`` on a missing key on AWS and moto (SeaweedFS says
        412), and 409 ``ConditionalRequestConflict`` when AWS saw a concurrent conditional write. All three mean the
        same to the caller: re-read, then decide.
        """
        kwargs: dict[str, Any] = {"IfMatch": if_match} if if_match else {}
        if if_none_match:
            kwargs["IfNoneMatch"] = "*"
        with self._translate("PUT", key):
            try:
                self.client.put_object(
                    Bucket=self.name,
                    Key=key,
                    Body=body,
                    ContentType=content_type,
                    Metadata=metadata or {},
                    ChecksumAlgorithm="SHA256",  # names it for stores that need it named (moto)
                    ChecksumSHA256=checksum_sha256(body),  # ours, so botocore computes none
                    **kwargs,
                )
            except ClientError as exc:
                status = _status(exc)
                if kwargs and (status in (409, 412) or (if_match and status == 404)):
                    retried = exc.response.get("ResponseMetadata", {}).get("RetryAttempts", 0) > 0
                    return Put.REFUSED_ON_RETRY if retried else Put.REFUSED
                raise
        return Put.WRITTEN

    def update_json(self, key: str, change: Callable[[dict[str, Any] | None], dict[str, Any]], *,
                    rounds: int = 8) -> dict[str, Any]:
        """Read-modify-write one JSON object by compare-and-swap, without a lock; returns what is stored.

        ``change`` gets the stored value (None when there is none) and returns the new one. It must be pure: after
        a lost race it runs again on the winner's value, so no concurrent update is lost. A condition refused only
        on a retry, with our exact bytes stored, was our own write whose reply was lost. A stored value that is no
        JSON object (cut short, edited by hand) is replaced as if there were none, and said: kept, it would stop every
        update of the key for good.
        """
        for _ in range(rounds):
            current = self.get(key)
            before = current.json_object() if current else None
            if current and before is None:
                get_logger().warning("stored_object_replaced", key=key, reason="it holds no JSON object")
            after = change(before)
            if after == before:
                return after
            body = json.dumps(after, ensure_ascii=False, indent=2).encode("utf-8")
            etag = current.etag if current else None
            put = self.put(key, body, if_match=etag, if_none_match=etag is None)
            if put is Put.WRITTEN:
                return after
            if put is Put.REFUSED_ON_RETRY and (stored := self.get(key)) is not None and stored.body == body:
                return after
        raise IngestError(ErrorCode.PUBLISH_FAILED, f"{key}: too many concurrent updates", stage=Stage.PUBLISH)

    def keys(self, prefix: str) -> Iterator[str]:
        """Every key under ``prefix``, page by page."""
        with self._translate("LIST", prefix):
            pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.name, Prefix=prefix)
            for page in pages:
                yield from (entry["Key"] for entry in page.get("Contents", []))

    def objects(self, prefix: str) -> Iterator[Stored]:
        """Every object under ``prefix`` as the listing gives it (key, ETag, time; no metadata), page by page, in
        the listing's order: UTF-8 binary order of the keys, so the objects of one folder come together."""
        with self._translate("LIST", prefix):
            pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.name, Prefix=prefix)
            for page in pages:
                for entry in page.get("Contents", []):
                    yield Stored(entry["Key"], entry.get("ETag", ""), last_modified=entry.get("LastModified"))

    def delete(self, key: str) -> None:
        with self._translate("DELETE", key):
            self.client.delete_object(Bucket=self.name, Key=key)

