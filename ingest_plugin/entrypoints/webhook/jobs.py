"""What the webhook's workers run: each job as a run of its own, through the one job handler (the same code as
every other trigger's), with the result ``GET /jobs/{id}`` shows."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ingest_plugin.entrypoints.webhook.app import Handler
from ingest_plugin.ingest.handler import JobHandler
from ingest_plugin.ingest.jobs import IngestJob
from ingest_plugin.ingest.runs import run_jobs


def make_handler(handler: JobHandler) -> Handler:
    def handle(job: IngestJob) -> Mapping[str, Any]:
        summary = run_jobs([job], handler, trigger="webhook", keep_outcomes=True, run_id=job.job_id)
        return {"run_id": summary.run_id, "ok": summary.ok, "counts": summary.counts,
                "items": [{k: v for k, v in o.to_dict().items() if k != "document"} for o in summary.outcomes or ()]}

    return handle
