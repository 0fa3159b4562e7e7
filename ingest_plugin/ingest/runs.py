"""Runs: a batch of jobs in this process, as one run with one run record.

:func:`run_jobs` flushes the spool (jobs an earlier run could not get to S3), hands every job to the
:class:`~ingest_plugin.ingest.handler.JobHandler`, and writes the run record (spooled when S3 is down). The
``ingest``, ``publish``, ``run`` and ``reingest`` commands and the demo are all such a run over the jobs their
trigger produced.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from itertools import islice
from typing import Any

from ingest_plugin import log
from ingest_plugin.errors import IngestError
from ingest_plugin.ingest.handler import JobHandler, Outcome
from ingest_plugin.ingest.jobs import Action, IngestJob
from ingest_plugin.ingest.spool import RUN, report_unreadable
from ingest_plugin.ingest.sqs import BATCH, SqsQueue
from ingest_plugin.publishing import Status
from ingest_plugin.publishing.content import utc_now

FEED_FETCHED, FEED_NOT_MODIFIED, FEED_FAILED = "fetched", "not_modified", "failed"


@dataclass
class RunSummary:
    """What a run did, in memory that does not grow with the items: counts, and the failures (the run record lists
    each). Every outcome is kept only when the run is asked to (``outcomes``), for bounded runs that look back at
    their items; a long run streams them to ``on_outcome`` instead (see :func:`run_jobs`)."""

    run_id: str
    trigger: str
    started_at: str
    dry_run: bool = False
    finished_at: str | None = None
    # items per outcome, every outcome listed (zeros too), so records always have the same shape
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(map(str, Status), 0))
    items: int = 0
    failures: list[Outcome] = field(default_factory=list)
    outcomes: list[Outcome] | None = None  # every outcome in order, when kept
    flushed: int = 0  # how many of the items were flushed from the spool
    by_partner: dict[str, dict[str, int]] = field(default_factory=dict)  # partner -> outcome -> items
    by_code: dict[str, int] = field(default_factory=dict)  # error code -> items failed or spooled with it
    feeds: list[dict[str, Any]] = field(default_factory=list)  # cron: partner, url, status, reason, new items
    deferred: int = 0  # new items left for the next run by the per-run item cap

    def add(self, outcome: Outcome) -> None:
        self.items += 1
        status = str(outcome.status)
        self.counts[status] += 1
        partner = self.by_partner.setdefault(outcome.partner or "unknown", {})
        partner[status] = partner.get(status, 0) + 1
        if outcome.error is not None:
            self.by_code[str(outcome.error.code)] = self.by_code.get(str(outcome.error.code), 0) + 1
        if not outcome.ok:
            self.failures.append(outcome)
        if self.outcomes is not None:
            self.outcomes.append(outcome)

    @property
    def ok(self) -> bool:
        """Every item published, unchanged or kept by policy, and every feed read (a feed that failed to answer
        is a failed run, though it gave no item to fail)."""
        return not self.failures and not any(feed["status"] == FEED_FAILED for feed in self.feeds)

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def record(self) -> dict[str, Any]:
        """The run record stored at ``runs/{run_id}.json``."""
        return {
            "run_id": self.run_id,
            "trigger": self.trigger,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "ok": self.ok,
            "counts": self.counts,
            "items": self.items,
            "flushed_from_spool": self.flushed,
            "deferred": self.deferred,
            "by_partner": self.by_partner,
            "by_code": self.by_code,
            "feeds": self.feeds,
            "failures": [o.to_dict() for o in self.failures],
        }


def flush_spool(handler: JobHandler, run_id: str) -> Iterator[Outcome]:
    """Run again what earlier runs spooled, oldest first; stop at the first sign that S3 is still unreachable."""
    spool, publisher = handler.spool, handler.publisher
    for entry in spool.entries():
        if publisher.bucket.unreachable:
            break
        if entry.kind == RUN:
            try:
                publisher.runs.write(entry.payload)
            except IngestError:
                continue
            except ValueError as exc:  # no run record (edited by hand): left in place, as below
                report_unreadable(entry.path, exc)
                continue
            spool.remove(entry)
            continue
        try:
            job = spool.job(entry)
        except (IngestError, ValueError, KeyError, TypeError) as exc:  # its payload is gone, a newer release wrote it
            report_unreadable(entry.path, exc)
            continue  # left in place for a person to look at; the other entries go on
        if job.reinstate:  # a reinstatement is an editor's act of the moment: late, it could undo a later kill
            log.get_logger().warning("reinstatement_not_replayed", job_id=job.job_id, input=job.name)
            job = replace(job, action=Action.INGEST)
        outcomes = list(handler(job, run_id=run_id))
        respooled = {outcome.key for outcome in outcomes if outcome.status is Status.SPOOLED}
        if str(entry.path) not in respooled:  # done, kept under failed/, or spooled again as a new entry
            spool.remove(entry)
        yield from outcomes
    spool.sweep_payloads()


def enqueue_jobs(
    jobs: Iterable[IngestJob],
    queue: SqsQueue | None,
    handler: JobHandler,
    *,
    trigger: str = "manual",
    dry_run: bool = False,
    keep_outcomes: bool = False,
    on_job: Callable[[IngestJob, list[Outcome]], None] | None = None,
    on_start: Callable[[RunSummary], None] | None = None,
) -> RunSummary:
    """A run that sends its trigger's jobs to the shared queue instead of running them (a worker or the Lambda
    function does): each job sent is ``queued``; a batch SQS refuses is ``failed`` and not handed to ``on_job``, so
    a trigger's cursor never moves past a job that was not enqueued for sure. One run record, as :func:`run_jobs`.
    A dry run sends nothing and only counts the jobs: then ``queue`` may be None (``backfill --dry-run`` counts so,
    queue or not, without fetching anything)."""
    if queue is None and not dry_run:
        raise ValueError("only a dry run takes jobs without a queue to send them to")
    run = RunSummary(log.bind_run(trigger), trigger, utc_now("milliseconds"), dry_run=dry_run,
                     outcomes=[] if keep_outcomes else None)
    if on_start is not None:
        on_start(run)
    pending = iter(jobs)
    while batch := list(islice(pending, BATCH)):
        queued = [Outcome(Status.QUEUED, input=job.name, partner=getattr(job.source, "partner", None),
                          dry_run=dry_run) for job in batch]
        try:
            if queue is not None and not dry_run:
                queue.send_batch(batch)
        except IngestError as error:
            log.get_logger().error("enqueue_failed", jobs=len(batch), error=error.message)
            for job in batch:
                run.add(Outcome(Status.FAILED, input=job.name, error=error.for_input(job.name)))
            continue
        for job, outcome in zip(batch, queued, strict=True):
            run.add(outcome)
            if on_job is not None:
                on_job(job, [outcome])
    _finish(run, handler)
    return run


def dispatch(jobs: Iterable[IngestJob], handler: JobHandler, queue: SqsQueue | None, **options: Any) -> RunSummary:
    """A trigger's jobs, run here (no queue: one host) or sent to the shared queue, with the same options."""
    if queue is None:
        return run_jobs(jobs, handler, **options)
    options.pop("on_outcome", None)
    return enqueue_jobs(jobs, queue, handler, **options)


