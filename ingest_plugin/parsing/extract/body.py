"""Find the article content in a page and strip what is not the article.

The content root is found by known containers *and* by where the paragraph text is, so no single theme's CSS
selector decides it. Chrome is removed by element kind, by class/id tokens, and (for promos that carry no class)
by text patterns.
"""
from __future__ import annotations

import heapq
import re
from functools import lru_cache
from itertools import islice
from typing import Iterable, Iterator
from urllib.parse import SplitResult, urljoin, urlsplit, urlunsplit

from lxml import etree
from lxml.etree import _Element as Element

from ingest_plugin.parsing.model import Ticker
from ingest_plugin.parsing.text import clean

BLOCK_TAGS = frozenset({"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "table", "figure",
                        "blockquote", "section", "article", "header", "footer", "aside", "nav", "main", "pre",
                        "hr", "dl", "form", "figcaption", "address"})
_ALWAYS_CHROME_TAGS = frozenset({"script", "style", "noscript", "template", "form", "button", "input", "select",
                                 "textarea", "nav", "aside", "footer", "dialog", "svg", "math", "object", "embed",
                                 "iframe", "frame", "frameset", "link", "meta", "base", "canvas", "audio", "video",
                                 "map"})
# Not "source": libxml2 nests a <picture>'s image in its unclosed <source>, and an <audio>'s or <video>'s go with them.
# Furniture of these kinds (a form, a layout wrapper named like furniture) stays when it holds most of the page's
# text: ASP.NET wraps the whole page in one form, and a page built by script may show its story only in <noscript>
# (Blogger's dynamic views). Other kinds (a script, a link) never hold it.
_MAY_HOLD_ARTICLE = frozenset({"div", "section", "form", "main", "span", "table", "tbody", "tr", "td", "center",
                               "aside", "header", "footer", "nav", "dialog", "font", "dl", "dd", "blockquote",
                               "noscript"})
# A menu's or a sidebar's list holds the rest of the page only when libxml2 nests it there (an unclosed item or
# sub-menu): it stays when it holds the page's <main>, or most of its text outside links (a mega-menu's is links).
_LIST_TAGS = frozenset({"ul", "ol", "li"})
_CHROME_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary", "search", "dialog"})
# Class or id tokens of site furniture: the token, or the token and more after a "-" or "_" ("sidebar-primary"),
# but not a state or size ("menu-open", "nav-visible", "share-xs": layout classes of the page around them).
_CHROME_TOKEN = re.compile(
    r"^(?:skip-link|screen-reader-text|sr-only|visually-hidden|menu|navbar|nav|navigation|site-header|site-footer"
    r"|header-wrap|masthead|breadcrumbs?|sidebar|widget|widget-area|share|shares|sharing|sharedaddy|social|"
    r"social-share|share-buttons|sd-sharing|jp-relatedposts|related|related-posts|related-articles|yarpp|"
    r"newsletter|subscribe|subscription|signup|promo|promotion|sponsored|advert|advertisement|adsbygoogle|dfp|"
    r"cookie|cookies|cookie-banner|cookie-notice|gdpr|consent|comments?|comment-respond|"
    r"respond|post-navigation|nav-links|pagination|tags-links|post-tags|tag-links|cat-links|entry-footer|"
    r"author-box|author-bio|about-author|recommended|outbrain|taboola|zergnet|popup|"
    r"toolbar|read-more|more-stories|trending|most-popular|key-points|keypoints|"
    r"zinger-key-points|article-share|post-share|entry-share|slick-arrow|slick-dots|swiper-button|"
    r"swiper-pagination|carousel-control|carousel-indicators|slideshow-controls|slideshow-nav|gallery-nav)"
    r"(?:$|[-_](?!(?:open|opened|active|visible|enabled|closed|expanded|collapsed|xs|sm|md|lg|xl)"
    r"$))"
    # Words that name furniture only alone (or numbered): "modal-open", "hidden-xs", "paywall-content" are not.
    r"|^(?:ads?|modal|paywall|hidden|print-only)(?:[-_]?\d+)?$"
    # A menu named for where it shows ("mobile-nav", "main-menu", "offcanvas-navigation"), whatever element holds
    # it: the whole token, or with its wrapper's word ("mobile-menu-push" wraps a theme's content).
    r"|^(?:mobile|main|primary|secondary|top|site|global|header|footer|side|off-?canvas)[-_]?(?:nav|navigation|menu)"
    r"(?:[-_](?:wrap|wrapper|container))?$", re.I)
# Advertising slots, related-story modules, tag lists, promos and slideshows (their captions and controls), wherever
# the theme puts the word in a token ("td-a-rec", "jnews_related_post_container", Drupal's "field--name-field-tags",
# "inline-gallery-embedded"), Disqus's comments ("disqus_thread", Hugo's "dsq-brlink") and links to the previous and
# next posts (Eleventy's "links-nextprev").
_CHROME_PART = re.compile(r"(?:^|[-_])(?:ad|ads|adspot|adslot|advert|adverts|advertisement|a-rec|dfp|gpt|related|tags|"
                          r"disqus|dsq|nextprev|prevnext|prev-next|next-prev|"
                          r"relatedposts|outbrain|taboola|most[-_]popular|trending|newsletter|recommended|slideshow|"
                          r"carousel|slider|gallery[-_]embed(?:ded)?)"
                          r"(?:$|[-_])", re.I)
# Share buttons, whatever plugin prefixes them ("essb_share", "heateor_sss_sharing", Shariff's "shariff"), and print
# buttons ("print-button", "print-this"): not ratings or bookmarks, which a review's scores and Ghost's bookmark
# cards (a cited report) are named for too, nor "small-print" or "content-to-print".
_WIDGET_PART = re.compile(r"(?:^|[-_])(?:share|sharing|shariff)(?:$|[-_])"
                          r"|(?:^|[-_])print[-_](?:button|btn|icon|link|page|this|article)s?$|^print$", re.I)
_WIDGET_WORDS = ("shar", "print")
# The row of the article's header the buttons share with its byline ("article-byline-share", "meta-share",
# "author-rating") is no button.
_HEADER_ROW = re.compile(r"byline|author|meta|dateline", re.I)
_NEVER_CHROME = frozenset({"html", "body", "main", "article"})
# An author's own blocks: a slideshow block's pictures are the article's (its controls are furniture). And a token
# saying what the element has ("has-sidebar", Elementor's "has_ae_slider", a BEM modifier "o-section--has-ads")
# names a state of a section of the page, not furniture.
_CHROME_TOKEN_EXCEPTIONS = re.compile(r"^(?:wp-block-embed|twitter-tweet|instagram-media|wp-caption|"
                                      r"wp-block-jetpack-slideshow)|(?:^|[-_])has[-_]", re.I)
# Tokens of an article's own container: an element carrying one is no furniture whatever else it is named
# (Blogger's posts are in a "widget Blog", Hueman's in an "entry themeform share"), and so is one spelled the BEM way
# ("article__content": the "content" element of an "article" block).
_CONTENT_TOKENS = frozenset({"Blog", "hentry", "entry-content", "post-body", "article-body", "post-content",
                             "story-body", "articleBody", "article-content", "entry"})
# An element declaring itself the article (its microdata item, or the item's body) is none of the page's furniture,
# whatever its class says: a "print-only" article the page shows too, a "carousel content" body.
ARTICLE_ITEMTYPE = re.compile(r"(?:Article|BlogPosting)\s*$")
# Article-body containers of common themes (a partner's own are its ``containers``, data).
_CONTAINER_CLASSES = frozenset({"entry-content", "td-post-content", "post-content", "article-body", "post-body",
                                "story-body", "article-content"})
