"""Stage 4, sanitize: the one allow-list policy for everything we publish as HTML (nh3 / ammonia).

Runs after media and credits were taken out (they need the original markup) and serializes the body exactly
once. No raw-text element, ``svg``/``math``, form, ``style`` or event handler is ever allowed; links are
http(s) or mailto only, and get ``rel="noopener noreferrer nofollow"``.
"""
from __future__ import annotations

from functools import lru_cache

import nh3
from lxml import etree
from lxml.html import HtmlElement

from ingest_plugin.parsing.extract.body import text_of
from ingest_plugin.parsing.text import clean, is_web_url

# Asked twice of every link (unwrapping dead links, then nh3's attribute filter), and sites repeat their links.
_is_web_url = lru_cache(maxsize=4096)(is_web_url)

BODY_TAGS = {"p", "a", "em", "strong", "b", "i", "u", "s", "sub", "sup", "br", "blockquote", "q", "cite",
             "figure", "figcaption", "ul", "ol", "li", "h2", "h3", "h4", "h5", "h6", "hr", "table", "thead",
             "tbody", "tfoot", "tr", "th", "td", "caption", "code", "pre", "abbr", "time", "div", "dl", "dt", "dd"}
BODY_ATTRIBUTES = {"a": {"href", "title"}, "blockquote": {"cite"}, "q": {"cite"}, "td": {"colspan", "rowspan"},
                   "th": {"colspan", "rowspan", "scope"}, "time": {"datetime"}, "abbr": {"title"},
                   "figure": {"data-association"}, "div": {"data-association"}}
EMBED_TAGS = {"blockquote", "p", "a", "br", "em", "strong", "b", "i"}
EMBED_ATTRIBUTES = {"a": {"href"}, "blockquote": {"cite", "lang", "data-lang", "data-dnt", "data-width"},
                    "p": {"lang", "dir"}}
URL_SCHEMES = {"http", "https", "mailto"}
# Compiled once: ``el.xpath(string)`` compiles its expression on every call.
_HOLDS_PLACEHOLDER_OR_BREAKS = etree.XPath(".//*[@data-association] | .//br[2]")
_URL_ATTRIBUTES = {"href", "cite"}


def _only_real_urls(_tag: str, attribute: str, value: str) -> str | None:
    """Drop empty or hostless URLs (``href=""``, ``http://``) that the scheme allow-list would let through."""
    if attribute in _URL_ATTRIBUTES:
        return value if _is_web_url(value) else None
    return value


_BODY_CLEANER = nh3.Cleaner(tags=BODY_TAGS, attributes=BODY_ATTRIBUTES, url_schemes=URL_SCHEMES,
                            link_rel="noopener noreferrer nofollow", attribute_filter=_only_real_urls,
                            strip_comments=True)
_EMBED_CLEANER = nh3.Cleaner(tags=EMBED_TAGS, attributes=EMBED_ATTRIBUTES, url_schemes=URL_SCHEMES,
                             link_rel="noopener noreferrer nofollow", attribute_filter=_only_real_urls,
                             allowed_classes={"blockquote": {"twitter-tweet"}}, strip_comments=True)


def sanitize_body(body: HtmlElement) -> str:
    """The body element -> safe HTML string (its children only, not the wrapper). The element is used up.

    The children are serialized in one call, inside the wrapper stripped of its attributes, then the bare
    ``<tag>``/``</tag>`` are cut off: one serialization instead of one per child. The leading text goes in
    unescaped, as lxml holds it.
    """
    _tidy(body)
    leading_text, body.text = body.text or "", None
    body.attrib.clear()
    wrapped = etree.tostring(body, encoding="unicode", method="html", with_tail=False)
    tag = body.tag
    assert isinstance(tag, str)  # as the HTML parser made it (lxml's types also allow bytes and QName)
    markup = leading_text + wrapped[len(tag) + 2:-(len(tag) + 3)]
    return _BODY_CLEANER.clean(markup).strip()


def sanitize_embed(markup: str) -> str:
    return _EMBED_CLEANER.clean(markup).strip()


def is_clean_body(markup: str) -> bool:
    """Whether the policy leaves ``markup`` as it is: validation asks it of every body, whoever wrote it."""
    return _BODY_CLEANER.clean(markup).strip() == markup.strip()


def is_clean_embed(markup: str) -> bool:
    """Whether the embed policy leaves ``markup`` as it is: validation asks it of every embed."""
    return sanitize_embed(markup) == markup.strip()


def _tidy(body: HtmlElement) -> None:
    """Unwrap links that go nowhere, demote stray h1s, drop blocks left empty by extraction, and drop the line
    breaks a ``<pre>`` starts with: an HTML parser drops one at each reading, so the sanitised body would not be
    what sanitising it again gives, which validation requires of every body (``is_clean_body``)."""
    for a in list(body.iter("a")):
        if not _is_web_url(a.get("href")):
            a.drop_tag()
    for h1 in body.iter("h1"):
        h1.tag = "h2"
    for pre in body.iter("pre"):
        if pre.text:
            pre.text = pre.text.lstrip("\r\n")
    for el in reversed(list(body.iter("p", "div", "span", "em", "strong", "li", "h2", "h3", "h4", "blockquote"))):
        if el is body or el.get("data-association") or el.getparent() is None or _shows_words(el.text):
            continue
        if _blank(text_of(el)) and not _HOLDS_PLACEHOLDER_OR_BREAKS(el):
            el.drop_tree()


def _shows_words(text: str | None) -> bool:
    """Whether ``text``, at the start of an element's text, proves the element is not blank without reading the rest:
    it has a visible character, and no "&" or "<", so no entity or markup of what follows can take it away."""
    return bool(text and "&" not in text and "<" not in text and text.replace("\u200b", "").strip())


def _blank(text: str) -> bool:
    """``not clean(text, markup=False)`` (an element's text: "&lt;Title&gt;" in the source is words, not a tag),
    without splitting and joining every word of a long text: only text holding entities or "<" needs ``clean()``."""
    if "&" in text or "<" in text:
        return not clean(text, markup=False)
    return not text.replace("\u200b", "").strip()
