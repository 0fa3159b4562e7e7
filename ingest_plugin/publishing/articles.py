"""Publishing one article: versions written create-only, the current copy moved by compare-and-swap.

The protocol needs no lock, so overlapping cron, webhook and manual runs (and their retries) are harmless:

1. HEAD ``current.json``: its metadata holds the content hash, the version number and the two times a next version
   keeps or compares (``firstCreated``, ``versionCreated``), so no body is read. Same content hash: done, nothing
   written (unless forced). When a next version is due and the times are not in the metadata (an object written
   before they were), read it again with a GET.
2. Build version N = current + 1 (1 when there is none) and PUT ``v{N}.json`` with ``If-None-Match: *``.
3. Refused: GET ``v{N}``. Same content hash: adopt it; it is our own write whose reply was lost (refused only on
   botocore's retry, same bytes) or an overlapping run's identical one. Different: another writer owns N; help it
   move ``current.json`` to N, then start again at 1, now as N+1. No update is lost, and no version is written twice.
4. Move ``current.json`` to the new version with ``If-Match`` on the ETag read in 1 (``If-None-Match: *`` when there
   was none). Refused: re-read; at N or beyond already means done, otherwise try again with the fresh ETag.

A new article costs 3 requests (HEAD 404, PUT, PUT), an update 3 as well, an unchanged article 1 HEAD.

**Renderings** (``profiles``, docs/renderings.md): each configured rendering of a version is built and checked with
the version, before anything is written (a failure is ``invalid_document`` and nothing of the version is written),
and written create-only between steps 2 and 4: one more request per object; none for an unchanged article.

**Presumed new.** Once :data:`PRESUME_NEW_AFTER` articles in a row were new (a backfill, a burst of fresh stories),
the store skips step 1 for the next one: it writes ``v1.json`` create-only and then ``current.json`` create-only, 2
requests. The conditions keep this exact: a refused ``v1.json`` means the article exists, and it then goes through
steps 1-4 as usual (one wasted request, and the streak starts again); ``current.json`` is left alone unless it is
absent or already holds this content, so an article whose old versions were removed never loses an update.

``current.json`` only ever moves forward from the version it was read at, so it never goes back.

**Kills stay.** Every version and ``current.json`` carry the document's ``pubStatus`` as metadata (``pub-status``), so
the HEAD of step 1 also tells whether the article is killed. A killed article is written again only by a kill
re-issued with ``force`` or by an explicit reinstatement (``reinstate=True``): any other publish, forced or not,
writes nothing and returns :attr:`Status.KILLED` (logged ``kill_kept``), still for one request. A kill sent again
while the article is killed is ``unchanged``. A ``current.json`` written before ``pub-status`` was metadata is read
with a GET when its content hash differs (a path that wrote anyway).

**Orphans.** A process that dies between steps 2 and 4 leaves ``v{N+1}.json`` newer than ``current.json``: an orphan.
The next writer of the article meets it in step 3 (the 412 of its create-only write), moves ``current.json`` through
it and writes its own content as the next version, so the partner's latest text (or a kill, which then refuses the
update) ends current. :meth:`ArticleStore.repair` is the sweep for the orphans no writer meets (an unchanged article
costs one HEAD and never sees one; a killed one writes nothing): an orphan older than the grace period is *adopted*
when it is a kill (a kill that reached S3 stands) or when ``current.json`` is missing, and otherwise *superseded*:
``current.json``'s content, the last text that was current and the one every later ingest confirmed, is re-issued
as the next version and made current. The newest version is always current afterwards.

**Objects put there by hand** (docs/publishing.md). Ours carry our metadata: a content hash and the version number of
their key. A ``current.json`` without it (put back with ``aws s3 cp``, cut short) stands for our newest version: the
next version follows that one and replaces it. A version object without it has its number taken, but never becomes
current and never gets a change event. The sweep takes a ``current.json`` that holds no document for a missing one.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from enum import StrEnum
from itertools import groupby
from typing import Any

from ingest_plugin import log
from ingest_plugin.errors import ErrorCode, IngestError, Stage
from ingest_plugin.parsing.render import CANONICAL, LossLog, Rendering, render_all
from ingest_plugin.publishing.changes import WRITTEN_AT_METADATA, ChangeLog
from ingest_plugin.publishing.content import (
    CANCELED,
    USABLE,
    content_hash,
    editor_notes,
    to_bytes,
    utc_now,
    version_document,
)
from ingest_plugin.publishing.keys import ArticleObject, KeyLayout
from ingest_plugin.publishing.s3io import (
    PUB_STATUS_METADATA,
    Bucket,
    Put,
    S3SetupError,
    S3Unreachable,
    Stored,
    checksum_sha256,
    metadata_value,
    stamp_metadata,
)

# A repair's restore (the version whose text it repeats): its ``written-at`` is no time of that text.
RESTORES_METADATA = "restores"
# Each round is lost only to a writer that completed a version, so N concurrent writers need at most N rounds.
MAX_ROUNDS = 32
# New articles in a row after which the next one is presumed new too (module docstring): long enough that a run of
# mostly known articles (a re-run, a replay) never pays for a wrong guess, short enough to matter in a burst.
PRESUME_NEW_AFTER = 4
# How old the newest version must be before the repair sweep takes it for an orphan: a live writer is between its two
# writes for far less (two requests, each at most S3Settings.max_attempts sends with their timeouts and back-off).
ORPHAN_GRACE_SECONDS = 600.0


class Status(StrEnum):
    """What happened to one article."""

    CREATED = "created"  # version 1 written
    UPDATED = "updated"  # version N > 1 written
    CANCELED = "canceled"  # a version with pubStatus "canceled" written
    REINSTATED = "reinstated"  # a killed article published again (usable) by an explicit reinstatement
    UNCHANGED = "unchanged"  # nothing to write: S3 already holds this content
    # A replayed failure whose kept text is older than the version published since: not written
    SUPERSEDED = "superseded"
    KILLED = "killed"  # the article was killed; only a reinstatement publishes it again (nothing written, no failure)
    FAILED = "failed"  # kept under failed/ with its raw payload and error record
    SPOOLED = "spooled"  # S3 unreachable: kept in the local spool until the next run
    QUEUED = "queued"  # sent to the shared jobs queue: a worker or the Lambda function publishes it


@dataclass(frozen=True)
class PublishResult:
    status: Status
    version: int
    key: str  # the version object that holds this content
    recovered: bool = False  # our write landed although its reply was lost
    document: dict[str, Any] | None = None  # dry runs: what would be written


class RepairAction(StrEnum):
    """What the repair sweep did with one article whose newest version is not current."""

    ADOPTED = "adopted"  # current.json moved to the orphan: a kill, or current.json was missing
    SUPERSEDED = "superseded"  # current.json's content re-issued as the next version, now current
    WAITING = "waiting"  # the orphan is younger than the grace period: a writer may still finish it; next sweep
    FAILED = "failed"  # S3 refused a read or write for this article (message); the next sweep tries again


@dataclass(frozen=True)
class RepairResult:
    action: RepairAction
    partner: str
    article_key: str
    current_version: int | None  # what current.json named when the sweep met the article (None: missing)
    orphan_version: int  # the newest version, which current.json did not name
    version: int | None = None  # what current.json names now (would name, in a dry run)
    key: str | None = None  # that version's key
    dry_run: bool = False
    message: str | None = None  # why it failed

    @property
    def ok(self) -> bool:
        return self.action is not RepairAction.FAILED

    def to_dict(self) -> dict[str, Any]:
        return {"action": str(self.action), "partner": self.partner, "article_key": self.article_key,
                "current_version": self.current_version, "orphan_version": self.orphan_version,
                "version": self.version, "key": self.key, "dry_run": self.dry_run, "message": self.message}


def _written_status(document: dict[str, Any], number: int, reinstated: bool = False) -> Status:
    if reinstated:
        return Status.REINSTATED
    if document.get("pubStatus") == CANCELED:
        return Status.CANCELED
    return Status.CREATED if number == 1 else Status.UPDATED


def _metadata(document: dict[str, Any], digest: str, source_url: str | None = None) -> dict[str, str]:
    """The user metadata of a version (and of ``current.json`` when it copies it): all a next writer needs."""
    metadata = {"content-sha256": digest, "version": str(document["version"]),
                PUB_STATUS_METADATA: metadata_value(str(document.get("pubStatus") or USABLE)),
                "uri": metadata_value(str(document.get("uri", ""))), WRITTEN_AT_METADATA: utc_now("milliseconds"),
                **stamp_metadata(document)}  # fmt: skip
    if source_url:
        metadata["source-url"] = metadata_value(source_url)
    return metadata


def _killed(stored: Stored | None) -> bool:
    return stored is not None and stored.pub_status == CANCELED


def _ours(stored: Stored, number: int | None = None) -> bool:
    """Whether we wrote ``stored`` (as version ``number``, when given): our metadata says so. An object put in place
    by hand is not: ``aws s3 cp`` of a file keeps no metadata, a copy between keys keeps another version's."""
    named = stored.metadata.get("version", "")
    return "content-sha256" in stored.metadata and named.isdecimal() and number in (None, int(named))


