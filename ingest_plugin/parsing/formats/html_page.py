"""A partner's article page (any theme): metadata first, then the visible header, then the content root."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain, islice
from typing import Callable, Iterator
from urllib.parse import urljoin, urlsplit

from lxml import etree
from lxml.etree import _Element as Element

from ingest_plugin import partners
from ingest_plugin.errors import ErrorCode, IngestError, Stage
from ingest_plugin.parsing.extract.body import (
    ARTICLE_ITEMTYPE,
    BLOCK_TAGS,
    READING_TIME,
    XML_SPACE,
    NamedElements,
    anchor_of_own_words,
    article_footers,
    buttons_in,
    class_tokens,
    content_root,
    links_back,
    named,
    outer_ones,
    paragraphize,
    related_link_lists,
    remove_all,
    strip_chrome,
    text_of,
)
from ingest_plugin.parsing.extract.media import best_image_source, featured_picture
from ingest_plugin.parsing.extract.metadata import PageMeta, read_page_meta
from ingest_plugin.parsing.model import Draft, Loaded
from ingest_plugin.parsing.names import people, person_name
from ingest_plugin.parsing.text import (
    canonical_url,
    clean,
    find_visible_date,
    holds_markup,
    parse_datetime,
    without_visible_dates,
)

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


def _owners(attributes: list) -> list[Element]:
    return [attribute.getparent() for attribute in attributes]


_ITEMPROPS = _attributes("itemprop", ".='author' or .='name'")
_VCARDS, _FNS = _attributes("class", _has_token("vcard")), _attributes("class", _has_token("fn"))
_AUTHOR_LINKS = _attributes("rel", _has_token("author"), "a")
_AUTHOR_CLASSES = ("author-name", "entry-author", "post-author", "article-author", "byline-author")
# A class token naming an author by its last word: "author", "blog__author" (BEM, as Wagtail's demo), "c-authors".
_AUTHOR_TOKEN = re.compile(r"(?:^|[\s_-])authors?(?:\s|$)")
# Links with a rel attribute: the few there are are tested in Python (see _is_tag_link), for a fraction of the
# cost of libxml2's string functions on each.
_LINK_RELS = _attributes("rel", "true()", "a")
_TAG_RELS = frozenset({"tag", "category"})
# Microdata's publication date, wherever the theme puts it (an aside, an hAtom <abbr title=…>): read before the
# chrome goes.
_ITEMPROP_PUBLISHED = _attributes("itemprop", ".='datePublished'")
_SECOND_P = etree.XPath(".//p[2]")
_URL_DATE = re.compile(r"/(\d{4})/(\d{2})/(\d{2})/")
_POST_ID = re.compile(r"^(?:post-|postid-)(\d+)$")
_HEADER_PART_NAMES = ("byline", "entry-meta", "post-meta", "article-meta", "posted-on", "entry-date", "article-date",
                      "reading-time", "article-info", "post-metadata", "entry-metadata", "article-metadata",
                      "entry-header-meta", "below-entry-meta", "article-byline", "post-byline", "entry-byline")
# A theme's short prefix before the name is its own ("cm-entry-header-meta", "td-post-meta"); a word before it
# names something else ("photo-byline", "story-byline").
_HEADER_PART_CLASS = re.compile(
    rf"(?:^|\s)(?:[a-z]{{2,3}}-)?(?:{'|'.join(map(re.escape, _HEADER_PART_NAMES))})(?=\s|$)")
_DEK_TOKEN = re.compile(r"(?:^|[-_])(?:sub-?title|sub-?head(?:line|ing)?|dek|standfirst|strapline|deck|"
                        r"article-summary|entry-summary|lead-in)(?:$|[-_])", re.I)
# A lead's names: "lead", "leadIn", "article-lead", "intro", "chapo_block" (French), "field-perex" (Czech),
# "Vorspann" (German), "bajada" (Spanish), "leader", ending the token or before a holder's word; not "leading",
# "leaderboard", nor the lead picture's parts ("lead-asset-caption", "lead-image"). TYPO3's news extension names its
# lead "teaser-text": the whole token only, as "teaser" names related stories' cards too.
_LEAD_TOKEN = re.compile(r"(?:^|[-_])(?:lead|lead-?in|leader|intro|introduction|chapo|chapeau|perex|vorspann|bajada)"
                         r"(?:[-_]+(?:text|txt|block|content|paragraph|wrapper|wrap|container|entry|box))?$"
                         r"|^teaser-text$", re.I)
_EXCERPT_TOKEN = re.compile(r"(?:^|[-_])excerpt(?:$|[-_])", re.I)
_HEADER_META_TOKEN = re.compile(r"byline|author|date|time|meta|categor|breadcrumb|kicker|label|share|read",
                                re.I)
_HEADLINE_TAGS = ("h1", "h2", "h3", "h4", "h5", "h6")
# A visible "By JANE DOE" under the headline, in whatever element the theme uses: read from the first elements after
# the h1 only, each by its first few text nodes, so the look costs a constant whatever the page.
_HEADER_LOOK_AHEAD, _HEADER_TEXT_NODES = 40, 8
_BYLINE_LINES = 3  # byline markup elements looked at for removal: each costs a climb
_HEADER_LINE_MAX = 300  # characters of a byline element that leaves the page once read (more: it holds more)
_STORY_LINE = 80  # characters of a paragraph's opening text that make it story text, longer than a byline
_BYLINE_INITIALS = frozenset("BbWwSsPp")
_HEADER_BY = re.compile(r"^(?i:(?:written|story|words|posted)\s++)?(?i:by)\b\s*+:?\s*+(?P<names>\S.{0,100})$")
# An author box after the story ("About the author", a bio naming the writer; Gatsby's starter's "bio").
_CONTRIBUTOR_BOXES = _attributes("class", "contains(., 'author') or contains(., 'contributor') or "
                                          "contains(., 'sabox')")
# Not "author-info": themes name their header byline so.
_CONTRIBUTOR_BOX = re.compile(r"(?:^|[-_])(?:(?:author|writer|contributor)[-_]?(?:bio|box|card|profile|about|"
                              r"description)|about[-_](?:the[-_])?author|saboxplugin-wrap)(?:$|[-_])|^bio$", re.I)
_WRITTEN_BY = re.compile(r"\b(?:written|posted|reported) by\b|\babout the (?:author|writer)\b", re.I)
_CONTRIBUTOR_NAME_TAGS = ("h2", "h3", "h4", "h5", "h6", "a", "strong", "b", "span", "div", "p")


# What a page declares itself to be when it is no article: schema.org page types, OpenGraph types.
_LISTING_PAGE_TYPES = frozenset({"CollectionPage", "SearchResultsPage"})
_NOT_ARTICLE_PAGE_TYPES = _LISTING_PAGE_TYPES | {"AboutPage", "FAQPage", "ContactPage", "ProfilePage", "CheckoutPage",
                                                 "QAPage", "RealEstateListing"}
_NOT_ARTICLE_OG_TYPES = frozenset({"profile", "product", "product.item", "business.business", "place", "book"})
# JSON-LD a page may hold besides its main entity: only these, and a WebPage, say "a web page", not "an article".
_PAGE_FURNITURE_TYPES = frozenset({"WebPage", "WebSite", "Organization", "Corporation", "NewsMediaOrganization",
                                   "BreadcrumbList", "ListItem", "ImageObject", "Person", "SiteNavigationElement",
                                   "SearchAction", "EntryPoint", "Place", "PostalAddress", "ContactPoint",
                                   "WPHeader", "WPFooter", "WPSideBar", "LocalBusiness", "Brand", "Logo"})
# The labels of a stock quote's table ("Previous Close", "Day's Range", "Market Cap"…), compared in lower case.
_QUOTE_LABELS = frozenset({"open", "previous close", "prev close", "prev. close", "day's range", "day’s range",
                           "day range", "days range", "52 week range", "52-week range", "52 wk range", "52-wk range",
                           "52 week high", "52 week low", "market cap", "volume", "avg volume", "avg. volume",
                           "average volume", "bid", "ask", "p/e ratio", "p/e", "pe ratio (ttm)", "eps (ttm)", "eps",
                           "dividend yield", "beta", "day high", "day low", "shares outstanding", "float"})
_QUOTE_LABELS_NEEDED = 4
# A body shorter than this is a stub: a paywall's "subscribe to continue", a soft 404, a taken-down notice, an empty
# template. (A dateline does not tell a one-line wire flash from one: "EXCLUSIVE - Subscribe to read the story.")
_SHORTEST_BODY = 120


def can_read(loaded: Loaded) -> bool:
    return loaded.kind == "html"


def read(loaded: Loaded) -> Draft:
    if not holds_markup(loaded.text):  # else read as a page whose first sentence is its headline
        raise IngestError(ErrorCode.NOT_AN_ARTICLE, "the input is plain text, without a tag: no web page, feed or "
                                                    "JSON story", stage=Stage.EXTRACT)
    doc: Element = loaded.tree
    meta = read_page_meta(doc)
    if (kind := _declared_non_article(doc, meta)) is not None:
        raise IngestError(ErrorCode.NOT_AN_ARTICLE, f"the page is no article: {kind}", stage=Stage.EXTRACT)
    _amp_images_as_img(doc)
    tag_texts, author_rel = _rel_links(doc)
    keywords = list(dict.fromkeys(meta.keywords + tag_texts))
    post_id = meta.wp_post_id or _wordpress_post_id(doc)
    # The chrome holds some author boxes: their writer is read before it goes, when the metadata names no person,
    # and the microdata date when the metadata gives none (each a walk of the page, spared where it cannot count:
    # a page whose text never spells "datePublished" has no such attribute).
    contributor = None if _meta_names_a_person(meta) else _contributor_name(
        _contributor_boxes(_owners(_CONTRIBUTOR_BOXES(doc))))
    declared_published = None if meta.published or "datePublished" not in loaded.text else _first_attr(
        _owners(_ITEMPROP_PUBLISHED(doc)))
    elements = _with_outside_root(doc, strip_chrome(doc))
    footers = article_footers(doc)  # the articles' own: the content root may move them into a new holder
    boxes = _contributor_boxes([el for el, class_attr, _, _ in elements if class_attr and _may_name_a_box(class_attr)])
    contributor = contributor or _contributor_name(boxes)
    sources = {_DRAFT_FIELDS.get(name, name): source for name, source in meta.sources.items()}
    site_titles = {n.lower() for n in (meta.site_name, meta.publisher, *partners.all_partner_names()) if n}
    # A theme may show its headline in an h2 (Grav's Quark, django CMS's blog): it leaves the body as an h1 would.
    if (h1 := _headline_element(doc, meta.headline, meta.title)) is None:
        h1 = _heading_showing(doc, meta.headline, meta.title, site_titles)
    h1_text = clean(text_of(h1)) if h1 is not None and not meta.headline else None
    headline = meta.headline or _visible_headline(h1_text, meta.title, site_titles)
    if not meta.headline:
        sources["headline"] = "the page's h1" if headline and headline == h1_text else "the page's <title>"
    unsuffixed = _without_site_suffix(headline, (meta.site_name, meta.publisher, *partners.all_partner_names()))
    if unsuffixed != headline:
        sources["headline"] += ", less the site name"
    # A title that is the site's name alone (" | Site") names no story: the heading opening the article does, or
    # the h1 (below); a page with neither is a home page.
    titled_by_site_only = bool(headline) and not unsuffixed
    headline = unsuffixed or ""
    meta_line = _MetaLine.of(meta)
    dek_el = _dek_element(elements, h1, headline, meta_line)
    subhead = clean(text_of(dek_el)) if dek_el is not None else meta.alternative_headline
    if dek_el is not None:
        sources["subhead"] = f"the dek under the headline, {_element_name(dek_el)}"
    # Dates first: the byline line read below leaves the page, and it may hold the date.
    dates = _PageDates(elements)
    published = _first_found(sources, "published", (sources.get("published", ""), lambda: meta.published),
                             ('a <time class="published"> or itemprop="datePublished" element',
                              lambda: _first_attr(dates.stated("published", "datePublished"))),
                             ('microdata itemprop="datePublished"', lambda: declared_published),
                             ("the page's first <time datetime> element", lambda: _first_attr(dates.times())),
                             ("a date in the text of the page header", lambda: _visible_date(dates.date_like())),
                             ("a date shown under the headline", lambda: _date_under(h1, site_titles)))
    modified = _first_found(sources, "modified", (sources.get("modified", ""), lambda: meta.modified),
                            ('a <time class="updated"> or itemprop="dateModified" element',
                             lambda: _first_attr(dates.stated("updated", "dateModified"))))
    byline_candidates, byline_elements = _byline_candidates(doc, meta, elements, author_rel)
    if h1 is not None and (header_line := _header_byline(h1)):
        byline_candidates.append(("header-line", header_line))
    if contributor:
        byline_candidates.append(("contributor-box", contributor))
    # The partner the page's URL names, for its own body container (the fast path); the partner is decided below.
    hinted = partners.partner_for_url(loaded.source_url) or partners.partner_for_url(meta.canonical)
    canonical = canonical_url(urljoin(loaded.source_url or "", meta.canonical or meta.og_url or "")) \
        or canonical_url(loaded.source_url)
    # Before the content root moves the siblings it merges.
    lead_image = meta.images[0] if meta.images else _lead_figure_image(h1, dek_el, canonical)
    root = content_root(doc, elements, hinted.containers if hinted else ())
    if not headline and root is not None:  # the page names no title: what a reader takes for one
        if (opening := _opening_heading(root)) is not None:
            h1, headline = opening, clean(text_of(opening))  # it leaves the body as an h1 would
            sources["headline"] = f"the heading opening the article, {_element_name(opening)}: the page names no title"
        elif h1 is not None and (shown := clean(text_of(h1))).lower() not in site_titles:
            headline, sources["headline"] = shown, "the page's h1: its title is the site's name alone"
    if root is None:
        raise IngestError(ErrorCode.NOT_AN_ARTICLE, "the page has no <body> to read an article from (a frameset?)",
                          stage=Stage.EXTRACT)
    if not subhead and (lead := _lead_before(elements, h1, root, headline, meta_line)) is not None:
        subhead = clean(text_of(lead))
        sources["subhead"] = f"the lead between the headline and the body, {_element_name(lead)}"
    # Before the article's header leaves the body: a theme may show the hero figure in it (Ghost's Casper).
    heads_and_feet = _heads_and_feet(root, footers)
    featured = [featured_picture(doc, root, lead_image, canonical, leaving=heads_and_feet)] if lead_image else []
    _remove_header_parts(root, h1, dek_el, [*heads_and_feet, *_meta_lines(h1, dek_el, root, meta_line)])
    _remove_byline_lines(root, byline_elements)
    # A bio is no story text, nor are share, rating and print buttons.
    remove_all([box for box in boxes if root in box.iterancestors()] + buttons_in(root, elements))
    paragraphize(root)
    remove_all(links_back(root, canonical))  # "back to overview", "to top": navigation
    own_path = _path_of(canonical or "")  # links to the page itself lead nowhere else
    if _text_shorter_than(root, _SHORTEST_BODY) or _is_listing(doc, meta, root, bool(byline_candidates), own_path) \
            or (titled_by_site_only or headline.lower() in site_titles) \
            and (h1 is None or clean(text_of(h1)).lower() in site_titles):
        raise IngestError(ErrorCode.NOT_AN_ARTICLE, "the page holds no article body (a listing or an empty page?)",
                          stage=Stage.EXTRACT)
    # A page whose metadata dates or signs it is an article, however many links it shows (a briefing of links).
    if not (meta.published or meta.authors) and (links := _link_list(root, own_path)) is not None:
        raise IngestError(ErrorCode.NOT_AN_ARTICLE, f"the page is a list of links, no article: {links} links to "
                                                    "other pages hold most of its text (an index, tag or menu page?)",
                          stage=Stage.EXTRACT)
    if canonical and not own_path and not (meta.published or meta.authors):
        raise IngestError(ErrorCode.NOT_AN_ARTICLE, f"the page is a site's home page ({canonical}), no article",
                          stage=Stage.EXTRACT)
    # An article's, not a listing's: lists of headlines linking to the site's other stories ("read also").
    remove_all(related_link_lists(root, canonical))
    if not meta.canonical:
        sources["canonical_url"] = "the og:url meta tag" if meta.og_url else "the URL the page was fetched from"
    site_names = [n for n in (meta.site_name, meta.publisher) if n]
    profile = partners.detect_partner((canonical, loaded.source_url, meta.og_url, meta.shortlink), site_names,
                                      lambda: clean(text_of(doc)))
    shortlink = meta.shortlink or (f"{profile.homepage}?p={post_id}" if post_id else "")
    partner_id = profile.article_id(shortlink) or profile.article_id(canonical or "")
    sources.update(body=f"the page's content root, {_element_name(root)}",
                   keywords="the page's tags: article:tag and article:section, JSON-LD keywords, rel=\"tag\" links",
                   partner_id=f"{profile.name}'s id rules on the page's shortlink or canonical URL",
                   pictures="featured: the page's JSON-LD image or og:image, else the figure between the headline and "
                            "the body; inline: the body's figures")
    return Draft(
        partner=profile, input_format=FORMAT, headline=headline, body=root,
        subhead=subhead if subhead and subhead != headline else None, summary=meta.description,
        byline_candidates=byline_candidates, published=parse_datetime(published, profile.zone),
        modified=parse_datetime(modified, profile.zone), created=parse_datetime(meta.created, profile.zone),
        permalink_day=None if published else parse_datetime(_url_date(canonical), profile.zone),
        canonical_url=canonical, identity_urls=tuple(u for u in (meta.og_url, meta.shortlink) if u),
        partner_id=partner_id, language=meta.language, keywords=keywords, pictures=featured,
        # A personal site is named after its author: an article node's Person of that name is still a person.
        site_names=[n for n in site_names if n not in meta.person_authors], copyright_holder=meta.copyright_holder,
        sources=sources)


# PageMeta's field names that a Draft names otherwise.
_DRAFT_FIELDS = {"description": "summary", "alternative_headline": "subhead", "canonical": "canonical_url"}


def _first_found(sources: dict[str, str], name: str, *candidates: tuple[str, Callable[[], str | None]]
                 ) -> str | None:
    """The first value a candidate gives (each asked only when those before it gave none), its source noted."""
    for source, value_of in candidates:
        if value := value_of():
            sources[name] = source
            return value
    return None


def _element_name(el: Element) -> str:
    """How ``parse --explain`` names an element: ``<div class="entry-content">``."""
    names = "".join(f' {attribute}="{el.get(attribute)}"' for attribute in ("id", "class", "itemprop")
                    if el.get(attribute))
    return f"<{el.tag if isinstance(el.tag, str) else 'element'}{names[:120]}>"


def _amp_images_as_img(doc: Element) -> None:
    """An AMP page's ``<amp-img>`` (and ``<amp-anim>``) read as the ``<img>`` it stands for: same attributes; its
    children are AMP's sizer (a spacer image) and a ``<noscript>`` fallback, the same picture again. (On a page
    without them, libxml2 knows at once that no element has the name: faster than looking for it in the text.)"""
    for amp in list(doc.iter("amp-img", "amp-anim")):
        for child in list(amp):
            amp.remove(child)
        amp.tag = "img"


def _declared_non_article(doc: Element, meta: PageMeta) -> str | None:
    """What a page without article metadata says it is instead, or None: a schema.org page type (AboutPage,
    FAQPage…), JSON-LD that describes only a web page, an OpenGraph type that is no article (a profile, a
    product), or a stock quote's table. Generic signals, whatever the headline and the length of the text."""
    if meta.has_article_node:
        return None
    types = {t.rsplit("/", 1)[-1].rsplit(":", 1)[-1] for t in meta.ld_types}
    if declared := sorted(types & _LISTING_PAGE_TYPES):  # more telling than og:type (Yoast's archives: article)
        return f"its JSON-LD type is {declared[0]}"
    if meta.og_type == "article":
        return None  # an FAQ block makes an article's page an FAQPage too
    if declared := sorted(types & _NOT_ARTICLE_PAGE_TYPES):
        return f"its JSON-LD type is {declared[0]}"
    if meta.og_type in _NOT_ARTICLE_OG_TYPES:
        return f"its og:type is {meta.og_type}"
    signed = meta.authors or meta.meta_author
    # A signed WebPage is an article whose CMS calls every page so (Joomla's schema.org plugin, unconfigured).
    if "WebPage" in types and types <= _PAGE_FURNITURE_TYPES and not signed:
        return "its JSON-LD describes a WebPage and no article"
    if meta.published or signed:
        return None  # a dated or signed story (market news) may show a quote box; a quote page is neither
    labels = {label for cell in doc.iter("th", "td", "dt") if (label := _cell_label(cell)) in _QUOTE_LABELS}
    if len(labels) >= _QUOTE_LABELS_NEEDED:
        return "it holds a stock quote table (open, previous close, market cap…)"
    return None


