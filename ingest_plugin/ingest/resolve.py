"""Resolve: from a job to parsed items, the same way for every trigger and runner. A URL is fetched under the
partner's policy, an article id from the partner's URL template or the version published before, a payload or a
``failed/`` entry's kept raw payload is parsed again (or, for a document's, loaded again); an item parsed earlier is
taken as it is."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from urllib.parse import quote, urlsplit

from ingest_plugin.config import Config, PartnerConfig
from ingest_plugin.errors import ErrorCode, IngestError, Stage
from ingest_plugin.ingest.budget import Parser, parse_in_process
from ingest_plugin.ingest.inputs import document_item
from ingest_plugin.ingest.jobs import (
    Action,
    ArticleSource,
    DocumentSource,
    FailedSource,
    IngestJob,
    ItemSource,
    PayloadSource,
    PayloadStore,
    UrlSource,
)
from ingest_plugin.parsing.model import ItemResult
from ingest_plugin.parsing.ninjs import document_canonical_url
from ingest_plugin.parsing.text import canonical_url
from ingest_plugin.partners.identity import Identity
from ingest_plugin.publishing import Publisher
from ingest_plugin.publishing.failed import FailedEntry, failure_time
from ingest_plugin.transport.fetch import fetch, refusal


def resolve(job: IngestJob, config: Config, publisher: Publisher, payloads: PayloadStore | None = None,
            parse: Parser = parse_in_process) -> Iterator[ItemResult]:
    """The parsed items of a job (parsed by ``parse``: under the parse budget, in runners), each a document or a
    coded error; an error reading what the job names (S3, the partner, a file) is raised, for the handler to keep
    the whole job."""
    source = job.source
    if isinstance(source, ItemSource):
        yield source.item
    elif isinstance(source, PayloadSource):
        yield from parse(source.payload.read(payloads), input_name=source.name, source_url=source.source_url,
                         max_bytes=config.limits.max_input_bytes)
    elif isinstance(source, UrlSource):
        partner = config.partner(source.partner) if source.partner else None
        # A kill needs no fetch when the URL names the article (the partner may have taken the page down).
        if job.cancel and (published := published_at_url(source.url, config, publisher, partner)) is not None:
            yield published
            return
        items = url_items(source.url, config, partner, parse, published=source.published)
        if job.cancel and len(items) == 1 and (error := items[0].error) is not None and error.stage is Stage.FETCH \
                and (items[0].partner is None or items[0].article_key is not None):
            # A URL of no partner, or one naming the article by the partner's id (unpublished, as looked up above):
            # nothing of ours to withdraw. A URL without the id may name a published article: that kill is kept.
            raise NothingToCancel(f"no article of ours is published at this URL, and its page could not be read "
                                  f"({error.message}): nothing to cancel", input=source.url)
        yield from items
    elif isinstance(source, ArticleSource):
        if job.cancel:  # a kill needs no fetch: it withdraws what we published
            name = f"{source.partner}/{source.article_id}"
            article_key = Identity.of_partner_id(source.partner, source.article_id).article_key
            published = _published(publisher, source.partner, article_key, name)
            if published is None:
                raise NothingToCancel(f"no article with the id {source.article_id!r} is published in S3: nothing to "
                                      "cancel (check the id)", input=name)
            yield published
        else:
            yield from id_items(source.article_id, source.partner, config, publisher, parse)
    elif isinstance(source, FailedSource):
        entry = publisher.failed.get(source.record_key)
        if entry is not None:  # else replayed by someone else meanwhile
            yield from replay_items(entry, config, publisher, parse)


class NothingToCancel(IngestError):
    """A kill of an article we never published, whose content cannot be read either: nothing to withdraw, and
    nothing to keep for a replay, which would kill the article if the partner published it later (a mistyped id)."""

    def __init__(self, message: str, *, input: str) -> None:
        super().__init__(ErrorCode.FETCH_FAILED, message, input=input, stage=Stage.FETCH)


def partner_for(config: Config, url: str | None = None, key: str | None = None) -> PartnerConfig:
    """The configured partner named by ``key``, or the one whose hosts serve ``url``."""
    if key:
        return config.partner(key)
    parts = urlsplit(url or "")
    names = {(parts.hostname or "").lower(), parts.netloc.lower()}  # allow-list entries are host or host:port
    for partner in config.partners:
        if names & partner.allowed_hosts or partner.profile.owns_url(url):
            return partner
    raise IngestError(ErrorCode.FETCH_FAILED, "the URL belongs to no configured partner's hosts", input=url or "-",
                      stage=Stage.FETCH)


def url_items(url: str, config: Config, partner: PartnerConfig | None = None,
              parse: Parser = parse_in_process, published: str | None = None,
              article_key: str | None = None) -> list[ItemResult]:
    """Fetch ``url`` under the partner's policy (allow-list, SSRF guard, limits) and parse it; ``published`` (RFC
    3339): the date the job knows, for a page that states none; ``article_key``: the article the job names (an
    id), else the one the URL names by the partner's id in it."""
    try:
        partner = partner or partner_for(config, url=url)
    except IngestError as error:
        return [ItemResult(input_name=url, raw=b"", source_url=url).failed(error)]
    article_key = article_key or _named_article(partner, url)
    try:
        result = fetch(url, config.fetch_policy(partner))
    except IngestError as error:
        return [ItemResult(input_name=url, raw=b"", source_url=url, partner=partner.profile.key,
                           article_key=article_key).failed(error)]
    items = same_partner(parse(result.body, input_name=url, source_url=result.final_url,
                               content_type=result.content_type, max_bytes=config.limits.max_input_bytes,
                               published=datetime.fromisoformat(published) if published else None),
                         partner.profile.key, f"a URL fetched from {partner.profile.key}'s hosts")
    if len(items) == 1 and items[0].error is not None and article_key and not items[0].article_key:
        # The page of the article the job names failed before the parser knew the article: its failure is kept
        # under that article's key (one entry per article, which `failed show partner/id` finds), not a hash of
        # bytes that change from one attempt to the next.
        return [replace(items[0], article_key=article_key)]
    return items


