"""The local spool: work that could not reach S3 waits on disk, and the next run flushes it.

Only used when S3 is unreachable or refuses even the failure record, so that nothing is ever dropped. Each entry is
one JSON file written atomically (temp file + rename). Its name is a hash of what it holds (not of the error), so
spooling the same item again, e.g. when a flush meets a still-dead S3, rewrites one file instead of adding another;
``spooled_at`` survives the rewrite, and entries flush oldest first, so versions land in the order they were made.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import log
from ..errors import IngestError
from ..model import ItemResult
from .content import utc_now


@dataclass(frozen=True)
class SpooledItem:
    item: ItemResult
    force: bool
    cancel: bool


@dataclass(frozen=True)
class SpoolEntry:
    path: Path
    kind: str  # "item" or "run"
    spooled_at: str
    payload: dict[str, Any]

    def item(self) -> SpooledItem:
        p = self.payload
        error = p["error"] and IngestError(p["error"]["code"], p["error"]["message"], input=p["error"]["input"],
                                           stage=p["error"]["stage"])  # fmt: skip
        item = ItemResult(
            input_name=p["input_name"],
            raw=base64.b64decode(p["raw"]),
            document=p["document"],
            error=error,
            partner=p["partner"],
            article_key=p["article_key"],
            source_url=p["source_url"],
        )
        return SpooledItem(item, bool(p["force"]), bool(p["cancel"]))


class Spool:
    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)

    def put_item(self, item: ItemResult, failure: IngestError, *, force: bool, cancel: bool) -> Path:
        """Keep an item for the next run, which ingests it again; ``failure`` (why it is here) is for the reader."""
        payload = {
            "input_name": item.input_name,
            "raw": base64.b64encode(item.raw).decode("ascii"),
            "document": item.document,
            "error": item.error.to_dict() if item.error else None,
            "partner": item.partner,
            "article_key": item.article_key,
            "source_url": item.source_url,
            "force": force,
            "cancel": cancel,
        }
        identity = json.dumps(payload, sort_keys=True, ensure_ascii=False)
        payload["failure"] = failure.to_dict()
        return self._write("item", identity, payload)

    def put_run(self, record: dict[str, Any]) -> Path:
        """Keep a run record that could not be written to S3."""
        return self._write("run", record["run_id"], record)

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

    @staticmethod
    def remove(entry: SpoolEntry) -> None:
        entry.path.unlink(missing_ok=True)