def _cell_label(cell: Element) -> str | None:
    """A table cell's short label in lower case, read from its own text and its first children's only (a cell
    holding a nested table is read no further: nested layout tables would be read once per level)."""
    if len(cell) > 2:
        return None
    text = "".join([cell.text or "", *((child.text or "") + (child.tail or "") for child in cell)])
    return clean(text, markup=False).rstrip(":").lower() if len(text) < 60 else None


def _rel_links(doc: Element) -> tuple[list[str], bool]:
    """The texts of the page's tag links outside its sidebars and menus (a tag cloud widget names the site's tags,
    not the story's), and whether any link's ``rel`` mentions "author" (when none does, no byline link is looked
    for)."""
    texts, author_rel = [], False
    in_sidebar: _Inside | None = None  # made once a tag link is found
    for rel in _LINK_RELS(doc):
        author_rel = author_rel or "author" in rel
        if _is_tag_link(rel):
            link = rel.getparent()
            in_sidebar = in_sidebar or _Inside(list(doc.iter("aside", "nav")))
            if not in_sidebar(link) and (text := clean(text_of(link))):
                texts.append(text)
    return texts, author_rel


def _is_tag_link(rel: str) -> bool:
    """Whether a link's ``rel`` holds the token "tag" or "category" (split as XPath's ``normalize-space()``
    does: a no-break or other Unicode space is part of a token)."""
    return ("tag" in rel or "category" in rel) and not _TAG_RELS.isdisjoint(XML_SPACE.split(rel))


