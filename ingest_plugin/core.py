"""The one core function every trigger calls, and the batch runs built on it.

:func:`ingest_one` takes one parsed item to exactly one final place: published (a new version, or nothing at all
when S3 already holds that content), kept under ``failed/`` with its raw payload and the reason, or, when S3 cannot
take even that, kept in the local spool. It never raises for a bad article, so one article never stops a batch.

:func:`ingest_items` is a run: flush the spool, ingest every item, write the run record. :func:`ingest_inputs`
feeds it partner content through the parser; :func:`publish_documents` feeds it documents parsed earlier.
"""
from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import structlog

from . import log, partners
from .errors import ErrorCode, IngestError
from .load import read_input
from .model import ItemResult
from .ninjs import document_canonical_url
from .pipeline import parse_items
from .publish import Publisher, Status
from .publish.content import utc_now

Input = str | os.PathLike[str] | tuple[str, bytes]  # a path ("-" is standard input), or a name and its bytes


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


@dataclass
class RunSummary:
    """What a run did, in memory that does not grow with the items: counts, and the failures (the run record lists
    each). Every outcome is kept only when the run is asked to (``outcomes``), for bounded runs that look back at
    their items; a long run streams them to ``on_outcome`` instead (see :func:`ingest_items`)."""

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

    def add(self, outcome: Outcome) -> None:
        self.items += 1
        self.counts[str(outcome.status)] += 1
        if not outcome.ok:
            self.failures.append(outcome)
        if self.outcomes is not None:
            self.outcomes.append(outcome)

    @property
    def ok(self) -> bool:
        return not self.failures

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
            "failures": [o.to_dict() for o in self.failures],
        }


def ingest_one(
    item: ItemResult,
    publisher: Publisher,
    *,
    force: bool = False,
    cancel: bool = False,
    dry_run: bool = False,
    run_id: str | None = None,
) -> Outcome:
    """Publish one parsed item, or keep it (raw payload and reason) where it can be replayed from.

    ``force`` writes a new version even when the content is unchanged; ``cancel`` publishes a kill
    (``pubStatus: canceled``); ``dry_run`` reads S3 but writes nothing, and returns the document it would write.
    """
    with structlog.contextvars.bound_contextvars(
        partner=item.partner, article_id=item.article_key, input=item.input_name
    ):
        logger = log.get_logger().bind(stage="publish")
        started = time.perf_counter()
        common = {"input": item.input_name, "partner": item.partner, "article_key": item.article_key,
                  "dry_run": dry_run}  # fmt: skip
        error = item.error
        if error is None:
            try:
                document, partner, article_key = _publishable(item)
                result = publisher.articles.publish(
                    document,
                    partner=partner,
                    article_key=article_key,
                    source_url=item.source_url,
                    force=force,
                    cancel=cancel,
                    dry_run=dry_run,
                )
            except IngestError as exc:
                error = exc.for_input(item.input_name)
            except Exception as exc:  # a bug meets odd data: recorded like any failure, never stops the batch
                logger.exception("unexpected_publish_error")
                error = IngestError(ErrorCode.PUBLISH_FAILED, f"unexpected {type(exc).__name__}: {exc}",
                                    input=item.input_name, stage="publish")  # fmt: skip
            else:
                logger.info("ingested", status=str(result.status), version=result.version, key=result.key,
                            recovered=result.recovered, dry_run=dry_run, duration_ms=_ms(started))  # fmt: skip
                return Outcome(result.status, version=result.version, key=result.key, recovered=result.recovered,
                               document=result.document, **common)  # fmt: skip
        if dry_run:
            logger.warning("would_fail", code=str(error.code), stage=error.stage, message=error.message)
            return Outcome(Status.FAILED, error=error, **common)
        try:
            key = publisher.failed.record(item, error, run_id=run_id)
        except Exception as exc:  # S3 takes not even the failure record: keep everything on local disk
            path = publisher.spool.put_item(item, error, force=force, cancel=cancel)
            reason = exc.message if isinstance(exc, IngestError) else repr(exc)
            logger.error("spooled", code=str(error.code), message=error.message, reason=reason, path=str(path),
                         duration_ms=_ms(started))
            return Outcome(Status.SPOOLED, key=str(path), error=error, **common)
        logger.warning("failed", code=str(error.code), failed_stage=error.stage, message=error.message, key=key,
                       duration_ms=_ms(started))
        return Outcome(Status.FAILED, key=key, error=error, **common)


def _ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)


def _publishable(item: ItemResult) -> tuple[dict[str, Any], str, str]:
    """Document, partner and article key of an item without an error; all three must be there."""
    if item.document is None or not item.partner or not item.article_key:
        raise IngestError(ErrorCode.INVALID_DOCUMENT, "no document, partner or article key to publish",
                          stage="publish")  # fmt: skip
    return item.document, item.partner, item.article_key


