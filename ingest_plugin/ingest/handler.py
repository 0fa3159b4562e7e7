"""The one handler every runner calls: a job, end to end (resolve -> parse -> publish -> outcome).

Each article of a job goes to exactly one final place: published (a new version, or nothing at all when S3 already
holds that content), kept under ``failed/`` with its raw payload, the reason and the job, or, when S3 cannot take
even that, kept with its job in the local spool. A job whose input cannot even be read (S3 or the partner refused)
is kept the same way, whole. The handler never raises for a bad article, so one article never stops a batch.
"""
from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import structlog

from ingest_plugin import log
from ingest_plugin.config import Config
from ingest_plugin.errors import ErrorCode, IngestError, Stage
from ingest_plugin.ingest.budget import Parser, parser_for
from ingest_plugin.ingest.jobs import FailedSource, IngestJob, ItemSource, PayloadSource, PayloadStore, item_job
from ingest_plugin.ingest.payloads import AnyPayloads, S3Payloads, unreadable_for_now
from ingest_plugin.ingest.queue import RetryLater
from ingest_plugin.ingest.resolve import NothingToCancel, resolve
from ingest_plugin.ingest.spool import Spool
from ingest_plugin.parsing.model import ItemResult
from ingest_plugin.parsing.ninjs import withdrawal
from ingest_plugin.publishing import Publisher, PublishResult, S3SetupError, Status
from ingest_plugin.publishing.content import content_hash


@dataclass(frozen=True)
class Outcome:
    status: Status
    input: str
    partner: str | None = None
    article_key: str | None = None
    version: int | None = None
    key: str | None = None  # the version holding the content, the failed record, or the spool file
    error: IngestError | None = None
    recovered: bool = False  # a write whose reply was lost, recognised as ours
    dry_run: bool = False
    document: dict[str, Any] | None = None  # dry runs: what would be written

    @property
    def ok(self) -> bool:
        return self.status not in (Status.FAILED, Status.SPOOLED)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "status": str(self.status),
            "input": self.input,
            "partner": self.partner,
            "article_key": self.article_key,
            "version": self.version,
            "key": self.key,
            "error": self.error.to_dict() if self.error else None,
            "recovered": self.recovered,
            "dry_run": self.dry_run,
        }
        if self.document is not None:
            data["document"] = self.document
        return data


