"""The parse pipeline, one article at a time:

``load -> source/extract -> media -> credits -> sanitize -> ninjs -> validate``

Each arrow is one module; data only flows forward. A feed or API array yields one :class:`ItemResult` per item, so
one bad item never stops the others.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import datetime
from itertools import chain, islice
from typing import Any, Callable, Iterator

import structlog
from lxml.etree import _Element as Element

from ingest_plugin import partners
from ingest_plugin.errors import ErrorCode, IngestError, Stage
from ingest_plugin.log import get_logger
from ingest_plugin.parsing import DEFAULT_MAX_BYTES, formats
from ingest_plugin.parsing import load as loading
from ingest_plugin.parsing.credits import CreditsScan
from ingest_plugin.parsing.extract.body import (
    is_promo,
    mark_line_breaks,
    offers_related_stories,
    promo_blocks,
    remove_all,
    text_blocks,
    text_of,
    ticker_links,
)
from ingest_plugin.parsing.extract.dateline import find_dateline, only_links, without_dateline
from ingest_plugin.parsing.extract.media import credit_line, lift_pictures, lift_tweets, same_image
from ingest_plugin.parsing.model import DERIVED_HEADLINE_NOTE, Article, Draft, ItemResult, Picture, Tweet
from ingest_plugin.parsing.ninjs import WITHDRAWN_BODY, to_ninjs
from ingest_plugin.parsing.sanitize import sanitize_body, sanitize_embed
from ingest_plugin.parsing.text import clean, headline_from_text, is_web_url
from ingest_plugin.parsing.urls import Use, url_problem
from ingest_plugin.parsing.validate import validate_document


def parse_items(data: bytes, *, input_name: str = "-", source_url: str | None = None,
                input_format: str | None = None, content_type: str | None = None,
                max_bytes: int = DEFAULT_MAX_BYTES, published: datetime | None = None) -> Iterator[ItemResult]:
    """Every article in one input, as a validated ninjs document or a coded error.

    ``published``: the publication date the job knows (the date of the feed item that listed a page), for an
    article whose input states none. Without either, the article is refused: the ingest time is no publication
    date."""
    whole = ItemResult(input_name=input_name, raw=data, source_url=source_url)
    try:
        loaded = loading.load(data, content_type=content_type, source_url=source_url, max_bytes=max_bytes,
                              input_format=input_format)
        items = formats.drafts(loaded)
        first = next(items, None)
    except IngestError as error:
        yield whole.failed(error)
        return
    except Exception as exc:  # noqa: BLE001 - one malformed input must never stop a batch
        yield whole.failed(_unexpected(exc))
        return
    if first is None:
        yield whole.failed(IngestError(ErrorCode.NOT_AN_ARTICLE, "the input holds no article (an empty feed?)",
                                       stage=Stage.EXTRACT))
        return
    for number, (raw, make_draft) in enumerate(chain([first], items), start=1):
        name = input_name if raw is None else f"{input_name}#{number}"
        yield _finish(name, data if raw is None else raw, make_draft, source_url, published)


def parse(data: bytes, *, source_url: str | None = None, input_format: str | None = None,
          content_type: str | None = None) -> list[dict[str, Any]]:
    """Parse partner content into validated ninjs 3.1 documents (one per article).

    Raises :class:`~ingest_plugin.errors.IngestError` for the first article that cannot be parsed; use
    :func:`parse_items` to get every article's outcome instead.
    """
    documents = []
    for result in parse_items(data, source_url=source_url, input_format=input_format, content_type=content_type):
        if result.error is not None:
            raise result.error
        assert result.document is not None  # a result without an error holds its document
        documents.append(result.document)
    return documents


@dataclass(frozen=True)
class _Lifted:
    """A draft whose body gave up its tweets, pictures and credit lines, and, when it named none, its headline."""

    draft: Draft
    tweets: list[Tweet]
    pictures: list[Picture]
    credit_lines: list[str]
    scan: CreditsScan


def _lift(draft: Draft) -> _Lifted:
    """What comes out of the body before the article has its identity: an untitled input's headline is read from
    the text that is left, and the identity of an article without an id or URL is its headline's."""
    body = draft.body
    tweets = lift_tweets(body) if body is not None else []
    pictures = lift_pictures(body, draft.canonical_url) if body is not None else []
    credit_lines, scan = _walk_blocks(draft)
    if not draft.headline:
        draft = _headline_from_body(draft)
    return _Lifted(draft, tweets, pictures, credit_lines, scan)