def flush_spool(publisher: Publisher, run_id: str) -> Iterator[Outcome]:
    """Replay what earlier runs spooled, oldest first; stop at the first sign that S3 is still unreachable."""
    for entry in publisher.spool.entries():
        if publisher.bucket.unreachable:
            break
        if entry.kind == "run":
            try:
                publisher.runs.write(entry.payload)
            except IngestError:
                continue
            publisher.spool.remove(entry)
            continue
        spooled = entry.item()
        outcome = ingest_one(spooled.item, publisher, force=spooled.force, cancel=spooled.cancel, run_id=run_id)
        if outcome.status is not Status.SPOOLED:
            publisher.spool.remove(entry)
        yield outcome


def ingest_items(
    items: Iterable[ItemResult],
    publisher: Publisher,
    *,
    trigger: str = "manual",
    force: bool = False,
    cancel: bool = False,
    dry_run: bool = False,
    keep_outcomes: bool = False,
    on_outcome: Callable[[Outcome], None] | None = None,
) -> RunSummary:
    """One run: flush the spool, ingest each item in isolation, then write the run record (spooled if need be).

    ``on_outcome`` sees each outcome as it happens (flushed items first); ``keep_outcomes`` keeps them all in the
    summary, which only a run with a bounded number of items should ask for.
    """
    run = RunSummary(log.bind_run(trigger), trigger, utc_now("milliseconds"), dry_run=dry_run,
                     outcomes=[] if keep_outcomes else None)  # fmt: skip

    def add(outcome: Outcome) -> None:
        run.add(outcome)
        if on_outcome is not None:
            on_outcome(outcome)

    publisher.articles.start_run()
    if not dry_run:
        for outcome in flush_spool(publisher, run.run_id):
            add(outcome)
        run.flushed = run.items
    for item in items:
        add(ingest_one(item, publisher, force=force, cancel=cancel, dry_run=dry_run, run_id=run.run_id))
    run.finished_at = utc_now("milliseconds")
    logger = log.get_logger()
    logger.info("run_finished", ok=run.ok, counts=run.counts, flushed=run.flushed, dry_run=dry_run)
    if not dry_run:
        try:
            publisher.runs.write(run.record())
        except IngestError as exc:
            path = publisher.spool.put_run(run.record())
            logger.error("run_record_spooled", reason=exc.message, path=str(path))
    return run


def _unreadable(name: str, exc: OSError) -> ItemResult:
    error = IngestError(ErrorCode.FETCH_FAILED, f"cannot read the file: {exc.strerror}", input=name, stage="read")
    return ItemResult(input_name=name, raw=b"", error=error)


def _parsed(inputs: Iterable[Input], source_url: str | None) -> Iterator[ItemResult]:
    for entry in inputs:
        name, data = entry if isinstance(entry, tuple) else (os.fspath(entry), None)
        if data is None:
            try:
                data = read_input(name)
            except OSError as exc:
                yield _unreadable(name, exc)
                continue
        yield from parse_items(data, input_name=name, source_url=source_url)


def ingest_inputs(
    inputs: Iterable[Input],
    publisher: Publisher,
    *,
    source_url: str | None = None,
    force: bool = False,
    dry_run: bool = False,
    trigger: str = "manual",
    **run_options: Any,
) -> RunSummary:
    """Parse partner inputs (pages, feeds, API payloads) and publish every article in them, as one run
    (``run_options``: those of :func:`ingest_items`)."""
    return ingest_items(_parsed(inputs, source_url), publisher, trigger=trigger, force=force, dry_run=dry_run,
                        **run_options)


def document_identity(document: dict[str, Any]) -> tuple[str, str]:
    """(partner, article key) of a parsed document, read back from its ``uri`` the way the parser derives them."""
    profile, key = partners.identity(str(document.get("uri", "")))
    return profile.key, key


def _documents(path: str | os.PathLike[str]) -> Iterator[ItemResult]:
    """One item per JSON Lines line of ninjs documents (``ingest-plugin parse`` output); a bad line fails alone."""
    name = os.fspath(path)
    try:
        lines = read_input(name).splitlines()
    except OSError as exc:
        yield _unreadable(name, exc)
        return
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        input_name = f"{name}:{number}"
        try:
            document = json.loads(line)
            if not isinstance(document, dict):
                raise IngestError(ErrorCode.INVALID_DOCUMENT, "the line is not a JSON object", stage="load")
            partner, article_key = document_identity(document)
        except ValueError as exc:
            error = IngestError(ErrorCode.INVALID_DOCUMENT, f"the line is not JSON: {exc}", input=input_name,
                                stage="load")  # fmt: skip
            yield ItemResult(input_name=input_name, raw=line, error=error)
            continue
        except IngestError as exc:
            yield ItemResult(input_name=input_name, raw=line, error=exc.for_input(input_name))
            continue
        yield ItemResult(input_name=input_name, raw=line, document=document, partner=partner,
                         article_key=article_key, source_url=document_canonical_url(document))  # fmt: skip


def publish_documents(
    jsonl_path: str | os.PathLike[str],
    publisher: Publisher,
    *,
    force: bool = False,
    dry_run: bool = False,
    trigger: str = "manual",
    **run_options: Any,
) -> RunSummary:
    """Publish already-parsed ninjs documents (JSON Lines, ``-`` for standard input) as one run
    (``run_options``: those of :func:`ingest_items`)."""
    return ingest_items(_documents(jsonl_path), publisher, trigger=trigger, force=force, dry_run=dry_run,
                        **run_options)
