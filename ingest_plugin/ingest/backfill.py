"""``backfill``: a partner's archive as ingest jobs, from its WordPress sitemaps, a range of its article ids, or a
list of URLs and ids.

Everything is lazy, so a backfill of 100,000 articles holds one sitemap at a time and no list of what it made: a
sitemap index is read entry by entry, and each child sitemap is fetched only when the walk reaches it (under the
partner's fetch policy: allow-list, SSRF guard, byte cap, rate limit) and parsed as it streams
(:mod:`ingest_plugin.parsing.sitemap`). The jobs go to the same runners as every trigger's
(:func:`~ingest_plugin.ingest.runs.dispatch`): sent to the shared queue when one is configured, else run here. A dry
run only counts them (:func:`~ingest_plugin.ingest.runs.enqueue_jobs` without sending): no article is fetched.

Running a backfill again makes the same jobs again; publishing is idempotent, so an article already published as
it is costs one HEAD and writes nothing. The same URL listed twice is simply ingested twice, for the same reason
(remembering every URL would make memory grow with the archive).

Each sitemap read (or tried) gets a line in the run record's ``feeds``: its URL, ``status`` (``fetched`` or
``failed`` with the ``reason``), the ``entries`` it listed, the jobs it gave (``new_items``) and what was skipped
(``skipped``: ``malformed`` entries, ``off_host`` URLs, child sitemaps that list no posts (``not_posts``), are
listed again (``repeated``) or nest too deep (``too_deep``), and ``undated`` and ``outside_window`` entries left
out by ``--since``/``--until``). A sitemap that fails fails the run (exit status 1), after the jobs the others
gave. Only an index's children are filtered by name: a sitemap named by its URL is read as it is.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import islice
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from ingest_plugin import log
from ingest_plugin.config import Config, PartnerConfig
from ingest_plugin.errors import IngestError
from ingest_plugin.ingest.handler import JobHandler, Outcome
from ingest_plugin.ingest.jobs import ArticleSource, IngestJob, UrlSource
from ingest_plugin.ingest.runs import FEED_FAILED, FEED_FETCHED, RunSummary, dispatch, enqueue_jobs
from ingest_plugin.ingest.sqs import SqsQueue
from ingest_plugin.parsing.sitemap import Sitemap, SitemapEntry, SitemapError
from ingest_plugin.partners import ARTICLE_ID
from ingest_plugin.publishing.failed import moment_bound
from ingest_plugin.transport.fetch import FetchPolicy, FetchResult, fetch, http_url_refusal

TRIGGER = "backfill"
# Where a WordPress site keeps its sitemap index, tried in this order: Yoast SEO's, then WordPress core's (5.5+).
DISCOVERY = ("/sitemap_index.xml", "/wp-sitemap.xml")
# The child sitemaps of an index that list posts: Yoast's post-sitemap.xml, post-sitemap2.xml, …; core's
# wp-sitemap-posts-post-1.xml, …. Pages, categories, tags, authors and other post types are never followed.
POST_SITEMAP = re.compile(r"(?:post-sitemap\d*|wp-sitemap-posts-post-\d+)\.xml(?:\.gz)?", re.I)
MAX_DEPTH = 2  # levels of sitemaps followed below the first (an index in an index is not in the protocol)
Fetcher = Callable[..., FetchResult]
Progress = Callable[[Iterator[IngestJob], int | None], Iterable[IngestJob]]


class BackfillError(ValueError):
    """What the backfill asks for cannot be done (a URL off the partner's hosts, ids without an ``article_url``
    template, an unreadable list, a filter that does not apply): found before anything runs; the message says
    what to fix."""


@dataclass(frozen=True)
class Window:
    """``--since`` / ``--until`` on the sitemap entries' ``<lastmod>``, both inclusive: a date is the whole day
    (UTC), a time without an offset is UTC, as ``failed list`` reads them. With either bound, an entry without a
    (readable) lastmod is left out and counted as ``undated``: nothing says it is in the window."""

    since: date | datetime | None = None
    until: date | datetime | None = None
    _start: datetime | None = field(init=False, default=None, repr=False)
    _end: datetime | None = field(init=False, default=None, repr=False)  # exclusive

    def __post_init__(self) -> None:
        object.__setattr__(self, "_start", moment_bound(self.since) if self.since is not None else None)
        object.__setattr__(self, "_end", moment_bound(self.until, upper=True) if self.until is not None else None)
        if self._start is not None and self._end is not None and self._start >= self._end:
            raise BackfillError(f"--since {self.since} is after --until {self.until}")

    @property
    def active(self) -> bool:
        return self._start is not None or self._end is not None

    def leaves_out(self, lastmod: datetime | None) -> str | None:
        """Why an entry with this lastmod is left out (``undated``, ``outside_window``), or None."""
        if not self.active:
            return None
        if lastmod is None:
            return "undated"
        if (self._start is not None and lastmod < self._start) or (self._end is not None and lastmod >= self._end):
            return "outside_window"
        return None


@dataclass
class Plan:
    """What a backfill will enqueue: its jobs (lazy, ``--limit`` applied), how many when that is known before the
    walk (ids, a list), and the sitemap walk whose reports go into the run record."""

    jobs: Iterator[IngestJob]
    total: int | None = None
    walk: SitemapWalk | None = None


def plan(config: Config, partner: PartnerConfig, *, sitemap: str | None = None, discover: bool = False,
         ids: range | None = None, listed: Path | None = None, window: Window = Window(),
         limit: int | None = None, fetcher: Fetcher = fetch) -> Plan:
    """The backfill of one source: ``discover`` (the sitemaps of the partner's homepage host), ``sitemap`` (a
    sitemap or sitemap index URL; a site root, ``https://host/``, is discovered like the homepage), ``ids`` (each
    fetched through the partner's ``article_url`` template) or ``listed`` (a file of URLs and ids). Everything that
    can be checked before the first fetch is checked here (:class:`BackfillError`)."""
    if sum((discover or sitemap is not None, ids is not None, listed is not None)) != 1:
        raise BackfillError("name one source: a sitemap, an id range or a file")
    if window.active and (ids is not None or listed is not None):
        raise BackfillError("--since and --until filter on sitemap <lastmod>: they go with --sitemap only")
    jobs: Iterator[IngestJob]
    total: int | None = None
    walk: SitemapWalk | None = None
    if ids is not None:
        _needs_template(partner, "--ids")
        jobs, total = (_id_job(partner, str(number)) for number in ids), len(ids)
    elif listed is not None:
        total = sum(1 for _ in _checked_lines(listed, partner, config.fetch_policy(partner)))
        jobs = (_line_job(partner, line) for _, line in _lines(listed))
    else:
        walk = SitemapWalk(config, partner, None if discover else sitemap, window, fetcher=fetcher)
        jobs = (IngestJob(UrlSource(url, partner.profile.key), trigger=TRIGGER) for url in walk.urls())
    if limit is not None:
        jobs = islice(jobs, limit)
        total = min(total, limit) if total is not None else None
    return Plan(jobs, total, walk)


def run_backfill(backfill: Plan, handler: JobHandler, queue: SqsQueue | None, *, dry_run: bool = False,
                 progress: Progress | None = None,
                 on_job: Callable[[IngestJob, list[Outcome]], None] | None = None) -> RunSummary:
    """Enqueue (or, with no queue, run here) the plan's jobs as one ``backfill`` run; a dry run only counts them,
    logging each (``backfill_job``, at INFO). Returns the run summary; its ``feeds`` are the sitemap reports."""
    jobs: Iterable[IngestJob] = progress(backfill.jobs, backfill.total) if progress else backfill.jobs
    logger = log.get_logger()

    def started(run: RunSummary) -> None:
        if backfill.walk is not None:
            run.feeds = backfill.walk.sitemaps  # filled in as the walk goes; stored with the run record

    def done(job: IngestJob, outcomes: list[Outcome]) -> None:
        if dry_run:
            logger.info("backfill_job", input=job.name, dry_run=True)
        if on_job is not None:
            on_job(job, outcomes)

    if dry_run:
        summary = enqueue_jobs(jobs, queue, handler, trigger=TRIGGER, dry_run=True, on_job=done, on_start=started)
    else:
        summary = dispatch(jobs, handler, queue, trigger=TRIGGER, on_job=done, on_start=started)
    if backfill.walk is not None and (skipped := backfill.walk.skipped()):
        logger.warning("backfill_skipped", partner=backfill.walk.partner.profile.key, **skipped)
    return summary


class SitemapWalk:
    """The article URLs of a partner's post sitemaps, in sitemap order, read lazily (see the module's doc).
    ``start`` is a sitemap or sitemap index URL, a site root to discover from, or None for the partner's homepage.
    :attr:`sitemaps` holds one report per sitemap read or tried, updated as the walk goes."""

    def __init__(self, config: Config, partner: PartnerConfig, start: str | None = None, window: Window = Window(),
                 *, fetcher: Fetcher = fetch) -> None:
        self.partner = partner
        self.window = window
        self.policy = config.fetch_policy(partner)
        self.max_bytes = config.limits.max_input_bytes
        self.sitemaps: list[dict[str, Any]] = []
        self._fetcher = fetcher
        self._walked: set[str] = set()  # sitemap URLs, so that an index listing one twice (or itself) is read once
        self.start = start or partner.profile.homepage
        self.discover = start is None or _site_root(self.start)
        if problem := http_url_refusal(self.start, self.policy):
            where = f"--sitemap {self.start}" if start else f"{partner.profile.key}'s homepage {self.start}"
            raise BackfillError(f"{where}: {problem} (allowed_hosts: {', '.join(sorted(partner.allowed_hosts))})"
                                + ("" if start else "; name the sitemap: --sitemap URL"))

    def urls(self) -> Iterator[str]:
        if not self.discover:
            yield from self._walk(self.start, 0)
            return
        reasons = []
        for path in DISCOVERY:
            url = urljoin(self.start, path)
            found = self._read(url)
            if isinstance(found, Sitemap):
                yield from self._entries(found, self._report(url), 0)
                return
            reasons.append(f"{path}: {found}")
        self._failed(self._report(self.start), "no sitemap index found: " + "; ".join(reasons))

    def skipped(self) -> dict[str, int]:
        """What every sitemap so far skipped, by reason."""
        total: dict[str, int] = {}
        for report in self.sitemaps:
            for reason, count in report["skipped"].items():
                total[reason] = total.get(reason, 0) + count
        return total

    def _walk(self, url: str, depth: int) -> Iterator[str]:
        report = self._report(url)
        found = self._read(url)
        if isinstance(found, Sitemap):
            yield from self._entries(found, report, depth)
        else:
            self._failed(report, found)

    def _read(self, url: str) -> Sitemap | str:
        """The sitemap at ``url``, its first element read; or why not."""
        try:
            return Sitemap(self._fetcher(url, self.policy).body, max_bytes=self.max_bytes)
        except IngestError as error:
            return error.message
        except SitemapError as exc:
            return f"not a sitemap: {exc}"

    def _entries(self, sitemap: Sitemap, report: dict[str, Any], depth: int) -> Iterator[str]:
        skipped = report["skipped"]
        try:
            for entry in sitemap:
                report["entries"] += 1
                reason = self._leaves_out(entry, depth)
                if reason is not None:
                    skipped[reason] = skipped.get(reason, 0) + 1
                elif entry.index:
                    yield from self._walk(entry.loc, depth + 1)
                else:
                    report["new_items"] += 1
                    yield entry.loc
        except SitemapError as exc:
            self._failed(report, f"not a sitemap: {exc}")
        finally:
            if sitemap.skipped:
                skipped["malformed"] = sitemap.skipped

    def _leaves_out(self, entry: SitemapEntry, depth: int) -> str | None:
        if http_url_refusal(entry.loc, self.policy):
            return "off_host"
        if not entry.index:
            return self.window.leaves_out(entry.lastmod)
        if not POST_SITEMAP.fullmatch(urlsplit(entry.loc).path.rsplit("/", 1)[-1]):
            return "not_posts"
        if depth >= MAX_DEPTH:
            return "too_deep"
        if entry.loc in self._walked:
            return "repeated"
        self._walked.add(entry.loc)
        return None

    def _report(self, url: str) -> dict[str, Any]:
        report: dict[str, Any] = {"partner": self.partner.profile.key, "kind": "sitemap", "url": url,
                                  "status": FEED_FETCHED, "reason": None, "entries": 0, "new_items": 0, "skipped": {}}
        self.sitemaps.append(report)
        return report

    def _failed(self, report: dict[str, Any], reason: str) -> None:
        report["status"], report["reason"] = FEED_FAILED, reason
        log.get_logger().error("sitemap_failed", partner=self.partner.profile.key, sitemap=report["url"],
                               message=reason)


def _site_root(url: str) -> bool:
    parts = urlsplit(url)
    return parts.path in ("", "/") and not parts.query


def _needs_template(partner: PartnerConfig, what: str) -> None:
    if not partner.article_url:
        raise BackfillError(f"{what}: partner {partner.profile.key} has no article_url template to fetch an "
                            "article by its id: set article_url in its [partners.KEY] table, or list URLs instead")


def _id_job(partner: PartnerConfig, article_id: str) -> IngestJob:
    return IngestJob(ArticleSource(partner.profile.key, article_id), trigger=TRIGGER)


def _line_job(partner: PartnerConfig, line: str) -> IngestJob:
    if "://" in line:
        return IngestJob(UrlSource(line, partner.profile.key), trigger=TRIGGER)
    return _id_job(partner, line)


def _checked_lines(path: Path, partner: PartnerConfig, policy: FetchPolicy) -> Iterator[str]:
    """The list's lines, each checked: a URL on the partner's hosts, or an article id (with a template)."""
    for number, line in _lines(path):
        if "://" in line:
            problem = http_url_refusal(line, policy)
            if problem:
                raise BackfillError(f"{path}:{number}: {problem} (allowed_hosts: "
                                    f"{', '.join(sorted(partner.allowed_hosts))})")
        elif not ARTICLE_ID.fullmatch(line):
            raise BackfillError(f"{path}:{number}: neither an http(s) URL nor an article id: {line[:80]!r}")
        else:
            _needs_template(partner, f"{path}:{number}")
        yield line


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """The list's lines that name something, numbered: blank lines and ``#`` comments skipped; read as it goes."""
    try:
        with path.open(encoding="utf-8-sig") as lines:  # a BOM, as some editors write, is no part of line 1
            for number, raw in enumerate(lines, start=1):
                line = raw.strip()
                if line and not line.startswith("#"):
                    yield number, line
    except (OSError, UnicodeDecodeError) as exc:
        raise BackfillError(f"cannot read {path}: {exc}") from None