class JobHandler:
    """Runs jobs against one configuration, publisher and spool. Threads may share one (the webhook's workers do):
    it keeps no state of its own between jobs, and publishing is safe under concurrent writers."""

    def __init__(self, config: Config, publisher: Publisher, spool: Spool | None = None,
                 parse: Parser | None = None, *, queued: bool = False) -> None:
        """``queued``: the job came from a shared queue, which keeps it while S3 is down (no local spool: the job
        raises :class:`RetryLater` instead, so the queue delivers it again), and whose payloads may be in S3."""
        self.config = config
        config.install_partners()  # parsing and document URIs know the configured partners, built-in or not
        self.publisher = publisher
        self.spool = spool or Spool(publisher.settings.spool_dir)
        self.parse = parse or parser_for(config.limits.parse_budget_seconds)  # each input under the parse budget
        self.queued = queued
        self.payloads: PayloadStore = (AnyPayloads(self.spool.payloads, S3Payloads(publisher)) if queued
                                       else self.spool.payloads)

    def __call__(self, job: IngestJob, *, run_id: str | None = None, dry_run: bool = False) -> Iterator[Outcome]:
        """The outcome of every article of ``job``, as each is done (a feed gives many, a page one).

        ``dry_run`` reads S3 but writes nothing (no version, no failed record, no spool file) and returns the
        document each article would get. A replayed ``failed/`` entry is updated when its one item fails again,
        and removed once all it held succeeded."""
        replayed = job.source.record_key if isinstance(job.source, FailedSource) else None
        results: Iterable[ItemResult | IngestError] = self._read(job)
        record_key = None
        if replayed:  # one stored payload, read whole: a lone item's failure updates the record it came from
            results = list(results)
            record_key = replayed if len(results) == 1 else None
        all_ok, any_item = True, False
        for result in results:
            if isinstance(result, NothingToCancel):  # a failure, but none to keep: see NothingToCancel
                log.get_logger().warning("nothing_to_cancel", job_id=job.job_id, code=str(result.code),
                                         message=result.message)
                if replayed and not dry_run:  # a kill of nothing kept by an earlier release
                    self._forget_replayed(replayed)
                yield Outcome(Status.FAILED, job.name, partner=getattr(job.source, "partner", None), error=result,
                              dry_run=dry_run)
                return
            if isinstance(result, IngestError):  # the job's input could not be read: keep the whole job
                yield self.keep_job(job, result, run_id=run_id, dry_run=dry_run, record_key=replayed)
                return
            outcome = self.ingest(result, job, run_id=run_id, dry_run=dry_run, record_key=record_key)
            all_ok, any_item = all_ok and outcome.ok, True
            yield outcome
        if replayed and any_item and all_ok and not dry_run:
            self._forget_replayed(replayed)

    def _forget_replayed(self, record_key: str) -> None:
        """Remove a replayed entry all of whose items succeeded. S3 refusing that leaves the entry for the next replay
        (which finds its articles unchanged): it is no failure of the job, whose articles are published."""
        try:
            entry = self.publisher.failed.get(record_key)
            if entry is not None:
                self.publisher.failed.remove(entry)
        except IngestError as error:
            log.get_logger().warning("failed_entry_kept", key=record_key, message=error.message,
                                     reason="its items were published, but S3 refused to remove the entry")

    def keep_job(self, job: IngestJob, error: IngestError, *, run_id: str | None = None, dry_run: bool = False,
                 record_key: str | None = None) -> Outcome:
        """The whole job and why, under failed/ (or the local spool): its input could not be read, or running it
        crashed. An editor replays it from there (``reingest --failed``)."""
        unread = ItemResult(input_name=job.name, raw=self._payload_in_hand(job),
                            partner=getattr(job.source, "partner", None))
        return self._keep(unread, error.for_input(job.name), job, run_id=run_id, dry_run=dry_run,
                          record_key=record_key, whole_job=True)

    def _payload_in_hand(self, job: IngestJob) -> bytes:
        """The raw payload a job carries (a file, a request body), kept with its failure so that a replay parses it
        again; nothing for a job that names its input (a URL, an id: a replay reads it again)."""
        if not isinstance(job.source, PayloadSource):
            return b""
        try:
            return job.source.payload.read(self.payloads)
        except Exception:  # noqa: BLE001 - the payload itself is what could not be read: the job alone is kept
            return b""

    def _read(self, job: IngestJob) -> Iterator[ItemResult | IngestError]:
        """The job's parsed items; then, if reading what the job names failed (S3, the partner, a file, a record
        this release cannot read), the error, as a coded error that keeps the whole job."""
        try:
            yield from resolve(job, self.config, self.publisher, self.payloads, self.parse)
        except IngestError as error:
            if self.queued and isinstance(job.source, PayloadSource) and unreadable_for_now(error):
                # S3 did not give the job's stored payload this time: the queue delivers the job again, rather than
                # keeping a failure of the job itself
                raise RetryLater(f"the stored payload of {job.name} could not be read now: {error.message}") from None
            yield error
        except S3SetupError:
            raise  # no bucket or no access: the run stops
        except Exception as exc:  # a partner no longer configured, a record from a newer release, a bug
            log.get_logger().error("job_unreadable", job_id=job.job_id, error=f"{type(exc).__name__}: {exc}")
            yield IngestError(ErrorCode.FETCH_FAILED, f"the job could not be read: {type(exc).__name__}: {exc}",
                              stage=Stage.FETCH)

    def ingest(self, item: ItemResult, job: IngestJob, *, run_id: str | None = None, dry_run: bool = False,
               record_key: str | None = None) -> Outcome:
        """Publish one parsed item of ``job``, or keep it (raw payload, reason and job) for replay, in the failed/
        record ``record_key`` when the item is the one a replayed record held. A kept payload's item
        (``kept_at``) is not written over a version built after it was read: that holds newer text (superseded);
        a kill, a reinstatement and ``force`` are written whatever came since."""
        with structlog.contextvars.bound_contextvars(job_id=job.job_id, partner=item.partner,
                                                     article_id=item.article_key, input=item.input_name):
            logger = log.get_logger().bind(stage=Stage.PUBLISH)
            started = time.perf_counter()
            if item.error is not None:
                return self._keep(item, item.error, job, run_id=run_id, dry_run=dry_run, started=started,
                                  record_key=record_key)
            try:
                if item.document is None or not item.partner or not item.article_key:
                    raise IngestError(ErrorCode.INVALID_DOCUMENT, "no document, partner or article key to publish",
                                      stage=Stage.PUBLISH)
                if item.kept_at is not None and not (job.cancel or job.reinstate or job.force) and (
                        newer := self.publisher.articles.current_built_after(
                            item.partner, item.article_key, item.kept_at)) is not None \
                        and newer.content_hash != content_hash(item.document):  # the same text: unchanged
                    logger.info("failed_entry_superseded", version=newer.version, kept_at=item.kept_at.isoformat(),
                                reason="a version built after this payload was read holds newer text")
                    return Outcome(Status.SUPERSEDED, version=newer.version, key=newer.key, **_identity(item, dry_run))
                result = self._publish(item, item.document, job, dry_run)
            except IngestError as exc:
                error = exc.for_input(item.input_name)
            except S3SetupError:
                raise  # no bucket or no access: the run stops, nothing is kept as this article's failure
            except Exception as exc:  # a bug meets odd data: recorded like any failure, never stops the batch
                logger.exception("unexpected_publish_error")
                error = IngestError(ErrorCode.PUBLISH_FAILED, f"unexpected {type(exc).__name__}: {exc}",
                                    input=item.input_name, stage=Stage.PUBLISH)
            else:
                logger.info("ingested", status=str(result.status), version=result.version, key=result.key,
                            recovered=result.recovered, dry_run=dry_run, duration_ms=_ms(started))
                return Outcome(result.status, version=result.version, key=result.key, recovered=result.recovered,
                               document=result.document, **_identity(item, dry_run))
            return self._keep(item, error, job, run_id=run_id, dry_run=dry_run, started=started,
                              record_key=record_key)

    def _publish(self, item: ItemResult, document: dict[str, Any], job: IngestJob, dry_run: bool) -> PublishResult:
        """Publish ``document`` for ``item``. A kill of a version today's checks refuse (published under older rules:
        a picture host or a URL they now refuse) is published as its :func:`withdrawal` instead: a kill must never
        fail for the content it withdraws."""
        assert item.partner and item.article_key
        try:
            return self.publisher.articles.publish(
                document, partner=item.partner, article_key=item.article_key, source_url=item.source_url,
                force=job.force, cancel=job.cancel, reinstate=job.reinstate, dry_run=dry_run)
        except IngestError as refused:
            if not job.cancel or refused.code is not ErrorCode.INVALID_DOCUMENT or document.get("bodies") is None:
                raise
            log.get_logger().warning("kill_as_withdrawal", reason=refused.message)
            return self.publisher.articles.publish(
                withdrawal(document), partner=item.partner, article_key=item.article_key, source_url=item.source_url,
                force=job.force, cancel=True, dry_run=dry_run)

    def _keep(self, item: ItemResult, error: IngestError, job: IngestJob, *, run_id: str | None, dry_run: bool,
              record_key: str | None, started: float | None = None, whole_job: bool = False) -> Outcome:
        """``item`` and why it failed under ``failed/`` (in ``record_key``, the record a replay came from, if
        given), or, when S3 takes not even that, in the local spool: the item as it was (so that the next run
        publishes it again), or the whole job when its input was never read or it replays a failed/ record."""
        common = _identity(item, dry_run)
        logger = log.get_logger().bind(stage=Stage.PUBLISH, job_id=job.job_id)
        duration = _ms(started) if started is not None else None
        if dry_run:
            logger.warning("would_fail", code=str(error.code), failed_stage=error.stage, message=error.message)
            return Outcome(Status.FAILED, error=error, **common)
        replay = isinstance(job.source, FailedSource)  # the record keeps the job that first failed, not the replay
        try:
            key = self.publisher.failed.record(item, error, run_id=run_id, job=None if replay else job.summary(),
                                               record_key=record_key)
        except S3SetupError:
            raise
        except Exception as exc:  # S3 takes not even the failure record: keep everything on local disk
            if self.queued:  # or rather in the queue, which delivers the job again later
                raise RetryLater(f"S3 took not even the failure record of {item.input_name}: {exc}") from exc
            # the job itself when it is that one item (so a document's stays a document's), else the item's own job
            kept = job if whole_job or replay or isinstance(job.source, ItemSource) else item_job(
                item, action=job.action, force=job.force, trigger=job.trigger, attempt=job.attempt)
            path = self.spool.put_job(kept, error)
            reason = exc.message if isinstance(exc, IngestError) else repr(exc)
            logger.error("spooled", code=str(error.code), message=error.message, reason=reason, path=str(path),
                         duration_ms=duration)
            return Outcome(Status.SPOOLED, key=str(path), error=error, **common)
        logger.warning("failed", code=str(error.code), failed_stage=error.stage, message=error.message, key=key,
                       duration_ms=duration)
        return Outcome(Status.FAILED, key=key, error=error, **common)


def _identity(item: ItemResult, dry_run: bool) -> dict[str, Any]:
    return {"input": item.input_name, "partner": item.partner, "article_key": item.article_key, "dry_run": dry_run}


def _ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)
