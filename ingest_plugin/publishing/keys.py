"""The S3 key layout, in one place (docs/publishing.md describes it).

::

    {prefix}/articles/{partner}/{article_key}/v{N}.json     immutable, one per version, create-only
    {prefix}/articles/{partner}/{article_key}/current.json  copy of the newest version, compare-and-swap
    {prefix}/failed/{partner}/{article_key}/raw             the failing raw payload
    {prefix}/failed/{partner}/{article_key}/error.json      why it failed, attempts, first/last failure
    {prefix}/runs/history/{run_id}.json                     one record per run (expired by a lifecycle rule)
    {prefix}/runs/latest/{trigger}.json                     last_attempt and last_success of one trigger
    {prefix}/runs/latest.json                               the same, of any trigger

Keys are derived only from the partner and the partner's own article id, so every trigger, every run and every
process computes the same keys for the same article; that is what makes conditional writes dedupe.
"""
from __future__ import annotations

import re

from ingest_plugin.errors import ErrorCode, IngestError, Stage

RUN_HISTORY = ("runs", "history")
_SAFE_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")


def is_safe_segment(value: str) -> bool:
    """True for a single path segment that cannot escape its folder or mean something else to S3 tools."""
    return bool(_SAFE_SEGMENT.fullmatch(value))


def _segment(value: str, what: str) -> str:
    if not is_safe_segment(value):
        raise IngestError(
            ErrorCode.PUBLISH_FAILED, f"{what} {value!r} is not a safe S3 key segment", stage=Stage.PUBLISH
        )
    return value


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