@dataclass(frozen=True)
class _Draft:
    """Version ``number`` of an article, built, validated and ready to PUT."""

    number: int
    key: str
    document: dict[str, Any]
    body: bytes
    metadata: dict[str, str]
    status: Status
    renderings: tuple[Rendering, ...] = ()  # the configured profiles, each checked: written before current moves

    def stored(self) -> Stored:
        return Stored(self.key, "", self.metadata, self.body)


class ArticleStore:
    def __init__(self, bucket: Bucket, keys: KeyLayout, validate: Callable[[dict[str, Any]], None],
                 changes: ChangeLog | None = None, profiles: Iterable[str] = ()) -> None:
        self.bucket = bucket
        self.keys = keys
        # renderings written create-only beside each new version, before current.json moves (docs/renderings.md)
        self.profiles = tuple(p for p in profiles if p != CANONICAL)
        self.losses = LossLog()  # what a profile cannot carry: logged once per profile and run
        self.validate = validate  # runs on every document we build, so nothing invalid leaves the process
        self.changes = changes  # the change log: one event per version that becomes current
        # New articles seen in a row. Threads sharing the store may race on it; it is a hint, never a guarantee.
        self._new_streak = 0

    def start_run(self) -> None:
        """Presume nothing at the start of a run, so a re-run of known articles costs one HEAD each."""
        self._new_streak = 0
        self.losses.reset()

    def publish(
        self,
        document: dict[str, Any],
        *,
        partner: str,
        article_key: str,
        source_url: str | None = None,
        force: bool = False,
        cancel: bool = False,
        reinstate: bool = False,
        dry_run: bool = False,
    ) -> PublishResult:
        """Publish ``document`` as the next version of the article, unless S3 already holds the same content.

        ``force`` writes a new version even then; ``cancel`` publishes it with ``pubStatus: canceled`` (a kill);
        ``reinstate`` publishes a killed article again, with ``pubStatus: usable`` (an editor's explicit act; on a
        live article it is a plain publish); ``dry_run`` reads but stops before the first write and returns the
        document it would have written. A killed article is published again only by ``reinstate``: otherwise
        (``force`` included) nothing is written and the result is :attr:`Status.KILLED`.
        """
        if cancel and reinstate:
            raise ValueError("a publish is a kill or a reinstatement, not both")
        if cancel:
            incoming = {**document, "pubStatus": CANCELED}
        elif reinstate:
            incoming = {**document, "pubStatus": USABLE}
        else:
            incoming = document
        kill = incoming.get("pubStatus") == CANCELED
        digest = content_hash(incoming)
        current_key = self.keys.current(partner, article_key)

        def draft(number: int, previous: Stored | None, same: bool, reinstating: bool = False) -> _Draft:
            built = version_document(incoming, number, previous.stamps if previous else None, forced=same,
                                     reinstated=reinstating)
            self.validate(built)
            key = self.keys.version(partner, article_key, number)
            return _Draft(number, key, built, to_bytes(built), _metadata(built, digest, source_url),
                          _written_status(built, number, reinstating), self.render(built))

        if self._new_streak >= PRESUME_NEW_AFTER and not (force or cancel or reinstate or dry_run):
            created = self._create_presumed_new(current_key, draft(1, None, False), partner, article_key)
            if created is not None:
                return created
        read_body = False  # only for a current.json written before its times and pubStatus were metadata
        taken = 0  # the newest version number met that is not ours: never current, the next version goes above it
        for _ in range(MAX_ROUNDS):
            current = self.bucket.get(current_key, body=read_body)
            if current is not None and not _ours(current):
                current = self._stand_in(current, partner, article_key)
            self._new_streak = self._new_streak + 1 if current is None else 0
            same = current is not None and current.content_hash == digest
            if current is not None and same and not force:
                existing = self.keys.version(partner, article_key, current.version)
                return PublishResult(Status.UNCHANGED, current.version, existing)
            if current is not None and (current.stamps is None or current.pub_status is None):
                read_body = True
                continue
            killed = _killed(current)
            if current is not None and killed and not reinstate and not (kill and force):
                existing = self.keys.version(partner, article_key, current.version)
                if kill:  # a kill sent again while killed (new text or not): nothing changes for the CMS
                    return PublishResult(Status.UNCHANGED, current.version, existing)
                log.get_logger().info("kill_kept", partner=partner, article_id=article_key, version=current.version,
                                      force=force, dry_run=dry_run)
                return PublishResult(Status.KILLED, current.version, existing)
            version = draft(max(current.version if current else 0, taken) + 1, current, same,
                            reinstating=killed and reinstate)
            if dry_run:
                return PublishResult(version.status, version.number, version.key, document=version.document)
            put = self.bucket.put(version.key, version.body, metadata=version.metadata, if_none_match=True)
            recovered = False
            status = version.status
            stored: Stored | None
            if put is Put.WRITTEN:
                stored = version.stored()
            else:
                stored = self.bucket.get(version.key)
                if stored is None:  # 409: a concurrent write that did not land after all
                    continue
                if not _ours(stored, version.number):  # put there by hand: its number is taken, it is never current
                    log.get_logger().warning("version_not_ours", key=version.key)
                    taken = version.number
                    continue
                if stored.content_hash != digest:
                    # Another writer owns this version, or a dead one left it (an orphan): move current.json to it
                    # either way (a live writer cannot be told from a dead one), then write ours after it.
                    log.get_logger().info("version taken by another writer; retrying", version=version.number)
                    self._advance(current_key, current, stored, partner, article_key)
                    continue
                recovered = put is Put.REFUSED_ON_RETRY and stored.checksum_sha256 == checksum_sha256(version.body)
                if not recovered:
                    status = Status.UNCHANGED  # an overlapping run published this very content first
            # its renderings before current.json moves: ours, or, for a version another writer stored, its own
            self.write_renderings(partner, article_key, version.number, version.renderings
                                  if put is Put.WRITTEN or recovered else self.render(stored.json()))
            self._advance(current_key, current, stored, partner, article_key)
            if status is Status.REINSTATED:
                log.get_logger().warning("reinstated", partner=partner, article_id=article_key,
                                         version=version.number, killed_version=current.version if current else None,
                                         recovered=recovered)
            return PublishResult(status, version.number, version.key, recovered=recovered)
        raise IngestError(
            ErrorCode.PUBLISH_FAILED, f"{current_key}: still contended after {MAX_ROUNDS} rounds", stage=Stage.PUBLISH
        )

    def _create_presumed_new(
        self, current_key: str, first: _Draft, partner: str, article_key: str
    ) -> PublishResult | None:
        """Write version 1 and ``current.json``, both create-only, without reading first (module docstring).

        None when the article turns out to exist: the caller then runs the full protocol, which finds what is
        stored and writes the next version if the content differs (or nothing, for a killed article).
        """
        put = self.bucket.put(first.key, first.body, metadata=first.metadata, if_none_match=True)
        held = self._holding(first.key, first.body) if put is Put.REFUSED_ON_RETRY else None
        recovered = held is not None
        if put is Put.WRITTEN or held is not None:
            self.write_renderings(partner, article_key, 1, first.renderings)
            # The version as S3 holds it: a "lost reply" may have been a racing writer's identical version, whose
            # metadata (its written-at, and so its change event's key) are the ones that count.
            self._record_change(partner, article_key, held or first.stored())
            moved = self.bucket.put(current_key, first.body, metadata=first.metadata, if_none_match=True)
            if moved is Put.WRITTEN:
                return PublishResult(first.status, 1, first.key, recovered=recovered)
            now = self.bucket.get(current_key, body=False)
            if now is not None and now.content_hash == first.metadata["content-sha256"]:
                if now.version == 1:  # ours, moved by an overlapping writer or by our own lost-reply write
                    return PublishResult(first.status, 1, first.key, recovered=recovered)
                existing = self.keys.version(partner, article_key, now.version)
                return PublishResult(Status.UNCHANGED, now.version, existing)
        self._new_streak = 0
        return None

    def render(self, document: dict[str, Any]) -> tuple[Rendering, ...]:
        """The configured renderings of a version, each checked (``invalid_document`` otherwise, before anything of
        the version is written); what a profile cannot carry is logged once per profile and run."""
        renderings = tuple(render_all(document, self.profiles))
        for rendering in renderings:
            self.losses.report(rendering)
        return renderings

    def write_renderings(self, partner: str, article_key: str, number: int, renderings: Iterable[Rendering],
                         *, replace: bool = False) -> list[str]:
        """Write each rendering object beside version ``number``, create-only (a refusal means it is there: a
        rendering is a pure function of the version); ``replace`` overwrites (``render-profiles --rewrite``, after a
        mapping fix). Returns the keys written."""
        written = []
        for rendering in renderings:
            for item in rendering.objects:
                key = self.keys.rendering(partner, article_key, number, item.leaf)
                put = self.bucket.put(key, item.body, metadata={"version": str(number), "profile": item.profile},
                                      content_type=item.content_type, if_none_match=not replace)
                if put is Put.WRITTEN:
                    written.append(key)
        return written

    def _holding(self, key: str, body: bytes) -> Stored | None:
        """``key`` as stored when it holds exactly ``body`` (a create refused only on a retry was our own lost-reply
        write, or an identical one of a racing writer), else None."""
        stored = self.bucket.get(key)
        return stored if stored is not None and stored.checksum_sha256 == checksum_sha256(body) else None

    def current_built_after(self, partner: str, article_key: str, moment: datetime) -> Stored | None:
        """The article's ``current.json`` (one HEAD) when its text was read after ``moment`` (our own clock: its
        version's ``written-at``), else None, as for a version that gives no such time (written by an older
        release, or a repair's restore, which repeats an older version's text)."""
        current = self.bucket.get(self.keys.current(partner, article_key), body=False)
        if current is None or RESTORES_METADATA in current.metadata:
            return None
        written = current.metadata.get(WRITTEN_AT_METADATA)
        try:
            built = datetime.fromisoformat(written.replace("Z", "+00:00")) if written else None
        except ValueError:
            return None
        return current if built is not None and built > moment else None

    def newest_version(self, partner: str, article_key: str) -> Stored | None:
        """The article's newest version that we wrote and that still holds a document (one listing of its folder,
        then a GET per version tried, newest first): what stands for a ``current.json`` that cannot be trusted.
        None when there is none."""
        folder = self.bucket.objects(self.keys.article(partner, article_key))
        named = (self.keys.parse_article(entry.key) for entry in folder)
        for number in sorted((name.version for name in named if name is not None and name.version), reverse=True):
            stored = self.bucket.get(self.keys.version(partner, article_key, number))
            if stored is not None and _ours(stored, number) and stored.json_object() is not None:
                return stored
        return None

    def _stand_in(self, current: Stored, partner: str, article_key: str) -> Stored:
        """What a ``current.json`` we did not write (put back by hand, cut short) stands for: our newest version,
        with current.json's key and ETag. The next version follows that one, never walking current.json back
        through older ones, and replaces the stranger by compare-and-swap. With no version of ours: a new article."""
        newest = self.newest_version(partner, article_key)
        log.get_logger().warning("current_not_ours", key=current.key, stands_for=newest.key if newest else None)
        if newest is None:
            return Stored(current.key, current.etag, body=b"")
        return replace(newest, key=current.key, etag=current.etag)

    def _check_ours(self, version: Stored) -> None:
        """Only a version we wrote becomes current: of one put there by hand, the number (and so its change event)
        and the content hash would be guesses."""
        named = self.keys.parse_article(version.key)
        if named is None or not _ours(version, named.version):
            raise IngestError(ErrorCode.PUBLISH_FAILED, f"{version.key}: not a version ingest-plugin wrote (its "
                              "metadata is missing or names another version): current.json is not moved to it",
                              stage=Stage.PUBLISH)

    def _record_change(self, partner: str, article_key: str, version: Stored) -> None:
        if self.changes is not None:
            self.changes.record(partner, article_key, version)

    def _advance(self, current_key: str, seen: Stored | None, target: Stored, partner: str,
                 article_key: str) -> None:
        """Move ``current.json`` from ``seen`` to ``target`` by compare-and-swap; done once at ``target`` or beyond.
        The change event of ``target`` is written first, so no crash leaves a current version without one."""
        self._check_ours(target)
        self._record_change(partner, article_key, target)
        etag = seen.etag if seen else None
        metadata = dict(target.metadata)
        if PUB_STATUS_METADATA not in metadata and target.body is not None:  # a version older than the metadata
            metadata[PUB_STATUS_METADATA] = metadata_value(target.pub_status or USABLE)
        for _ in range(MAX_ROUNDS):
            body = target.body or b""
            put = self.bucket.put(current_key, body, metadata=metadata, if_match=etag, if_none_match=not etag)
            if put is Put.WRITTEN:
                return
            now = self.bucket.get(current_key, body=False)
            if now is not None and now.version >= target.version:
                return
            etag = now.etag if now else None
        raise IngestError(
            ErrorCode.PUBLISH_FAILED, f"{current_key}: could not move to v{target.version}", stage=Stage.PUBLISH
        )

    # The repair sweep: orphans no writer meets.

    def repair(
        self, partner: str | None = None, dry_run: bool = False, *, grace_seconds: float = ORPHAN_GRACE_SECONDS
    ) -> Iterator[RepairResult]:
        """Find every article whose newest ``v{N}.json`` is newer than ``current.json`` (or whose ``current.json`` is
        missing) and resolve it (module docstring): one result per such article, as each is done.

        One listing of ``articles/`` (or ``articles/{partner}/``), so the sweep is linear in the number of objects:
        an article whose ``current.json`` has the ETag of its newest version (the same bytes) costs no request
        beyond its share of the listing; any other costs a GET of ``current.json``, and an orphan a GET of it and
        at most two writes. An orphan younger than ``grace_seconds`` is reported ``waiting`` and left alone: a live
        writer may be between its two writes. ``dry_run`` reads but writes nothing. Any error on one article (S3's,
        an object put there by hand) is reported ``failed`` and the sweep goes on; an unreachable S3, a failed
        listing or a set-up error raises.
        """
        now = datetime.now(timezone.utc)
        listed = ((self.keys.parse_article(stored.key), stored)
                  for stored in self.bucket.objects(self.keys.articles_root(partner)))
        named = ((name, stored) for name, stored in listed if name is not None)
        for (folder_partner, article_key), objects in groupby(named, key=lambda pair: pair[0].folder):
            newest = self._newest(objects)
            if newest is None:
                continue
            number, orphan = newest
            try:
                result = self._repair_article(folder_partner, article_key, number, orphan, now, grace_seconds,
                                              dry_run)
            except (S3Unreachable, S3SetupError):
                raise
            except Exception as error:  # one article's odd objects never stop the sweep of the others
                message = error.message if isinstance(error, IngestError) else f"{type(error).__name__}: {error}"
                log.get_logger().error("repair_failed", partner=folder_partner, article_id=article_key,
                                       message=message, exc_info=not isinstance(error, IngestError))
                result = RepairResult(RepairAction.FAILED, folder_partner, article_key, None, number,
                                      dry_run=dry_run, message=message)
            if result is not None:
                yield result

    @staticmethod
    def _newest(objects: Iterable[tuple[ArticleObject, Stored]]) -> tuple[int, Stored] | None:
        """From one article folder's listing: the newest version's number and entry; None when nothing there needs
        a look (no version, or current.json has the newest version's ETag: it holds the very same bytes)."""
        number, newest, current_etag = 0, None, None
        for name, stored in objects:
            if name.version is None:
                current_etag = stored.etag
            elif name.version > number:
                number, newest = name.version, stored
        if newest is None or (current_etag and current_etag == newest.etag):
            return None
        return number, newest

    def _repair_article(self, partner: str, article_key: str, number: int, listed: Stored, now: datetime,
                        grace_seconds: float, dry_run: bool) -> RepairResult | None:
        logger = log.get_logger().bind(partner=partner, article_id=article_key)
        current_key = self.keys.current(partner, article_key)
        current = self.bucket.get(current_key)  # read again: the listing may be stale by now
        # A current.json that is no document (cut short, edited by hand into something else) counts as missing.
        document = current.json_object() if current is not None else None
        at = current.version if current is not None and document is not None else None
        if at is not None and at >= number:
            return None  # consistent: the ETags differ for another reason (encryption, versions removed)
        if grace_seconds > 0 and (listed.last_modified is None
                                  or (now - listed.last_modified).total_seconds() < grace_seconds):
            logger.info("orphan_waiting", current_version=at, orphan_version=number)
            return RepairResult(RepairAction.WAITING, partner, article_key, at, number, at,
                                self.keys.version(partner, article_key, at) if at else None, dry_run)
        orphan = self.bucket.get(listed.key)
        if orphan is None:
            return None  # removed since the listing
        if document is None or current is None or _killed(orphan):
            self._check_ours(orphan)  # before a dry run's answer too
            action, target = RepairAction.ADOPTED, orphan
        else:
            action = RepairAction.SUPERSEDED
            restored = self._restore(current, document, orphan, partner, article_key, number + 1, dry_run)
            if restored is None:
                logger.info("orphan_resolved_by_writer", current_version=at, orphan_version=number)
                return None
            target = restored
        result = RepairResult(action, partner, article_key, at, number, target.version, target.key, dry_run)
        if dry_run:
            return result
        self._advance(current_key, current, target, partner, article_key)
        logger.warning(f"orphan_{action}", current_version=at, orphan_version=number, version=target.version,
                       killed=_killed(target))
        return result

    def _restore(self, current: Stored, text: dict[str, Any], orphan: Stored, partner: str, article_key: str,
                 number: int, dry_run: bool) -> Stored | None:
        """Write ``current``'s content (``text``, its document) as version ``number``, create-only: the stored
        version, or None when another writer took that number with other content (it is resolving the article)."""
        document = {k: v for k, v in text.items() if k != "edNote"}  # the new version gets its own version note
        if ingest_notes := editor_notes(text.get("edNote")):  # but keeps the notes on its content
            document["edNote"] = ingest_notes
        built = version_document(document, number, orphan.stamps, restores=current.version)
        self.validate(built)
        renderings = self.render(built)
        digest = content_hash(built)
        key = self.keys.version(partner, article_key, number)
        source_url = current.metadata.get("source-url")
        metadata = {**_metadata(built, digest), **({"source-url": source_url} if source_url else {}),
                    RESTORES_METADATA: str(current.version)}
        body = to_bytes(built)
        if dry_run:
            return Stored(key, "", metadata, body)
        put = self.bucket.put(key, body, metadata=metadata, if_none_match=True)
        if put is Put.WRITTEN:
            self.write_renderings(partner, article_key, number, renderings)
            return Stored(key, "", metadata, body)
        stored = self.bucket.get(key)  # refused: another sweep restored the same content, or a writer moved on
        return stored if stored is not None and stored.content_hash == digest else None
