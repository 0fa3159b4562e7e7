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
        previous = _read(path) if path.exists() else None
        spooled_at = previous.spooled_at if previous else utc_now("milliseconds")
        data = json.dumps({"kind": kind, "spooled_at": spooled_at, "payload": payload}, ensure_ascii=False)
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(data)
        os.replace(tmp, path)
        return path

    def entries(self) -> Iterator[SpoolEntry]:
        """Spooled entries, oldest first. An unreadable file is reported and left in place, never deleted."""
        loaded = [entry for path in self._files() if (entry := _read(path)) is not None]
        yield from sorted(loaded, key=lambda entry: entry.spooled_at)

    def remove(self, entry: SpoolEntry) -> None:
        entry.path.unlink(missing_ok=True)

    def sweep_payloads(self) -> int:
        """Remove the stored payloads no spool file names any more. The files are searched, not read as entries, so
        that one someone broke keeps its payloads for whoever repairs it."""
        named: set[str] = set()
        for path in self._files():
            try:
                named.update(LocalPayloads.named_in(path.read_bytes()))
            except OSError:  # reported by entries(); what it names cannot be known
                continue
        return self.payloads.sweep(named)

    def _files(self) -> list[Path]:
        return sorted(self.directory.glob("[!.]*.json")) if self.directory.is_dir() else []


_ENTRY_SHAPE = {"kind": str, "spooled_at": str, "payload": dict}


def _read(path: Path) -> SpoolEntry | None:
    """The entry a spool file holds; None, reported, when it holds none (cut short, edited by hand into another
    shape): such a file stays for a person to look at, and the other entries go on."""
    try:
        data = json.loads(path.read_bytes())
        if not isinstance(data, dict) or not all(isinstance(data.get(k), t) for k, t in _ENTRY_SHAPE.items()):
            raise ValueError("not a spool entry: kind and spooled_at strings, and a payload object, expected")
    except (OSError, ValueError) as exc:
        report_unreadable(path, exc)
        return None
    return SpoolEntry(path, data["kind"], data["spooled_at"], data["payload"])


def report_unreadable(path: Path, exc: Exception) -> None:
    """Log a spool file that holds nothing this release can run; it is left in place."""
    log.get_logger().error("spool_entry_unreadable", path=str(path), error=f"{type(exc).__name__}: {exc}")
