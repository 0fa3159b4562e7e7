"""``ingest-plugin run``: poll every configured partner feed and ingest what is new or changed.

State lives in S3 (``cursors/{partner}.json``), moved by compare-and-swap, so runs on several hosts (or
overlapping runs on one) never need a lock: the article writes themselves are idempotent, and cursor updates
merge. An item enters the cursor only once it was published or recorded under ``failed/``; an item that was only
spooled (S3 unreachable), or left over by the per-run bound, is tried again next run.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, TypeGuard

from ingest_plugin.config import Config, PartnerConfig
from ingest_plugin.errors import IngestError
from ingest_plugin.ingest.budget import Parser
from ingest_plugin.ingest.handler import JobHandler, Outcome
from ingest_plugin.ingest.jobs import IngestJob, UrlSource, item_job
from ingest_plugin.ingest.resolve import linked_page, same_partner
from ingest_plugin.ingest.runs import FEED_FAILED, FEED_FETCHED, FEED_NOT_MODIFIED, RunSummary, dispatch
from ingest_plugin.ingest.sqs import SqsQueue
from ingest_plugin.log import get_logger
from ingest_plugin.parsing.model import ItemResult
from ingest_plugin.publishing import Publisher, Status
from ingest_plugin.transport.fetch import FetchResult, fetch

SEEN_LIMIT = 5000  # item fingerprints kept per partner; far more than any feed holds
Fetcher = Callable[..., FetchResult]


@dataclass
class _Feed:
    partner: PartnerConfig
    url: str
    validators: dict[str, str | None] = field(default_factory=dict)  # etag / last_modified to save
    complete: bool = True  # every item of this fetch was handled: its validators may be saved
    new_items: int = 0
    status: str = FEED_FETCHED
    reason: str | None = None  # why the fetch failed

    def report(self) -> dict[str, Any]:
        """The feed's line in the run record."""
        return {"partner": self.partner.profile.key, "url": self.url, "status": self.status, "reason": self.reason,
                "new_items": self.new_items}


@dataclass(frozen=True)
class _Planned:
    feed: _Feed
    fingerprint: str


def run_feeds(config: Config, handler: JobHandler, *, fetcher: Fetcher = fetch, dry_run: bool = False,
              now: datetime | None = None, queue: SqsQueue | None = None) -> RunSummary:
    """One scheduled run over every enabled partner's feeds; returns the run summary (its exit code tells cron).
    With a ``queue``, the new and changed items are sent to it (``queued``) for workers to ingest, and the cursor
    moves past exactly what was sent."""
    publisher = handler.publisher
    now = now or datetime.now(timezone.utc)
    cursors: dict[str, dict[str, Any]] = {}  # read once the run is under way: a complaint carries its run id
    feeds: list[_Feed] = []
    planned: dict[str, _Planned] = {}  # job id -> the feed item it came from
    handled: list[tuple[_Planned, list[Outcome]]] = []
    budget = config.limits.max_items_per_run
    run: RunSummary | None = None

    def started(summary: RunSummary) -> None:
        nonlocal run
        run = summary
        cursors.update((p.profile.key, _read_cursor(publisher, p.profile.key))
                       for p in config.partners if p.enabled and p.feeds)

    def plan() -> Iterator[IngestJob]:
        nonlocal budget
        assert run is not None  # run_jobs calls started() before it takes the first job
        for partner in config.partners:
            if not partner.enabled or not partner.feeds:
                continue
            seen = set(cursors[partner.profile.key].get("seen", {}))
            for url in partner.feeds:
                feed = _Feed(partner, url)
                feeds.append(feed)
                for item in _feed_items(feed, config, cursors[partner.profile.key], fetcher, handler.parse):
                    fingerprint = _fingerprint(item)
                    if fingerprint in seen:
                        continue
                    feed.new_items += 1
                    if budget <= 0:
                        feed.complete = False
                        run.deferred += 1
                        continue
                    budget -= 1
                    seen.add(fingerprint)
                    if partner.update_policy == "ignore" and _published(publisher, item):
                        continue
                    job = _job(item, feed)
                    planned[job.job_id] = _Planned(feed, fingerprint)
                    yield job
                run.feeds.append(feed.report())
        if run.deferred:
            get_logger().warning("items_deferred", deferred=run.deferred,
                                 max_items_per_run=config.limits.max_items_per_run,
                                 reason="the per-run item cap left new feed items for the next run")

    def done(job: IngestJob, outcomes: list[Outcome]) -> None:
        handled.append((planned.pop(job.job_id), outcomes))

    summary = dispatch(plan(), handler, queue, trigger="cron", dry_run=dry_run, keep_outcomes=True, on_job=done,
                       on_start=started)
    if not dry_run:
        for key in cursors:
            _advance_cursor(publisher, key, [(p, o) for p, o in handled if p.feed.partner.profile.key == key],
                            [f for f in feeds if f.partner.profile.key == key], now)
    _quiet_alerts(config, cursors, feeds, now)
    return summary