def _with_outside_root(doc: Element, kept: NamedElements) -> NamedElements:
    """Every element of the document, in document order: those kept under the root, and those libxml2 put in a
    second ``<html>`` beside it (markup after ``</html>``), as a query over the whole document sees them."""
    outside = [named(el) for sibling in doc.itersiblings() for el in sibling.iter() if isinstance(el.tag, str)]
    return kept + outside if outside else kept


def _wordpress_post_id(doc: Element) -> str | None:
    """The WordPress post id from ``<article id="post-N">`` or ``<body class="postid-N">`` (the REST API link, which
    comes first, is among the page's metadata)."""
    return next((m.group(1) for el in doc.iter("article", "body") for t in class_tokens(el)
                 if (m := _POST_ID.match(t))), None)


def _headline_element(doc: Element, headline: str | None, title: str | None) -> Element | None:
    """The h1 showing the headline the metadata names; else, of several, the one that is the main part of the
    page's ``<title>`` (a theme may print the site's name in an h1 first); else the first."""
    h1s = outer_ones(list(doc.iter("h1")))
    shown = [(h1, clean(text_of(h1)).lower()) for h1 in h1s] if headline or title and len(h1s) > 1 else []
    if headline:
        wanted = clean(headline).lower()
        if (found := next((h1 for h1, text in shown if text == wanted), None)) is not None:
            return found
    if shown and title:
        lowered = title.lower()
        if (found := next((h1 for h1, text in shown if _main_part_of(text, lowered)), None)) is not None:
            return found
    return h1s[0] if h1s else None


