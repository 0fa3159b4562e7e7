"""Renderings already in S3: backfilling them for versions that exist (``render-profiles``), and reading them back
for ``export``. docs/renderings.md describes the layout; writing them for a new version is ``ArticleStore.publish``.

One listing of ``articles/`` (or ``articles/{partner}/``), one request per 1,000 objects, tells which versions lack
a rendering: a rendering is complete when its completion leaf is there (the only object of a JSON rendering; the
package of a NewsML-G2 one, written after every item it names). A version that lacks one costs a GET of the version
and one create-only PUT per object; a complete version costs nothing but its share of the listing.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

from ingest_plugin import log
from ingest_plugin.errors import IngestError
from ingest_plugin.parsing.render import CANONICAL, completion_leaf, readable, render
from ingest_plugin.publishing.articles import ArticleStore
from ingest_plugin.publishing.s3io import Put, S3Unreachable, Stored, checksum_sha256


@dataclass
class ArticleListing:
    """One article folder as the listing shows it: its versions and the rendering leaves of each."""

    partner: str
    article_key: str
    versions: dict[int, Stored] = field(default_factory=dict)
    leaves: dict[int, dict[str, Stored]] = field(default_factory=dict)


def list_articles(store: ArticleStore, partner: str | None = None) -> Iterator[ArticleListing]:
    """Every article folder under ``articles/`` (or one partner's), in the listing's order, as it is read."""
    def folder(stored: Stored) -> tuple[str, str] | None:
        named = store.keys.parse_article(stored.key)
        if named is not None:
            return named.folder
        rendering = store.keys.parse_rendering(stored.key)
        return rendering[0].folder if rendering is not None else None

    keyed = ((folder(stored), stored) for stored in store.bucket.objects(store.keys.articles_root(partner)))
    for name, objects in groupby(((k, s) for k, s in keyed if k is not None), key=lambda pair: pair[0]):
        listing = ArticleListing(*name)
        for _, stored in objects:
            version = store.keys.parse_article(stored.key)
            if version is not None and version.version is not None:
                listing.versions[version.version] = stored
                continue
            rendering = store.keys.parse_rendering(stored.key)
            if rendering is not None and rendering[0].version is not None:
                listing.leaves.setdefault(rendering[0].version, {})[rendering[1]] = stored
        yield listing


@dataclass(frozen=True)
class BackfillResult:
    partner: str
    article_key: str
    version: int
    profiles: tuple[str, ...]  # the profiles this version lacked (or, rewriting, had re-rendered)
    written: tuple[str, ...] = ()  # keys written (a dry run: would be written)
    unchanged: int = 0  # objects already there with the same bytes (rewrite)
    error: IngestError | None = None
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_dict(self) -> dict[str, Any]:
        return {"partner": self.partner, "article_key": self.article_key, "version": self.version,
                "profiles": list(self.profiles), "written": list(self.written), "unchanged": self.unchanged,
                "error": self.error.to_dict() if self.error else None, "dry_run": self.dry_run}


def backfill(store: ArticleStore, profiles: tuple[str, ...], *, partner: str | None = None, rewrite: bool = False,
             dry_run: bool = False) -> Iterator[BackfillResult]:
    """Write the renderings in ``profiles`` that existing versions lack, create-only; one result per version that
    needed anything. ``rewrite`` renders every version again and replaces the objects whose bytes differ (after a
    mapping fix); ``dry_run`` reads but writes nothing. A version that cannot be rendered is reported with its coded
    error (``invalid_document``) and the sweep goes on; an unreachable S3 raises."""
    wanted = tuple(p for p in profiles if p != CANONICAL)
    for listing in list_articles(store, partner):
        for number in sorted(listing.versions):
            leaves = listing.leaves.get(number, {})
            missing = wanted if rewrite else tuple(p for p in wanted if completion_leaf(p) not in leaves)
            if not missing:
                continue
            try:
                result = _backfill_version(store, listing, number, missing, leaves, rewrite, dry_run)
            except S3Unreachable:
                raise
            except IngestError as error:
                log.get_logger().error("rendering_failed", partner=listing.partner, article_id=listing.article_key,
                                       version=number, code=str(error.code), message=error.message)
                result = BackfillResult(listing.partner, listing.article_key, number, missing, error=error,
                                        dry_run=dry_run)
            yield result


def _backfill_version(store: ArticleStore, listing: ArticleListing, number: int, missing: tuple[str, ...],
                      leaves: dict[str, Stored], rewrite: bool, dry_run: bool) -> BackfillResult:
    stored = store.bucket.get(listing.versions[number].key)
    if stored is None:  # removed since the listing
        return BackfillResult(listing.partner, listing.article_key, number, missing, dry_run=dry_run)
    document = stored_document(stored)
    renderings = [render(document, profile) for profile in missing]
    for rendering in renderings:
        store.losses.report(rendering)
    written: list[str] = []
    unchanged = 0
    for rendering in renderings:
        for item in rendering.objects:
            key = store.keys.rendering(listing.partner, listing.article_key, number, item.leaf)
            if rewrite and item.leaf in leaves:
                there = store.bucket.get(key, body=False)
                if there is not None and there.checksum_sha256 == checksum_sha256(item.body):
                    unchanged += 1
                    continue
            if dry_run:
                written.append(key)
                continue
            put = store.bucket.put(key, item.body, metadata={"version": str(number), "profile": item.profile},
                                   content_type=item.content_type, if_none_match=not rewrite)
            if put is Put.WRITTEN:
                written.append(key)
            else:
                unchanged += 1  # created meanwhile by a writer of this very version: the same pure rendering
    if written:
        log.get_logger().info("renderings_backfilled", partner=listing.partner, article_id=listing.article_key,
                              version=number, profiles=list(missing), written=len(written), dry_run=dry_run)
    return BackfillResult(listing.partner, listing.article_key, number, missing, tuple(written), unchanged,
                          dry_run=dry_run)


def stored_document(stored: Stored) -> dict[str, Any]:
    """A stored version's document; ``invalid_document`` naming it when it holds none (cut short, edited by hand)."""
    document = stored.json_object()
    if document is None:
        raise IngestError("invalid_document", f"{stored.key}: not a JSON document", stage="publish")
    return document


def rendering_objects(store: ArticleStore, listing: ArticleListing, number: int, profile: str
                      ) -> list[tuple[str, bytes]] | None:
    """The stored objects of version ``number``'s rendering in ``profile`` as (leaf, body), in writing order (the
    G2 package last); None when the rendering is not complete and readable in S3, and always for the canonical
    profile, the version itself (the caller reads the version, checks it and renders it)."""
    leaves = listing.leaves.get(number, {})
    if profile == CANONICAL or completion_leaf(profile) not in leaves:
        return None
    prefix = profile + "."
    names = sorted(leaf for leaf in leaves if leaf.startswith(prefix) and leaf != completion_leaf(profile))
    out = []
    for leaf in [*names, completion_leaf(profile)]:
        stored = store.bucket.get(leaves[leaf].key)
        if stored is None:
            return None
        if not readable(leaf, stored.body or b""):
            log.get_logger().warning("rendering_unreadable", key=stored.key, action="rendered again from its version")
            return None
        out.append((leaf, stored.body or b""))
    return out
