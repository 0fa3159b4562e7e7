"""A partner's article page (any theme): metadata first, then the visible header, then the content root."""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterator
from urllib.parse import urljoin

from lxml import etree
from lxml.html import HtmlElement

from ingest_plugin import partners
from ingest_plugin.errors import ErrorCode, IngestError, Stage
from ingest_plugin.parsing.extract.body import (
    XML_SPACE,
    NamedElements,
    class_tokens,
    content_root,
    named,
    outer_ones,
    paragraphize,
    strip_chrome,
    text_of,
)
from ingest_plugin.parsing.extract.media import featured_picture
from ingest_plugin.parsing.extract.metadata import PageMeta, read_page_meta
from ingest_plugin.parsing.model import Draft, Loaded
from ingest_plugin.parsing.text import canonical_url, clean, find_visible_date, parse_datetime

FORMAT = "html"


def _has_token(token: str) -> str:
    """An XPath test of an attribute node (``.``) for one whole token of its space-separated value. The plain
    ``contains()`` goes first: libxml2 then builds the padded, normalized string only for the few that may match."""
    return f"(contains(., '{token}') and contains(concat(' ', normalize-space(.), ' '), ' {token} '))"


def _attributes(attribute: str, test: str, element: str = "*") -> etree.XPath:
    """The ``attribute`` nodes, passing ``test`` (an XPath expression on the attribute node, ``.``), of the
    page's ``element``s: their elements (:func:`_owners`) in document order, one each.

    Through the attribute axis rather than a predicate on the element (``*[contains(@class, 'x')]``): libxml2 then
    looks at the attributes each element has instead of evaluating an expression on every element, several times
    faster on a whole page. Without a "/parent::*" step, which libxml2 takes comparing each element found with all
    those found before (quadratic in their number); for the same reason no query here is a union ("a | b").

    "/descendant::x" rather than "//x": libxml2 expands "//" before a predicate into every node of the page, text
    nodes included, and then looks at their children; the descendant axis is a single walk."""
    return etree.XPath(f"/descendant::{element}/@{attribute}[{test}]")


def _owners(attributes: list) -> list[HtmlElement]:
    return [attribute.getparent() for attribute in attributes]


_ITEMPROPS = _attributes("itemprop", ".='author' or .='name'")
_VCARDS, _FNS = _attributes("class", _has_token("vcard")), _attributes("class", _has_token("fn"))
_AUTHOR_LINKS = _attributes("rel", _has_token("author"), "a")
_AUTHOR_CLASSES = ("author-name", "entry-author", "post-author", "article-author", "byline-author")
# Links with a rel attribute: the few there are are tested in Python (see _is_tag_link), for a fraction of the
# cost of libxml2's string functions on each.
_LINK_RELS = _attributes("rel", "true()", "a")
_TAG_RELS = frozenset({"tag", "category"})
_PUBLISHED_TIME = etree.XPath("/descendant::*[self::time[contains(@class,'published') or @itemprop='datePublished']"
                              "[@datetime] or @itemprop='datePublished' and @content]")
_MODIFIED_TIME = etree.XPath("/descendant::*[self::time[contains(@class,'updated') or @itemprop='dateModified']"
                             "[@datetime] or @itemprop='dateModified' and @content]")
_ANY_TIME = etree.XPath("/descendant::time[@datetime]")
_DATE_ELEMENTS = etree.XPath("/descendant::*[self::time or not(self::meta) and @class[contains(., 'date') or "
                             "contains(., 'byline') or contains(., 'posted') or contains(., 'meta')]]")
_SECOND_P = etree.XPath(".//p[2]")
_POST_ID = re.compile(r"^(?:post-|postid-)(\d+)$")
_HEADER_PART_NAMES = ("byline", "entry-meta", "post-meta", "article-meta", "posted-on", "entry-date", "article-date",
                      "reading-time")
_HEADER_PART_CLASS = re.compile(rf"(?:^|\s)(?:{'|'.join(map(re.escape, _HEADER_PART_NAMES))})(?=\s|$)")
_DEK_TOKEN = re.compile(r"(?:^|[-_])(?:sub-?title|sub-?head(?:line|ing)?|dek|standfirst|strapline|deck|"
                        r"article-summary|entry-summary|lead-in)(?:$|[-_])", re.I)
_HEADER_META_TOKEN = re.compile(r"byline|author|date|time|meta|categor|breadcrumb|kicker|label|share|read",
                                re.I)
