"""What a webhook job does: the thin payload (``{partner, url}`` or ``{partner, id}``) becomes items the same way
``reingest`` makes them, and the same core ingests them. Accepted jobs are journaled on disk until they have run;
what a crash or a shutdown leaves there runs first when the server starts again."""
from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import structlog

from ..config import Config
from ..core import ingest_items
from ..log import get_logger
from ..publish import Publisher
from ..webhook import Handler, Job
from .targets import id_items, stored_item, url_items


def make_handler(config: Config, publisher: Publisher) -> Handler:
    def handle(job: Job) -> Mapping[str, Any]:
        payload = job["payload"]
        partner = config.partner(payload["partner"])
        cancel = payload.get("action") == "cancel"
        with structlog.contextvars.bound_contextvars(job_id=job["job_id"], webhook_id=job["webhook_id"]):
            if "url" in payload:
                items = url_items(payload["url"], config, partner)
            elif cancel:
                items = [stored_item(publisher, partner.profile.key, payload["id"])]
            else:
                items = id_items(payload["id"], partner.profile.key, config, publisher)
            summary = ingest_items(items, publisher, trigger="webhook", force=bool(payload.get("force")),
                                   cancel=cancel, keep_outcomes=True)
        return {"run_id": summary.run_id, "ok": summary.ok, "counts": summary.counts,
                "items": [{k: v for k, v in o.to_dict().items() if k != "document"} for o in summary.outcomes]}

    return handle


class DiskJournal:
    """The webhook's job journal: one JSON file per accepted job under ``{spool_dir}/jobs``, written and synced to
    disk before the 202 and deleted once the job ran. What is left at start-up (a crash, or jobs still queued at
    shutdown) is replayed before the server listens again; publishing is idempotent, so a job that was running when
    the process died simply runs once more."""

    def __init__(self, spool_dir: Path) -> None:
        self.directory = Path(spool_dir) / "jobs"

    def store(self, job: Job) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self._path(job["job_id"])
        temporary = path.with_suffix(".tmp")
        with open(temporary, "w", encoding="utf-8") as out:
            out.write(json.dumps(job))
            out.flush()
            os.fsync(out.fileno())
        temporary.replace(path)  # atomic: a crash leaves no job or the whole job, never half of one
        directory = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(directory)  # the rename itself survives power loss
        finally:
            os.close(directory)
        return path

    def remove(self, job_id: str) -> None:
        self._path(job_id).unlink(missing_ok=True)

    def _path(self, job_id: str) -> Path:
        return self.directory / f"{job_id}.json"

    def replay(self, handler: Handler) -> int:
        """Run every journaled job (oldest first) and remove it once it ran; returns how many ran. A job whose
        handler raises stays for the next start."""
        if not self.directory.is_dir():
            return 0
        paths = sorted(self.directory.glob("*.json"), key=lambda p: p.stat().st_mtime)
        for path in paths:
            job: Job = json.loads(path.read_text(encoding="utf-8"))
            try:
                result = dict(handler(job))
            except Exception as exc:  # noqa: BLE001 - one bad job must not keep the server down
                get_logger().error("journaled_job_failed", job_id=job["job_id"], error=f"{type(exc).__name__}: {exc}")
                continue
            get_logger().info("journaled_job_replayed", job_id=job["job_id"], result=result)
            path.unlink()
        return len(paths)
