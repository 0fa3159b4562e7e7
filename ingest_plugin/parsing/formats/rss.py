"""RSS 2.0 feeds: WordPress (``content:encoded``, ``dc:creator``, ``guid ?p=N``) and Benzinga (entity-encoded
HTML in ``<description>``, tracking parameters in links). One draft per ``<item>``."""
from __future__ import annotations

from functools import partial
from typing import Callable, Iterator
from xml.sax.saxutils import escape

from lxml import etree

from ingest_plugin import partners
from ingest_plugin.parsing.extract.body import paragraphize, strip_chrome, strip_yoast_footer, text_of
from ingest_plugin.parsing.load import parse_html_fragment
from ingest_plugin.parsing.model import Draft, Loaded, Picture
from ingest_plugin.parsing.text import canonical_url, clean, parse_datetime, web_url

NS = {"content": "http://purl.org/rss/1.0/modules/content/", "dc": "http://purl.org/dc/elements/1.1/",
      "media": "http://search.yahoo.com/mrss/"}
# media:group holds renditions of one picture, as media:content does when repeated.
_MEDIA_IMAGE = etree.XPath("media:content[@url] | media:group/media:content[@url] | media:thumbnail[@url] | "
                           "enclosure[starts-with(@type,'image')]", namespaces=NS)


def can_read(loaded: Loaded) -> bool:
    """A whole feed, or one ``<item>`` on its own (how earlier versions kept a failed feed item)."""
    return loaded.kind == "xml" and etree.QName(loaded.tree).localname in ("rss", "item")


def read(loaded: Loaded) -> Iterator[tuple[bytes, Callable[[], Draft]]]:
    if etree.QName(loaded.tree).localname == "item":
        channel = etree.Element("channel")
        channel.append(loaded.tree)
    else:
        channel = loaded.tree.find("channel")
    if channel is None:
        return
    generator = (channel.findtext("generator") or "").lower()
    channel_link = channel.findtext("link") or loaded.tree.get("{http://www.w3.org/XML/1998/namespace}base")
    # The host that served the feed first: a feed's own link could claim any partner.
    channel_profile = partners.partner_for_url(loaded.source_url) or partners.partner_for_url(channel_link)
    wordpress = "wordpress" in generator
    language = clean(channel.findtext("language")) or None
    context = _channel_context(channel_link, generator, language)
    for item in channel.iter("item"):
        raw = b"".join((b'<rss version="2.0"><channel>', context, etree.tostring(item, encoding="utf-8"),
                        b"</channel></rss>"))
        yield raw, partial(_item_draft, item, channel_profile, wordpress, language)


def _channel_context(link: str | None, generator: str, language: str | None) -> bytes:
    """What an item's kept payload needs from its channel to parse alone the same way: a failed item is kept as a
    one-item feed, so its replay finds the same partner, format and language."""
    fields = [f"<{name}>{escape(value)}</{name}>" for name, value in
              (("link", link), ("generator", generator), ("language", language)) if value]
    return "".join(fields).encode("utf-8")


def _item_draft(item: etree._Element, channel_profile: partners.PartnerProfile | None, wordpress: bool,
                channel_language: str | None) -> Draft:
    headline = clean(item.findtext("title"))
    link = canonical_url(item.findtext("link"))
    guid = clean(item.findtext("guid"))
    encoded = item.findtext("content:encoded", namespaces=NS)
    description = item.findtext("description") or ""
    body = parse_html_fragment(encoded or description)
    strip_chrome(body)
    paragraphize(body)
    excerpt = strip_yoast_footer(clean(text_of(parse_html_fragment(description)))) if encoded else None
    # The feed's partner, not the one the item's link names: an item linking to another partner's article is that
    # partner's claim, which the pipeline refuses (partner_mismatch) instead of publishing it as theirs.
    profile = channel_profile or partners.partner_for_url(link) or partners.detect_partner(
        (guid,), (), lambda: clean(text_of(body)))
    creators = [clean(c.text) for c in item.findall("dc:creator", namespaces=NS) if clean(c.text)]
    language = clean(item.findtext("dc:language", namespaces=NS)) or channel_language
    return Draft(
        partner=profile,
        input_format="wordpress-rss" if wordpress or encoded is not None else f"{profile.key}-rss",
        headline=headline,
        body=body,
        summary=excerpt or None,
        byline_candidates=[("dc:creator", c) for c in creators],
        published=parse_datetime(item.findtext("pubDate") or item.findtext("dc:date", namespaces=NS)),
        modified=parse_datetime(item.findtext("{http://purl.org/rss/1.0/modules/content/}modified")),
        canonical_url=link,
        identity_urls=(guid,) if guid else (),
        partner_id=profile.article_id(guid) or profile.article_id(link or ""),
        keywords=[clean(c.text) for c in item.findall("category") if clean(c.text)],
        pictures=featured_pictures(_MEDIA_IMAGE(item)),
        language=language,
        sources={**({"language": "the feed item's dc:language" if language != channel_language
                     else "the feed's language"} if language else {}),
                 "headline": "the feed item's title", "summary": "the feed item's description (an excerpt)",
                 "body": "the feed item's content:encoded" if encoded else "the feed item's description",
                 "published": "the feed item's pubDate or dc:date", "modified": "the feed item's modified date",
                 "canonical_url": "the feed item's link",
                 "partner_id": f"{profile.name}'s id rules on the guid or link",
                 "keywords": "the feed item's categories", "pictures": "the feed item's media:content"},
    )


def featured_pictures(renditions: list, url_attribute: str = "url") -> list[Picture]:
    """The item's picture, as a list of at most one: its largest rendition with a usable URL, and the size that
    rendition states."""
    for el in _largest_first(renditions):
        if url := web_url(clean(el.get(url_attribute))):
            return [Picture(href=url, featured=True, width=_number(el.get("width")) or None,
                            height=_number(el.get("height")) or None)]
    return []


def _largest_first(renditions: list) -> list:
    """Several ``media:content`` renditions of the item's picture: the largest (width, else file size) first; a
    rendition that states no size keeps its place after those that do. Not an image (``medium`` or ``type``
    naming video or audio): left out."""
    def size(el: etree._Element) -> tuple[int, int]:
        return _number(el.get("width")), _number(el.get("fileSize") or el.get("length"))

    images = [el for el in renditions if (el.get("medium") or "image") == "image"
              and (el.get("type") or "image/").startswith("image/")]
    return sorted(images, key=size, reverse=True)


def _number(value: str | None) -> int:
    return int(value) if value and value.isdecimal() and len(value) < 12 else 0