_HEADLINE_TAGS = ("h1", "h2", "h3", "h4", "h5", "h6")


def can_read(loaded: Loaded) -> bool:
    return loaded.kind == "html"


def read(loaded: Loaded) -> Draft:
    doc: HtmlElement = loaded.tree
    meta = read_page_meta(doc)
    tag_texts, author_rel = _rel_links(doc)
    keywords = list(dict.fromkeys(meta.keywords + tag_texts))
    post_id = meta.wp_post_id or _wordpress_post_id(doc)
    elements = _with_outside_root(doc, strip_chrome(doc))
    h1 = _headline_element(doc, meta.headline)
    headline = meta.headline or (clean(text_of(h1)) if h1 is not None else None) or meta.title
    headline = _without_site_suffix(headline, (meta.site_name, meta.publisher, *partners.all_partner_names()))
    dek_el = _dek_element(elements, h1, headline)
    subhead = clean(text_of(dek_el)) if dek_el is not None else meta.alternative_headline
    byline_candidates = _byline_candidates(doc, meta, elements, author_rel)
    published = meta.published or _first_attr(_PUBLISHED_TIME(doc)) or _first_attr(_ANY_TIME(doc)) \
        or _visible_date(doc)
    modified = meta.modified or _first_attr(_MODIFIED_TIME(doc))
    root = content_root(doc, elements)
    if root is None or not headline:
        raise IngestError(ErrorCode.NOT_AN_ARTICLE, "no article headline and body found in the page",
                          stage=Stage.EXTRACT)
    _remove_header_parts(root, h1, dek_el)
    paragraphize(root)
    site_titles = {n.lower() for n in (meta.site_name, meta.publisher, *partners.all_partner_names()) if n}
    if _text_shorter_than(root, 120) or _is_listing(doc, meta) or headline.lower() in site_titles:
        raise IngestError(ErrorCode.NOT_AN_ARTICLE, "the page holds no article body (a listing or an empty page?)",
                          stage=Stage.EXTRACT)
    canonical = canonical_url(urljoin(loaded.source_url or "", meta.canonical or meta.og_url or "")) \
        or canonical_url(loaded.source_url)
    site_names = [n for n in (meta.site_name, meta.publisher) if n]
    profile = partners.detect_partner((canonical, loaded.source_url, meta.og_url, meta.shortlink), site_names,
                                      lambda: clean(text_of(doc)))
    shortlink = meta.shortlink or (f"{profile.homepage}?p={post_id}" if post_id else "")
    partner_id = profile.article_id(shortlink) or profile.article_id(canonical or "")
    featured = [featured_picture(doc, root, meta.images[0], canonical)] if meta.images else []
    return Draft(
        partner=profile, input_format=FORMAT, headline=headline, body=root,
        subhead=subhead if subhead and subhead != headline else None, summary=meta.description,
        byline_candidates=byline_candidates, published=parse_datetime(published, profile.zone),
        modified=parse_datetime(modified, profile.zone), created=parse_datetime(meta.created, profile.zone),
        canonical_url=canonical, identity_urls=tuple(u for u in (meta.og_url, meta.shortlink) if u),
        partner_id=partner_id, language=meta.language, keywords=keywords, pictures=featured,
        site_names=site_names, copyright_holder=meta.copyright_holder)


def _rel_links(doc: HtmlElement) -> tuple[list[str], bool]:
    """The texts of the page's tag links, and whether any link's ``rel`` mentions "author" (when none does, no
    byline link is looked for)."""
    texts, author_rel = [], False
    for rel in _LINK_RELS(doc):
        author_rel = author_rel or "author" in rel
        if _is_tag_link(rel) and (text := clean(text_of(rel.getparent()))):
            texts.append(text)
    return texts, author_rel


def _is_tag_link(rel: str) -> bool:
    """Whether a link's ``rel`` holds the token "tag" or "category" (split as XPath's ``normalize-space()``
    does: a no-break or other Unicode space is part of a token)."""
    return ("tag" in rel or "category" in rel) and not _TAG_RELS.isdisjoint(XML_SPACE.split(rel))


def _with_outside_root(doc: HtmlElement, kept: NamedElements) -> NamedElements:
    """Every element of the document, in document order: those kept under the root, and those libxml2 put in a
    second ``<html>`` beside it (markup after ``</html>``), as a query over the whole document sees them."""
    outside = [named(el) for sibling in doc.itersiblings() for el in sibling.iter() if isinstance(el.tag, str)]
    return kept + outside if outside else kept