def _heading_showing(doc: Element, headline: str | None, title: str | None,
                     site_titles: set[str]) -> Element | None:
    """On a page with no h1: the first h2 or h3 showing the metadata's headline, or the main part of the
    ``<title>`` (all of it, or what comes before a separator). Not one showing the site's name (``site_titles``,
    lower case): a theme's logo heading, which is the longer part of "Post | Long Site Name"."""
    wanted = clean(headline).lower() if headline else None
    lowered_title = clean(title).lower() if title else ""
    if not wanted and not lowered_title:
        return None
    for heading in outer_ones(list(doc.iter("h2", "h3"))):
        if (text := clean(text_of(heading)).lower()) and (text == wanted or _main_part_of(text, lowered_title)) \
                and (text not in site_titles or text == wanted):
            return heading
    return None


def _opening_heading(root: Element) -> Element | None:
    """For a page that names no title anywhere (no ``<title>``, h1 or title metadata): the heading a reader takes
    for its title, an h2/h3 or an element named as a title (``post-title``, ``itemprop="headline"``): the one
    starting the content root, else the nearest one before it."""
    if not (root.text or "").strip():
        for el in islice(root.iterdescendants(etree.Element), _OPENING_LOOK):
            if _names_a_title(el):
                return el if _headline_like(el) else None
            if (el.text or "").strip():
                break  # the text starts with no heading
    nearest = islice((el for el in reversed(_TITLE_LIKE_BEFORE(root)) if _names_a_title(el)), _OPENING_LOOK)
    return next((el for el in nearest if _headline_like(el)), None)  # a few texts read: they may nest


_OPENING_LOOK = 20  # elements of the content root looked at for a heading, and headings before it
# The elements before the content root that may be a title; _names_a_title decides. One query over the page, on
# pages without any title only.
_TITLE_LIKE_BEFORE = etree.XPath("preceding::*[self::h2 or self::h3 or @itemprop='headline' or "
                                 "contains(@class, 'title') or contains(@class, 'headline')]")
_NOT_ARTICLE_TITLES = ("site", "blog", "widget", "section", "sidebar", "footer", "menu", "nav", "page-header")


def _names_a_title(el: Element) -> bool:
    if el.tag in ("h2", "h3") or el.get("itemprop") == "headline":
        return True
    return any(t == "title" or t == "headline" or t.endswith(("-title", "_title", "-headline", "_headline"))
               and not t.startswith(_NOT_ARTICLE_TITLES) for t in (el.get("class") or "").lower().split())


def _headline_like(el: Element) -> bool:
    text = clean(text_of(el))
    return 3 <= len(text) <= 200 and len(text.split()) <= 25


def _visible_headline(h1: str | None, title: str | None, site_titles: set[str]) -> str | None:
    """Without a headline in the metadata: the h1 when the page's title holds it as its main part ("Headline |
    Site"), else the title (the h1 of a page may be its site's or a section's name: "V8", "Health Center"). An h1
    showing the site's name (``site_titles``, lower case) is the site's logo even where that name is the longer
    part of the title ("Post | A Long Site Name"): the title names the page."""
    if not h1 or not title:
        return h1 or title
    if h1.lower() in site_titles:
        return title
    if _main_part_of(h1.lower(), title.lower()) or len(title.split()) < 3 <= len(h1.split()):
        return h1
    return title


_TITLE_SEPARATORS = tuple("|-–—:·•")


def _main_part_of(text: str, title: str) -> bool:
    """Whether ``text`` is the main part of a page's ``title`` (both in lower case): in it, and at least half of it
    ("Headline | Site"), or a headline's few words before a separator and a long site name ("Dredging Vote
    Delayed | Harbor Times – News for the Bay Area"). A blog's short name before a post's title ("Harbor Notes:
    Post Title", Blogger's) is neither."""
    return bool(text) and text in title and (2 * len(text) >= len(title) or len(text.split()) >= _HEADLINE_WORDS
                                             and title.startswith(text)
                                             and title[len(text):].lstrip()[:1] in _TITLE_SEPARATORS)


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
    return re.compile(rf"\s*[{re.escape(''.join(_TITLE_SEPARATORS))}]\s*(?:{names})\s*$", re.I) if names else None


def _dek_element(elements: NamedElements, h1: Element | None, headline: str | None, meta_line: _MetaLine
                 ) -> Element | None:
    """The visible dek under the headline: a dek-classed element, or the heading/paragraph right after the h1.

    ``elements``: the page's, in document order."""
    named_deks: list[Element] = []
    for el, class_attr, id_attr, _ in elements:
        if el is h1:
            named_deks = []  # a site's subtitle in its header, before the headline, is no dek
        elif (class_attr or id_attr) and _names_a_dek(class_attr, id_attr) \
                and not (id_attr and el.tag in _HEADLINE_TAGS and anchor_of_own_words(el, id_attr)):
            named_deks.append(el)  # a subheading a table of contents links to is the body's, no dek
    for el in outer_ones(named_deks):
        if _dek_like(el, headline, meta_line):
            return el
    # A page builder's excerpt widget (Elementor's theme-post-excerpt, Divi's post excerpt): the dek when it is the
    # page's only excerpt (a listing's teasers each have one).
    excerpts = outer_ones([el for el, class_attr, _, _ in elements if class_attr and _names_an_excerpt(class_attr)])
    if len(excerpts) == 1 and _dek_like(excerpts[0], headline, meta_line):
        return excerpts[0]
    if h1 is None or len(clean(text_of(h1)).split()) < _HEADLINE_WORDS:
        return None  # what follows a blog's name in its h1 is the blog's description
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
                and _dek_like(sibling, headline, meta_line):
            return sibling
        return None
    return None


def _lead_before(elements: NamedElements, h1: Element | None, root: Element, headline: str | None,
                 meta_line: _MetaLine) -> Element | None:
    """A lead the page shows between its headline and its body, outside the content root, named as one ("lead",
    "intro", "chapo", "perex", "Vorspann", "bajada", "teaser-text") or marked as the article's description by
    microdata (TYPO3's news extension): the dek, when no other is found. A lead inside the root is the
    body's first paragraph and stays there. ``elements``: the page's, in document order; the walk stops at the
    root's first one (the root may be a new holder of siblings)."""
    if h1 is None:
        return None
    first = root[0] if len(root) else root  # a new holder is none of ``elements``: its first sibling is
    seen_h1, leads = False, []
    for el, class_attr, id_attr, itemprop in elements:
        if el is root or el is first:
            break
        if el is h1:
            seen_h1 = True
        elif seen_h1 and ((class_attr or id_attr) and _names_a_lead(class_attr, id_attr)
                          or itemprop == "description" and _describes_the_article(el)):
            leads.append(el)
    holding_h1, holding_root = set(h1.iterancestors()), set(root.iterancestors())
    for el in outer_ones(leads):
        if el not in holding_h1 and el.tag not in ("figcaption", "figure") and el.get("itemprop") != "caption" \
                and _dek_like(el, headline, meta_line) and next(el.iter(*_HEADLINE_TAGS), None) is None \
                and el not in holding_root and _reads_as_a_lead(el):
            return el
    return None


# Levels above an itemprop="description" looked at for the microdata item it describes.
_ITEM_LEVELS = 4


