"""``ingest-plugin reingest``: an editor replays articles by hand, as jobs for the same handler as cron and webhook.

Selectors: URLs (fetched under the partner's policy), partner ids (fetched from the partner's URL template, else
from the canonical URL of the version published before), local files, and the failed items kept in S3. Each becomes
a job for the same handler as every other trigger's. A failed item that now publishes is removed from ``failed/``;
one that fails again stays there, in the same record, with its attempt count raised.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TextIO

from ingest_plugin.entrypoints.progress import with_progress
from ingest_plugin.errors import ErrorCode, IngestError, Stage
from ingest_plugin.ingest.handler import JobHandler
from ingest_plugin.ingest.inputs import file_jobs
from ingest_plugin.ingest.jobs import Action, ArticleSource, FailedSource, IngestJob, UrlSource
from ingest_plugin.ingest.runs import RunSummary, dispatch
from ingest_plugin.ingest.sqs import SqsQueue
from ingest_plugin.publishing import Publisher


@dataclass
class Selection:
    urls: list[str] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    partner: str | None = None  # required with ids
    files: list[str] = field(default_factory=list)
    failed: bool = False
    since: date | datetime | None = None  # only failures at or after it


def reingest(selection: Selection, handler: JobHandler, *, action: Action = Action.INGEST, force: bool = False,
             dry_run: bool = False, progress: TextIO | None = None, queue: SqsQueue | None = None) -> RunSummary:
    """Re-ingest what ``selection`` names (here, or through ``queue`` when one is configured); returns the run
    summary."""
    jobs = list(selected_jobs(selection, handler.publisher, action=action, force=force))
    return dispatch(with_progress(jobs, "reingest", total=len(jobs), out=progress), handler, queue,
                    trigger="reingest", dry_run=dry_run, keep_outcomes=True)


def selected_jobs(selection: Selection, publisher: Publisher, *, action: Action = Action.INGEST,
                  force: bool = False) -> Iterator[IngestJob]:
    """The jobs ``selection`` names. Listing ``failed/`` reads S3 here, before any job runs: if it cannot, the
    command stops with nothing written."""
    for url in selection.urls:
        yield IngestJob(UrlSource(url), action=action, force=force, trigger="reingest")
    for article_id in selection.ids:
        if not selection.partner:
            raise IngestError(ErrorCode.FETCH_FAILED, "--id needs --partner", input=article_id, stage=Stage.FETCH)
        yield IngestJob(ArticleSource(selection.partner, article_id), action=action, force=force, trigger="reingest")
    yield from file_jobs(selection.files, action=action, force=force, trigger="reingest")
    if selection.failed:
        for entry in publisher.failed.entries(selection.since):
            recorded = entry.record.get("job") or {}
            # Asked for now, else a kill that failed; never a reinstatement that failed: a replay is routine, and
            # only an editor's explicit --reinstate publishes a killed article again.
            wanted = action if action is not Action.INGEST else (
                Action.CANCEL if recorded.get("action") == Action.CANCEL else Action.INGEST)
            yield IngestJob(FailedSource(entry.key), action=wanted,
                            force=force or bool(recorded.get("force")), trigger="reingest",
                            attempt=int(entry.record.get("attempts", 0)) + 1)
