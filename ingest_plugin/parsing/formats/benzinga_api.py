"""Benzinga JSON: REST API v2 stories (an array, ``author`` a string, RFC 2822 times) and webhook v1 envelopes
(``data.content``, ``authors`` an array, RFC 3339 times, ``action`` Created/Updated/Removed)."""
from __future__ import annotations

import json
import re
from functools import partial
from typing import Any, Callable, Iterator

from ingest_plugin import partners
from ingest_plugin.errors import ErrorCode, IngestError, Stage
from ingest_plugin.parsing.extract.body import paragraphize, strip_chrome
from ingest_plugin.parsing.load import parse_html_fragment
from ingest_plugin.parsing.model import Draft, Loaded, Picture, Ticker
from ingest_plugin.parsing.text import canonical_url, clean, parse_datetime, web_url

_IMAGE_SIZES = ("large", "original", "small", "thumb")
_URLISH = re.compile(r"^\s*https?://\S+\s*$")


def can_read(loaded: Loaded) -> bool:
    return loaded.kind == "json"


def read(loaded: Loaded) -> Iterator[tuple[bytes, Callable[[], Draft]]]:
    data = loaded.tree
    stories = data if isinstance(data, list) else [data]
    for story in stories:
        yield json.dumps(story, ensure_ascii=False).encode("utf-8"), partial(_story_draft, story)


def _story_draft(story: Any) -> Draft:
    if not isinstance(story, dict):
        raise IngestError(ErrorCode.NOT_AN_ARTICLE, "a JSON item is not a story object", stage=Stage.EXTRACT)
    removed = False
    fmt = "benzinga-api"
    if isinstance(story.get("data"), dict) and isinstance(story["data"].get("content"), dict):
        fmt = "benzinga-webhook"
        removed = str(story["data"].get("action", "")).lower() == "removed"
        story = story["data"]["content"]
    title = clean(story.get("title") or story.get("headline"))
    body_html = _html(story.get("body")) or _html(story.get("content"))
    teaser = clean(story.get("teaser") or story.get("teaster") or story.get("summary"))
    if not body_html.strip() and teaser:
        body_html = f"<p>{teaser}</p>"
    if not title or not (body_html.strip() or removed):
        raise IngestError(ErrorCode.NOT_AN_ARTICLE, "the story has no title or no body", stage=Stage.EXTRACT)
    body = parse_html_fragment(body_html)
    strip_chrome(body)
    paragraphize(body)
    profile = partners.by_key("benzinga")
    url = canonical_url(story.get("url") or story.get("link"))
    story_id = clean(story.get("id") or story.get("benzinga_id")) or profile.article_id(url or "")
    authors = story.get("authors") if isinstance(story.get("authors"), list) else [story.get("author")]
    authors = authors if isinstance(authors, list) else []
    authors = [clean(a.get("name") if isinstance(a, dict) else a) for a in authors if a]
    return Draft(
        partner=profile, input_format=fmt, headline=title, body=body,
        summary=teaser if teaser and not _URLISH.match(teaser) else None,
        byline_candidates=[("api", a) for a in authors if a],
        published=parse_datetime(story.get("created") or story.get("created_at") or story.get("published")),
        modified=parse_datetime(story.get("updated") or story.get("updated_at") or story.get("last_updated")),
        canonical_url=url, partner_id=story_id or None,
        keywords=_names(story.get("channels")) + _names(story.get("tags")),
        tickers=_tickers(story), pictures=_featured(story.get("image") or story.get("images")),
        removed=removed, sources=dict(_API_SOURCES))


_API_SOURCES = {"headline": "the story's title", "summary": "the story's teaser", "body": "the story's body",
                "published": "the story's created time", "modified": "the story's updated time",
                "canonical_url": "the story's url", "partner_id": "the story's id", "keywords": "the story's channels "
                "and tags", "tickers": "the story's stocks", "pictures": "the story's image (the largest size)"}


def _html(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _names(values: Any) -> list[str]:
    """The names in order, each once (a dict: a list's membership test made many names quadratic)."""
    names = (clean(value.get("name") if isinstance(value, dict) else value if isinstance(value, str) else "")
             for value in (values if isinstance(values, list) else []))
    return list(dict.fromkeys(name for name in names if name))


def _tickers(story: dict) -> list[Ticker]:
    """The story's stocks in order, the first of each symbol (keyed by symbol: looking through the list for each
    one made many stocks quadratic)."""
    tickers: dict[str, Ticker] = {}
    for stock in [s for key in ("stocks", "securities", "tickers") if isinstance(story.get(key), list)
                  for s in story[key]]:
        if isinstance(stock, str):
            stock = {"name": stock}
        if not isinstance(stock, dict):
            continue
        symbol = clean(stock.get("symbol") or stock.get("name"))
        if symbol and symbol not in tickers:
            tickers[symbol] = Ticker(symbol=symbol, exchange=clean(stock.get("exchange")) or None)
    return list(tickers.values())


def _featured(images: Any) -> list[Picture]:
    if not isinstance(images, list):
        return []
    by_size = {clean(i.get("size")): url for i in images
               if isinstance(i, dict) and (url := web_url(clean(i.get("url"))))}
    for size in _IMAGE_SIZES:
        if by_size.get(size):
            return [Picture(href=by_size[size], featured=True)]
    return [Picture(href=u, featured=True) for u in list(by_size.values())[:1]]