def _describes_the_article(el: Element) -> bool:
    """Whether an ``itemprop="description"`` is the article's: the nearest item above it is an Article, not the
    author (a Person's bio), a picture or a video."""
    item = next((above for above in islice(el.iterancestors(), _ITEM_LEVELS) if above.get("itemscope") is not None),
                None)
    return item is not None and ARTICLE_ITEMTYPE.search(item.get("itemtype") or "") is not None


# Leads that are none: a player's, a picture's, a series box's, an advertisement's.
_NOT_A_LEAD = re.compile(r"caption|image|photo|video|audio|listen|player|media|series|advert|promo|author|sponsor|"
                         r"disclos|correction|podcast|newsletter|reading|(?:^|[-_\s])ad(?:$|[-_\s])", re.I)
_LEAD_MEDIA = ("img", "picture", "video", "audio", "iframe", "figure", "svg")
_SENTENCE_CLOSE = (".", "!", "?", "…", '"', "”", "»", "“", ")")
# A player's or a gallery's label opening the text ("Video: …", "Listen to this article").
_MEDIA_LABEL = re.compile(r"(?:video|watch|listen|audio|photos?|gallery|podcast)\b", re.I)


def _reads_as_a_lead(el: Element) -> bool:
    """Whether a lead-named element reads as a story's lead: sentences of prose (ending as one does, not in capitals,
    not mostly links), no picture or player in it, and no name of a player, a picture or an advertisement
    ("Listen to this article · 4 min", "ADVERTISEMENT - CONTINUE READING BELOW", "Watch: …"), nor a picture's
    caption left where the picture was."""
    text = clean(text_of(el))
    if len(text) < _LEAD_SHORTEST or not text.endswith(_SENTENCE_CLOSE) or text.isupper() or _MEDIA_LABEL.match(text) \
            or _ROLE_LABEL.match(text):  # "Editor's note: …", "Correction: …"
        return False
    if any(_NOT_A_LEAD.search(f"{part.get('class') or ''} {part.get('id') or ''}") for part in el.iter()) \
            or next(el.iter(*_LEAD_MEDIA), None) is not None:
        return False
    return 10 * sum(len(text_of(a)) for a in el.iter("a")) < 3 * len(text)


_LEAD_SHORTEST = 40


@lru_cache(maxsize=4096)
def _names_a_lead(class_attr: str | None, id_attr: str | None) -> bool:
    return any(_LEAD_TOKEN.search(token) for token in (class_attr or "").split() + ([id_attr] if id_attr else []))


@lru_cache(maxsize=4096)
def _names_a_dek(class_attr: str | None, id_attr: str | None) -> bool:
    """Cached by attribute value: a theme repeats the same few class strings on every page."""
    return any(_DEK_TOKEN.search(token) for token in (class_attr or "").split() + ([id_attr] if id_attr else []))


@lru_cache(maxsize=4096)
def _names_an_excerpt(class_attr: str) -> bool:
    return "excerpt" in class_attr and any(_EXCERPT_TOKEN.search(token) for token in class_attr.split())


def _dek_like(el: Element, headline: str | None, meta_line: _MetaLine) -> bool:
    text = clean(text_of(el))
    return 15 <= len(text) <= 400 and text != clean(headline) and not text.lower().startswith("by ") \
        and next(el.iterdescendants("img", "figure"), None) is None and not _SECOND_P(el) \
        and not _date_line(el, text) and not meta_line(el)


# Text beside the dates of a line that leaves it a date line ("Jane Doe · March 3, 2025 · 2 responses").
_DATE_LINE_REST = 40


def _date_line(el: Element, text: str) -> bool:
    """Whether a dek candidate is the header's date line: its <time>s, and little else."""
    times = [len(clean(text_of(time))) for time in el.iter("time")]
    return bool(times) and len(text) - sum(times) < _DATE_LINE_REST


# What a header's meta line shows besides its author's name, dates and reading time: "Follow", "Published in" (its
# publication's name aside), "Updated", the counts of likes and comments, separators, the buttons beside them. Not
# "By": a "By …" line is the byline rules' to read (the story's own, which may name more writers than the metadata).
# A word between non-letters: a count before it may be glued to it ("2Share").
_META_LINE_REST = re.compile(r"(?<![^\W\d_])(?:and|follow|published|posted|updated|in|on|share|listen)(?![^\W\d_])"
                             r"|\d+|[^\w\s]|_")
_READING_TIME = re.compile(READING_TIME, re.I)


@dataclass(frozen=True)
class _MetaLine:
    """Whether a short element is the header's meta line ("Hannah Corbett · Mar 12, 2025", "5 min read · Mar 12, 2025"):
    the author's name as the page's metadata gives it, a date or a reading time, and nothing else but the words
    and counts around them. A theme names that line as it likes (Substack's "byline-wrapper", Medium's none), so
    its text decides; a lede, a dek or a dateline has other words."""
    names: tuple[str, ...]  # lower case: the people the metadata names as authors
    sites: tuple[str, ...]  # lower case: the site's and the publisher's names

    @classmethod
    def of(cls, meta: PageMeta) -> _MetaLine:
        not_people = partners.all_partner_names()
        return cls(tuple(dict.fromkeys(name.lower() for found in (*meta.authors, meta.twitter_written_by,
                                                                  meta.meta_author)
                                       if found for name in people(found, not_people=not_people))),
                   tuple(name.lower() for name in (meta.site_name, meta.publisher) if name))

    def __call__(self, el: Element) -> bool:
        """Read with a space between the element's texts: a theme's spans and divs need none to show apart. Two
        of the three kinds it shows (the writer, a date, a reading time): one alone is the story's as often (a
        timeline's first date, a live blog's first time, an interview's first speaker, "On March 3, 2025.")."""
        rest, dates = without_visible_dates(clean(" ".join(el.itertext()), markup=False))
        rest, times = _READING_TIME.subn(" ", rest)
        rest, named = rest.lower(), False
        for name in self.names:
            if name in rest:
                rest, named = rest.replace(name, " "), True
        for site in self.sites:
            rest = rest.replace(site, " ")
        return (named + bool(dates) + bool(times)) >= 2 and not _META_LINE_REST.sub("", rest).strip()


def _meta_lines(h1: Element | None, dek: Element | None, root: Element, meta_line: _MetaLine) -> list[Element]:
    """The header's meta lines in the body: the short blocks between the headline (and its dek) and the story's
    first text that ``meta_line`` reads as one. Whatever else shows text there ends the look: the story has
    started, or the header holds more than a theme's meta line."""
    if h1 is None:
        return []
    passed: set[Element] = set(dek.iter()) if dek is not None else set()
    found = []
    for el in _elements_after(h1):
        if el in passed:
            continue
        if _text_shorter_than(el, _HEADER_LINE_MAX):
            if not clean(text_of(el)):
                continue  # a picture, an icon
            if meta_line(el):
                found.append(el)
                passed.update(el.iter())
                continue
        if (el.text or "").strip():
            break
    return [el for el in found if root in el.iterancestors()]


def _byline_candidates(doc: Element, meta: PageMeta, elements: NamedElements,
                       author_rel: bool) -> tuple[list[tuple[str, str]], list[Element]]:
    """The byline candidates, and the first few elements of the byline markup they were read from.

    ``elements``: every element of the page; ``author_rel``: whether a link's rel may name an author."""
    candidates = [("json-ld", name) for name in meta.authors]
    shown: list[Element] = []
    for found in _byline_markup(doc, elements, author_rel):
        outer = outer_ones(found)
        texts = [t for t in dict.fromkeys(_byline_text(el) for el in outer) if t]
        if texts:
            candidates += [("byline-markup", text) for text in texts]  # one each: a byline is one element's
            shown = outer[:_BYLINE_LINES]
            break
    if meta.twitter_written_by:
        candidates.append(("twitter", meta.twitter_written_by))
    if meta.meta_author:
        candidates.append(("meta", meta.meta_author))
    return candidates, shown


