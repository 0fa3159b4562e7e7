"""What the webhook's workers run: each job as a run of its own, through the one job handler (the same code as
every other trigger's), with the result ``GET /jobs/{id}`` shows. The job's status says how it ended: ``done``
(published or unchanged), ``failed`` (kept under failed/, with the coded error) or ``spooled`` (kept on local disk
while S3 was down; the next run publishes it)."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ingest_plugin.entrypoints.webhook.app import Handler
from ingest_plugin.ingest.handler import JobHandler
from ingest_plugin.ingest.jobs import IngestJob
from ingest_plugin.ingest.queue import RetryLater
from ingest_plugin.ingest.runs import run_jobs
from ingest_plugin.publishing import S3SetupError, Status


def make_handler(handler: JobHandler) -> Handler:
    def handle(job: IngestJob) -> Mapping[str, Any]:
        try:
            summary = run_jobs([job], handler, trigger="webhook", keep_outcomes=True, run_id=job.job_id)
        except S3SetupError as exc:  # no bucket or no access: keep the job for after the fix, never drop it
            raise RetryLater(str(exc)) from exc
        outcomes = summary.outcomes or []
        kept = [o for o in outcomes if o.status is Status.FAILED] or [o for o in outcomes if not o.ok]
        status = "done" if not kept else "failed" if kept[0].status is Status.FAILED else "spooled"
        return {"status": status, "error": kept[0].error.to_dict() if kept and kept[0].error else None,
                "run_id": summary.run_id, "ok": summary.ok, "counts": summary.counts,
                "items": [{k: v for k, v in o.to_dict().items() if k != "document"} for o in outcomes]}

    return handle
