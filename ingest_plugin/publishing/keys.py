"""The S3 key layout, in one place (docs/publishing.md describes it).

::

    {prefix}/articles/{partner}/{article_key}/v{N}.json     immutable, one per version, create-only
    {prefix}/articles/{partner}/{article_key}/current.json  copy of the newest version, compare-and-swap
    {prefix}/articles/{partner}/{article_key}/v{N}.{profile}[.{part}].{ext}   renderings of version N, create-only
    (metadata of both: content-sha256, version, pub-status, first-created, version-created, source-url, uri,
    written-at)
    {prefix}/failed/{partner}/{article_key}/raw             the failing raw payload
    {prefix}/failed/{partner}/{article_key}/error.json      why it failed, attempts, first/last failure
    {prefix}/runs/history/{run_id}.json                     one record per run (expired by a lifecycle rule)
    {prefix}/runs/latest/{trigger}.json                     last_attempt and last_success of one trigger
    {prefix}/runs/latest.json                               the same, of any trigger
    {prefix}/webhooks/dedupe/{webhook_id}.json             the job a webhook-id started (several hosts only)
    {prefix}/changes/YYYY/MM/DD/HH/{time}-{partner}-{article_key}-v{N}.json   one change event per version
    {prefix}/payloads/{sha256}                              a queued job's raw payload over 100 KiB (claim check)

Keys are derived only from the partner and the partner's own article id, so every trigger, every run and every
process computes the same keys for the same article; that is what makes conditional writes dedupe.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone

from ingest_plugin.errors import ErrorCode, IngestError, Stage

RUN_HISTORY = ("runs", "history")
_SAFE_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")
_VERSION_LEAF = re.compile(r"v([1-9][0-9]{0,17})\.json")
CURRENT_LEAF = "current.json"
# v{N}.{profile}[.{part}].{ext}: the renderings written beside a version (never v{N}.json itself)
_RENDERING_LEAF = re.compile(r"v([1-9][0-9]{0,17})\.([a-z][a-z0-9-]*(?:\.[a-z0-9][a-z0-9-]*)*\.(?:json|xml))")


def is_safe_segment(value: str) -> bool:
    """True for a single path segment that cannot escape its folder or mean something else to S3 tools."""
    return bool(_SAFE_SEGMENT.fullmatch(value))


def _segment(value: str, what: str) -> str:
    if not is_safe_segment(value):
        raise IngestError(
            ErrorCode.PUBLISH_FAILED, f"{what} {value!r} is not a safe S3 key segment", stage=Stage.PUBLISH
        )
    return value


@dataclass(frozen=True)
class ArticleObject:
    """What an object key under ``articles/`` names: the article, and its version number (None for
    ``current.json``)."""

    partner: str
    article_key: str
    version: int | None

    @property
    def folder(self) -> tuple[str, str]:
        return self.partner, self.article_key


class KeyLayout:
    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix.strip("/")

    def _key(self, *parts: str) -> str:
        return "/".join([self.prefix, *parts] if self.prefix else parts)

    def article(self, partner: str, article_key: str) -> str:
        """The folder holding every version of one article (ends with '/')."""
        return self._key("articles", _segment(partner, "partner"), _segment(article_key, "article key"), "")

    def version(self, partner: str, article_key: str, number: int) -> str:
        return f"{self.article(partner, article_key)}v{number}.json"

    def current(self, partner: str, article_key: str) -> str:
        return f"{self.article(partner, article_key)}current.json"

    def rendering(self, partner: str, article_key: str, number: int, leaf: str) -> str:
        """One object of a rendering of version ``number``: ``v{N}.{leaf}`` (``v3.superdesk.json``,
        ``v3.newsml-g2.text.xml``), beside the version; docs/renderings.md."""
        if not _RENDERING_LEAF.fullmatch(f"v{number}.{leaf}"):
            raise IngestError(ErrorCode.PUBLISH_FAILED, f"{leaf!r} is not a rendering leaf", stage=Stage.PUBLISH)
        return f"{self.article(partner, article_key)}v{number}.{leaf}"

    def parse_rendering(self, key: str) -> tuple[ArticleObject, str] | None:
        """The article, version and leaf a rendering key names (``…/v3.superdesk.json`` -> version 3,
        ``superdesk.json``); None for any other key, the version itself and ``current.json`` included."""
        parts = self._article_parts(key)
        match = _RENDERING_LEAF.fullmatch(parts[2]) if parts else None
        if parts is None or match is None:
            return None
        return ArticleObject(parts[0], parts[1], int(match.group(1))), match.group(2)

    def articles_root(self, partner: str | None = None) -> str:
        """The folder of every article (ends with '/'), or of one partner's articles."""
        if partner is None:
            return self._key("articles", "")
        return self._key("articles", _segment(partner, "partner"), "")

    def parse_article(self, key: str) -> ArticleObject | None:
        """The article and version an object key names: ``v{N}.json`` or ``current.json`` of an article folder;
        None for any other key (left alone by whoever walks the folders)."""
        parts = self._article_parts(key)
        if parts is None:
            return None
        partner, article_key, leaf = parts
        if leaf == CURRENT_LEAF:
            return ArticleObject(partner, article_key, None)
        match = _VERSION_LEAF.fullmatch(leaf)
        return ArticleObject(partner, article_key, int(match.group(1))) if match else None

    def _article_parts(self, key: str) -> tuple[str, str, str] | None:
        """Partner, article key and leaf of a key in an article folder; None for any other key."""
        root = self.articles_root()
        if not key.startswith(root):
            return None
        parts = key[len(root):].split("/")
        if len(parts) != 3 or not (is_safe_segment(parts[0]) and is_safe_segment(parts[1])):
            return None
        return parts[0], parts[1], parts[2]

    def failed(self, partner: str, article_key: str) -> str:
        """The folder of one failed article (ends with '/'): ``raw`` and ``error.json``."""
        return self._key("failed", _segment(partner, "partner"), _segment(article_key, "article key"), "")

    def failed_root(self) -> str:
        return self._key("failed", "")

    def cursor(self, partner: str) -> str:
        """The cron trigger's state for one partner: feed validators and the items already handled."""
        return self._key("cursors", f"{_segment(partner, 'partner')}.json")

    def run(self, run_id: str) -> str:
        """One run's record, under the history prefix an S3 lifecycle rule expires (deploy/s3/lifecycle.json)."""
        return self._key(*RUN_HISTORY, f"{_segment(run_id, 'run id')}.json")

    def run_history(self) -> str:
        """The prefix of every run record and nothing else (ends with '/')."""
        return self._key(*RUN_HISTORY, "")

    def latest_run(self, trigger: str | None = None) -> str:
        """The last attempt and last success of one trigger (``runs/latest/{trigger}.json``), or of any trigger
        (``runs/latest.json``, kept for monitors written before there was one per trigger)."""
        if trigger is None:
            return self._key("runs", "latest.json")
        return self._key("runs", "latest", f"{_segment(trigger, 'trigger')}.json")

    def webhook_dedupe(self, webhook_id: str) -> str:
        """Which job a ``webhook-id`` started, for the webhook servers of several hosts (``[webhook] dedupe``)."""
        return self._key("webhooks", "dedupe", f"{_segment(webhook_id, 'webhook id')}.json")

    def change(self, written_at: datetime, partner: str, article_key: str, version: int) -> str:
        """The change event of one version, in an hourly folder, sorting by the time the version was written."""
        moment = written_at.astimezone(timezone.utc)
        return self._key("changes", moment.strftime("%Y/%m/%d/%H"),
                         f"{moment.strftime('%Y%m%dT%H%M%S.%f')[:-3]}Z-{_segment(partner, 'partner')}-"
                         f"{_segment(article_key, 'article key')}-v{version}.json")

    def payload(self, digest: str) -> str:
        """A raw payload too big for a queued job (its claim check), by SHA-256; expired by a lifecycle rule."""
        if len(digest) != 64 or not all(c in "0123456789abcdef" for c in digest):
            raise ValueError(f"not a SHA-256 digest: {digest!r}")
        return self._key("payloads", digest)

    def changes_root(self) -> str:
        return self._key("changes", "")