_ROLE_LABEL = re.compile(r"[^:]{1,30}:\s")
_NOT_A_WRITER = re.compile(r"photo|video|graphic|illustrat|camera|design|journalist", re.I)
_A_WRITER = re.compile(r"writer|reporter|correspondent|author", re.I)


def _byline_text(el: Element) -> str:
    """A byline element's text, its authors' list items apart: a theme listing its authors' links (``<li>`` each,
    no space between) would otherwise run their names together ("Jane DoeJohn Roe")."""
    # The items naming a person, two at least: a list of the writer's social links, or of a date and a reading
    # time, is read as the element's text.
    items = [li for li in outer_ones(list(el.iter("li"))) if people(clean(text_of(li)))]
    if len(items) < 2:
        return clean(text_of(el))
    # An item labelled with a role ("Photos: …") or naming one ("…, Photographer") names no writer.
    names = (clean(text_of(li)) for li in items)
    return ", ".join(dict.fromkeys(name for name in names if name and not _ROLE_LABEL.match(name)
                                   and not (_NOT_A_WRITER.search(name) and not _A_WRITER.search(name))))


def _remove_byline_lines(root: Element, shown: list[Element]) -> None:
    """Byline markup read inside the body leaves it, with the short block around it ("JANE DOE | AP | May 2"):
    the largest block above it whose text stays short. A name inside a paragraph of story text stays."""
    for el in shown:
        if root not in el.iterancestors():
            continue
        line = None
        for node in chain([el], el.iterancestors()):
            if node is root or len(text_of(node)) >= _HEADER_LINE_MAX:
                break
            line = node
        if line is not None and line.tag in BLOCK_TAGS:
            remove_all([line])


def _header_byline(h1: Element) -> str | None:
    """The names of a "By …" line among the first elements after the headline, outside the content container as
    often as in it (an all-caps "BY JANE DOE" block under the title). The line, read, is emptied: wherever the
    content root turns out to be, it is no story text. The look ends once the story has started (a second paragraph
    of text: the first may be the dek): a "Written by" line after it is story text (a review's credits for a
    film)."""
    paragraphs = 0
    for el in _elements_after(h1):
        first = next((t for t in islice(el.itertext(), 3) if not t.isspace()), "")
        if el.tag == "p" and len(first.strip()) > _STORY_LINE and (paragraphs := paragraphs + 1) >= 2:
            return None
        if first.lstrip()[:1] not in _BYLINE_INITIALS:
            continue  # the cheap look: most elements' text starts with no "By", "Written", "Story"…
        text = _short_text(el, 120)
        if text and (match := _HEADER_BY.match(text)) \
                and people(match.group("names"), not_people=partners.all_partner_names()):
            if len(text_of(el)) < _HEADER_LINE_MAX:
                el.clear(keep_tail=True)
            return match.group("names")
    return None


def _short_text(el: Element, limit: int) -> str | None:
    """The cleaned text of an element's first few text nodes, when it is short (None otherwise): a look at a line
    that costs a constant, however long the element."""
    texts = [t for t in islice(el.itertext(), _HEADER_TEXT_NODES) if not t.isspace()]
    if sum(map(len, texts)) > 4 * limit:
        return None
    text = clean(" ".join(texts), markup=False)
    return text if 4 < len(text) < limit else None


# The first elements after the headline that may be its date line, and the longest such line (a date and a
# reading time; a paragraph mentioning a date is story text).
_DATE_LOOK_AHEAD, _DATE_LINE = 6, 60
_LINE_TAGS = frozenset({"p", "div", "time", "span"})


def _date_under(h1: Element | None, site_names: set[str]) -> str | None:
    """A date alone on a short line among the first elements after the headline's h1 (Gatsby's starter:
    ``<h1>…</h1><p>March 04, 2025</p>``), or on a "By …" line in a span (AMP Start's hero). Not after an h1 that
    is a site's name (a masthead showing today's date)."""
    shown = clean(text_of(h1)) if h1 is not None else ""
    if h1 is None or len(shown.split()) < _HEADLINE_WORDS or shown.lower() in site_names:
        return None
    for el in islice(_elements_after(h1), _DATE_LOOK_AHEAD):
        if el.tag not in _LINE_TAGS or not (text := _short_text(el, _DATE_LINE)):
            continue
        if el.tag == "span" and (_in_paragraph(el) or not text.startswith(("By ", "by "))):
            continue  # a date in a sentence, a caption, or an event's line
        if found := find_visible_date(text):
            return found
    return None


# A headline has a few words; a site's name or a section's in an h1 may have fewer.
_HEADLINE_WORDS = 3


def _in_paragraph(el: Element) -> bool:
    """Whether an inline element is part of a paragraph's sentence or a caption (a date there is the story's)."""
    return any(ancestor.tag in ("p", "li", "figcaption") for ancestor in islice(el.iterancestors(), _CARD_LEVELS))


def _elements_after(el: Element) -> Iterator[Element]:
    """The first elements after ``el`` in document order (its own descendants aside), at most a fixed number."""
    count = 0
    for node in chain([el], el.iterancestors()):
        if node.tag == "body":
            return
        for sibling in node.itersiblings():
            for found in sibling.iter(etree.Element):
                yield found
                count += 1
                if count >= _HEADER_LOOK_AHEAD:
                    return


def _contributor_boxes(candidates: list[Element]) -> list[Element]:
    """The author boxes among ``candidates`` (elements whose class may name one), outermost, none holding the
    headline (a theme's wrapper of the whole post). A box named only "bio" is the writer's when it opens saying so
    ("Written by …", Gatsby's starter): a story may show the bio of the person it is about."""
    boxes = outer_ones([box for box in candidates if _names_a_box(box.get("class"), box.get("id"))])
    return [box for box in boxes if next(box.iter("h1"), None) is None and (
        "bio" not in class_tokens(box) or _WRITTEN_BY.search(" ".join(islice(box.itertext(), _HEADER_TEXT_NODES))))]


@lru_cache(maxsize=4096)
def _names_a_box(class_attr: str | None, id_attr: str | None) -> bool:
    """Whether a class (or id) token names an author box. Cached: a page repeats its teasers' "author" classes."""
    return any(_CONTRIBUTOR_BOX.search(token) for token in (*(class_attr or "").split(), *filter(None, [id_attr])))


@lru_cache(maxsize=4096)
def _may_name_a_box(class_attr: str) -> bool:
    return "author" in class_attr or "contributor" in class_attr or "sabox" in class_attr or "bio" in class_attr


def _contributor_name(boxes: list[Element]) -> str | None:
    """The writer an author box names ("About the author" + a name): its first heading, link or name element
    that reads as a person's name."""
    return next((text for box in boxes for el in islice(box.iter(_CONTRIBUTOR_NAME_TAGS), 12)
                 if (text := _short_text(el, 60)) and person_name(text, partners.not_person_names())), None)


def _meta_names_a_person(meta: PageMeta) -> bool:
    return any(people(name, not_people=partners.all_partner_names())
               for name in (*meta.authors, meta.twitter_written_by, meta.meta_author) if name)


def _byline_markup(doc: Element, elements: NamedElements, author_rel: bool) -> Iterator[list[Element]]:
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
    yield [el for el, class_attr, _, _ in elements if class_attr and "author" in class_attr and (
        any(name in class_attr for name in _AUTHOR_CLASSES) or _AUTHOR_TOKEN.search(class_attr))]
    yield [el for el, class_attr, _, _ in elements if class_attr and "byline" in class_attr and (
        "article-byline" in class_attr or "post-byline" in class_attr or "byline" in XML_SPACE.split(class_attr))]


