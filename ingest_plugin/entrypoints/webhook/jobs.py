"""What the webhook's workers run: each job as a run of its own, through the one job handler (the same code as
every other trigger's), with the result ``GET /jobs/{id}`` shows. The job's status says how it ended: ``done``
(published or unchanged), ``failed`` (kept under failed/, with the coded error) or ``spooled`` (kept on local disk
while S3 was down; the next run publishes it)."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ingest_plugin import log
from ingest_plugin.entrypoints.webhook.app import Handler
from ingest_plugin.errors import ErrorCode, IngestError, Stage
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
        except Exception as exc:  # noqa: BLE001 - a bug met this job
            return _crashed(handler, job, exc)
        outcomes = summary.outcomes or []
        kept = [o for o in outcomes if o.status is Status.FAILED] or [o for o in outcomes if not o.ok]
        status = "done" if not kept else "failed" if kept[0].status is Status.FAILED else "spooled"
        return {"status": status, "error": kept[0].error.to_dict() if kept and kept[0].error else None,
                "run_id": summary.run_id, "ok": summary.ok, "counts": summary.counts,
                "items": [{k: v for k, v in o.to_dict().items() if k != "document"} for o in outcomes]}

    return handle


def _crashed(handler: JobHandler, job: IngestJob, exc: Exception) -> Mapping[str, Any]:
    """A job that crashed is kept under failed/, as one whose input could not be read, for an editor to replay: run
    again by itself at the next start, a late reinstatement would undo a later kill, and a forced job would publish
    a version per start."""
    log.get_logger().error("job_crashed", error=f"{type(exc).__name__}: {exc}")
    error = IngestError(ErrorCode.FETCH_FAILED, f"running the job crashed: {type(exc).__name__}: {exc}",
                        stage=Stage.FETCH)
    outcome = handler.keep_job(job, error, run_id=job.job_id)
    return {"status": "failed" if outcome.status is Status.FAILED else "spooled",
            "error": outcome.error.to_dict() if outcome.error else None,
            "items": [{k: v for k, v in outcome.to_dict().items() if k != "document"}]}