def build_article(lifted: _Lifted) -> Article:
    """Credits, tickers, dateline, pictures' credits and sanitizing: everything between lifting and mapping."""
    draft, pictures, body = lifted.draft, lifted.pictures, lifted.draft.body
    credits = lifted.scan.finish()
    tickers = draft.tickers
    if body is not None:
        known = {t.symbol for t in tickers}
        tickers = tickers + [t for t in ticker_links(body) if t.symbol not in known]
    located = find_dateline(body)
    featured = [replace(p, name="featured") for p in draft.pictures[:1]
                if p.href.startswith(("http://", "https://")) and is_web_url(p.href)
                and not any(same_image(p.href, q.href) for q in pictures)]
    remaining = iter(lifted.credit_lines)  # photo credit lines go, in order, to the pictures that have none
    credited = []
    for picture in featured + pictures:
        if not picture.credit and (credit := next(remaining, None)) is not None:
            picture = replace(picture, credit=credit)
        credited.append(picture)
    credited, tweets = _on_allowed_hosts(draft, credited, lifted.tweets)
    body_html = sanitize_body(body) if body is not None else ""
    return Article(draft=draft, credits=credits, body_html=body_html, pictures=credited,
                   tweets=[replace(tweet, html=sanitize_embed(tweet.html)) for tweet in tweets], located=located,
                   summary=lifted.scan.summary(), tickers=tickers)


# Text blocks read for an untitled input's headline: its opening, not the whole story.
_HEADLINE_LOOK = 8


def _headline_from_body(draft: Draft) -> Draft:
    """An input that names no title is no reason to lose its story: it is published under its first sentence,
    which ``parse --explain`` names as the headline's source. Not from a block of links (a ticker, a tag list), a
    label introducing what follows ("Watch the video below:"), a list item or a dateline alone."""
    body = draft.body
    blocks = islice((block for block in text_blocks(body) if block.tag not in _NOT_HEADLINE_BLOCKS), _HEADLINE_LOOK) \
        if body is not None else iter(())
    headline = next((headline for block in blocks if (text := clean(text_of(block)))
                     and not text.endswith((":", "：")) and not only_links(block, text)
                     and _has_words(headline := headline_from_text(without_dateline(text)))), None)
    if headline is None:
        raise IngestError(ErrorCode.NOT_AN_ARTICLE, "the input names no title, and its text opens with no sentence "
                                                    "to take one from", stage=Stage.EXTRACT)
    return replace(draft, headline=headline, editor_notes=(*draft.editor_notes, DERIVED_HEADLINE_NOTE),
                   sources={**draft.sources, "headline": "the first sentence of the body: the input names no title"})


_NOT_HEADLINE_BLOCKS = frozenset({"li", "dt", "dd", "td", "th", "figcaption", "pre"})


def _has_words(text: str) -> bool:
    return any(char.isalnum() for char in text)


def _on_allowed_hosts(draft: Draft, pictures: list[Picture], tweets: list[Tweet]) -> tuple[list[Picture],
                                                                                         list[Tweet]]:
    """The pictures and embeds whose URLs the partner's profile allows (``urls``): one that is not is dropped,
    with a warning, and its placeholder leaves the body, so that the article is published without it."""
    dropped = {p.name for p in pictures if not _allowed(p.name, p.href, draft.partner, Use.MEDIA)} | {
        t.name for t in tweets if not _allowed(t.name, t.uri, draft.partner, Use.EMBED)}
    if not dropped:
        return pictures, tweets
    if draft.body is not None:
        for placeholder in [el for el in draft.body.iter("figure", "div") if el.get("data-association") in dropped]:
            remove_all([placeholder])
    return [p for p in pictures if p.name not in dropped], [t for t in tweets if t.name not in dropped]


