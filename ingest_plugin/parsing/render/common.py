"""What every rendering shares: reading the canonical document, dates, the disclaimer paragraph, the body's markers,
the stable id of a picture, the G2 provider of each partner, and the body allow-list every rendering is held to.

Pure: no I/O. No regular expression here runs on untrusted text except the date patterns, which are anchored and have
no nested quantifiers (linear).
"""
from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

from lxml import etree

from ingest_plugin import partners
from ingest_plugin.errors import ErrorCode, IngestError, Stage
from ingest_plugin.parsing.load import fragment_holder
from ingest_plugin.parsing.sanitize import BODY_ATTRIBUTES, BODY_TAGS, EMBED_ATTRIBUTES, EMBED_TAGS
from ingest_plugin.partners.identity import Identity

ROLE = "http://cv.iptc.org/newscodes/contentprodpartyrole/"
AUTHOR, EDITOR, ORIGIN, DISTRIBUTOR = (ROLE + r for r in ("author", "editor", "origcont", "distributor"))
LINK_REL = "noopener noreferrer nofollow"  # what the sanitiser gives every link


def invalid(profile: str, problems: Iterable[str]) -> IngestError:
    """The coded error of a rendering that fails its checks: nothing of the version is written."""
    found = list(problems)
    return IngestError(ErrorCode.INVALID_DOCUMENT, f"{profile} rendering: " + "; ".join(found[:10]),
                       stage=Stage.VALIDATE)


def partner_key(document: dict[str, Any]) -> str:
    return Identity.of_uri(document["uri"]).partner


@dataclass(frozen=True)
class Provider:
    """What NewsML-G2 needs of a partner and ninjs has no place for: ``itemMeta/provider``."""

    name: str
    uri: str


def provider(document: dict[str, Any]) -> Provider:
    """The G2 provider of a version: its partner profile's name and homepage (partner data, not code)."""
    profile = partners.by_key(partner_key(document))
    return Provider(profile.name, profile.homepage)


# --- dates -----------------------------------------------------------------------------------------------------------

def utc_seconds(value: str) -> str:
    """An RFC 3339 time as UTC, ``+00:00``, without fractions: the only shape Superdesk's ninjs parser reads
    (it accepts ``+0000``, ``Z`` and ``+00:00``, nothing else, and no fraction)."""
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"a time without an offset: {value!r}")
    return parsed.astimezone(timezone.utc).replace(microsecond=0).isoformat()


# --- reading the canonical document ---------------------------------------------------------------------------------

def headline(document: dict[str, Any], role: str) -> str | None:
    return next((h["value"] for h in document.get("headlines", ()) if h.get("role") == role), None)


def descriptions(document: dict[str, Any], role: str) -> list[str]:
    return [d["value"] for d in document.get("descriptions", ()) if d.get("role") == role]


def sources(document: dict[str, Any], role: str) -> list[dict[str, Any]]:
    return [s for s in document.get("infoSources", ()) if s.get("role") == role]


def alt_id(document: dict[str, Any], role_suffix: str) -> str | None:
    return next((a["value"] for a in document.get("altIds", ()) if a["role"].endswith(role_suffix)), None)


def body_html(document: dict[str, Any]) -> str:
    return str(document["bodies"][0]["value"])


