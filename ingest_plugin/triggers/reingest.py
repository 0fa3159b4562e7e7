"""``ingest-plugin reingest``: an editor replays articles by hand, through the same core as cron and webhook.

Selectors: URLs (fetched under the partner's policy), partner ids of articles published before (re-fetched from
the canonical URL their stored document records), local files, and the failed items kept in S3. A failed item
that now publishes is removed from ``failed/``; one that fails again stays there with its attempt count raised.
"""
from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import TextIO

from ..config import Config
from ..core import RunSummary, ingest_items
from ..errors import ErrorCode, IngestError
from ..load import read_input
from ..model import ItemResult
from ..pipeline import parse_items
from ..publish import Publisher
from ..publish.failed import FailedEntry
from .targets import id_items, stored_item, url_items

PROGRESS_FROM = 20  # items; fewer finish before a bar would help


@dataclass
class Selection:
    urls: list[str] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    partner: str | None = None  # required with ids
    files: list[str] = field(default_factory=list)
    failed: bool = False
    since: str | None = None  # ISO date or time: only failures at or after it


def reingest(selection: Selection, config: Config, publisher: Publisher, *, force: bool = False,
             cancel: bool = False, dry_run: bool = False, progress: TextIO | None = None) -> RunSummary:
    """Re-ingest what ``selection`` names; returns the run summary."""
    replayed: list[tuple[FailedEntry, int]] = []  # a failed entry and how many items it gave, in item order
    items = list(_selected(selection, config, publisher, cancel, replayed))
    summary = ingest_items(_with_progress(items, progress), publisher, trigger="reingest", force=force,
                           cancel=cancel, dry_run=dry_run, keep_outcomes=True)
    if not dry_run and replayed:
        outcomes = iter(summary.outcomes[summary.flushed + len(items) - sum(n for _, n in replayed):])
        for entry, count in replayed:
            if all([next(outcomes).ok for _ in range(count)]):
                publisher.failed.remove(entry)
    return summary


def _selected(selection: Selection, config: Config, publisher: Publisher, cancel: bool,
              replayed: list[tuple[FailedEntry, int]]) -> Iterator[ItemResult]:
    for url in selection.urls:
        yield from url_items(url, config)
    for article_id in selection.ids:
        if not selection.partner:
            raise IngestError(ErrorCode.FETCH_FAILED, "--id needs --partner", input=article_id, stage="fetch")
        if cancel:  # a kill needs no fetch: it withdraws what we published
            yield stored_item(publisher, selection.partner, article_id)
        else:
            yield from id_items(article_id, selection.partner, config, publisher)
    for path in selection.files:
        try:
            data = read_input(path)
        except OSError as exc:
            error = IngestError(ErrorCode.FETCH_FAILED, f"cannot read the file: {exc.strerror}", input=path,
                                stage="read")
            yield ItemResult(input_name=path, raw=b"", error=error)
            continue
        yield from parse_items(data, input_name=path, max_bytes=config.limits.max_input_bytes)
    if selection.failed:  # last: their outcomes are matched back to the entries by position
        for entry in publisher.failed.entries(selection.since):
            items = _replay(entry, config, publisher)
            replayed.append((entry, len(items)))
            yield from items


def _replay(entry: FailedEntry, config: Config, publisher: Publisher) -> list[ItemResult]:
    """The kept raw payload parsed again (the parser may have been fixed), or a fresh fetch when the first
    attempt never got the content."""
    record = entry.record
    name = str(record.get("input") or entry.key)
    try:
        raw = publisher.failed.raw(entry)
    except IngestError as error:  # S3 refused this one payload: the entry fails again, the others go on
        return [ItemResult(input_name=name, raw=b"", error=error.for_input(name), partner=record.get("partner"),
                           article_key=record.get("article_key"), source_url=record.get("source_url"))]
    if raw:
        items = list(parse_items(raw, input_name=name, source_url=record.get("source_url"),
                                 max_bytes=config.limits.max_input_bytes))
        if len(items) == 1:  # a kept feed item is a one-item feed: keep the name it failed under, not "feed#3#1"
            error = items[0].error.for_input(name) if items[0].error else None
            return [replace(items[0], input_name=name, error=error)]
        return items
    if record.get("source_url"):
        return url_items(record["source_url"], config)
    error = IngestError(ErrorCode.FETCH_FAILED, "the failed record keeps neither a payload nor a URL", input=name,
                        stage="fetch")
    return [ItemResult(input_name=name, raw=b"", error=error, partner=record.get("partner"),
                       article_key=record.get("article_key"))]


def _with_progress(items: list[ItemResult], out: TextIO | None) -> Iterable[ItemResult]:
    """A progress bar on a terminal (stderr) when there are many items; nothing otherwise."""
    out = out if out is not None else sys.stderr
    if len(items) < PROGRESS_FROM or not out.isatty():
        yield from items
        return
    width = 30
    for done, item in enumerate(items, start=1):
        filled = width * done // len(items)
        out.write(f"\rreingest [{'#' * filled}{'.' * (width - filled)}] {done}/{len(items)}")
        out.flush()
        yield item
    out.write("\n")
