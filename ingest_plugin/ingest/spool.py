"""The local spool: jobs that could not reach S3 wait on disk, and the next run flushes them.

Only used when S3 is unreachable or refuses even the failure record, so that nothing is ever dropped. Each entry is
one JSON file written atomically (temp file + rename) holding an :class:`~ingest_plugin.ingest.jobs.IngestJob`
(large raw payloads in ``payloads/`` beside it), or a run record. Its name is a hash of what the job asks for (not
of the error, the job id or the attempt), so spooling the same work again, e.g. when a flush meets a still-dead S3,
rewrites one file instead of adding another; ``spooled_at`` survives the rewrite, and entries flush oldest first, so
versions land in the order they were made. Entries written by release 0.1.0 (``kind: item``) still load.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest_plugin import log
from ingest_plugin.errors import IngestError
from ingest_plugin.ingest.jobs import Action, IngestJob, item_from_dict, item_job
from ingest_plugin.ingest.payloads import LocalPayloads
from ingest_plugin.publishing.content import utc_now

JOB, RUN, LEGACY_ITEM = "job", "run", "item"


@dataclass(frozen=True)
class SpoolEntry:
    path: Path
    kind: str  # "job" or "run" ("item": a 0.1.0 entry, read as a job)
    spooled_at: str
    payload: dict[str, Any]


class Spool:
    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        self.payloads = LocalPayloads(self.directory / "payloads")

    def put_job(self, job: IngestJob, failure: IngestError) -> Path:
        """Keep a job for the next run, which runs it again; ``failure`` (why it is here) is for the reader."""
        data = job.to_dict(self.payloads)
        identity = json.dumps({k: v for k, v in data.items() if k not in ("job_id", "attempt", "trigger")},
                              sort_keys=True, ensure_ascii=False)
        return self._write(JOB, identity, {"job": data, "failure": failure.to_dict()})

    def put_run(self, record: dict[str, Any]) -> Path:
        """Keep a run record that could not be written to S3."""
        return self._write(RUN, record["run_id"], record)

    def job(self, entry: SpoolEntry) -> IngestJob:
        """The job an entry holds (a 0.1.0 ``item`` entry becomes the job for its item)."""
        if entry.kind == LEGACY_ITEM:
            p = entry.payload
            return item_job(item_from_dict(p), action=Action.CANCEL if p["cancel"] else Action.INGEST,
                            force=bool(p["force"]), trigger="spool")
        return IngestJob.from_dict(entry.payload["job"], self.payloads)

    def _write(self, kind: str, identity: str, payload: dict[str, Any]) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{hashlib.sha256(identity.encode('utf-8')).hexdigest()[:32]}.{kind}.json"
        spooled_at = utc_now("milliseconds")
        if path.exists():
            spooled_at = json.loads(path.read_text("utf-8")).get("spooled_at", spooled_at)
        data = json.dumps({"kind": kind, "spooled_at": spooled_at, "payload": payload}, ensure_ascii=False)
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(data)
        os.replace(tmp, path)
        return path

    def entries(self) -> Iterator[SpoolEntry]:
        """Spooled entries, oldest first. An unreadable file is reported and left in place, never deleted."""
        loaded = []
        for path in sorted(self.directory.glob("[!.]*.json")) if self.directory.is_dir() else []:
            try:
                data = json.loads(path.read_text("utf-8"))
                loaded.append(SpoolEntry(path, data["kind"], data["spooled_at"], data["payload"]))
            except (OSError, ValueError, KeyError) as exc:
                log.get_logger().error("unreadable spool entry left in place", path=str(path), error=str(exc))
        yield from sorted(loaded, key=lambda entry: entry.spooled_at)

    def remove(self, entry: SpoolEntry) -> None:
        entry.path.unlink(missing_ok=True)

    def sweep_payloads(self) -> int:
        """Remove the stored payloads no spool entry references any more."""
        return self.payloads.sweep(ref for entry in self.entries() for ref in _refs(entry.payload))


def _refs(value: Any) -> Iterator[str]:
    """Every payload reference (``{"ref": …}``, an item's ``document_ref``) in an entry."""
    if isinstance(value, dict):
        yield from (value[name] for name in ("ref", "document_ref") if isinstance(value.get(name), str))
        for inner in value.values():
            yield from _refs(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _refs(inner)
