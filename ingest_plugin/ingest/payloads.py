"""Payload stores: where a raw payload too big to travel inside a job waits (the claim check of :mod:`.jobs`).

:class:`LocalPayloads` keeps them on local disk, beside the spool and the webhook journal that reference them: it
works while S3 is down, and nothing else needs to read it. :class:`S3Payloads` keeps those of jobs sent to a shared
queue in the bucket, where every worker and Lambda function reads them (a lifecycle rule expires them).

References are content hashes, so storing the same bytes twice (a job spooled again, say) writes one file. A local
payload is removed when nothing references it any more (:meth:`LocalPayloads.sweep`), and not within an hour of its
last use.
"""
from __future__ import annotations

import hashlib
import os
import re
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

from ingest_plugin.errors import ErrorCode, IngestError, Stage
from ingest_plugin.ingest.jobs import PayloadStore
from ingest_plugin.log import get_logger
from ingest_plugin.publishing import Publisher

_PREFIX = "local:"
_LOCAL_REF = re.compile(re.escape(_PREFIX.encode()) + rb"[0-9a-f]{64}")
_S3_PREFIX = "s3:"
SWEEP_GRACE_SECONDS = 3600


def unreadable_for_now(error: BaseException) -> bool:
    """Whether reading a stored payload failed only for now (S3 did not answer, or refused the request), not for
    good: a payload gone, or a reference naming none, is ``fetch_failed``."""
    return isinstance(error, IngestError) and error.code is not ErrorCode.FETCH_FAILED


class LocalPayloads:
    """A :class:`~ingest_plugin.ingest.jobs.PayloadStore` on local disk: ``{directory}/{sha256}``."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)

    def put(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        path = self.directory / digest
        try:
            os.utime(path)  # stored before: fresh again, so that a sweep running now leaves it alone
        except FileNotFoundError:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(dir=self.directory, prefix=".tmp-")
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, path)  # atomic: a crash leaves no payload or the whole payload
        return _PREFIX + digest

    def get(self, ref: str) -> bytes:
        try:
            return self._path(ref).read_bytes()
        except (OSError, ValueError) as exc:
            raise IngestError(ErrorCode.FETCH_FAILED, f"the stored payload is gone: {exc}", input=ref,
                              stage=Stage.READ) from None

    @staticmethod
    def named_in(data: bytes) -> set[str]:
        """Every reference to a local payload in ``data`` (a spool file, whatever shape it has)."""
        return {ref.decode("ascii") for ref in _LOCAL_REF.findall(data)}

    def sweep(self, referenced: Iterable[str]) -> int:
        """Remove every payload no reference in ``referenced`` names and nothing touched for
        :data:`SWEEP_GRACE_SECONDS` (a job being spooled right now stores its payload before its entry); returns
        how many were removed."""
        keep = {ref.removeprefix(_PREFIX) for ref in referenced}
        stale_before = time.time() - SWEEP_GRACE_SECONDS
        removed = 0
        for path in self.directory.glob("[0-9a-f]*") if self.directory.is_dir() else ():
            try:
                if path.name not in keep and path.stat().st_mtime < stale_before:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:  # another run's sweep removed it first
                continue
            except OSError as exc:  # not a payload file (a directory someone made): left in place
                get_logger().error("spool_payload_not_removed", path=str(path), error=f"{type(exc).__name__}: {exc}")
        return removed

    def _path(self, ref: str) -> Path:
        digest = ref.removeprefix(_PREFIX)
        if not ref.startswith(_PREFIX) or len(digest) != 64 or not all(c in "0123456789abcdef" for c in digest):
            raise ValueError(f"not a local payload reference: {ref!r}")
        return self.directory / digest


class S3Payloads:
    """A :class:`~ingest_plugin.ingest.jobs.PayloadStore` in the bucket, ``payloads/{sha256}``: readable by every
    worker and Lambda function, unlike the local store."""

    def __init__(self, publisher: Publisher) -> None:
        self.bucket, self.keys = publisher.bucket, publisher.articles.keys

    def put(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        self.bucket.put(self.keys.payload(digest), data, content_type="application/octet-stream")
        return _S3_PREFIX + digest

    def get(self, ref: str) -> bytes:
        try:
            stored = self.bucket.get(self.keys.payload(ref.removeprefix(_S3_PREFIX)))
        except ValueError as exc:
            raise IngestError(ErrorCode.FETCH_FAILED, f"not a stored payload reference: {exc}", input=ref,
                              stage=Stage.READ) from None
        if stored is None or stored.body is None:
            raise IngestError(ErrorCode.FETCH_FAILED, "the stored payload is gone (expired?)", input=ref,
                              stage=Stage.READ)
        return stored.body


class AnyPayloads:
    """Reads a reference from whichever store made it (``local:`` on this host, ``s3:`` in the bucket)."""

    def __init__(self, local: PayloadStore, shared: PayloadStore) -> None:
        self.local, self.shared = local, shared

    def put(self, data: bytes) -> str:
        return self.shared.put(data)

    def get(self, ref: str) -> bytes:
        return (self.shared if ref.startswith(_S3_PREFIX) else self.local).get(ref)
