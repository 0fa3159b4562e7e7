"""Stage 4, sanitize: the one allow-list policy for everything we publish as HTML (nh3 / ammonia).

Runs after media and credits were taken out (they need the original markup) and serializes the body exactly
once. No raw-text element, ``svg``/``math``, form, ``style`` or event handler is ever allowed; links are
http(s) or mailto only, and get ``rel="noopener noreferrer nofollow"``.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

import nh3
from lxml import etree
from lxml.etree import _Element as Element

from ingest_plugin.parsing.extract.body import remove_all
from ingest_plugin.parsing.markup import short_texts
from ingest_plugin.parsing.text import clean, is_web_url, web_url

# Asked twice of every link (unwrapping dead links, then nh3's attribute filter), and sites repeat their links.
_is_web_url = lru_cache(maxsize=4096)(is_web_url)
_web_url = lru_cache(maxsize=4096)(web_url)

BODY_TAGS = {"p", "a", "em", "strong", "b", "i", "u", "s", "sub", "sup", "br", "blockquote", "q", "cite",
             "figure", "figcaption", "ul", "ol", "li", "h2", "h3", "h4", "h5", "h6", "hr", "table", "thead",
             "tbody", "tfoot", "tr", "th", "td", "caption", "code", "pre", "abbr", "time", "div", "dl", "dt", "dd"}
# Only these: no attribute on every tag (nh3 would keep "lang" and "title" everywhere, which no rendering takes).
BODY_ATTRIBUTES = {"*": set(), "a": {"href", "title"}, "blockquote": {"cite"}, "q": {"cite"},
                   "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan", "scope"}, "time": {"datetime"},
                   "abbr": {"title"}, "figure": {"data-association"}, "div": {"data-association"}}
EMBED_TAGS = {"blockquote", "p", "a", "br", "em", "strong", "b", "i"}
EMBED_ATTRIBUTES = {"*": set(), "a": {"href"},
                    "blockquote": {"cite", "lang", "data-lang", "data-dnt", "data-width"},
                    "p": {"lang", "dir"}}
URL_SCHEMES = {"http", "https", "mailto"}
# Compiled once: ``el.xpath(string)`` compiles its expression on every call. Two queries, not one union: libxml2
# merges the two results comparing every node of one with every node of the other (quadratic).
_PLACEHOLDERS = etree.XPath(".//*[@data-association]")
_SECOND_BREAKS = etree.XPath(".//br[2]")
_URL_ATTRIBUTES = {"href", "cite"}


def _only_real_urls(_tag: str, attribute: str, value: str) -> str | None:
    """Drop empty or hostless URLs (``href=""``, ``http://``) that the scheme allow-list would let through; a web
    URL is written as a browser requests it (quotes, spaces and non-ASCII characters percent-encoded, the host in
    ASCII: :func:`web_url`), so that every consumer takes it as a URI."""
    if attribute not in _URL_ATTRIBUTES:
        return value
    if attribute == "href" and value[:7].lower() == "mailto:":
        return value if _is_web_url(value) else None
    return _web_url(value)


def _real_urls_as_they_are(_tag: str, attribute: str, value: str) -> str | None:
    """Release 0.2's URL filter: real URLs kept as the page wrote them."""
    return value if attribute not in _URL_ATTRIBUTES or _is_web_url(value) else None


def _cleaners(tags: set[str], attributes: dict[str, set[str]], **more: Any) -> tuple[nh3.Cleaner, nh3.Cleaner]:
    """The policy's cleaner, and release 0.2's (links as written, "lang" and "title" on every tag): the bodies it
    published were made safe under a policy that allowed nothing unsafe either, and stay valid (repair, replay)."""
    common = {"tags": tags, "url_schemes": URL_SCHEMES, "link_rel": "noopener noreferrer nofollow",
              "strip_comments": True, **more}
    return (nh3.Cleaner(attributes=attributes, attribute_filter=_only_real_urls, **common),
            nh3.Cleaner(attributes={**attributes, "*": {"lang", "title"}}, attribute_filter=_real_urls_as_they_are,
                        **common))


_BODY_CLEANER, _BODY_CLEANER_0_2 = _cleaners(BODY_TAGS, BODY_ATTRIBUTES)
_EMBED_CLEANER, _EMBED_CLEANER_0_2 = _cleaners(EMBED_TAGS, EMBED_ATTRIBUTES,
                                               allowed_classes={"blockquote": {"twitter-tweet"}})


def sanitize_body(body: Element) -> str:
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
    if _SOFT_HYPHEN in markup:  # a hyphenation plugin's: it only says where a word may break (see clean())
        markup = markup.replace(_SOFT_HYPHEN, "")
    return _BODY_CLEANER.clean(short_texts(markup)).strip()


# A soft hyphen (U+00AD) only says where the site's layout may break a word: the body is laid out elsewhere, and
# with it a word neither searches nor dedupes as itself ("Mit\xadtel\xadal\xadter"), as in every plain-text field.
_SOFT_HYPHEN = "\xad"


def sanitize_embed(markup: str) -> str:
    return _EMBED_CLEANER.clean(short_texts(markup)).strip()


def is_clean_body(markup: str) -> bool:
    """Whether the policy (or release 0.2's) leaves ``markup`` as it is: validation asks it of every body, whoever
    wrote it."""
    return _left_as_it_is(markup, _BODY_CLEANER, _BODY_CLEANER_0_2)


def is_clean_embed(markup: str) -> bool:
    """Whether the embed policy (or release 0.2's) leaves ``markup`` as it is: validation asks it of every embed."""
    return _left_as_it_is(markup, _EMBED_CLEANER, _EMBED_CLEANER_0_2)


def _left_as_it_is(markup: str, *cleaners: nh3.Cleaner) -> bool:
    short, kept = short_texts(markup), markup.strip()
    return any(cleaner.clean(short).strip() == kept for cleaner in cleaners)


def _tidy(body: Element) -> None:
    """Unwrap links that go nowhere, drop ruby annotations, demote stray h1s, drop blocks left empty by extraction,
    and drop the line breaks a ``<pre>`` starts with: an HTML parser drops one at each reading, so the sanitised body
    would not be what sanitising it again gives, which validation requires of every body (``is_clean_body``)."""
    # A <noscript> kept in the body (the story a script-built page shows without it) opens: the sanitizer would
    # read what it holds as raw text, and publish its markup escaped. A ruby's annotations (furigana over kanji,
    # pinyin over hanzi) and their fallback parentheses go: the allow-list keeps no ruby markup, and as plain text
    # each would follow the word it glosses ("子こども").
    remove_all([el for el in body.iter("rt", "rp", "rtc") if _in_ruby(el)],
               opened=[a for a in body.iter("a") if not _is_web_url(a.get("href"))] + list(body.iter("noscript")))
    for link in body.iter("a"):  # as a URI before serializing, which would percent-escape a host's letters
        if (href := link.get("href")) and (url := _web_url(href)):
            link.set("href", url)
    for h1 in body.iter("h1"):
        h1.tag = "h2"
    for pre in body.iter("pre"):
        if pre.text:  # soft hyphens leave the serialised body: the line breaks after one are the first
            pre.text = pre.text.lstrip("\r\n" + _SOFT_HYPHEN)
    # The blocks left empty are dropped together at the end: each one's text is blank, so the blocks around them
    # (looked at later, innermost first) read the same text with them as without them.
    holders, empty = _holders(body), []
    blank: dict[Element, bool] = {}
    for el in reversed(list(body.iter("p", "div", "span", "em", "strong", "li", "h2", "h3", "h4", "blockquote"))):
        if el is body or el.get("data-association") or _shows_words(el.text):
            continue
        if el not in holders and _blank_text(el, blank):
            empty.append(el)
    remove_all(empty)


def _in_ruby(annotation: Element) -> bool:
    """Whether an ``<rt>``, ``<rp>`` or ``<rtc>`` annotates a ``<ruby>`` (in it, or in its ``<rtc>``): elsewhere its
    text is the page's own. Two levels up at most, whatever a page nests."""
    parent = annotation.getparent()
    if parent is None or parent.tag == "ruby":
        return parent is not None
    grandparent = parent.getparent() if parent.tag == "rtc" else None
    return grandparent is not None and grandparent.tag == "ruby"


def _holders(body: Element) -> set[Element]:
    """The elements holding a placeholder or two line breaks in a row of siblings (what an empty block keeps): one
    climb from each, stopping where an earlier one passed, where asking each block its own subtree read nested
    blocks' again."""
    holders: set[Element] = set()
    for found in _PLACEHOLDERS(body) + _SECOND_BREAKS(body):
        for el in found.iterancestors():
            if el in holders:
                break
            holders.add(el)
    return holders


def _blank_text(el: Element, blank: dict[Element, bool]) -> bool:
    """Whether ``el``'s text is blank, piece by piece (its own text, then each child's text and tail), each
    element's answer kept in ``blank``: reading each block's whole text read the blocks nested in it again
    (quadratic in the nesting). Blank pieces make a blank text, so this is ``_blank(text_of(el))`` but where
    pieces that are not blank alone would blank out together (an entity split between elements, in double-escaped
    markup): then the element stays. Blocks dropped meanwhile held blank text, so the answers kept still hold."""
    pending = [el]
    while pending:
        node = pending[-1]
        if node in blank:
            pending.pop()
            continue
        if not _blank(node.text or ""):
            blank[pending.pop()] = False
            continue
        children = [child for child in node if isinstance(child.tag, str)]  # a comment's text is no text
        unknown = [child for child in children if child not in blank]
        if unknown:
            pending += unknown
            continue
        blank[pending.pop()] = all(blank[child] for child in children) and all(_blank(child.tail or "")
                                                                                for child in node)
    return blank[el]


def _shows_words(text: str | None) -> bool:
    """Whether ``text``, at the start of an element's text, proves the element is not blank without reading the rest:
    it has a visible character (not one clean() removes, such as a soft hyphen), and no "&" or "<", so no entity or
    markup of what follows can take it away."""
    return bool(text and "&" not in text and "<" not in text and not _blank(text))


def _blank(text: str) -> bool:
    """``not clean(text, markup=False)`` (an element's text: "&lt;Title&gt;" in the source is words, not a tag),
    without splitting and joining every word of a long text: only text holding entities, "<" or characters that are
    not printable (invisible ones clean() removes, a soft hyphen or a bidi mark) needs ``clean()``."""
    if "&" in text or "<" in text:
        return not clean(text, markup=False)
    rest = text.replace("\u200b", "").strip()
    return not rest or not rest.isprintable() and not clean(rest, markup=False)