def _itemprop_authors(doc: Element) -> list[Element]:
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

    def __init__(self, holders: list[Element]) -> None:
        self._holders = set(holders)
        self._known: dict[Element, bool] = {}  # an element is one of the holders or inside one

    def __call__(self, el: Element) -> bool:
        climbed, node = [], el.getparent()
        while node is not None and node not in self._holders and node not in self._known:
            climbed.append(node)
            node = node.getparent()
        found = node is not None and (node in self._holders or self._known[node])
        for ancestor in climbed:
            self._known[ancestor] = found
        return found


# Elements after the headline looked at for the lead picture, and levels above it they are looked for in.
_LEAD_LOOK_AHEAD, _LEAD_LEVELS = 200, 3


def _lead_figure_image(h1: Element | None, dek: Element | None, base_url: str | None) -> str | None:
    """The picture of a figure (or a WordPress post thumbnail, ``img.wp-post-image``) between the headline and the
    story's first paragraph, the dek passed over: the lead picture of a page that names no featured image (WordPress
    or Joomla with no SEO plugin to name it). Looked for in the elements after the h1, up to three levels above it,
    a constant number of them."""
    if h1 is None:
        return None
    # A WordPress post thumbnail above the headline, in the article holding it (ColorMag's layout).
    above = next((el for el in islice(_around(h1, preceding=True), _LEAD_LOOK_AHEAD)
                  if el.tag == "img" and "wp-post-image" in (el.get("class") or "").split()), None) \
        if next(h1.iterancestors("article"), None) is not None else None
    if above is not None:
        return best_image_source(above, base_url)[0]
    dek_paragraphs = set(dek.iter("p")) if dek is not None else set()
    for el in islice(_around(h1), _LEAD_LOOK_AHEAD):
        tag = el.tag
        img = next(el.iter("img"), None) if tag == "figure" else \
            el if tag == "img" and "wp-post-image" in (el.get("class") or "").split() else None
        if img is not None:
            return best_image_source(img, base_url)[0]
        if tag == "p" and el not in dek_paragraphs and len(text_of(el)) >= _STORY_LINE:
            return None
    return None



def _around(el: Element, preceding: bool = False) -> Iterator[Element]:
    """The elements after ``el`` in document order (or before it, nearest first, and not beyond its ``<article>``:
    a card of another post may come before it), within its ancestors up to ``_LEAD_LEVELS`` above it."""
    for _ in range(_LEAD_LEVELS + 1):
        if preceding and el.tag == "article":
            return
        for sibling in el.itersiblings(preceding=preceding):
            yield from sibling.iter(etree.Element)
        parent = el.getparent()
        if parent is None or parent.tag in ("body", "html"):
            return
        el = parent


def _heads_and_feet(root: Element, footers: list[Element]) -> list[Element]:
    """The outermost ``<header>`` elements under the content root (an ``<article>`` taken whole), and the
    articles' own ``<footer>``s in it (``footers``: found before the content root moved siblings into a new
    holder): they leave the body."""
    own_footers = set(footers)
    parts = [el for el in root.iter("header", "footer") if el is not root and (el.tag == "header" or el in own_footers)]
    inside_another = _Inside(parts)
    return [el for el in parts if not inside_another(el)]


def _remove_header_parts(root: Element, h1: Element | None, dek: Element | None,
                         heads_and_feet: list[Element]) -> None:
    """The content root may be the whole ``<article>``: the headline, dek, header metadata and the article's
    footer are not body. Removed together: one by one, nested ones were each moved out of the page again."""
    remove_all([*heads_and_feet, *(el for el in root.iter(etree.Element) if el is not root and (
        el.tag in ("h1", "time") or el is dek or el is h1 or _names_header_part(el.get("class"), el.get("id"))))])


@lru_cache(maxsize=4096)
def _names_header_part(class_attr: str | None, id_attr: str | None) -> bool:
    """Whether a class token or the id, in lower case, is a header part's name: what ``class_tokens`` gives,
    tested without splitting (``\\s`` and ``str.split`` agree on every space, and lower case never makes or
    unmakes one)."""
    return bool(class_attr and _HEADER_PART_CLASS.search(class_attr.lower())) \
        or (id_attr or "").lower() in _HEADER_PART_NAMES


def _text_shorter_than(el: Element, limit: int) -> bool:
    """``len(clean(text_of(el), markup=False)) < limit`` without cleaning a whole article to learn that it is long:
    the start of a text without "&" up to a space cleans to the start of the cleaned text. (With "&", whether the
    text is decoded once more depends on all of it.) Escaped markup in the text ("&lt;planning@harbor.gov&gt;")
    is text: it counts."""
    if next(el.iter("script"), None) is not None:  # JSON-LD, which the chrome walk leaves, is not shown
        text = "".join(_SHOWN_TEXTS(el))
    else:
        text = text_of(el)
    if "&" not in text and (cut := text.find(" ", limit * 4)) > 0 and len(clean(text[:cut], markup=False)) >= limit:
        return False
    return len(clean(text, markup=False)) < limit


_SHOWN_TEXTS = etree.XPath("descendant::text()[not(parent::script)]")


def _is_listing(doc: Element, meta: PageMeta, root: Element, signed: bool, own_path: str) -> bool:
    """A home, category or search page: several ``<article>`` teasers, none of them the article, and no article
    metadata. An article page shows teasers too (related stories): there the content root is in an ``<article>``
    twice as long as any other (a block of links marked up as one, a "read also" box or a news ticker, is none), or
    outside them all, or holds more text of its own than theirs. A teaser links to its story: ``<article>``s that
    lead to no other page are the sections of one (a CMS's content elements), whatever their number. Without
    ``<article>``s, teasers are told by their linked headings, on a page that shows no byline of its own
    (``signed``): a listicle's or a roundup's headings may link away too."""
    if meta.published or meta.authors:
        return False
    articles = outer_ones(list(doc.iter("article")))
    if len(articles) < 3:
        return not signed and _teaser_headings(root, own_path)
    inside = set(root.iterdescendants("article"))
    teasers = [len(text_of(article)) for article in articles if article in inside and _leads_away(article, own_path)]
    if len(teasers) >= 2:
        root_length = len(text_of(root))
        return sum(teasers) >= root_length / 2 and max(teasers) < root_length / 2
    holder = root if root.tag == "article" else next(root.iterancestors("article"), None)
    return holder is not None and _text_length(holder) < 2 * max(
        (_text_length(article) for article in articles
         if article is not holder and _link_list(article, own_path) is None), default=0)


def _text_length(el: Element) -> int:
    """The length of the text a reader sees in ``el``: not the spaces and line breaks of its markup's layout."""
    return len(clean(text_of(el), markup=False))


# A link to a picture file shows the picture (an enlargement, a lightbox): it leads to no other page.
_PICTURE_FILE = re.compile(r"\.(?:jpe?g|png|gif|webp|avif|svg|bmp|tiff?)$")


def _leads_away(article: Element, own_path: str) -> bool:
    """Whether an ``<article>`` may be a teaser: it links to another page (as a teaser does, to its story), or is in
    a link (a card that is one link), or links nowhere at all (a card that navigates by script); not one whose only
    links show its pictures enlarged (a section of a story)."""
    enlarges = False
    for a in article.iter("a"):
        if _navigates(a, own_path):
            if not _PICTURE_FILE.search(_path_of(a.get("href") or "").split("?")[0]):
                return True
            enlarges = True
    return not enlarges \
        or any(a.tag == "a" and _navigates(a, own_path) for a in islice(article.iterancestors(), _CARD_LEVELS))


# Links to other pages that make a body of links (a tag page's, a site map's) when they hold most of its text.
_LIST_LINKS = 3
_NOT_NAVIGATING = ("javascript:", "mailto:", "tel:", "data:")