def _wordpress_post_id(doc: HtmlElement) -> str | None:
    """The WordPress post id from ``<article id="post-N">`` or ``<body class="postid-N">`` (the REST API link, which
    comes first, is among the page's metadata)."""
    return next((m.group(1) for el in doc.iter("article", "body") for t in class_tokens(el)
                 if (m := _POST_ID.match(t))), None)


def _headline_element(doc: HtmlElement, headline: str | None) -> HtmlElement | None:
    h1s = outer_ones(list(doc.iter("h1")))
    if headline:
        wanted = clean(headline).lower()
        for h1 in h1s:
            if clean(text_of(h1)).lower() == wanted:
                return h1
    return h1s[0] if h1s else None


def _without_site_suffix(headline: str | None, site_names: tuple[str | None, ...]) -> str | None:
    if not headline:
        return headline
    suffix = _site_suffix(site_names)
    return clean(suffix.sub("", headline) if suffix else headline)


@lru_cache(maxsize=256)
def _site_suffix(site_names: tuple[str | None, ...]) -> re.Pattern[str] | None:
    """The ``" | Site Name"`` suffix of a title, compiled once per site: escaping two dozen names costs more
    than the search itself."""
    names = "|".join(re.escape(name) for name in filter(None, site_names))
    return re.compile(rf"\s*[|\-–—:·•]\s*(?:{names})\s*$", re.I) if names else None


def _dek_element(elements: NamedElements, h1: HtmlElement | None, headline: str | None) -> HtmlElement | None:
    """The visible dek under the headline: a dek-classed element, or the heading/paragraph right after the h1.

    ``elements``: the page's, in document order."""
    for el in outer_ones([el for el, class_attr, id_attr, _ in elements if _names_a_dek(class_attr, id_attr)]):
        if _dek_like(el, headline):
            return el
    if h1 is None:
        return None
    holder = h1
    while holder.getnext() is None and (parent := holder.getparent()) is not None and parent.tag != "body" \
            and len(clean(text_of(parent))) < 600:
        holder = parent
    parent = holder.getparent()
    header_like = parent is not None and (
        parent.tag in ("header", "hgroup") or any("header" in t.lower() for t in class_tokens(parent)))
    for sibling in holder.itersiblings():
        if not isinstance(sibling.tag, str):
            continue
        if sibling.tag in ("time",) or any(_HEADER_META_TOKEN.search(t) for t in class_tokens(sibling)):
            continue
        text = clean(text_of(sibling))
        if not text or text.lower().startswith("by "):
            continue
        if (sibling.tag in _HEADLINE_TAGS[1:] or header_like and sibling.tag in ("p", "div")) \
                and _dek_like(sibling, headline):
            return sibling
        return None
    return None


@lru_cache(maxsize=4096)
def _names_a_dek(class_attr: str | None, id_attr: str | None) -> bool:
    """Cached by attribute value: a theme repeats the same few class strings on every page."""
    return any(_DEK_TOKEN.search(token) for token in (class_attr or "").split() + ([id_attr] if id_attr else []))


def _dek_like(el: HtmlElement, headline: str | None) -> bool:
    text = clean(text_of(el))
    return 15 <= len(text) <= 400 and text != clean(headline) and not text.lower().startswith("by ") \
        and next(el.iterdescendants("img", "figure"), None) is None and not _SECOND_P(el)


def _byline_candidates(doc: HtmlElement, meta: PageMeta, elements: NamedElements,
                       author_rel: bool) -> list[tuple[str, str]]:
    """``elements``: every element of the page; ``author_rel``: whether a link's rel may name an author."""
    candidates = [("json-ld", name) for name in meta.authors]
    for found in _byline_markup(doc, elements, author_rel):
        texts = [t for t in dict.fromkeys(clean(text_of(el)) for el in outer_ones(found)) if t]
        if texts:
            candidates.append(("byline-markup", ", ".join(texts)))
            break
    if meta.twitter_written_by:
        candidates.append(("twitter", meta.twitter_written_by))
    if meta.meta_author:
        candidates.append(("meta", meta.meta_author))
    return candidates