# XML white space: what separates class tokens, and what XPath's normalize-space() strips (not NBSP: it can be part
# of a token).
XML_SPACE = re.compile(r"[ \t\r\n]+")
# How long a story takes to read, as a theme shows it ("4 min read", "3 Min. Lesezeit").
READING_TIME = r"\d{1,3} ?(?:min(?:ute)?s?|Min\.?) (?:read|Lesezeit|de lecture|de lectura|de leitura)"
_PROMO_TEXT = re.compile(
    r"^(?:See Also|Related Links?|Related|Also Read|Read Next|Read More|Read Also|Also See|More From \w+|"
    r"Don['’]t Miss|Now Read|Check (?:It )?Out|Trending|Recommended(?: for you| from our partners)?|"
    r"You (?:may|might) also like|Sponsored|Popular|Must Read|Editor['’]s Picks?|Top Stories|Latest News|"
    r"Also on \w+|More (?:Stories|News|Articles)|Related (?:Stories|Articles|Posts|News|Coverage))"
    r"\s*(?::|：|-|–|—|…|\.\.\.|$)"
    # A page's own furniture as a line of text: how long the story takes to read, the state of its comments.
    rf"|^{READING_TIME}$"
    r"|^(?:Reading time|Read time|Lesezeit|Temps de lecture|Tiempo de lectura)\s*+:?\s*+\d{1,3} ?"
    r"(?:min(?:ute)?s?|Min(?:uten)?)\.?$"
    r"|^(?:Comments are closed|Kommentare (?:sind )?geschlossen|Les commentaires sont fermés)\.?$"
    # Calls to action, embeds' fallback text (Instagram's), a slideshow's controls.
    r"|^Get\b[^,.!?]{1,60}\bon the go\b[^,.]{0,40}[.!]?$|^(?:Download|Get) (?:the|our) [^,.]{1,40} app\b[^,]{0,60}$"
    r"|^View this (?:post|profile|photo|video) on (?:Instagram|Facebook|TikTok|Twitter|X)$"
    r"|^A (?:post|photo|video) shared by .{1,120}$"
    r"|^(?:Previous|Prev|Next)(?: (?:slide|image|photo|picture))?$|^\d{1,3} ?(?:/|of) ?\d{1,3}$"
    r"|^The post .{1,300} appeared first on .{1,80}$"
    r"|^(?:Sign up|Subscribe)\b.{0,120}\b(?:newsletters?|inbox|updates)\b"
    r"|^Recommended from our partners$|^[-–—\s]*Advertisement[-–—\s]*$|^Skip to (?:main )?content$"
    r"|^(?:Share|Share this|Share this article|Share on \w+|Tweet|Email|Print)(?: this)?(?: article| story)?:?$",
    re.I)
# "Read also" headings in the languages of Europe's and the Americas' newsrooms (German, French, Spanish,
# Portuguese, Italian, Dutch, Polish) and a few English ones: a promo as a line of its own (a heading), or before a
# colon or dash and a link to the story it offers ("Lire aussi : <a>…</a>"), never before other words (a sentence,
# a quote: "Mehr zum Thema – und zu den Folgen – will die Verwaltung … vorlegen"). No "most read" heading: a story
# may rank books or names under one.
_RELATED_STORIES = re.compile(
    r"^(?:Lesen Sie (?:auch|mehr)|Auch lesen|Das könnte (?:Sie|dich) auch interessieren|Mehr zu(?:m| diesem) Thema|"
    r"Weitere (?:Artikel|Nachrichten|Beiträge)|(?:Zum )?Weiterlesen|Weiterführende Links?|"
    r"Meist ?gelesene (?:Artikel|Beiträge)|Empfehlungen aus der Redaktion|Passend zum Thema|"
    r"Verwandte (?:Artikel|Themen|Beiträge)|"
    r"[AÀ] lire (?:aussi|également)|Lire (?:aussi|également)|Voir aussi|Sur le même sujet|Articles similaires|"
    r"Le[ae] también|Leer también|Temas relacionados|Noticias relacionadas|Contenido relacionado|"
    r"(?:Te|Le) puede interesar|Ver también|Veja também|Leia também|Notícias relacionadas|"
    r"Leggi anche|Potrebbe interessarti|Articoli correlati|Lees ook|Gerelateerde artikelen|Meer over dit onderwerp|"
    r"Zobacz (?:także|też)|Czytaj (?:także|też|więcej)|Related (?:Topics|Content)|Explore further|"
    r"More on this (?:story|topic))"
    r"\s*+(?:(?P<alone>(?:[:：!…]|\.\.\.)?$)|[:：\-–—]\s*+(?P<offered>\S.*))", re.I | re.S)
_TICKER_HREF = re.compile(r"/(?:stock|quote|stocks)/([A-Za-z][A-Za-z0-9.\-]{0,9})/?(?:#([A-Za-z]+))?$")
# Starts only where a run of white space starts (the leftmost match does): from every space of a long run, "\s*"
# read the rest of the run again (quadratic).
_YOAST_FOOTER = re.compile(r"(?<!\s)\s*+The post .{1,300}? appeared first on .{1,80}?\.?\s*$", re.I | re.S)


def text_of(el: Element) -> str:
    """The same string as ``el.text_content()`` at a quarter of the cost: libxml2 writes the text out directly,
    without setting up an XPath evaluation. Most elements asked have no child node but text (``len()`` counts
    elements, comments, PIs and entity references): their ``.text`` is that string, for a third of the cost."""
    if not len(el):
        return el.text or ""
    return etree.tostring(el, method="text", encoding="unicode", with_tail=False)


# How many elements of one kind (bylines, dates, deks, h1s) nested in one another have their texts read.
_NESTED_READS = 4


def outer_ones(elements: list[Element]) -> list[Element]:
    """``elements`` less those inside four others of them (the order kept). The text of an element holds the texts
    of the ones inside it: reading each one's text read the innermost text once per level (quadratic in a hostile
    nesting). Real pages nest a byline in a byline, or a date in a date, two or three deep at most.

    How many of them hold an element comes from a climb from each one, stopping at an ancestor already climbed:
    ``above`` keeps how many of them are at or above each ancestor."""
    kind = set(elements)
    above: dict[Element, int] = {}
    kept = []
    for el in elements:
        parent = el.getparent()
        climbed, node = [], parent
        while node is not None and node not in above:
            climbed.append(node)
            node = node.getparent()
        count = above[node] if node is not None else 0
        for ancestor in reversed(climbed):
            count += ancestor in kind
            above[ancestor] = count
        if parent is None or above[parent] < _NESTED_READS:
            kept.append(el)
    return kept


def class_tokens(el: Element) -> list[str]:
    return (el.get("class") or "").split() + ([id_attr] if (id_attr := el.get("id")) else [])


# Elements with their class, id and itemprop attributes (None when missing): read once for all the searches among
# them (reading an attribute costs more than the rest of a test).
Names = tuple[str | None, str | None, str | None]
NamedElements = list[tuple[Element, str | None, str | None, str | None]]
_NO_NAMES: Names = (None, None, None)


def named(el: Element) -> tuple[Element, str | None, str | None, str | None]:
    """An element with its class, id and itemprop (None when missing)."""
    return el, el.get("class"), el.get("id"), el.get("itemprop")


def _names_unless_chrome(el: Element, tag: str) -> Names | None:
    """None for site furniture (by element kind, ARIA role or class/id token), else the element's class, id and
    itemprop. ``tag``: ``el.tag``, which the caller has read.

    Runs on every element of a page: the tag is read once, and only the attributes the element has are asked
    for (asking for a missing one costs as much as reading a present one)."""
    if tag in _ALWAYS_CHROME_TAGS:
        return named(el)[1:] if tag == "script" and el.get("type") == "application/ld+json" else None
    names = el.keys()
    if not names:
        return _NO_NAMES
    if "role" in names and el.get("role") in _CHROME_ROLES:
        return None
    class_attr = el.get("class") if "class" in names else None
    id_attr = el.get("id") if "id" in names else None
    if tag not in _NEVER_CHROME:  # page classes such as "one-sidebar" describe the layout, not the element
        if ("hidden" in names or "aria-hidden" in names or "style" in names) and _invisible(el, tag, names):
            return None
        if (class_attr or id_attr) and _names_chrome(class_attr, id_attr) and not _declares_article(el, names) \
                and not (id_attr and tag in _HEADINGS and anchor_of_own_words(el, id_attr)
                         and not (class_attr and _names_chrome(class_attr, None))):
            return None
    return class_attr, id_attr, el.get("itemprop") if "itemprop" in names else None


_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_ID_PARTS = re.compile(r"[-_.:]+")
_WORD = re.compile(r"\w+")