def _feed_items(feed: _Feed, config: Config, cursor: dict[str, Any], fetcher: Fetcher,
                parse: Parser) -> Iterator[ItemResult]:
    known = cursor.get("feeds", {}).get(feed.url, {})
    try:
        result = fetcher(feed.url, config.fetch_policy(feed.partner), etag=known.get("etag"),
                         last_modified=known.get("last_modified"))
    except IngestError as error:
        feed.complete, feed.status, feed.reason = False, FEED_FAILED, error.message
        get_logger().error("feed_fetch_failed", partner=feed.partner.profile.key, feed=feed.url, message=error.message)
        return
    if result.not_modified:
        feed.validators, feed.status = dict(known), FEED_NOT_MODIFIED
        return
    feed.validators = {"etag": result.etag, "last_modified": result.last_modified}
    yield from same_partner(parse(result.body, input_name=feed.url, source_url=result.final_url,
                                  content_type=result.content_type, max_bytes=config.limits.max_input_bytes),
                            feed.partner.profile.key, f"{feed.partner.profile.key}'s feed {feed.url}")


def _job(item: ItemResult, feed: _Feed) -> IngestJob:
    """The feed item as parsed, or the article page it leads to (:func:`linked_page`)."""
    if link := linked_page(item, feed.partner, came_from=feed.url):
        published = item.document.get("firstCreated") if item.document else None
        return IngestJob(UrlSource(link, feed.partner.profile.key, published), trigger="cron")
    return item_job(item, trigger="cron")


def _fingerprint(item: ItemResult) -> str:
    """Identity of one feed item *as sent*: a changed item gets a new fingerprint and is ingested again."""
    return hashlib.sha256(item.raw).hexdigest()[:32]


def _published(publisher: Publisher, item: ItemResult) -> bool:
    if not (item.partner and item.article_key):
        return False
    return publisher.bucket.get(publisher.articles.keys.current(item.partner, item.article_key), body=False) is not None


def _read_cursor(publisher: Publisher, partner_key: str) -> dict[str, Any]:
    """The partner's cursor; without one that can be read, every feed item is checked again (the writes are
    idempotent: an unchanged article costs a HEAD) and the run writes a new one."""
    key = publisher.articles.keys.cursor(partner_key)
    try:
        stored = publisher.bucket.get(key)
    except IngestError as error:
        get_logger().error("cursor_unreadable", partner=partner_key, message=error.message)
        return {}
    if stored is None:
        return {}
    if not _is_cursor(cursor := stored.json_object()):
        get_logger().error("cursor_unreadable", partner=partner_key,
                           message=f"{key} holds no cursor (cut short, or edited by hand): every feed item is "
                                   "checked again, and the run writes a new cursor")
        return {}
    return cursor


def _is_cursor(value: dict[str, Any] | None) -> TypeGuard[dict[str, Any]]:
    """Whether a stored value has the cursor's shape: what this module writes."""
    return value is not None and isinstance(seen := value.get("seen", {}), dict) \
        and all(isinstance(stamp, str) for stamp in seen.values()) \
        and isinstance(feeds := value.get("feeds", {}), dict) and all(isinstance(v, dict) for v in feeds.values()) \
        and _is_time(value.get("last_new_item_at"))


def _is_time(value: Any) -> bool:
    if value is None:
        return True
    try:
        return datetime.fromisoformat(value).tzinfo is not None
    except (TypeError, ValueError):
        return False


def _advance_cursor(publisher: Publisher, partner_key: str, pairs: list[tuple[_Planned, list[Outcome]]],
                    feeds: list[_Feed], now: datetime) -> None:
    """Record the handled items (published, unchanged or failed-with-record) and, for feeds handled completely,
    their validators; merge with whatever an overlapping run wrote meanwhile."""
    handled = {p.fingerprint for p, outcomes in pairs if all(o.status is not Status.SPOOLED for o in outcomes)}
    complete = {f.url: f.validators for f in feeds
                if f.complete and all(p.fingerprint in handled for p, _ in pairs if p.feed is f)}
    stamp = now.isoformat(timespec="seconds")
    any_new = any(f.new_items for f in feeds)

    def merge(cursor: dict[str, Any] | None) -> dict[str, Any]:
        cursor = dict(cursor) if _is_cursor(cursor) else {}
        seen = dict(cursor.get("seen", {}))
        seen.update({fingerprint: seen.get(fingerprint, stamp) for fingerprint in handled})
        cursor["seen"] = dict(sorted(seen.items(), key=lambda kv: kv[1])[-SEEN_LIMIT:])
        cursor["feeds"] = {**cursor.get("feeds", {}), **complete}
        if any_new and handled:
            cursor["last_new_item_at"] = max(stamp, cursor.get("last_new_item_at", ""))
        cursor.setdefault("last_new_item_at", stamp)
        return cursor

    try:
        publisher.bucket.update_json(publisher.articles.keys.cursor(partner_key), merge)
    except IngestError as error:  # the items are safe in S3; the next run re-checks them (1 GET each)
        get_logger().error("cursor_not_saved", partner=partner_key, message=error.message)


def _quiet_alerts(config: Config, cursors: dict[str, dict[str, Any]], feeds: list[_Feed], now: datetime) -> None:
    """A partner that sent nothing new for longer than the threshold may have broken its feed: say so."""
    threshold = timedelta(hours=config.quiet_partner_hours)
    for partner_key, cursor in cursors.items():
        if any(f.new_items for f in feeds if f.partner.profile.key == partner_key):
            continue
        last = cursor.get("last_new_item_at")
        if last and now - datetime.fromisoformat(last) > threshold:
            get_logger().warning("partner_quiet", alert=True, partner=partner_key, last_new_item_at=last,
                                 quiet_hours=round((now - datetime.fromisoformat(last)).total_seconds() / 3600, 1))