def pictures(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [a for a in document.get("associations", ()) if a.get("type") == "picture"]


def tweets(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [a for a in document.get("associations", ()) if a.get("type") != "picture"]


def description_of(association: dict[str, Any], role: str) -> str | None:
    return next((d["value"] for d in association.get("descriptions", ()) if d.get("role") == role), None)


def embed_html(tweet: dict[str, Any]) -> str:
    return str(tweet["bodies"][0]["value"]) if tweet.get("bodies") else ""


def picture_href(picture: dict[str, Any]) -> str:
    return str(picture["renditions"][0]["href"])


def picture_ids(document: dict[str, Any]) -> dict[str, str]:
    """Each picture's own stable id, by its association name: from the article's ``uri`` and the picture's image URL,
    never its position, so the same photo keeps its id when the partner reorders, adds or removes photos. A picture
    showing the same image as one before it (another crop, another caption) adds its name ("photo-3", its place
    among the story's photos): two items, two ids."""
    ids, seen = {}, set()
    for picture in pictures(document):
        href = picture_href(picture)
        key = href if href not in seen else f"{href}\n{picture['name']}"
        seen.add(href)
        ids[picture["name"]] = f"{document['uri']}:picture-{hashlib.sha256(key.encode('utf-8')).hexdigest()[:16]}"
    return ids


def picture_slug(picture_id: str) -> str:
    """The tail of a picture's id: ``picture-<16 hex>``, safe in an S3 key and a file name."""
    return picture_id.rsplit(":", 1)[1]


# --- the body --------------------------------------------------------------------------------------------------------

def marker(name: str, tag: str) -> str:
    """A body placeholder exactly as the sanitiser writes it: ``<figure data-association="photo-1"></figure>``."""
    return f'<{tag} data-association="{name}"></{tag}>'


_NEEDLE = ' data-association="'


def replace_markers(body: str, replace: Callable[[dict[str, Any]], str], associations: Iterable[dict[str, Any]]
                    ) -> str:
    """``body`` with each association's placeholder (:func:`marker`) replaced by ``replace(association)``, in one
    forward pass of plain string searches: linear in the body, however many associations. A placeholder of another
    shape stays, and the rendering's own checks then refuse the rendering."""
    wanted = {a["name"]: a for a in associations}
    if not wanted:
        return body
    parts: list[str] = []
    done = search = 0
    while (at := body.find(_NEEDLE, search)) >= 0:
        search = at + len(_NEEDLE)
        end = body.find('"', search)
        if end < 0:
            break
        association = wanted.get(body[search:end])
        if association is None:
            continue
        tag = "figure" if association.get("type") == "picture" else "div"
        start, closing = at - len(tag) - 1, f"></{tag}>"
        if start < done or not body.startswith("<" + tag, start) or not body.startswith(closing, end + 1):
            continue
        parts += [body[done:start], replace(association)]
        done = search = end + 1 + len(closing)
    parts.append(body[done:])
    return "".join(parts)


def disclaimer_paragraphs(document: dict[str, Any]) -> str:
    """The partner disclaimers as paragraphs of their own, to end a body whose reader sees no disclaimer field."""
    return "".join(f"<p>{html.escape(text, quote=False)}</p>" for text in descriptions(document, "disclaimer"))


def with_disclaimer(document: dict[str, Any], body: str) -> str:
    return body + disclaimer_paragraphs(document)


# --- the allow-list every rendered body is held to -----------------------------------------------------------------

@dataclass(frozen=True)
class BodyPolicy:
    """What a rendered body may hold: the sanitiser's body and embed allow-lists (a body carries tweets' embeds),
    plus what one profile adds (Superdesk's pictures and their embed comments)."""

    tags: frozenset[str]
    attributes: dict[str, frozenset[str]]
    classes: dict[str, frozenset[str]]
    comments: Callable[[str], bool] = lambda _text: False  # which comment texts are allowed
    image_sources: frozenset[str] = frozenset()  # img/@src must be one of these


def _merged(*maps: dict[str, set[str]]) -> dict[str, frozenset[str]]:
    merged: dict[str, set[str]] = {}
    for mapping in maps:
        for tag, names in mapping.items():
            merged.setdefault(tag, set()).update(names)
    return {tag: frozenset(names) for tag, names in merged.items()}


BODY_POLICY = BodyPolicy(
    tags=frozenset(BODY_TAGS | EMBED_TAGS),
    attributes=_merged(BODY_ATTRIBUTES, EMBED_ATTRIBUTES, {"a": {"rel"}, "blockquote": {"class"}}),
    classes={"blockquote": frozenset({"twitter-tweet"})},
)
EMBED_POLICY = BodyPolicy(tags=frozenset(EMBED_TAGS), attributes=_merged(EMBED_ATTRIBUTES, {"a": {"rel"},
                                                                                            "blockquote": {"class"}}),
                          classes={"blockquote": frozenset({"twitter-tweet"})})
_URL_ATTRIBUTES = frozenset({"href", "cite", "src"})


def _web_url(value: str, *, mailto: bool) -> bool:
    if mailto and value.startswith("mailto:") and len(value) > 7:
        return True
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and not any(c in value for c in ' "\'<>`')


def parse_fragment(markup: str) -> etree._Element:
    """An HTML fragment under one ``<div>`` (libxml2's HTML parser: linear, no network, no entities expanded beyond
    HTML's own; comments kept, for the embeds Superdesk marks with them)."""
    holder = fragment_holder(markup or "", _FRAGMENT_PARSER)
    if holder is None:
        raise etree.ParserError(f"the markup holds no body: {markup[:80]!r}")
    return holder


_FRAGMENT_PARSER = etree.HTMLParser(no_network=True)


def body_problems(where: str, root: etree._Element, policy: BodyPolicy, *, skip: frozenset[str] = frozenset()
                  ) -> Iterator[str]:
    """Every element, attribute, class, link and comment under ``root`` that ``policy`` does not allow (``root``
    itself and the tags in ``skip`` are wrappers). Works on HTML trees and on XHTML (namespace dropped)."""
    for element in root.iter():
        tag = element.tag
        if element is root:
            continue
        if not isinstance(tag, str):
            if isinstance(element, etree._Comment) and policy.comments(element.text or ""):
                continue
            yield f"{where}: holds a comment or processing instruction the body allow-list does not keep"
            continue
        name = etree.QName(tag).localname if tag.startswith("{") else tag
        if name in skip:
            continue
        if name not in policy.tags:
            yield f"{where}: holds a <{name}> element, which the body allow-list does not keep"
            continue
        allowed = policy.attributes.get(name, frozenset())
        for attribute, value in element.attrib.items():
            attribute = str(attribute)
            if attribute not in allowed:
                yield f"{where}: <{name}> holds the attribute {attribute}, which the body allow-list does not keep"
            elif attribute == "class" and set(str(value).split()) - policy.classes.get(name, frozenset()):
                yield f"{where}: <{name}> holds the class {value!r}, which the body allow-list does not keep"
            elif attribute == "rel" and value != LINK_REL:
                yield f"{where}: <a> holds rel={value!r}, not {LINK_REL!r}"
            elif attribute in _URL_ATTRIBUTES and not _web_url(str(value), mailto=attribute == "href"):
                yield f"{where}: <{name}> links to {str(value)[:80]!r}, not an http(s) or mailto URL"
            elif attribute == "src" and value not in policy.image_sources:
                yield f"{where}: <img> shows {str(value)[:80]!r}, which is none of the document's pictures"


def ends_with_disclaimers(document: dict[str, Any], body: str) -> bool:
    """Whether ``body`` ends with the document's disclaimer paragraphs (the reader sees no disclaimer field)."""
    return body.endswith(disclaimer_paragraphs(document))


_RFC3339 = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})")


def is_rfc3339(value: str | None) -> bool:
    if value is None or not _RFC3339.fullmatch(value):
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True