def anchor_of_own_words(heading: Element, id_attr: str) -> bool:
    """Whether a heading's id is the anchor a table of contents links to: a prefix ("nav_", "toc-"), then the
    heading's own first words ("nav_nur_die_folie__1" on "Nur die Folie bleibt zurück"). Such a prefix names the
    links to the heading, not the heading (read only for a heading whose id names furniture: a few per page)."""
    start = ""
    for piece in heading.itertext():  # its first words only: a hostile page nests headings in headings
        start += piece
        if len(start) >= 80:
            break
    words = _WORD.findall(start[:200].lower())[:2]
    parts = _ID_PARTS.split(id_attr.lower())[1:]
    if len(words) < 2 or len(parts) < 2:
        return False
    return any(parts[i] == words[0] and parts[i + 1] == words[1] for i in range(len(parts) - 1))


def _declares_article(el: Element, names: list[str]) -> bool:
    """Whether the element is the page's article by its microdata (``names``: its attributes' names): an
    ``itemtype`` naming an article around the page's headline (a teaser card may be a NewsArticle item too), or
    ``itemprop="articleBody"``."""
    return "itemtype" in names and ARTICLE_ITEMTYPE.search(el.get("itemtype") or "") is not None \
        and next(el.iter("h1"), None) is not None \
        or "itemprop" in names and "articleBody" in (el.get("itemprop") or "").split()


_HIDING_STYLE = re.compile(r"(?:^|;)\s*(?:display\s*:\s*none|visibility\s*:\s*hidden)\s*(?:!important\s*)?(?:;|$)",
                           re.I)


def _invisible(el: Element, tag: str, names: list[str]) -> bool:
    """Whether the element is hidden from readers (``names``: its attributes' names): what no reader sees is no
    article text, however long."""
    if "hidden" in names or "aria-hidden" in names and el.get("aria-hidden") == "true" and tag not in ("img", "figure"):
        return True
    style = el.get("style") if "style" in names else None
    return style is not None and ("none" in style or "hidden" in style) and _HIDING_STYLE.search(style) is not None


def _names_chrome(class_attr: str | None, id_attr: str | None) -> bool:
    """Whether the class and id name furniture, and none of their tokens names content."""
    content, chrome = _token_verdicts(class_attr) if class_attr else (False, False)
    if id_attr:
        id_content, id_chrome = _token_verdicts(id_attr, whole=True)
        content, chrome = content or id_content, chrome or id_chrome
    return chrome and not content


@lru_cache(maxsize=4096)
def _token_verdicts(value: str, whole: bool = False) -> tuple[bool, bool]:
    """Whether a class value (an id: ``whole``, one token) holds a content token, and a furniture one. Cached by
    value: a theme repeats the same few class strings on every element and page (a page's ids are each its own)."""
    tokens = [value] if whole else value.split()
    content = not _CONTENT_TOKENS.isdisjoint(tokens) or "__" in value and any(
        token.replace("__", "-") in _CONTENT_TOKENS for token in tokens)
    return content, any(map(_names_furniture, tokens))


@lru_cache(maxsize=8192)
def _names_furniture(token: str) -> bool:
    """Cached by token: a class value new to the cache is mostly made of tokens seen in others."""
    return bool(_CHROME_TOKEN.match(token) or _CHROME_PART.search(token)) and not _CHROME_TOKEN_EXCEPTIONS.search(token)


def buttons_in(root: Element, elements: NamedElements) -> list[Element]:
    """The share, bookmark, rating and print buttons among ``elements`` that are inside ``root``. They leave the
    body after the bylines are read, not with the chrome: a theme may put the byline in the buttons' row. (An
    XPath test of every element's class costs libxml2 more than this pass over the class strings read already.)"""
    buttons = {value for value in {class_attr for _, class_attr, _, _ in elements} if value and _names_buttons(value)}
    named_so = [el for el, class_attr, id_attr, _ in elements
                if class_attr in buttons or id_attr and _names_buttons(id_attr, whole=True)]
    if not named_so:
        return named_so
    inside = set(root.iterdescendants())  # the share bars outside the body are many, and deep
    return [el for el in named_so if el in inside and is_widget(el)]


# The most text a button, a bar of them or a widget's label shows.
_WIDGET_TEXT = 150
_INLINE_TAGS = frozenset({"span", "a", "em", "strong", "b", "i", "u", "s", "abbr", "sup", "sub", "small", "mark", "q",
                          "cite", "time", "code", "font"})
# A story's blocks (an element that is one, or holds one, is no widget; a bar of buttons may be a list, or have a
# heading).
_WIDGET_BLOCKS = ("p", "table", "blockquote", "figure", "pre")


def is_widget(el: Element) -> bool:
    """Whether an element named as a button is one: a short label of its own (no sentence), holding none of the
    story's blocks, not a word of a sentence ("the bond <span class='bond-rating'>BBB</span> rating"). A story
    wrapped in a class saying how it prints ("content-to-print") is none, nor a review's verdict."""
    return el.tag not in _HEADINGS and not in_sentence(el) and next(el.iter(_WIDGET_BLOCKS), None) is None \
        and int(_TEXT_LENGTH(el)) <= _WIDGET_TEXT and not _A_SENTENCE.search(text_of(el))


# A sentence: words running to a full stop ("Verdict: A warm, funny film that earns its ending."), which a button's
# label ("Print the tide table", "(No votes yet)") is not.
_A_SENTENCE = re.compile(r"\w[^.!?]{20,}[.!?](?:\s|$)")


def in_sentence(el: Element) -> bool:
    """Whether an inline element stands among words: text before it or after it in its parent."""
    if el.tag not in _INLINE_TAGS:
        return False
    if el.tail and not el.tail.isspace():
        return True
    before = el.getprevious()
    text = before.tail if before is not None else (parent.text if (parent := el.getparent()) is not None else None)
    return bool(text and not text.isspace())


@lru_cache(maxsize=4096)
def _names_buttons(value: str, whole: bool = False) -> bool:
    """Whether a class value (an id: ``whole``) names buttons and no content. Most values hold none of the words:
    looked for first, before the pattern reads each token."""
    lowered = value.lower()
    if not any(word in lowered for word in _WIDGET_WORDS):
        return False
    tokens = [value] if whole else value.split()
    return _CONTENT_TOKENS.isdisjoint(tokens) and any(
        _WIDGET_PART.search(token) and not _HEADER_ROW.search(token) and not _CHROME_TOKEN_EXCEPTIONS.search(token)
        for token in tokens)


# Furniture kept for holding most of the page's text holds the next one kept so, and each read the text of those
# inside it: a few of them (a form, a layout wrapper, a builder's section) is all a page may have.
_MOST_TEXT_READS = 8


