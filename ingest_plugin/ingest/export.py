"""``export``: the renderings of versions newer than a saved cursor, as files in one flat folder, for consumers that
ingest files (Superdesk's file feeding service watches one folder; a generic ninjs or G2 consumer the same).

- One file per rendering object, named ``{partner}-{article_key}-v{N}.{leaf}`` (``zenger-84217-v2.superdesk.json``,
  ``zenger-84217-v2.newsml-g2.text.xml``; ninjs-3.1: ``zenger-84217-v2.json``). Versions go out oldest first; a G2
  package after its items.
- Each file appears whole: written under ``DIR/.ingest-export/tmp/`` and renamed into ``DIR`` (one file system, an
  atomic rename), so a watcher never reads half a file. Nothing but the renderings is ever a file of ``DIR`` itself:
  Superdesk tries to ingest every file there (sub-folders, its own ``_PROCESSED``/``_ERROR`` and ours, are skipped).
- The cursor, ``DIR/.ingest-export/{profile}.cursor.json``, holds the newest version exported per article, saved
  after each version: a crash exports at most that one version again (its files have the same names and bytes).
- A rendering stored in S3 is copied as it is when it parses; a version without one (a profile turned on later, or
  one cut short or edited by hand) is rendered on the spot and checked like any rendering, and a ``ninjs-3.1`` version
  must be a JSON document (``invalid_document`` otherwise: reported, and the article's later versions go out without
  it, so that a correction or a kill is never held back by a version that cannot be rendered; the last version of an
  article is tried again on the next run).
- A cursor file that is not what export writes (cut short, edited by hand) is said and replaced: the export starts
  again from the first versions, under the same names with the same bytes.

Cost: one listing of ``articles/`` per 1,000 objects, then a GET per object exported.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest_plugin import log
from ingest_plugin.errors import ErrorCode, IngestError
from ingest_plugin.parsing.render import CANONICAL, render
from ingest_plugin.publishing.articles import ArticleStore
from ingest_plugin.publishing.renderings import ArticleListing, list_articles, rendering_objects, stored_document
from ingest_plugin.publishing.s3io import S3Unreachable

STATE_DIR = ".ingest-export"


@dataclass
class ExportSummary:
    profile: str
    directory: str
    files: list[str] = field(default_factory=list)  # written into the folder, in order
    versions: int = 0
    failures: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures

    def to_dict(self) -> dict[str, Any]:
        return {"profile": self.profile, "directory": self.directory, "versions": self.versions,
                "files": len(self.files), "failures": self.failures, "ok": self.ok}


class ExportFolder:
    """The flat folder and its state: atomic file writes and the per-profile cursor."""

    def __init__(self, directory: Path, profile: str) -> None:
        self.directory = directory
        self.state = directory / STATE_DIR
        self.tmp = self.state / "tmp"
        self.cursor_path = self.state / f"{profile}.cursor.json"
        self.tmp.mkdir(parents=True, exist_ok=True)
        self.cursor = self._saved_cursor() if self.cursor_path.exists() else {}

    def _saved_cursor(self) -> dict[str, int]:
        """The saved cursor; an empty one, said, when the file is not what export writes (cut short, edited by
        hand): kept, it would stop every export. Starting over writes the same names with the same bytes."""
        try:
            saved = json.loads(self.cursor_path.read_bytes())
        except ValueError:  # invalid JSON, or bytes that are not UTF-8
            saved = None
        articles = saved.get("articles") if isinstance(saved, dict) else None
        if isinstance(articles, dict) and all(type(number) is int for number in articles.values()):
            return articles
        log.get_logger().warning("export_cursor_unreadable", path=str(self.cursor_path),
                                 action="exporting every version again")
        return {}

    def write(self, name: str, body: bytes) -> Path:
        return self._replace(self.directory / name, body)

    def save_cursor(self, profile: str) -> None:
        """Whole and on disk before it replaces the last one: a cursor a power cut left empty would export the whole
        history into the watched folder again."""
        self._replace(self.cursor_path, json.dumps({"profile": profile, "articles": self.cursor}, sort_keys=True,
                                                   indent=1).encode("utf-8"))

    def _replace(self, target: Path, body: bytes) -> Path:
        temporary = self.tmp / target.name
        with open(temporary, "wb") as handle:
            handle.write(body)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
        return target


def file_name(partner: str, article_key: str, number: int, leaf: str) -> str:
    return f"{partner}-{article_key}-v{number}.{leaf}"


def export(store: ArticleStore, profile: str, directory: Path, *, partner: str | None = None) -> ExportSummary:
    """Write the ``profile`` renderings of every version newer than the folder's cursor (module docstring)."""
    folder = ExportFolder(directory, profile)
    summary = ExportSummary(profile, str(directory))
    for listing in list_articles(store, partner):
        article = f"{listing.partner}/{listing.article_key}"
        for number in sorted(n for n in listing.versions if n > folder.cursor.get(article, 0)):
            try:
                objects = _objects(store, listing, number, profile)
            except S3Unreachable:
                raise
            except IngestError as error:
                error = error.for_input(listing.versions[number].key)
                log.get_logger().error("export_failed", partner=listing.partner, article_id=listing.article_key,
                                       version=number, profile=profile, code=str(error.code), message=error.message)
                summary.failures.append({"partner": listing.partner, "article_key": listing.article_key,
                                         "version": number, "error": error.to_dict()})
                if error.code == ErrorCode.INVALID_DOCUMENT:
                    continue  # it never renders: the later versions (a correction, a kill) go out without it
                break  # one S3 did not give: the later versions of this article wait behind it
            for leaf, body in objects:
                name = file_name(listing.partner, listing.article_key, number, leaf)
                folder.write(name, body)
                summary.files.append(name)
            folder.cursor[article] = number
            folder.save_cursor(profile)
            summary.versions += 1
    return summary


def _objects(store: ArticleStore, listing: ArticleListing, number: int, profile: str) -> list[tuple[str, bytes]]:
    stored = rendering_objects(store, listing, number, profile)
    if stored is not None:
        return stored
    version = store.bucket.get(listing.versions[number].key)
    if version is None:
        raise IngestError("publish_failed", f"{listing.versions[number].key}: gone since the listing",
                          stage="publish")
    rendering = render(stored_document(version), profile)
    store.losses.report(rendering)
    if profile == CANONICAL:
        return [("json", version.body or b"")]
    return [(item.leaf, item.body) for item in rendering.objects]