def _named_article(partner: PartnerConfig, url: str) -> str | None:
    """The key of the article ``url`` names by the partner's own id in it (its id rules), if any."""
    article_id = partner.profile.article_id(url)
    return Identity.of_article(partner.profile, article_id, None, "").article_key if article_id else None


def linked_page(item: ItemResult, partner: PartnerConfig, came_from: str | None) -> str | None:
    """The article page to fetch in place of a feed item: its link when the partner's feed content is too thin
    (``fetch_article_page``), also when the item was refused only for stating no date (the page may state it).
    Never ``came_from`` itself: an item whose link is not the partner's has the feed's URL for its own, and
    fetching that would read the feed again."""
    link = item.source_url if item.ok else item.undated_link
    return link if partner.fetch_article_page and link and link != came_from else None


def same_partner(items: list[ItemResult], partner: str | None, came_from: str) -> list[ItemResult]:
    """``items``, each refused (``partner_mismatch``) whose content claims another partner than the one the job came
    from: never published under the partner it claims, its failure is kept under the partner it came from, as is
    the failure of an item that names no partner (a page without text, a malformed feed)."""
    if not partner:
        return items
    return [replace(item, partner=partner, article_key=None, document=None).failed(IngestError(
        ErrorCode.PARTNER_MISMATCH, f"the content claims to be {item.partner}'s article {item.article_key!r}, but "
                                    f"came from {came_from}", stage=Stage.EXTRACT))
            if item.ok and item.partner != partner
            else replace(item, partner=partner) if not item.ok and not item.partner else item for item in items]


def stored_item(publisher: Publisher, partner_key: str, article_id: str) -> ItemResult:
    """The newest published version of an article as an item, or a coded error naming it."""
    name = f"{partner_key}/{article_id}"
    article_key = Identity.of_partner_id(partner_key, article_id).article_key
    return _published(publisher, partner_key, article_key, name) or ItemResult(
        input_name=name, raw=b"", partner=partner_key, article_key=article_key).failed(IngestError(
            ErrorCode.FETCH_FAILED, _NOT_PUBLISHED, stage=Stage.FETCH))


# Also the reason release 0.2.0 kept a kill of an article it had never published: see replay_items.
_NOT_PUBLISHED = "no published article with this id in S3"


def published_at_url(url: str, config: Config, publisher: Publisher,
                     partner: PartnerConfig | None = None) -> ItemResult | None:
    """The newest published version of the article a partner's URL names by itself (the partner's id in it, or the
    URL it was published under), read without fetching the page; None when the URL names none we published."""
    try:
        partner = partner or partner_for(config, url=url)
    except IngestError:
        return None  # fetching it says why
    if refusal(url, config.fetch_policy(partner)) is not None:
        return None  # not one of the partner's URLs: fetching it refuses it, as for any job
    profile = partner.profile
    article_key = Identity.of_article(profile, profile.article_id(url), canonical_url(url), "").article_key
    return _published(publisher, profile.key, article_key, url)


def _published(publisher: Publisher, partner_key: str, article_key: str, name: str) -> ItemResult | None:
    """The article's ``current.json``, or, when that is no document (cut short, edited by hand), its newest version:
    a kill is still built from what readers last saw; None when the article was never published."""
    current_key = publisher.articles.keys.current(partner_key, article_key)
    stored = publisher.bucket.get(current_key)
    if stored is None:
        return None
    document = stored.json_object()
    if document is None:
        newest = publisher.articles.newest_version(partner_key, article_key)
        document = newest.json_object() if newest is not None else None
    if document is None:
        return ItemResult(input_name=name, raw=b"", partner=partner_key, article_key=article_key).failed(IngestError(
            ErrorCode.FETCH_FAILED, f"{current_key} holds no JSON document, and no version of ours does",
            stage=Stage.FETCH))
    return ItemResult(input_name=name, raw=b"", document=document, partner=partner_key, article_key=article_key,
                      source_url=document_canonical_url(document))