def strip_chrome(root: Element) -> NamedElements:
    """Remove every chrome element under ``root``: one depth-first walk that skips removed subtrees. An element
    holding its ``<main>``, or most of the page's text (inside ``<main>``, when it has one), is never chrome, whatever
    its kind or name says.

    Returns the elements that stay with their class, id and itemprop, ``root`` first, in document order, so that
    callers look for things among them rather than walk the page again (or read the attributes the walk has read).
    """
    kept, doomed = [named(root)], []
    # Chrome that holds a tweet embed stays (its other chrome goes), and so do an article's own footer, where many
    # themes show its date and byline (WordPress's underscores-based themes; the header parts leave the body), and a
    # quotation's, its attribution.
    staying = _tweet_holders(root).union(article_footers(root), article_footers(root, "blockquote"))
    half_text = half_prose = -1  # half the length of the page's text (outside links), once asked
    kept_for_text = 0  # furniture kept for holding most of the text
    main = next(root.iter("main"), None)
    holding_main = _holders_of(root.iter("main"))  # layout wrappers of the page's <main>, whatever they are named
    # The children still to visit, the next one last: a list costs less per element than lxml's iterwalk.
    pending = root[::-1]
    while pending:
        el = pending.pop()
        if not isinstance(tag := el.tag, str):  # a comment or processing instruction, if the tree has any
            continue
        if (names := _names_unless_chrome(el, tag)) is not None:
            kept.append((el, *names))
        elif el in staying:
            kept.append(named(el))
        elif (tag in _MAY_HOLD_ARTICLE or tag in _LIST_TAGS) and (el in holding_main or (
                kept_for_text < _MOST_TEXT_READS and (
                    tag not in _LIST_TAGS and _holds_more_text(el, half_text if half_text >= 0
                                                               else (half_text := _visible_text_length(root) // 2))
                    or tag in _LIST_TAGS and next(el.iter(_PAGE_BLOCKS), None) is not None
                    and _holds_more_text(el, half_prose if half_prose >= 0 else (
                        half_prose := (_visible_text_length(root) - _link_text_length(root)) // 2), outside_links=True)
                    or tag == "noscript" and _story_length(el) >= _NOSCRIPT_STORY)
                and (main is None or main in el.iterancestors()))) and not _invisible(el, tag, el.keys()) \
                and (tag != "noscript" or not _shown_elsewhere(el, root)):
            # The article itself, or a layout wrapper around the page's <main> ("sidebar-grid"), whatever its markup
            # says (the removed ones are disjoint), or the story a page built by script shows without it
            kept.append(named(el))
            kept_for_text += el not in holding_main
        elif tag in _STORY_HOLDERS and kept_for_text < _MOST_TEXT_READS and _named_chrome_only(el, tag) \
                and (story := _story_length(el)) and _STORY_SHARE * story >= (
                    half_text if half_text >= 0 else (half_text := _visible_text_length(root) // 2)) \
                and (main is None or main in el.iterancestors()):
            # The story's own wrapper, which a theme names for what it does besides ("entry share", "read-more"):
            # its furniture inside goes on the walk. (One named for ads, "body-ad", stays only when it holds most of
            # the page's text: a native ad's copy is paragraphs of prose too.)
            kept.append(named(el))
            kept_for_text += 1
        else:
            doomed.append(el)
            continue
        pending += el[::-1]
    remove_all(doomed)
    return kept


# Furniture by name only that may be the story's wrapper ("entry share", "read-more"); never one named for readers'
# comments, for advertising, promotion, newsletters, consent or paywalls, nor for related stories or the site's
# own parts, whatever paragraphs it holds (a native ad's copy, a newsletter's pitch, "more stories" excerpts).
_STORY_HOLDERS = frozenset({"div", "section"})
_NEVER_STORY = re.compile(r"comment|respond|disqus|dsq|repl(?:y|ies)|forum|newsletter|subscri|sign-?up|promo|sponsor|"
                          r"advert|(?:^|[-_\s])(?:ads?|a-rec|dfp|gpt)(?:$|[-_\s])|cookie|consent|gdpr|paywall|"
                          r"related|recommend|more-stories|outbrain|taboola|popup|modal|banner|sidebar|widget|footer|"
                          r"author-(?:bio|box)|about-author|donat|popular|trending|most-read|key-?points|carousel",
                          re.I)
# The page's own blocks: a list that holds them is one broken markup wrapped around the page, not a menu.
_PAGE_BLOCKS = ("p", "h1", "h2", "h3")
_STORY_PARAGRAPHS = 3  # paragraphs of story text side by side, each a line of prose (_STORY_LINE characters)
_STORY_LINE = 80
_STORY_SHARE = 4  # a story holds a quarter of half the page's text: an eighth of it


def _named_chrome_only(el: Element, tag: str) -> bool:
    """Whether the walk dooms ``el`` (a div or section: ``tag``) by its class or id alone: no ARIA role of
    furniture, not hidden, and not named for what is never the story (_NEVER_STORY)."""
    names = el.keys()
    return not ("role" in names and el.get("role") in _CHROME_ROLES) and not _invisible(el, tag, names) \
        and not _NEVER_STORY.search(f"{el.get('class') or ''} {el.get('id') or ''}")


def _story_length(el: Element) -> int:
    """The length of the story ``el`` holds, if it holds one: paragraphs side by side (children of one element, not
    one per teaser card), each a line of prose with few links, at least three (else 0). Each paragraph's text is
    read once."""
    found: dict[Element, list[int]] = {}
    for p in el.iter("p"):
        length = len(text := text_of(p))
        if length < _STORY_LINE or not text.strip() or (parent := p.getparent()) is None:
            continue
        linked = sum(len(text_of(a)) for a in p.iter("a")) if next(p.iter("a"), None) is not None else 0
        if linked < 0.3 * length:
            figures = found.setdefault(parent, [0, 0])
            figures[0] += 1
            figures[1] += length
    return max((length for count, length in found.values() if count >= _STORY_PARAGRAPHS), default=0)


# A <noscript> holding a story this long (three paragraphs side by side) is the story a page built by script shows
# without it (Blogger's dynamic views), not a notice asking for JavaScript, a chart's fallback table or a pixel.
_NOSCRIPT_STORY = 500


def _shown_elsewhere(noscript: Element, root: Element) -> bool:
    """Whether the page shows the first paragraph of prose of a ``<noscript>`` outside it too: a copy of the story
    for readers without scripts (published twice if kept), not the story of a page its scripts build. A few
    <noscript>s are asked at most (the rescues are counted): each reads the page's paragraphs once."""
    first = next((text for p in noscript.iter("p") if len(text := text_of(p)) >= _STORY_LINE), None)
    return first is not None and sum(1 for p in root.iter("p") if text_of(p) == first) > 1


def _holders_of(elements: Iterable[Element]) -> set[Element]:
    """Every ancestor of ``elements``: one climb from each, stopping at an ancestor an earlier one added."""
    holders: set[Element] = set()
    for found in elements:
        for el in found.iterancestors():
            if el in holders:
                break
            holders.add(el)
    return holders


def _visible_text_length(root: Element) -> int:
    """The length of the text of ``root`` outside scripts and styles. libxml2 counts the characters of the whole
    text without making a Python string of it."""
    return int(_TEXT_LENGTH(root)) - _script_text_length(root)


def _holds_more_text(el: Element, length: int, outside_links: bool = False) -> bool:
    """Whether ``el``'s visible text (``outside_links``: outside links too) is longer than ``length``: its scripts
    and links are looked for only when its whole text is (most furniture's is not)."""
    whole = int(_TEXT_LENGTH(el))
    return whole > length and whole - _script_text_length(el) - (_link_text_length(el) if outside_links else 0) > length


def _link_text_length(root: Element) -> int:
    """The length of the text in links under ``root`` (a link nested in a few others counted with each: libxml2
    nests links when a span is open between them; reading every one's text was quadratic in that nesting)."""
    return sum(int(_TEXT_LENGTH(link)) for link in outer_ones(list(root.iter("a"))))


def _script_text_length(root: Element) -> int:
    return sum(len(el.text or "") for el in root.iter("script", "style"))


_TEXT_LENGTH = etree.XPath("string-length(.)")


def remove_all(dropped: Iterable[Element], opened: Iterable[Element] = ()) -> None:
    """Drop the ``dropped`` elements, their tails left in place (what ``drop_tree()`` does), and open the ``opened``
    ones, their text, children and tail left in place (``drop_tag()``), each parent's children and texts set once.
    Both append to the text before the element (and drop_tag() looks for it among its siblings), once per element:
    quadratic in the elements of one parent.

    A parent losing only a few children, and opening none (most of them), has each one dropped as ``drop_tree()``
    does: rebuilding it read all its children, however many stay."""
    drop, open_ = set(dropped), set(opened)
    parents: dict[Element, list[Element]] = {}
    for el in (*drop, *open_):
        if (parent := el.getparent()) is not None and parent not in drop and parent not in open_:
            parents.setdefault(parent, []).append(el)
    for parent, children in parents.items():
        if len(children) > _FEW_DROPPED or open_ and not open_.isdisjoint(children):
            _rebuild(parent, drop, open_)
            continue
        for child in children:  # in any order: each tail joins the text before it, whichever stays
            if tail := child.tail:
                if (previous := child.getprevious()) is None:
                    parent.text = (parent.text or "") + tail
                else:
                    previous.tail = (previous.tail or "") + tail
            parent.remove(child)


# Children of one parent dropped one at a time: each drop copies the text before it, so only a few (linear).
_FEW_DROPPED = 4


def _rebuild(parent: Element, dropped: set[Element], opened: set[Element]) -> None:
    """``parent``'s content without ``dropped`` and with ``opened`` opened: the texts and the elements that stay,
    in order, then the ones from inside opened elements moved into place and each text set once."""
    kept: list[Element] = []
    texts: list[list[str]] = [[]]  # texts[0]: the parent's text; texts[i]: the tail of kept[i - 1]
    pending: list[str | Element] = _content(parent)[::-1]  # what comes next, last
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            texts[-1].append(item)
        elif item in opened:
            pending += _content(item)[::-1]
        elif item not in dropped:
            kept.append(item)
            texts.append([])
    for index, el in enumerate(kept):
        if el.getparent() is not parent:  # from inside an opened element
            if index:
                kept[index - 1].addnext(el)
            else:
                parent.insert(0, el)
    for child in [child for child in parent if child in dropped or child in opened]:
        parent.remove(child)
    # Only the texts that change are set: lxml refuses a text holding a control character (a character reference
    # can put one in the tree), and one drop_tree() or drop_tag() left alone must not fail.
    if (text := "".join(texts[0])) != (parent.text or ""):
        parent.text = text or None
    for el, pieces in zip(kept, texts[1:], strict=True):
        if (text := "".join(pieces)) != (el.tail or ""):
            el.tail = text or None


def _content(el: Element) -> list[str | Element]:
    """``el``'s text, then each child and its tail."""
    content: list[str | Element] = [el.text or ""]
    for child in el:
        content += (child, child.tail or "")
    return content


def article_footers(root: Element, kind: str = "article") -> list[Element]:
    """The ``<footer>`` children of the ``<article>`` (or other ``kind``) elements under ``root``: each its own,
    not the site's."""
    return [child for holder in root.iter(kind) for child in holder if child.tag == "footer"]


def _tweet_holders(root: Element) -> set[Element]:
    """Every ancestor of a tweet embed (``blockquote.twitter-tweet``) under ``root``: one climb per embed, stopping
    at an ancestor an earlier one added (an XPath query for all their ancestors was quadratic in their nesting)."""
    holders: set[Element] = set()
    for quote in root.iterdescendants("blockquote"):
        if "twitter-tweet" in (quote.get("class") or ""):
            for el in quote.iterancestors():
                if el in holders:
                    break
                holders.add(el)
    return holders


def ticker_links(root: Element) -> list[Ticker]:
    """Stock tickers linked in the text: ``(NASDAQ:<a class="ticker" href="…/stock/AAPL#NASDAQ">AAPL</a>)``."""
    tickers: dict[str, Ticker] = {}
    for a in root.iter("a"):
        match = _TICKER_HREF.search(a.get("href") or "")
        if match is None and "ticker" not in (a.get("class") or "").split():
            continue
        symbol = clean(text_of(a)).upper() or (match.group(1).upper() if match else "")
        if re.fullmatch(r"[A-Z][A-Z0-9.\-]{0,9}", symbol) and symbol not in tickers:
            exchange = match.group(2) if match and match.group(2) else None
            tickers[symbol] = Ticker(symbol=symbol, exchange=exchange.upper() if exchange else None)
    return list(tickers.values())


def is_promo(text: str, lowered: str, partner_patterns: tuple[tuple[str, re.Pattern[str]], ...] = ()) -> bool:
    """A promo paragraph that carries no class ("See Also: …", newsletter plugs, Yoast's RSS footer).

    ``lowered``: ``text.lower()``, for the needles of the partner's patterns (see ``PartnerProfile``). A plain loop:
    on every block, a generator in ``any()`` costs about as much as the searches."""
    if _PROMO_TEXT.search(text):
        return True
    for needle, pattern in partner_patterns:
        if needle in lowered and pattern.search(text):
            return True
    return False


def offers_related_stories(block: Element, text: str) -> bool:
    """A "read also" heading (``_RELATED_STORIES``), or such a phrase before the link it offers: ``text`` is the
    block's, cleaned."""
    match = _RELATED_STORIES.match(text)
    if match is None:
        return False
    return match["alone"] is not None or _link_text_length(block) >= 0.8 * len(match["offered"])


# A link back to the previous page ("javascript:history.back()").
_HISTORY_BACK = re.compile(r"^\s*javascript\s*:\s*(?:window\.)?history\.(?:back|go)\b", re.I)
_BACK_LINK_TEXT = 60  # a button's label, no sentence


def links_back(root: Element, page_url: str | None) -> list[Element]:
    """The blocks under ``root`` that are one short link and nothing else, leading back rather than on: to the
    previous page, to the top of this one, or to a page above it (the site's home, the section's listing: "back to
    overview"). Such a link is the site's navigation, whatever its words. ``page_url``: the page's own URL.
    A few of them at most are read (each its block's text once)."""
    found: list[Element] = []
    try:
        page = urlsplit(page_url) if page_url is not None else None
    except ValueError:
        return found
    # A link with words after it stands in a sentence: only the others' targets are worth reading.
    candidates = (a for a in root.iter("a") if not (a.tail and not a.tail.isspace())
                  and _leads_back(a.get("href"), page_url, page))
    for link in islice(candidates, _BACK_LINKS):
        text = clean(text_of(link), markup=False)
        if not text or len(text) > _BACK_LINK_TEXT:
            continue
        block = link.getparent()
        while block is not None and block is not root and block.tag not in _BLOCKISH:
            block = block.getparent()
        # (A list's item is one of several: an entry of a list of documents, not a way back.)
        if block is not None and block is not root and block.tag != "li" \
                and clean(text_of(block), markup=False) == text:
            found.append(block)
    return found


_BACK_LINKS = 20
# An absolute or scheme-relative URL's host ("https://host:8080/…", "//host/…").
_ABSOLUTE = re.compile(r"(?:[a-z][a-z0-9+.-]*:)?//([^/?#]*)", re.I)


def _leads_back(href: str | None, page_url: str | None, page: SplitResult | None) -> bool:
    """``page``: ``page_url`` split, once for all the links."""
    href = (href or "").strip()
    if not href:
        return False
    if _HISTORY_BACK.match(href):
        return True
    if page_url is None or page is None or href.lower().startswith(("javascript:", "mailto:", "tel:", "data:")):
        return False
    if (origin := _ABSOLUTE.match(href)) is not None and origin.group(1).lower() != page.netloc.lower():
        return False  # another site's (most links of a body): no need to join and split it
    path = href[origin.end():] if origin is not None else href if href[0] == "/" else None
    if path is not None and not page.path.startswith(path.split("?", 1)[0].split("#", 1)[0].rstrip("/")):
        return False  # a path of the site that is neither this page's nor above it: no need to join and split it
    try:
        target = urlsplit(urljoin(page_url, href))
    except ValueError:  # an unparsable URL (a bad IPv6 host) leads nowhere
        return False
    if target.netloc.lower() != page.netloc.lower():
        return False
    target_path, page_path = target.path.rstrip("/"), page.path.rstrip("/")
    if target_path == page_path and target.query == page.query:
        # "#", "#top", "#page-top": the top of the page (split, not a pattern: one pass over the fragment)
        return "#" in href and (not target.fragment or "top" in target.fragment.lower().replace("_", "-").split("-"))
    return not target.query and page_path.startswith(target_path + "/")


def related_link_lists(root: Element, page_url: str | None) -> list[Element]:
    """Lists under ``root`` of headlines linking to other pages of the site: each item one link and little else
    (the link at least nine tenths of its text), at least two items, every link to another page on the page's own
    host, after the body's last paragraph. A "related stories" or "read also" box, whatever its heading says; with
    it goes its heading: a heading, or a short line of no sentence, right before it. A list with story after it (a
    "what we know" list) stays, and so do all of them when they hold a quarter of the text (a briefing of links, a
    reading list). Outer lists outside tables only, each item's text read once."""
    if page_url is None:
        return []
    try:
        page = urlsplit(page_url)
    except ValueError:
        return []
    lists = [listed for listed in _lists_outside_tables(root)
             if len(items := [child for child in listed if isinstance(child.tag, str)]) >= 2
             and all(_headline_link_item(item, page) for item in items)]
    if not lists or 4 * sum(int(_TEXT_LENGTH(listed)) for listed in lists) >= int(_TEXT_LENGTH(root)):
        return []
    order = {el: index for index, el in enumerate(root.iter())}
    last_prose = max((order[p] for p in root.iter("p") if text_of(p).strip()), default=-1)
    found: list[Element] = []
    for listed in lists:
        if order[listed] < last_prose:
            continue
        found.append(listed)
        heading = listed.getprevious()
        while heading is not None and not isinstance(heading.tag, str):
            heading = heading.getprevious()
        if heading is not None and _list_heading(heading):
            found.append(heading)
    return found


def _lists_outside_tables(root: Element) -> Iterator[Element]:
    """The outer lists under ``root`` that no table holds (a table's lists are its data: an infobox's entries)."""
    pending = root[::-1]
    while pending:
        el = pending.pop()
        if not isinstance(tag := el.tag, str) or tag == "table":
            continue
        if tag in ("ul", "ol"):
            yield el
            continue
        pending += el[::-1]


def _headline_link_item(item: Element, page: SplitResult) -> bool:
    if item.tag != "li":
        return False
    links = list(islice(item.iter("a"), 2))
    if len(links) != 1:
        return False
    text, linked = clean(text_of(item), markup=False), clean(text_of(links[0]), markup=False)
    if not linked or len(linked) < 0.9 * len(text):
        return False
    href = (links[0].get("href") or "").strip()
    try:
        target = urlsplit(urljoin(urlunsplit(page), href))
    except ValueError:
        return False
    return target.scheme in ("http", "https") and target.netloc.lower() == page.netloc.lower() \
        and target.path.rstrip("/") != page.path.rstrip("/") and target.path.strip("/") != "" \
        and not _DOCUMENT_FILE.search(target.path)  # the site's documents (a PDF) are sources, not stories


_DOCUMENT_FILE = re.compile(r"\.(?:pdf|docx?|xlsx?|pptx?|csv|zip|jpe?g|png|gif|webp)$", re.I)


# A list's heading: a heading element, or a short line that is no sentence ("Read also:", "More on this").
_LIST_HEADING_TEXT = 80


def _list_heading(el: Element) -> bool:
    if el.tag not in ("h2", "h3", "h4", "h5", "h6", "p", "div", "span", "strong", "b"):
        return False
    text = clean(text_of(el), markup=False)
    return 0 < len(text) <= _LIST_HEADING_TEXT and not text.endswith((".", "!", "?"))


def promo_blocks(block: Element, text: str, leaving: set[Element], links_only: bool = False
                 ) -> list[Element]:
    """A promo block, and for a short promo heading the list right after it ("Zinger Key Points" and its bullets),
    the elements already ``leaving`` the body passed over. ``links_only``: the list goes only if it is one of
    links (a "read also" heading's), not a list of the story's own under a heading of the same words."""
    following = block.getnext()
    while following is not None and following in leaving:
        following = following.getnext()
    if following is not None and following.tag in ("ul", "ol") and len(text) < 60 \
            and (not links_only or _list_of_links(following)):
        return [block, following]
    return [block]


def _list_of_links(listing: Element) -> bool:
    """Whether each item of a list is mostly the text of its links."""
    items = [item for item in listing if item.tag == "li"]
    return bool(items) and all(2 * _link_text_length(item) >= len(text_of(item).strip()) > 0 for item in items)


def mark_line_breaks(body: Element) -> None:
    """Make ``<br>`` visible in the block's text so each line of a block can be matched on its own."""
    for br in body.iter("br"):
        br.tail = "\n" + (br.tail or "")


def strip_yoast_footer(text: str) -> str:
    """Plain text without Yoast's "The post … appeared first on …" RSS footer."""
    return _YOAST_FOOTER.sub("", text)


# Elements whose text is a paragraph of their own: text in any other element (span, a, font, b...) belongs to the
# nearest of these above it.
_BLOCKISH = BLOCK_TAGS | {"td", "th", "tr", "tbody", "thead", "tfoot", "dd", "dt", "center", "details", "summary",
                          "fieldset", "body", "html", "caption", "li"}
# Readability's starting scores: by kind, and by what the class or id says.
_TAG_WEIGHT = {"div": 5, "pre": 3, "td": 3, "blockquote": 3, "address": -3, "ol": -3, "ul": -3, "dl": -3, "dd": -3,
               "dt": -3, "li": -3, "form": -3, "h1": -5, "h2": -5, "h3": -5, "h4": -5, "h5": -5, "h6": -5,
               "th": -5}
_POSITIVE_NAME = re.compile(r"article|body|content|entry|hentry|h-entry|main|page|post|text|blog|story", re.I)
_NEGATIVE_NAME = re.compile(r"-ad-|hidden|^hid$|banner|combx|comment|com-|contact|footer|gdpr|masthead|media|"
                            r"meta|outbrain|promo|related|scroll|share|shoutbox|sidebar|skyscraper|sponsor|"
                            r"shopping|tags|widget|teaser|card|menu|nav", re.I)
_COMMAS = re.compile(r"[,،，﹐、]")
# A date in a line of fields ("by X | March 3, 2024 | News", "X · 3 Mar 2024"), or after "By X".
_META_LINE = re.compile(r"^\s*By\b.{0,80}?\b(?:19|20)\d\d\b|[|·•].{0,80}?\b(?:19|20)\d\d\b|"
                        r"\b(?:19|20)\d\d\b.{0,80}?[|·•]", re.I | re.S)
_SENTENCE_END = re.compile(r"[.!?。！？…:\"”’)]\s*$")


@lru_cache(maxsize=4096)
def _name_weight(class_attr: str | None, id_attr: str | None) -> int:
    weight = 0
    for name in (class_attr, id_attr):
        if name:
            weight += 25 * ((_POSITIVE_NAME.search(name) is not None) - (_NEGATIVE_NAME.search(name) is not None))
    return weight


class _PageText:
    """Text lengths, link text lengths and paragraph scores of the blocks of a tree, from one pass over its elements
    (innermost first: each one's figures are complete when it is reached, and go to its parent).

    A paragraph is the text a block holds outside the blocks inside it (text in spans, links or loose between
    ``<br>``s counts): it scores as in Mozilla Readability (two points, one per comma, one per 100 characters up to
    three), less its share of link text, and the score goes to the elements holding it: in full to the first, half
    to the next, a sixth, a ninth and a twelfth to the three after. A block with only inline content is the
    paragraph, so its parent comes first; a block with blocks or line breaks between its runs of text holds them,
    and comes first itself."""

    def __init__(self, root: Element) -> None:
        # Per element with children, while the pass goes: [text length, in links, its own text's length, in links,
        # commas, line breaks, holds blocks]; then per block: (text length, in links).
        pending: dict[Element, list] = {}
        self.lengths: dict[Element, tuple[int, int]] = {}
        self.scores: dict[Element, float] = {}
        self._firsts: dict[Element, float] = {}  # the score of the paragraphs each element holds first
        # Bound once: looked up on every element, they cost as much as the work.
        blockish, commas, take, find, lengths = _BLOCKISH, _COMMAS.findall, pending.pop, pending.get, self.lengths
        for el in reversed(list(root.iter())):
            tag = el.tag
            # A comment's text is no text, nor is a script's: the JSON-LD the walk keeps (it may repeat the whole
            # story in "articleBody", its commas scoring the element holding it above the story itself).
            text = el.text if tag.__class__ is str and tag != "script" else None
            parent = el.getparent()
            figures = take(el, None)
            if figures is None:  # no child: most elements, added to their parent's figures without a list of their own
                if parent is None:
                    continue
                up = find(parent)
                if up is None:
                    up = pending[parent] = [0, 0, 0, 0, 0, 0, False]
                length = len(text) if text else 0
                tail = el.tail
                if tail:
                    up[0] += length + len(tail)
                    up[2] += len(tail)
                    if "," in tail or not tail.isascii():
                        up[4] += len(commas(tail))
                else:
                    up[0] += length
                if tag in blockish:
                    lengths[el] = (length, 0)
                    up[6] = True
                    if length >= 25:
                        self._score(el, [length, 0, length, 0, len(commas(text)) if text else 0, 0, False])
                elif tag == "br":
                    up[5] += 1
                elif text:
                    up[2] += length
                    if tag == "a":
                        up[1] += length
                        up[3] += length
                    if "," in text or not text.isascii():
                        up[4] += len(commas(text))
                continue
            if text:
                figures[0] += len(text)
                figures[2] += len(text)
                if "," in text or not text.isascii():
                    figures[4] += len(commas(text))
            if tag == "a":
                figures[1] = figures[0]
                figures[3] = figures[2]
            lengths[el] = (figures[0], figures[1])
            if tag in blockish:
                if figures[2] - figures[3] >= 25:
                    self._score(el, figures)
            if parent is None:
                continue
            up = find(parent)
            if up is None:
                up = pending[parent] = [0, 0, 0, 0, 0, 0, False]
            tail = el.tail
            tail_length = len(tail) if tail else 0
            up[0] += figures[0] + tail_length
            up[1] += figures[1]
            up[2] += tail_length
            if tail and ("," in tail or not tail.isascii()):
                up[4] += len(commas(tail))
            if tag in blockish:
                up[6] = True
            else:
                up[2] += figures[2]
                up[3] += figures[3]
                up[4] += figures[4]
                up[5] += figures[5]
        self._spread()

    def _score(self, block: Element, figures: list) -> None:
        _, _, length, linked, commas, breaks, holds_blocks = figures
        runs = max(1, min(1 + breaks // 2, length // 100))
        score = (2 * runs + commas + min(length // 100, 3 * runs)) * (1 - linked / length)
        first = block if holds_blocks or runs > 1 else block.getparent()
        if first is not None:
            self._firsts[first] = self._firsts.get(first, 0.0) + score

    def _spread(self) -> None:
        """Each first holder's paragraph scores to it and the four elements above it: once per holder, not per
        paragraph (paragraphs side by side share their holders)."""
        scores = self.scores
        for first, score in self._firsts.items():
            for level, el in enumerate((first, *islice(first.iterancestors(), 4))):
                if (current := scores.get(el)) is None:
                    tag = el.tag
                    current = (_TAG_WEIGHT.get(tag, 0) if isinstance(tag, str) else 0) \
                        + _name_weight(el.get("class"), el.get("id"))
                scores[el] = current + (score if level == 0 else score / (2 if level == 1 else level * 3))

    def length(self, el: Element) -> int:
        return self.lengths.get(el, (0, 0))[0]

    def link_density(self, el: Element) -> float:
        total, linked = self.lengths.get(el, (0, 0))
        return linked / total if total else 0.0

    def content(self, el: Element) -> int:
        """The length of the text outside links."""
        total, linked = self.lengths.get(el, (0, 0))
        return total - linked

    def final(self, el: Element) -> float:
        """The element's score, less its share of link text."""
        score = self.scores.get(el)
        return 0.0 if score is None else score * (1 - self.link_density(el))


def content_root(doc: Element, elements: NamedElements, containers: tuple[str, ...] = ()
                 ) -> Element | None:
    """The element holding the article's text; ``elements`` are all of the document's, in document order (the
    caller has them already: looking for known containers among them costs no walk over the page).

    Mozilla Readability's algorithm on one walk of the page: the best-scoring element, or the element holding
    several of the best ones, then its siblings that continue the body. A container the page declares (schema.org's
    ``articleBody``, a theme's ``entry-content``) is taken when it holds the best-scoring element with little else,
    or most of its text. Teasers and the theme's meta line leave the element returned. ``containers``: the class
    names or ids of the partner's own body element (its configuration, first choice first), the fast path: the
    element the first of them names, holding some text, is the root, and no page is scored.
    """
    if containers and (known := _partner_container(elements, containers)) is not None:
        _drop_teasers_and_meta(known)
        return known
    page = _PageText(doc)
    best = _best_candidate(page)
    if best is None:
        return doc.find("body")
    knowns = outer_ones([el for el, class_attr, id_attr, itemprop in elements
                         if itemprop == "articleBody" or id_attr == "article-body" or _names_container(class_attr)])
    root = _declared_root(best, knowns, page)
    if root is None:
        root = _with_siblings(best, page)
        body = doc.find("body")
        content = page.content(root) if root in page.lengths else sum(map(page.content, root))  # a new holder's
        if body is not None and content < _FRAGMENT and page.content(body) >= 4 * _FRAGMENT:
            root = body  # a fragment won (a caption, a box): the page's text, its furniture removed, is the article
    _drop_teasers_and_meta(root, page)
    return root


# Less text outside links than this is no article body when the page has much more (and declares no container).
_FRAGMENT = 250


def _declared_root(best: Element, knowns: list[Element], page: _PageText) -> Element | None:
    """The first declared container (``knowns``, outer ones) holding ``best`` with little else, or most of its text,
    or (apart from it) at least as much text with few links; or the page's only one, when it holds some text."""
    best_content = page.content(best)
    above, below = set(best.iterancestors()), set(best.iter()) if knowns else set()
    lone = len(knowns) == 1  # the page's one declared container, if it has text, is its article
    for known in knowns:
        content = page.content(known)
        if known is best or known in above:
            if content <= 2 * best_content + 1000:
                return _with_siblings(known, page, declared=True)
        elif known in below:
            if content >= 0.6 * best_content or lone and content >= _FRAGMENT // 2:
                return _with_siblings(known, page, declared=True)  # with its twins, if the page split it
        elif (content >= best_content or lone and content >= _FRAGMENT // 2) and page.link_density(known) < 0.3:
            return _with_siblings(known, page)
    return None


def _drop_teasers_and_meta(root: Element, page: _PageText | None = None) -> None:
    """Take out of the body what themes put in it beside the article: story teasers (``<article>``s with a linked
    heading beside the article, holding less than half the text together: a related-story module, whatever its
    class; more make a listing, which the caller refuses) and the theme's meta line (a short element holding a
    link to an author's page and a date: "by X | March 3, 2024 | News", which page builders put inside the
    content wrapper). The byline was read from the page before. Without ``page`` (the partner's container, not
    scored) the lengths are read once each: the outer articles do not overlap."""
    lengths = page.lengths if page is not None else {}
    length = page.length if page is not None else (lambda el: len(text_of(el)))
    total = lengths[root][0] if root in lengths else len(text_of(root))  # a new holder has no length yet
    doomed = [article for article in outer_ones(list(root.iter("article")))
              if article is not root and length(article) < total / 2 and _has_linked_heading(article)]
    if sum(map(length, doomed)) >= total / 2:
        doomed = []
    for link in islice((a for a in root.iter("a") if _links_an_author(a)), 3):
        line, parent = link, link.getparent()
        for _ in range(4):
            if parent is None or parent is root or lengths.get(parent, (0, 0))[0] > 200 \
                    or len(text_of(parent)) > 200:
                break
            line, parent = parent, parent.getparent()
        if line is not link and parent is not None and (
                next(line.iter("time"), None) is not None or _META_LINE.search(text_of(line))):
            doomed.append(line)
    remove_all(doomed + [listed for listed in root.iter("ul", "ol") if _lists_taxonomy_links(listed)])


# The path of a tag or category page: "/tags/drought/", "/category/news/", Blogger's "/search/label/x".
_TAXONOMY_PATH = re.compile(r"/(?:tags?|categor(?:y|ies)|topics?|label)/[^/?#]")


def _lists_taxonomy_links(listed: Element) -> bool:
    """Whether a list is the story's tags: each item one link to a tag or category page, with at most a separator
    after it (Hugo's Ananke prints them inside the content as a plain list of pills, Eleventy as "a, b")."""
    items = [child for child in listed if isinstance(child.tag, str)]
    return bool(items) and all(
        item.tag == "li" and len(item) == 1 and item[0].tag == "a" and not (item.text or "").strip()
        and not (item[0].tail or "").strip(_SEPARATORS) and _TAXONOMY_PATH.search(item[0].get("href") or "")
        for item in items)


_SEPARATORS = " \t\r\n,;|·•/"


def _has_linked_heading(el: Element) -> bool:
    return any(next(heading.iter("a"), None) is not None
               for heading in islice(el.iter("h2", "h3", "h4", "h5", "h6"), 2))


def _links_an_author(a: Element) -> bool:
    return "author" in (a.get("rel") or "") or "/author/" in (a.get("href") or "")


def _best_candidate(page: _PageText) -> Element | None:
    """Readability's top candidate: the best final score, raised to an ancestor holding three of the five best, or
    to a parent scoring higher, or to the parent of an only child."""
    finals = {el: page.final(el) for el in page.scores if el.tag != "html"}
    if not finals:
        return None
    top = heapq.nlargest(5, finals.items(), key=lambda item: item[1])
    best, best_score = top[0]
    if best.tag == "body":
        return best
    # Close seconds not inside it: parts of one body that a wrapper holds.
    aboves = [above for el, score in top[1:] if score >= 0.75 * best_score
              and best not in (above := set(el.iterancestors()))]
    if len(aboves) >= 3:
        for ancestor in best.iterancestors():
            if ancestor.tag in ("html", "body"):
                break
            if sum(ancestor in above for above in aboves) >= 3:
                best = ancestor
                break
    last, parent = page.final(best), best.getparent()
    while parent is not None and parent.tag not in ("html", "body"):
        if parent in finals:
            score = finals[parent]
            if score < best_score / 3:
                break
            if score > (last if best_score < 40 else last * 1.5):
                best = parent
                break
            last = score
        parent = parent.getparent()
    while (parent := best.getparent()) is not None and parent.tag not in ("html", "body") and len(parent) == 1:
        best = parent
    return best


def _with_siblings(best: Element, page: _PageText, declared: bool = False) -> Element:
    """``best``, or a new element in its place holding it and the siblings that continue the body (Readability's
    rule: a sibling scoring a fifth of it, or a paragraph of text with few links). A body split over wrappers of
    its parts (``div.part > div.text``, twice) is found first: the siblings of the highest element holding little
    more than ``best`` that carry the same class. A ``declared`` container (``articleBody``, ``entry-content``) is
    the body itself: only wrappers of the same class continue it, never the theme's header or featured image beside
    it."""
    best_score, content, unit = page.final(best), page.content(best), best
    while (parent := unit.getparent()) is not None and parent.tag not in ("html", "body") \
            and page.content(parent) <= 1.25 * content:
        unit = parent
    threshold = max(10.0, best_score * 0.2)
    core = best  # the element holding the text, below the only children ``best`` was raised through
    while len(core) == 1 and isinstance(core[0].tag, str):
        core = core[0]
    if core is not unit and (name := unit.get("class")):
        # The way down from the wrapper to the text: a wrapper of the same class holding the same way down to text
        # is a part of the body too, however deep its paragraphs sit for their scores to reach it (a page
        # builder's rows, ``div.row > div.column > div.wrapper > div.text``).
        way = [(str(el.tag), el.get("class"))
               for el in reversed(list(islice(core.iterancestors(), _depth(core, unit))))]
        way = way[1:] + [(str(core.tag), core.get("class"))]
        kept = _continuing(unit.itersiblings(preceding=True), name, way, threshold, page)[::-1]
        kept += [unit] + _continuing(unit.itersiblings(), name, way, threshold, page)
        if len(kept) > 1:
            return _holding(kept)
    parent = best.getparent()
    if parent is None or best.tag == "body" or declared:  # a declared container is the body: not its header
        return best
    name = best.get("class")
    kept = []
    for sibling in parent:
        if sibling is best:
            kept.append(sibling)
        elif sibling not in page.lengths:
            continue
        elif page.final(sibling) + (best_score * 0.2 if name and sibling.get("class") == name else 0) >= threshold:
            kept.append(sibling)
        elif sibling.tag == "p":
            length, density = page.length(sibling), page.link_density(sibling)
            if length > 80 and density < 0.25 \
                    or 0 < length <= 80 and density == 0 and _SENTENCE_END.search(text_of(sibling)):
                kept.append(sibling)
    return _holding(kept) if len(kept) > 1 else best


def _depth(el: Element, ancestor: Element) -> int:
    """How many levels ``ancestor`` is above ``el``."""
    return next(level for level, above in enumerate(el.iterancestors(), 1) if above is ancestor)


# Text outside links that makes a wrapper's twin part of the body, or a sibling that is not one end its parts.
_TWIN_TEXT = 80


def _continuing(siblings: Iterator[Element], name: str, way: list[tuple[str, str | None]], threshold: float,
                page: _PageText) -> list[Element]:
    """The ``siblings`` (going away from the body's wrapper) of its class ``name`` that continue the body: those
    scoring ``threshold``, wherever they are, and those next to the body (only siblings without text between)
    whose twin of the body element, found the same ``way`` down, holds text with few links. A sibling of text
    that is neither (an author box, a promo) ends the body's side: what follows it is no part of the story."""
    kept, next_to_body = [], True
    for sibling in siblings:
        if sibling.get("class") != name:
            if page.content(sibling) >= _TWIN_TEXT:
                next_to_body = False
            continue
        if page.final(sibling) >= threshold:
            kept.append(sibling)
            continue
        twin: Element | None = sibling
        for tag, class_attr in way:
            assert twin is not None  # the loop stops at the first step that finds none
            twin = max((child for child in twin if child.tag == tag and child.get("class") == class_attr),
                       key=page.content, default=None)  # of several (a credit line's, the text's), the text's
            if twin is None:
                break
        if next_to_body and twin is not None and page.content(twin) >= _TWIN_TEXT and page.link_density(twin) < 0.3:
            kept.append(sibling)
        elif page.content(sibling) >= _TWIN_TEXT:
            next_to_body = False
    return kept


def _holding(kept: list[Element]) -> Element:
    """A new element in the place of the first of ``kept`` (siblings, in order), holding them all."""
    holder = etree.Element("div")
    kept[0].addprevious(holder)
    for sibling in kept:
        tail, sibling.tail = sibling.tail, None
        holder.append(sibling)
        sibling.tail = tail
    return holder


def _partner_container(elements: NamedElements, containers: tuple[str, ...]) -> Element | None:
    """The element the first of the partner's ``containers`` (a class token or an id, in its order) names, when it
    holds some text: one pass over the elements, only each name's first element read (its text read once)."""
    wanted, first = set(containers), dict[str, Element]()
    for el, class_attr, id_attr, _ in elements:
        if id_attr in wanted:
            first.setdefault(id_attr, el)
        if class_attr and any(name in class_attr for name in wanted):
            for name in wanted.intersection(XML_SPACE.split(class_attr)):
                first.setdefault(name, el)
    held = (first[name] for name in containers if name in first)
    return next((el for el in held if len(text_of(el).strip()) >= _FRAGMENT // 2), None)


@lru_cache(maxsize=4096)
def _names_container(class_attr: str | None) -> bool:
    return bool(class_attr and not _CONTAINER_CLASSES.isdisjoint(XML_SPACE.split(class_attr)))


def text_blocks(root: Element) -> Iterator[Element]:
    """Leaf block elements (a paragraph, heading, list item or a div of inline content), in document order."""
    for el in root.iter(etree.Element):
        if el is root or el.tag not in BLOCK_TAGS or el.tag in ("ul", "ol", "table", "figure", "hr"):
            continue
        if not any(child.tag in BLOCK_TAGS for child in el.iterdescendants(etree.Element)):
            yield el


def paragraphize(root: Element) -> None:
    """Wrap loose text and inline runs of a container into ``<p>`` (API bodies are often bare text).

    Two consecutive ``<br>`` end a paragraph, as in WordPress's classic editor.
    """
    containers = [root] + [el for el in root.iter("div", "section", "article", "main", "td")
                           if el is not root and any(c.tag in BLOCK_TAGS for c in el)]
    for container in containers:
        _wrap_runs(container)


def _wrap_runs(container: Element) -> None:
    has_blocks = any(c.tag in BLOCK_TAGS for c in container)
    if not has_blocks and container.tag != "div":
        return
    if not has_blocks and container.getparent() is not None:
        return
    runs: list[list] = [[]]
    leading = container.text
    container.text = None
    items: list = []
    if leading and leading.strip():
        items.append(leading)
    children = list(container)
    for child in children:
        items.append(child)
        if child.tail and child.tail.strip():
            items.append(child.tail)
        child.tail = None
    br_run = 0
    for item in items:
        if isinstance(item, str):
            runs[-1].append(item)
            br_run = 0
        elif item.tag in BLOCK_TAGS:
            runs.append([item])
            runs.append([])
            br_run = 0
        elif item.tag == "br":
            br_run += 1
            if br_run >= 2:
                runs.append([])
            else:
                runs[-1].append(item)
        else:
            runs[-1].append(item)
            br_run = 0
    # The blocks stay where they are and each paragraph goes in after the block (or paragraph) before it: taking
    # every child out and putting it back moved each nested block's whole subtree (quadratic in the nesting).
    blocks, previous = set(), None
    for run in runs:
        if not run:
            continue
        if len(run) == 1 and not isinstance(run[0], str) and run[0].tag in BLOCK_TAGS:
            blocks.add(previous := run[0])
            continue
        while run and not isinstance(run[-1], str) and run[-1].tag == "br":
            run.pop()
        if not any((isinstance(i, str) and i.strip()) or (not isinstance(i, str) and i.tag != "br") for i in run):
            continue
        p = etree.Element("p")  # filled before it goes in: no climb of the container's ancestors per item
        for item in run:
            if isinstance(item, str):
                if len(p):
                    p[-1].tail = (p[-1].tail or "") + item
                else:
                    p.text = (p.text or "") + item
            else:
                p.append(item)
        if previous is None:
            container.insert(0, p)
        else:
            previous.addnext(p)
        previous = p
    for child in children:  # what no paragraph took: the line breaks that end or make a paragraph break
        if child not in blocks and child.getparent() is container:
            container.remove(child)
