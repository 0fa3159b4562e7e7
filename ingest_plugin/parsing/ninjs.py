"""Stage 5, map: a finished :class:`Article` -> an IPTC ninjs 3.1 document (the output contract in README.md).

ninjs has no author, editor, provider or disclaimer property and its root is closed, so credits go to
``infoSources`` with IPTC content-production-party roles, disclaimers to ``descriptions`` (role ``disclaimer``),
photos and tweets to ``associations``.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from itertools import filterfalse
from typing import Any
from urllib.parse import urlsplit

from ingest_plugin import partners
from ingest_plugin.errors import ErrorCode, IngestError, Stage
from ingest_plugin.parsing.model import Article, Draft, Picture, Tweet
from ingest_plugin.parsing.names import display_byline
from ingest_plugin.parsing.text import clean, clean_words, rfc3339
from ingest_plugin.parsing.urls import Use, url_problem
from ingest_plugin.partners.identity import Identity

NINJS_STANDARD = {"name": "ninjs", "version": "3.1", "schema": "http://www.iptc.org/std/ninjs/ninjs-schema_3.1.json"}
PROFILE = "ingest-plugin/partner-article/1"
ROLE = "http://cv.iptc.org/newscodes/contentprodpartyrole/"
AUTHOR, EDITOR, ORIGIN, DISTRIBUTOR = (ROLE + r for r in ("author", "editor", "origcont", "distributor"))
_WORD = re.compile(r"\w+(?:['’-]\w+)*")
_EDGE_PUNCTUATION = ".,;:!?\"'’‘“”()[]-–—…"  # no word character: stripping it changes no match of _WORD
_TAG = re.compile(r"<[^>]+>")
# Categories and sections that name no topic: WordPress's default category, a static site's section of posts.
_NO_TOPIC = frozenset({"uncategorized", "uncategorised", "posts", "post", "blog", "articles", "article"})
_IMAGE_TYPES = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif",
                "webp": "image/webp", "avif": "image/avif"}


def to_ninjs(article: Article) -> dict[str, Any]:
    draft, credits, partner = article.draft, article.credits, article.draft.partner
    uri = draft.identity.uri
    first = draft.published or draft.created or draft.modified or _withdrawn_at(draft)
    version_time = max(draft.modified or first, first)
    doc: dict[str, Any] = {
        "uri": uri,
        "standard": dict(NINJS_STANDARD),
        "type": "text",
        "representationType": "full",
        "profile": PROFILE,
        "version": "1",
        "pubStatus": "canceled" if draft.removed else "usable",
        "firstCreated": rfc3339(first),
        "versionCreated": rfc3339(version_time),
    }
    if draft.created and draft.created != first:
        doc["contentCreated"] = rfc3339(draft.created)
    if draft.editor_notes:
        doc["edNote"] = " ".join(draft.editor_notes)
    doc["language"] = _language(draft.language)
    doc["headlines"] = [{"role": "main", "contentType": "text/plain", "value": draft.headline}]
    if draft.subhead:
        doc["headlines"].append({"role": "subhead", "contentType": "text/plain", "value": draft.subhead})
    authors = [a.name for a in credits.authors]
    doc["by"] = display_byline(authors) if authors else partner.name
    doc["infoSources"] = (
        [{"name": name, "role": AUTHOR} for name in authors]
        + [{"name": e.name, "role": EDITOR} for e in credits.editors]
        + [_party(partner, ORIGIN)]
        + ([_party(partners.by_key(credits.distributor), DISTRIBUTOR)] if credits.distributor else []))
    doc["copyrightHolder"] = draft.copyright_holder if partners.partner_named(draft.copyright_holder) else partner.name
    doc["copyrightNotice"] = f"Copyright {first.year} {doc['copyrightHolder']}"
    doc["descriptions"] = [{"role": "disclaimer", "contentType": "text/plain", "value": d} for d in credits.disclaimers]
    summary = clean(article.summary)
    if article.summary and summary not in (draft.subhead, draft.headline):
        doc["descriptions"].append({"role": "summary", "contentType": "text/plain", "value": summary})
    words = clean_words(_TAG.sub(" ", article.body_html), markup=False)  # the text of the body: "<" is text
    doc["bodies"] = [{"role": "main", "contentType": "text/html", "value": article.body_html,
                      "charCount": len(" ".join(words)), "wordCount": _word_count(words)}]
    if article.located:
        doc["located"] = article.located
    if keywords := [k for k in dict.fromkeys(draft.keywords) if k.lower() not in _NO_TOPIC]:
        doc["subjects"] = [{"name": k, "rel": "keyword"} for k in keywords]
    if article.tickers:
        doc["organisations"] = [{"name": t.name or t.symbol, "rel": "mentions",
                                 "symbols": [{"symbol": t.symbol, **({"exchange": t.exchange} if t.exchange else {}),
                                              "symbolType": "http://cv.iptc.org/newscodes/financialinstrumentsymboltype/ticker"}]}
                                for t in article.tickers]
    doc["altIds"] = ([{"role": partner.id_role, "value": draft.partner_id}] if draft.partner_id else []) + (
        [{"role": "canonical-url", "value": draft.canonical_url}] if draft.canonical_url else [])
    associations = [_picture(uri, p) for p in article.pictures] + [_tweet(t) for t in article.tweets]
    if associations:
        doc["associations"] = associations
    if not doc["altIds"]:
        del doc["altIds"]
    return doc


def _withdrawn_at(draft: Draft) -> datetime:
    """The time of a withdrawal that states no date (it is news now; the publisher keeps the first version's
    dates); any other undated article is refused before it gets here (``pipeline``): never the ingest time."""
    if not draft.removed:
        raise IngestError(ErrorCode.NOT_AN_ARTICLE, "no publication date in the input", stage=Stage.EXTRACT)
    return datetime.now(timezone.utc)


def _word_count(words: list[str]) -> int:
    """``len(_WORD.findall(" ".join(words)))`` in a fraction of the time: a word of letters and digits only is one
    match, and so is one with only punctuation around it (no word character is stripped, so no match changes);
    the regex only reads what is left ("U.S.", "2,000", "—")."""
    cores = [word.strip(_EDGE_PUNCTUATION) for word in filterfalse(str.isalnum, words)]
    rest = list(filterfalse(str.isalnum, cores))
    return len(words) - len(rest) + len(_WORD.findall(" ".join(rest)))


def _party(profile: partners.PartnerProfile, role: str) -> dict[str, str]:
    return {"name": profile.name, "role": role, "uri": profile.homepage}


def _language(tag: str | None) -> str:
    tag = (tag or "en").replace("_", "-").strip()
    return tag if re.fullmatch(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*", tag) else "en"


def _picture(uri: str, picture: Picture) -> dict[str, Any]:
    name = picture.name
    rendition: dict[str, Any] = {"name": "original", "href": picture.href}
    extension = urlsplit(picture.href).path.rsplit(".", 1)[-1].lower()
    if extension in _IMAGE_TYPES:
        rendition["contentType"] = _IMAGE_TYPES[extension]
    if picture.width:
        rendition["width"] = picture.width
    if picture.height:
        rendition["height"] = picture.height
    association: dict[str, Any] = {"name": name, "rel": "featured" if picture.featured else "inline",
                                   "uri": f"{uri}:{name}", "type": "picture"}
    if picture.credit:
        association["by"] = picture.credit
        association["copyrightNotice"] = picture.credit
    descriptions = []
    if picture.caption:
        descriptions.append({"role": "caption", "contentType": "text/plain", "value": picture.caption})
    if picture.alt and picture.alt != picture.caption:
        descriptions.append({"role": "alt", "contentType": "text/plain", "value": picture.alt})
    if descriptions:
        association["descriptions"] = descriptions
    association["renditions"] = [rendition]
    return association


def _tweet(tweet: Tweet) -> dict[str, Any]:
    association: dict[str, Any] = {"name": tweet.name, "rel": "embedded", "uri": tweet.uri, "type": "text"}
    if tweet.handle:
        association["by"] = tweet.handle
    association["bodies"] = [{"role": "embed", "contentType": "text/html", "value": tweet.html}]
    if tweet.caption:
        association["descriptions"] = [{"role": "caption", "contentType": "text/plain", "value": tweet.caption}]
    association["renditions"] = [{"name": "web", "href": tweet.uri, "contentType": "text/html"}]
    return association


def document_canonical_url(document: dict[str, Any]) -> str | None:
    """The partner's canonical URL recorded in a document's ``altIds``."""
    return next((a.get("value") for a in document.get("altIds", []) if a.get("role") == "canonical-url"), None)


WITHDRAWN_BODY = "<p>This story was withdrawn by the partner.</p>"


def withdrawal(document: dict[str, Any]) -> dict[str, Any]:
    """A kill of ``document`` that today's checks accept whatever it holds: a version published under older rules
    may carry a picture host or a URL they now refuse, and a kill must never be refused for that. Identity, dates,
    headline, credits and disclaimer stay; the body becomes the withdrawal notice; pictures and embeds go; a URL
    altId goes when the URL check refuses it."""
    partner = Identity.of_uri(document.get("uri", "")).partner
    profile = partners.by_key(partner)
    kept = {key: value for key, value in document.items() if key != "associations"}
    kept["bodies"] = [{**document["bodies"][0], "value": WITHDRAWN_BODY}]
    alt_ids = [a for a in document.get("altIds", []) if a.get("role") != "canonical-url"
               or url_problem(a.get("value"), profile, Use.PAGE) is None]
    if alt_ids:
        kept["altIds"] = alt_ids
    else:
        kept.pop("altIds", None)
    return kept