def _allowed(name: str, url: str, partner: partners.PartnerProfile, use: Use) -> bool:
    problem = url_problem(url, partner, use)
    if problem is not None:
        get_logger().warning("association_dropped", association=name, reason=problem)
    return problem is None


def _foreign_claim(draft: Draft, served: partners.PartnerProfile) -> str | None:
    """How the content claims to be another partner's article than ``served``'s, or None. Published, such an item
    would be a new version of the other partner's article, credited to it."""
    for url in (draft.canonical_url, *draft.identity_urls):
        owner = partners.partner_for_url(url)
        if owner is not None and owner is not served:
            return f"its URL {url!r} names an article of {owner.name}"
    if draft.partner is not served:
        return f"its content names {draft.partner.name} as its origin"
    return None


def _walk_blocks(draft: Draft) -> tuple[list[str], CreditsScan]:
    """One walk over the body's text blocks: photo credit lines, promos and credit/trailer lines leave the body."""
    scan = CreditsScan(draft)
    credit_lines: list[str] = []
    if draft.body is None:
        return credit_lines, scan
    mark_line_breaks(draft.body)
    leaving: set[Element] = set()  # credit lines and promos, removed together after the walk (linear)
    taken: set[Element] = set()  # lists that leave with a promo heading: their items are skipped
    for index, block in enumerate(list(text_blocks(draft.body))):
        if (parent := block.getparent()) is None or parent in taken:
            continue
        raw = text_of(block)
        text = clean(raw, markup=False)
        if (credit := credit_line(text)) is not None:
            credit_lines.append(credit)
            leaving.add(block)
            continue
        lowered = text.lower()
        related = False
        if is_promo(text, lowered, draft.partner.promo_patterns) or (related := offers_related_stories(block, text)):
            promo = promo_blocks(block, text, leaving, links_only=related)
            leaving.update(promo)
            taken.update(promo[1:])
        else:
            scan.block(block, index, raw, text, lowered)
    remove_all(leaving)
    return [c for c in credit_lines if c], scan


def _finish(input_name: str, raw: bytes, make_draft: Callable[[], Draft], source_url: str | None,
            published: datetime | None) -> ItemResult:
    unparsed = ItemResult(input_name=input_name, raw=raw, source_url=source_url)
    try:
        draft = make_draft()
    except IngestError as error:
        return unparsed.failed(error)
    except Exception as exc:  # noqa: BLE001 - one malformed article must never stop a batch
        return unparsed.failed(_unexpected(exc))
    # The partner whose host served the input; for an input of unknown origin (a file), the one its reader found.
    served = partners.partner_for_url(source_url) or draft.partner
    if (claim := _foreign_claim(draft, served)) is not None:
        return replace(unparsed, partner=served.key).failed(IngestError(
            ErrorCode.PARTNER_MISMATCH, f"the input came from {served.name}, but {claim}", stage=Stage.EXTRACT))
    if draft.canonical_url and (problem := url_problem(draft.canonical_url, served, Use.PAGE)):
        get_logger().warning("canonical_url_dropped", partner=served.key, input=input_name, reason=problem)
        draft = replace(draft, canonical_url=None)  # a syndicated copy's: it must not reach altIds
    try:
        draft = _dated(draft, published)
    except IngestError as error:  # its link, checked above as one of the partner's pages, may still be fetched
        return replace(unparsed, partner=served.key, undated_link=draft.canonical_url).failed(error)
    except Exception as exc:  # noqa: BLE001 - one malformed article must never stop a batch
        return unparsed.failed(_unexpected(exc))
    # Under its article when it has one: an input known by its headline alone has none until its headline is read.
    identified_early = bool(draft.headline or draft.partner_id or draft.canonical_url)
    known = replace(unparsed, partner=draft.partner.key,
                    article_key=draft.identity.article_key if identified_early else None)
    with structlog.contextvars.bound_contextvars(partner=known.partner, article_id=known.article_key,
                                                 input=input_name):
        try:
            lifted = _lift(draft)
        except Exception as exc:  # noqa: BLE001 - one malformed article must never stop a batch
            return known.failed(exc if isinstance(exc, IngestError) else _unexpected(exc))
    draft = lifted.draft
    key = draft.identity.article_key
    identified = replace(unparsed, partner=draft.partner.key, article_key=key)
    started = time.perf_counter()
    with structlog.contextvars.bound_contextvars(partner=draft.partner.key, article_id=key, input=input_name):
        try:
            article = build_article(lifted)
            if not article.body_html and not draft.removed:
                raise IngestError(ErrorCode.NOT_AN_ARTICLE, "nothing of the article body is left after removing "
                                                            "site chrome and credits", stage=Stage.EXTRACT)
            if not article.body_html:
                article = replace(article, body_html=WITHDRAWN_BODY)
            document = to_ninjs(article)
            validate_document(document)
            get_logger().debug("parsed", stage=Stage.PARSE, format=draft.input_format,
                               duration_ms=round((time.perf_counter() - started) * 1000, 2))
        except IngestError as error:
            return identified.failed(error)
        except Exception as exc:  # noqa: BLE001 - one malformed article must never stop a batch
            return identified.failed(_unexpected(exc))
    return replace(identified, document=document, source_url=draft.canonical_url or source_url,
                   sources=_sources(article))