def _link_list(root: Element, own_path: str) -> int | None:
    """How many links to other pages, each an item of its own (in a list item, or alone on its line), hold most of
    the text of ``root``, when they do (an index, tag or menu page, whose list items the content root is); None
    for an article. Links inside sentences are a story's. A link that leads nowhere (``#``, ``javascript:``, the page
    itself) is text to a reader, and leaves the published body. The text is an element's: a "<" in it is text, no
    tag to strip."""
    line_lengths: dict[Element, int] = {}  # each link's parent's text length, read once per parent
    links = [a for a in root.iter("a") if _navigates(a, own_path) and _stands_alone(a, line_lengths)]
    if len(links) < _LIST_LINKS:
        return None
    linked = sum(_text_length(a) for a in links)
    return len(links) if 2 * linked > _text_length(root) else None


# Text beside a link on its line that leaves it an item of a list ("March 3, 2025", "(video)").
_ITEM_EXTRA = 40


def _stands_alone(link: Element, line_lengths: dict[Element, int]) -> bool:
    """Whether a link is an item of a list: in a list item, on its own line among others (``<br>``s), or with little
    other text in its parent."""
    parent = link.getparent()
    if parent is None:
        return False
    if parent.tag in ("li", "dd", "dt"):
        return True
    if parent not in line_lengths:  # a block of links, one per line, is a list too
        line_lengths[parent] = -1 if sum(1 for child in parent if child.tag == "br") else len(text_of(parent))
    return line_lengths[parent] < 0 or line_lengths[parent] - len(text_of(link)) <= _ITEM_EXTRA


_HEADINGS = _HEADLINE_TAGS[1:]  # below the h1


def _teaser_headings(root: Element, own_path: str) -> bool:
    """Whether ``root`` reads as teasers in lists or ``<div>``s (Joomla's blog items, a Jekyll home page), or is
    in one of them beside its like (a card's text: Grav's Quark): two or more headings, nearly all of them each a
    link to another page, and either the first of them before most of the text or teasers' text after them. A
    story's subheadings link nowhere, and a story's "see also" links come after it, with no text of their own."""
    scope = root if (listed := _teaser_list(root, own_path)) is None else listed
    headings = list(scope.iter(*_HEADINGS))
    linked = [heading for heading in headings if _links_away(heading, own_path)]
    if len(linked) < 2 or 4 * len(linked) < 3 * len(headings):
        return False
    whole, before = text_of(scope), _text_before(linked[0], scope)
    titles = sum(len(text_of(heading)) for heading in linked)
    return 2 * before <= len(whole) or len(clean(whole[before:])) >= 2 * titles


def _text_before(el: Element, scope: Element) -> int:
    """The length of the text of ``scope`` before ``el``, in document order: of the elements before it, their text,
    and the tail of those it is not inside (their whole content came before it)."""
    holding = set(el.iterancestors())
    count = len(scope.text or "")
    for node in scope.iterdescendants():
        if node is el:
            break
        count += (len(node.text or "") if isinstance(node.tag, str) else 0) + (
            0 if node in holding else len(node.tail or ""))
    return count


def _teaser_list(root: Element, own_path: str) -> Element | None:
    """The list holding ``root`` as (part of) one of its items: the parent of ``root`` or of an element a few
    levels above it that has siblings of its kind and class, and a linked heading of its own."""
    for unit in islice(chain([root], root.iterancestors()), _CARD_LEVELS):
        parent, kind = unit.getparent(), (unit.tag, unit.get("class"))
        if parent is None or parent.tag == "body":
            return None
        if kind[1] and any((sibling.tag, sibling.get("class")) == kind for sibling in parent if sibling is not unit) \
                and any(_links_away(heading, own_path) for heading in unit.iter(*_HEADINGS)):
            return parent
    return None


def _links_away(heading: Element, own_path: str) -> bool:
    """Whether a heading's text is a link to another page, or the heading is in one (a card that is one link, as
    Wagtail's demo prints its blog index)."""
    text = len(clean(text_of(heading)))
    return text > 0 and (
        any(5 * len(clean(text_of(a))) >= 4 * text for a in heading.iter("a") if _navigates(a, own_path))
        or any(a.tag == "a" and _navigates(a, own_path) for a in islice(heading.iterancestors(), _CARD_LEVELS)))


# How far above a heading a link holding a whole teaser card is looked for.
_CARD_LEVELS = 4


def _navigates(link: Element, own_path: str) -> bool:
    """Whether a link leads to another page: not "javascript:" or the like, no anchor ("#intro", or a URL with one,
    as documentation and blog themes link each heading to itself), and not the page itself (``own_path``: its
    URL's path, as :func:`_path_of` gives it)."""
    href = (link.get("href") or "").strip().lower()
    return bool(href) and not href.startswith(_NOT_NAVIGATING) and "#" not in href and _path_of(href) != own_path


def _path_of(url: str) -> str:
    """A URL's path and query in lower case, without a trailing slash: what tells the page's own links (WordPress's
    plain permalinks are queries: "/?p=11")."""
    try:
        parts = urlsplit(url.strip().lower())
    except ValueError:  # an unclosed "[" IPv6 literal
        return url
    return parts.path.rstrip("/") + (f"?{parts.query}" if parts.query else "")


def _visible_date(date_like: list[Element]) -> str | None:
    """A date shown only as text in the article header ("April 2, 2022 9:12 AM | 2 min read"): the first of the
    page's time elements and elements whose class speaks of a date, a byline or meta data that shows one."""
    for el in outer_ones(date_like):
        if found := find_visible_date(clean(text_of(el))):
            return found
    return None


def _url_date(url: str | None) -> str | None:
    """The day a dated permalink names ("/2024/03/12/slug/"): the last date the page itself gives."""
    match = _URL_DATE.search(url or "")
    if match is None:
        return None
    year, month, day = (int(part) for part in match.groups())
    return f"{year:04d}-{month:02d}-{day:02d}" if 1990 <= year <= 2100 and 1 <= month <= 12 and 1 <= day <= 31 \
        else None


class _PageDates:
    """The page's time elements, microdata dates and elements whose class speaks of a date, for the date rules:
    picked in one pass, when a date is first looked for, from the elements the chrome walk kept (with the class and
    itemprop it read), where each rule was a walk of the page. Read before anything else leaves the page (the
    header's byline line, which may hold the date)."""

    def __init__(self, elements: NamedElements) -> None:
        self._elements = elements
        self._picked: list[Element] | None = None

    def _page_ones(self) -> list[Element]:
        if self._picked is None:
            self._picked = [el for el, class_attr, _, itemprop in self._elements
                            if class_attr and _may_name_a_date(class_attr) or itemprop in _DATE_PROPS
                            or el.tag == "time"]
        return self._picked

    def stated(self, word: str, prop: str) -> list[Element]:
        """A ``<time datetime>`` whose class holds ``word`` or whose itemprop is ``prop``, or any element with that
        itemprop and a ``content``."""
        return [el for el in self._page_ones() if el.get("itemprop") == prop and (
            el.get("content") is not None or el.tag == "time" and el.get("datetime") is not None)
            or el.tag == "time" and word in (el.get("class") or "") and el.get("datetime") is not None]

    def times(self) -> list[Element]:
        return [el for el in self._page_ones() if el.tag == "time" and el.get("datetime") is not None]

    def date_like(self) -> list[Element]:
        return [el for el in self._page_ones() if el.tag == "time" or el.tag != "meta" and any(
            word in (el.get("class") or "") for word in ("date", "byline", "posted", "published", "meta"))]


_DATE_PROPS = frozenset({"datePublished", "dateModified"})


@lru_cache(maxsize=4096)
def _may_name_a_date(class_attr: str) -> bool:
    return any(word in class_attr for word in ("date", "byline", "posted", "meta", "published", "updated"))


def _first_attr(elements: list) -> str | None:
    """The first date an element states in ``datetime`` or ``content``, or as a date in ``title`` (hAtom's
    ``<abbr title="2016-12-06T12:06:00-08:00">``)."""
    for el in elements:
        title = el.get("title")
        value = el.get("datetime") or el.get("content") or (title if parse_datetime(title) else None)
        if value:
            return value
    return None