def _byline_markup(doc: HtmlElement, elements: NamedElements, author_rel: bool) -> Iterator[list[HtmlElement]]:
    """The elements of each kind of byline markup, most specific first, in document order; the first kind with
    text wins. ``elements``: every element of the page, with the class and itemprop that decide most kinds.

    A kind the page cannot have is not queried, and the class-named kinds are picked from ``elements``: most pages
    have none of the nested kinds, and a walk of the page costs more than testing its class strings in Python."""
    if any(itemprop == "author" for _, _, _, itemprop in elements):
        yield _itemprop_authors(doc)
    if any(class_attr and "vcard" in class_attr for _, class_attr, _, _ in elements):
        fns, inside = _owners(_FNS(doc)), _Inside(_owners(_VCARDS(doc)))
        yield [fn for fn in fns if inside(fn)]
    if author_rel:
        yield _owners(_AUTHOR_LINKS(doc))
    yield [el for el, class_attr, _, _ in elements
           if class_attr and "author" in class_attr and any(name in class_attr for name in _AUTHOR_CLASSES)]
    yield [el for el, class_attr, _, _ in elements if class_attr and "byline" in class_attr and (
        "article-byline" in class_attr or "post-byline" in class_attr or "byline" in XML_SPACE.split(class_attr))]


def _itemprop_authors(doc: HtmlElement) -> list[HtmlElement]:
    """The itemprop="name" elements inside itemprop="author" ones, and the authors with no name inside, in document
    order: what "//A//N | //A[not(.//N)]" selects, without the union."""
    props = [(attribute.getparent(), attribute == "author") for attribute in _ITEMPROPS(doc)]
    inside_author = _Inside([owner for owner, is_author in props if is_author])
    holding_name = set()  # elements with a name inside: one climb per name, stopping where an earlier one passed
    for owner, is_author in props:
        if not is_author:
            for el in owner.iterancestors():
                if el in holding_name:
                    break
                holding_name.add(el)
    return [owner for owner, is_author in props
            if (owner not in holding_name if is_author else inside_author(owner))]


class _Inside:
    """Whether an element is inside one of ``holders``; each element climbed keeps its answer (nested ones share
    their ancestors)."""

    def __init__(self, holders: list[HtmlElement]) -> None:
        self._holders = set(holders)
        self._known: dict[HtmlElement, bool] = {}  # an element is one of the holders or inside one

    def __call__(self, el: HtmlElement) -> bool:
        climbed, node = [], el.getparent()
        while node is not None and node not in self._holders and node not in self._known:
            climbed.append(node)
            node = node.getparent()
        found = node is not None and (node in self._holders or self._known[node])
        for ancestor in climbed:
            self._known[ancestor] = found
        return found


def _remove_header_parts(root: HtmlElement, h1: HtmlElement | None, dek: HtmlElement | None) -> None:
    """The content root may be the whole ``<article>``: the headline, dek and header metadata are not body."""
    for el in list(root.iter("header", "h1", "time")):
        if el is not root and el.getparent() is not None:
            el.drop_tree()
    for el in list(root.iter(etree.Element)):
        if el is root or el.getparent() is None:
            continue
        if el is dek or el is h1 or _names_header_part(el.get("class"), el.get("id")):
            el.drop_tree()


@lru_cache(maxsize=4096)
def _names_header_part(class_attr: str | None, id_attr: str | None) -> bool:
    """Whether a class token or the id, in lower case, is a header part's name: what ``class_tokens`` gives,
    tested without splitting (``\\s`` and ``str.split`` agree on every space, and lower case never makes or
    unmakes one)."""
    return bool(class_attr and _HEADER_PART_CLASS.search(class_attr.lower())) \
        or (id_attr or "").lower() in _HEADER_PART_NAMES


def _text_shorter_than(el: HtmlElement, limit: int) -> bool:
    """``len(clean(text_of(el))) < limit`` without cleaning a whole article to learn that it is long: for text
    without entities or markup, the cleaned start of the text is the start of the cleaned text."""
    text = text_of(el)
    if "&" not in text and "<" not in text and len(clean(text[:limit * 4])) >= limit:
        return False
    return len(clean(text)) < limit


def _is_listing(doc: HtmlElement, meta: PageMeta) -> bool:
    """A home, category or search page: several article teasers and no article metadata."""
    return not meta.published and not meta.authors and sum(1 for _ in doc.iter("article")) >= 3


def _visible_date(doc: HtmlElement) -> str | None:
    """A date shown only as text in the article header ("April 2, 2022 9:12 AM | 2 min read")."""
    for el in outer_ones(_DATE_ELEMENTS(doc)):
        if found := find_visible_date(clean(text_of(el))):
            return found
    return None


def _first_attr(elements: list) -> str | None:
    for el in elements:
        value = el.get("datetime") or el.get("content")
        if value:
            return value
    return None
