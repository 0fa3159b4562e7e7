"""Atom 1.0 feeds (WordPress's ``/feed/atom/``), read as the RSS reader reads RSS 2.0: one draft per ``<entry>``.

An entry's ``content`` and ``summary`` are text constructs (``type="html"``: escaped markup; ``"xhtml"``: a
``<div>`` of XHTML; ``"text"``: plain text), its id is WordPress's ``?p=N`` guid, ``published`` its first date and
``updated`` its version's.
"""
from __future__ import annotations

from copy import deepcopy
from functools import partial
from html import escape as escape_html
from typing import Callable, Iterator
from xml.sax.saxutils import escape, quoteattr

from lxml import etree

from ingest_plugin import partners
from ingest_plugin.parsing.extract.body import paragraphize, strip_chrome, strip_yoast_footer, text_of
from ingest_plugin.parsing.formats.rss import featured_pictures
from ingest_plugin.parsing.load import parse_html_fragment
from ingest_plugin.parsing.model import Draft, Loaded
from ingest_plugin.parsing.text import canonical_url, clean, parse_datetime

ATOM = "http://www.w3.org/2005/Atom"
NS = {"a": ATOM, "media": "http://search.yahoo.com/mrss/"}
_FEED, _ENTRY = f"{{{ATOM}}}feed", f"{{{ATOM}}}entry"
_MEDIA_IMAGE = etree.XPath("media:content[@url] | media:group/media:content[@url] | media:thumbnail[@url]",
                           namespaces=NS)
_ENCLOSURE_IMAGE = etree.XPath("a:link[@rel='enclosure'][starts-with(@type,'image')][@href]", namespaces=NS)
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_ALTERNATE = etree.XPath("a:link[not(@rel) or @rel='alternate'][@href]/@href", namespaces=NS)


def can_read(loaded: Loaded) -> bool:
    """A whole Atom feed, or one entry on its own."""
    return loaded.kind == "xml" and loaded.tree.tag in (_FEED, _ENTRY)


def read(loaded: Loaded) -> Iterator[tuple[bytes, Callable[[], Draft]]]:
    feed = loaded.tree
    if feed.tag == _ENTRY:
        feed = etree.Element(_FEED, nsmap={None: ATOM})
        feed.append(loaded.tree)
    generator = clean(feed.findtext("a:generator", namespaces=NS)).lower()
    feed_link = next(iter(_ALTERNATE(feed)), None) or feed.get("{http://www.w3.org/XML/1998/namespace}base")
    # The host that served the feed first: a feed's own link could claim any partner.
    feed_profile = partners.partner_for_url(loaded.source_url) or partners.partner_for_url(feed_link)
    context = _feed_context(feed_link, generator)
    language = clean(feed.get(_XML_LANG)) or None
    opening = f'<feed xmlns="{ATOM}"{f" xml:lang={quoteattr(language)}" if language else ""}>'.encode()
    for entry in feed.iterchildren(_ENTRY):
        raw = b"".join((opening, context, etree.tostring(entry, encoding="utf-8"), b"</feed>"))
        yield raw, partial(_entry_draft, entry, feed_profile, "wordpress" in generator, language)


def _feed_context(link: str | None, generator: str) -> bytes:
    """What an entry's kept payload needs from its feed to parse alone the same way (partner and format)."""
    link_field = f'<link rel="alternate" href={quoteattr(link)}/>' if link else ""
    generator_field = f"<generator>{escape(generator)}</generator>" if generator else ""
    return (link_field + generator_field).encode("utf-8")


def _entry_draft(entry: etree._Element, feed_profile: partners.PartnerProfile | None, wordpress: bool,
                 feed_language: str | None) -> Draft:
    headline = clean(_markup(entry.find("a:title", namespaces=NS)))
    link = canonical_url(next(iter(_ALTERNATE(entry)), None))
    guid = clean(entry.findtext("a:id", namespaces=NS))
    content = entry.find("a:content", namespaces=NS)
    summary = _markup(entry.find("a:summary", namespaces=NS))
    body = parse_html_fragment(_markup(content) if content is not None else summary)
    strip_chrome(body)
    paragraphize(body)
    excerpt = strip_yoast_footer(clean(text_of(parse_html_fragment(summary)))) if content is not None else None
    profile = feed_profile or partners.partner_for_url(link) or partners.detect_partner(
        (guid,), (), lambda: clean(text_of(body)))
    authors = [name for a in entry.iterchildren(f"{{{ATOM}}}author")
               if (name := clean(a.findtext("a:name", namespaces=NS)))]
    published = entry.findtext("a:published", namespaces=NS)
    updated = entry.findtext("a:updated", namespaces=NS)
    language = clean(entry.get(_XML_LANG)) or feed_language
    return Draft(
        partner=profile,
        input_format="wordpress-atom" if wordpress else f"{profile.key}-atom",
        headline=headline,
        body=body,
        summary=excerpt or None,
        byline_candidates=[("atom:author", name) for name in authors],
        # Atom requires only "updated": without "published", the entry's one date is its first.
        published=parse_datetime(published or updated),
        modified=parse_datetime(updated),
        canonical_url=link,
        identity_urls=(guid,) if guid else (),
        partner_id=profile.article_id(guid) or profile.article_id(link or ""),
        keywords=[term for c in entry.iterchildren(f"{{{ATOM}}}category") if (term := clean(c.get("term")))],
        pictures=featured_pictures(_MEDIA_IMAGE(entry)) or featured_pictures(_ENCLOSURE_IMAGE(entry), "href"),
        language=language,
        sources={**({"language": "the Atom entry's xml:lang" if language != feed_language
                     else "the Atom feed's xml:lang"} if language else {}),
                 "headline": "the Atom entry's title", "summary": "the Atom entry's summary",
                 "body": "the Atom entry's content" if content is not None else "the Atom entry's summary",
                 "published": "the Atom entry's published (else updated)",
                 "modified": "the Atom entry's updated", "canonical_url": "the Atom entry's alternate link",
                 "partner_id": f"{profile.name}'s id rules on the entry's id or link",
                 "keywords": "the Atom entry's categories", "pictures": "the Atom entry's media:content or enclosure"},
    )


def _markup(construct: etree._Element | None) -> str:
    """An Atom text construct as HTML markup: escaped HTML as it is, plain text escaped, XHTML serialized."""
    if construct is None:
        return ""
    kind = construct.get("type") or "text"
    if kind == "xhtml":
        div = next(construct.iterchildren(etree.Element), None)
        if div is None:
            return ""
        copy = deepcopy(div)
        for el in copy.iter(etree.Element):
            el.tag = etree.QName(el).localname  # the XHTML namespace means nothing to the HTML reader
        etree.cleanup_namespaces(copy)
        inner = [escape_html(copy.text or "", quote=False)]
        inner += [etree.tostring(child, encoding="unicode", method="html") for child in copy]
        return "".join(inner)
    text = construct.text or ""
    return text if kind == "html" or "html" in kind else escape_html(text, quote=False)