def _dated(draft: Draft, published: datetime | None) -> Draft:
    """The draft with a publication date: its own; else the time the job supplies (a feed item's), unless the
    draft states its creation or update time or its permalink names another day; else its permalink's day. Refused
    without any date. A withdrawal needs none: it only cancels what was published.

    A feed item's time may be its last update (an Atom entry without ``<published>``): on another day than the
    permalink's, the permalink's day is when the story first ran."""
    if draft.published or draft.removed:
        return draft
    day = draft.permalink_day
    if published is not None and not (draft.created or draft.modified):
        # A time without an offset is the partner's newsroom time, as in its pages.
        stated = published if published.tzinfo else published.replace(tzinfo=draft.partner.zone)
        if day is None or stated.astimezone(draft.partner.zone).date() == day.date():
            return replace(draft, published=stated,
                           sources={**draft.sources, "published": "the job: the date of the feed item that listed it"})
    if day is not None:
        return replace(draft, published=day, sources={**draft.sources, "published": "the date in the page's permalink"})
    if draft.created or draft.modified:
        return draft
    raise IngestError(ErrorCode.NOT_AN_ARTICLE, "no publication date anywhere in the input (metadata, time "
                                                "elements, visible text) and none supplied by the job: an undated "
                                                "page is no article we can publish", stage=Stage.EXTRACT)


def _sources(article: Article) -> dict[str, str]:
    """Where each field of the article came from (``parse --explain``): the reader's, the credits', the body's."""
    sources = {**article.draft.sources, **article.credits.sources}
    if article.located:
        sources["located"] = "the dateline opening the body"
    if article.tickers != article.draft.tickers:
        sources["tickers"] = "stock links in the body" + (", and " + sources["tickers"] if "tickers" in sources else "")
    if article.tweets:
        sources["tweets"] = "tweet embeds in the body"
    return sources


def _unexpected(exc: Exception) -> IngestError:
    """A parser bug met on strange input: reported as a coded error (kept for replay), logged for developers."""
    logger = get_logger()
    logger.error("unexpected_parse_error", error=type(exc).__name__, detail=str(exc)[:300])
    logger.debug("unexpected_parse_error_traceback", exc_info=exc)
    return IngestError(ErrorCode.NOT_AN_ARTICLE, f"the input could not be parsed ({type(exc).__name__}: "
                                                 f"{str(exc)[:200]})", stage=Stage.EXTRACT)