def id_items(article_id: str, partner_key: str, config: Config, publisher: Publisher,
             parse: Parser = parse_in_process) -> list[ItemResult]:
    """Fetch an article named by its partner id: from the partner's URL template (safety.md: build fetch URLs
    from the id, never take them from a payload), else from the canonical URL of the version we published."""
    partner = config.partner(partner_key)
    if partner.article_url:
        return url_items(partner.article_url.replace("{id}", quote(article_id, safe="")), config, partner, parse,
                         article_key=Identity.of_partner_id(partner_key, article_id).article_key)
    stored = stored_item(publisher, partner_key, article_id)
    if stored.error is not None:
        return [stored]
    if not stored.source_url:
        return [ItemResult(input_name=stored.input_name, raw=b"", partner=partner_key).failed(IngestError(
            ErrorCode.FETCH_FAILED, "the stored document has no canonical URL to fetch again", stage=Stage.FETCH))]
    return url_items(stored.source_url, config, partner, parse)


def replay_items(entry: FailedEntry, config: Config, publisher: Publisher,
                 parse: Parser = parse_in_process) -> list[ItemResult]:
    """The kept raw payload parsed again (the parser may have been fixed), or, when the job was a document's
    (``publish``), that document loaded again; else the recorded job's URL or article fetched again, under the
    partner it failed for. Earlier releases recorded a document's job as an ``item``: such records are parsed again,
    as they were then."""
    record = entry.record
    name = str(record.get("input") or entry.key)
    partner_key = record.get("partner")
    recorded = record.get("job") or {}
    if recorded.get("action") == Action.CANCEL and record.get("message") == _NOT_PUBLISHED:
        # Release 0.2.0 kept a kill of an article never published (a mistyped id): replayed, it killed the article
        # once the partner published it. It is dropped, as such a kill is now refused and never kept.
        raise NothingToCancel(f"a kill kept by an earlier release of an article not published when it was asked "
                              f"({record.get('input')}): nothing to cancel, dropped", input=name)
    raw = publisher.failed.raw(entry)
    kept_at = failure_time(record, "raw_kept_at")
    # The payload is what the job that read it read: a later attempt that read nothing may have been another job.
    if raw and (record.get("raw_kind") or recorded.get("source", {}).get("kind")) == DocumentSource.kind:
        try:
            return [replace(document_item(name, raw), kept_at=kept_at)]  # validated where written, as every one
        except IngestError as refused:  # its partner is no longer configured, or the payload was edited by hand
            return [ItemResult(input_name=name, raw=raw, partner=partner_key,
                               article_key=record.get("article_key")).failed(refused)]
    if raw:
        published = recorded.get("source", {}).get("published")  # a page's date from the feed that listed it
        items = same_partner(parse(raw, input_name=name, source_url=record.get("source_url"),
                                   max_bytes=config.limits.max_input_bytes,
                                   published=datetime.fromisoformat(published) if published else None),
                             partner_key, f"a payload kept for {partner_key}")
        # A feed item kept for its missing date, of a partner whose pages are fetched (now): its page, as a run would.
        partner = config.partner(partner_key) if partner_key in config.partner_keys else None
        if len(items) == 1 and items[0].undated_link and partner is not None \
                and (page := linked_page(items[0], partner, came_from=record.get("source_url"))):
            followed = url_items(page, config, partner, parse)
            if len(followed) != 1 or (failure := followed[0].error) is None:
                return followed
            # The page failed too: the record keeps the feed item (its payload and URL, to follow it again next
            # time), with the page's reason, which names the page.
            message = failure.message if page in failure.message else f"its page {page}: {failure.message}"
            items = [replace(items[0], error=IngestError(failure.code, message, stage=failure.stage))]
        if len(items) == 1:  # a kept feed item is a one-item feed: keep the name it failed under, not "feed#3#1"
            error = items[0].error.for_input(name) if items[0].error else None
            return [replace(items[0], input_name=name, error=error, kept_at=kept_at)]
        return [replace(item, kept_at=kept_at) for item in items]
    if recorded.get("source", {}).get("kind") in (UrlSource.kind, ArticleSource.kind):
        return list(resolve(IngestJob.from_dict(recorded), config, publisher, parse=parse))
    if record.get("source_url"):
        return url_items(record["source_url"], config, config.partner(partner_key) if partner_key else None, parse)
    unreplayable = ItemResult(input_name=name, raw=b"", partner=partner_key, article_key=record.get("article_key"))
    return [unreplayable.failed(IngestError(ErrorCode.FETCH_FAILED, "the failed record keeps neither a payload nor "
                                                                   "a URL", stage=Stage.FETCH))]
