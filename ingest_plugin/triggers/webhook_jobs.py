"""What a webhook job does: the thin payload (``{partner, url}`` or ``{partner, id}``) becomes items the same way
``reingest`` makes them, and the same core ingests them. Jobs that shutdown could not run wait in the spool
folder and run first when the server starts again."""
from __future__ import annotations

import json
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
                                   cancel=cancel)
        return {"run_id": summary.run_id, "ok": summary.ok, "counts": summary.counts,
                "items": [{k: v for k, v in o.to_dict().items() if k != "document"} for o in summary.outcomes]}

    return handle


class JobSpool:
    """Queued jobs a shutdown could not run, one JSON file each, replayed when the server starts again."""

    def __init__(self, spool_dir: Path) -> None:
        self.directory = Path(spool_dir) / "jobs"

    def __call__(self, job: Job) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{job['job_id']}.json"
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(job), encoding="utf-8")
        temporary.replace(path)  # atomic: a crash leaves the old state or the whole job, never half of it
        get_logger().warning("job_spooled", job_id=job["job_id"], path=str(path))
        return path

    def replay(self, handler: Handler) -> int:
        """Run every spooled job (oldest first) and remove it once it ran; returns how many ran."""
        if not self.directory.is_dir():
            return 0
        paths = sorted(self.directory.glob("*.json"), key=lambda p: p.stat().st_mtime)
        for path in paths:
            job: Job = json.loads(path.read_text(encoding="utf-8"))
            get_logger().info("spooled_job_replayed", job_id=job["job_id"], result=dict(handler(job)))
            path.unlink()
        return len(paths)