def run_jobs(
    jobs: Iterable[IngestJob],
    handler: JobHandler,
    *,
    trigger: str = "manual",
    dry_run: bool = False,
    keep_outcomes: bool = False,
    on_outcome: Callable[[Outcome], None] | None = None,
    on_job: Callable[[IngestJob, list[Outcome]], None] | None = None,
    on_start: Callable[[RunSummary], None] | None = None,
    run_id: str | None = None,
) -> RunSummary:
    """One run: flush the spool, run each job in isolation, then write the run record (spooled if need be).

    ``on_start`` gets the summary before any job runs (a trigger notes what it sees on the way: feeds, deferred
    items); ``on_outcome`` sees each outcome as it happens (flushed items first); ``on_job`` each job's outcomes
    once it is done; ``keep_outcomes`` keeps them all in the summary, which only a run with a bounded number of items
    should ask for. A caller that gives ``run_id`` has bound the log context itself (a webhook worker, whose events
    also carry the job and webhook ids); otherwise the run binds a new one.
    """
    run = RunSummary(run_id or log.bind_run(trigger), trigger, utc_now("milliseconds"), dry_run=dry_run,
                     outcomes=[] if keep_outcomes else None)

    def add(outcome: Outcome) -> Outcome:
        run.add(outcome)
        if on_outcome is not None:
            on_outcome(outcome)
        return outcome

    if on_start is not None:
        on_start(run)
    handler.publisher.articles.start_run()
    if not dry_run:
        for outcome in flush_spool(handler, run.run_id):
            add(outcome)
        run.flushed = run.items
    for job in jobs:
        outcomes = (add(outcome) for outcome in handler(job, run_id=run.run_id, dry_run=dry_run))
        if on_job is None:
            for _ in outcomes:  # a long job (a big feed) keeps none of its outcomes
                pass
        else:
            on_job(job, list(outcomes))
    _finish(run, handler)
    return run


def _finish(run: RunSummary, handler: JobHandler) -> None:
    """Log the run's end and store its record (in the local spool when S3 is down)."""
    run.finished_at = utc_now("milliseconds")
    logger = log.get_logger()
    logger.info("run_finished", ok=run.ok, counts=run.counts, flushed=run.flushed, deferred=run.deferred,
                dry_run=run.dry_run)
    if not run.dry_run:
        try:
            handler.publisher.runs.write(run.record())
        except IngestError as exc:
            path = handler.spool.put_run(run.record())
            logger.error("run_record_spooled", reason=exc.message, path=str(path))
