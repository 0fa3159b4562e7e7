"""Dataclasses that cross stage boundaries.

Data flows one way: ``load`` gives a :class:`Loaded` input, a format reader splits it into :class:`Draft` articles
(raw fields, body still an lxml tree), ``credits`` turns raw byline and trailer text into a :class:`Credits`, and
``ninjs`` maps the finished :class:`Article` onto a document. Every class here is frozen: a later stage builds new
values and never edits an earlier stage's output (the draft's body tree, the one working copy, aside).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ingest_plugin.partners.identity import Identity

if TYPE_CHECKING:
    from lxml.etree import _Element as Element

    from ingest_plugin.errors import IngestError
    from ingest_plugin.partners import PartnerProfile


@dataclass(frozen=True)
class Loaded:
    """One input, decoded: NFC text plus what kind of content it is."""

    text: str
    kind: str  # "html", "xml" or "json"
    encoding: str
    tree: Any  # lxml root element for html/xml, the decoded value for json
    source_url: str | None = None
    content_type: str | None = None


@dataclass(frozen=True)
class Picture:
    href: str
    caption: str | None = None
    credit: str | None = None
    alt: str | None = None
    width: int | None = None
    height: int | None = None
    featured: bool = False
    name: str = ""  # association name; the body placeholder points at it


@dataclass(frozen=True)
class Tweet:
    uri: str
    handle: str | None
    html: str  # the embed markup (blockquote), sanitized later
    caption: str | None = None
    name: str = ""


@dataclass(frozen=True)
class Ticker:
    symbol: str
    exchange: str | None = None
    name: str | None = None


# How every note of ours for the receiving editors starts (``edNote``): after a version note ("Update: …") in later
# versions, a restore finds it by this.
INGEST_NOTE = "Ingest note:"
DERIVED_HEADLINE_NOTE = (f"{INGEST_NOTE} the headline is the story's first sentence, as the source names no title; "
                         "write one before publishing.")


@dataclass(frozen=True)
class Draft:
    """What a source module read from one article, before credits and sanitizing.

    ``body`` is an lxml element holding only the article content (chrome already removed): the one working tree of
    the article, which the ``credits`` and ``media`` stages edit in place before ``sanitize`` serializes it once.
    Every other field is final: later stages build new values (see :class:`Article`) instead of editing these.
    """

    partner: "PartnerProfile"
    input_format: str
    headline: str | None
    body: "Element | None"
    subhead: str | None = None
    summary: str | None = None
    byline_candidates: list[tuple[str, str]] = field(default_factory=list)  # (where found, raw text)
    published: datetime | None = None
    modified: datetime | None = None
    created: datetime | None = None
    canonical_url: str | None = None
    # The other URLs the input gives for the article (og:url, shortlink, a URL guid): none may be another
    # partner's (pipeline: partner_mismatch).
    identity_urls: tuple[str, ...] = ()
    partner_id: str | None = None
    language: str | None = None
    keywords: list[str] = field(default_factory=list)
    tickers: list[Ticker] = field(default_factory=list)
    pictures: list[Picture] = field(default_factory=list)  # from metadata (featured image, API image list)
    site_names: list[str] = field(default_factory=list)  # og:site_name, publisher: never a person
    copyright_holder: str | None = None
    removed: bool = False  # the partner withdrew the story (webhook action "Removed")
    # The day a dated permalink names ("/2024/03/12/slug/"), for a page that states no publication date: the
    # job's time (a feed item's) refines it when it falls on that day (``pipeline._dated``).
    permalink_day: datetime | None = None
    # Where each field came from (a field name -> the source or rule that gave it), for ``parse --explain``.
    sources: dict[str, str] = field(default_factory=dict)
    # What the receiving editors should check before they publish (the document's ``edNote``, staff-only): each
    # starts with INGEST_NOTE, which a later version's own note keeps apart from it.
    editor_notes: tuple[str, ...] = ()

    def fingerprint(self) -> str:
        """Identity of last resort, for an article with neither a partner id nor a URL."""
        return f"{self.headline}|{self.published.isoformat() if self.published else ''}"

    @property
    def identity(self) -> Identity:
        return Identity.of_article(self.partner, self.partner_id, self.canonical_url, self.fingerprint())


@dataclass(frozen=True)
class Person:
    name: str


@dataclass(frozen=True)
class Credits:
    authors: list[Person] = field(default_factory=list)
    editors: list[Person] = field(default_factory=list)
    distributor: str | None = None  # partner profile key of the distributing partner
    disclaimers: list[str] = field(default_factory=list)
    disclaimer_added: bool = False  # the source dropped the canonical disclaimer; we added it (fail closed)
    sources: dict[str, str] = field(default_factory=dict)  # as Draft.sources: authors, editors, distributor…


@dataclass(frozen=True)
class Article:
    """A finished article: every field the ninjs mapping needs, the body sanitized."""

    draft: Draft
    credits: Credits
    body_html: str
    pictures: list[Picture]
    tweets: list[Tweet]
    located: str | None
    summary: str | None  # the draft's, less a byline an RSS excerpt repeats
    tickers: list[Ticker]  # the draft's, and those linked in the body


@dataclass(frozen=True)
class ItemResult:
    """The outcome for one article of one input: a validated document, or a coded error.

    ``raw`` is the item's own payload (the whole input for a page, one ``<item>`` or JSON story for a feed), kept so
    that a failure can be stored for replay.
    """

    input_name: str
    raw: bytes
    document: dict[str, Any] | None = None
    error: "IngestError | None" = None
    partner: str | None = None  # partner profile key, e.g. "zenger"
    article_key: str | None = None  # stable, S3-safe key of the article (same across versions)
    source_url: str | None = None
    sources: dict[str, str] = field(default_factory=dict)  # where each field came from (``parsing.explain``)
    # The link of a feed item refused only for stating no date, once it passed the partner and URL checks: a
    # partner whose article pages are fetched reads the date from the page, so the page is still worth fetching.
    undated_link: str | None = None
    # A replay of a payload kept under failed/: when those bytes were read. Its text is as old as that, so a version
    # built later holds newer text, which the replay does not overwrite (``superseded``).
    kept_at: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def failed(self, error: IngestError) -> ItemResult:
        """This item, failed with ``error`` (named after the item's input): the one way error results are made."""
        return replace(self, error=error.for_input(self.input_name))
