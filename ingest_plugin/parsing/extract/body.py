"""Find the article content in a page and strip what is not the article.

The content root is found by known containers *and* by where the paragraph text is, so no single theme's CSS
selector decides it. Chrome is removed by element kind, by class/id tokens, and (for promos that carry no class)
by text patterns.
"""
from __future__ import annotations

import re
from functools import lru_cache
from itertools import accumulate, islice
from typing import Iterable, Iterator

from lxml import etree, html
from lxml.html import HtmlElement

from ingest_plugin.parsing.model import Ticker
from ingest_plugin.parsing.text import clean

BLOCK_TAGS = frozenset({"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "table", "figure",
                        "blockquote", "section", "article", "header", "footer", "aside", "nav", "main", "pre",
                        "hr", "dl", "form", "figcaption", "address"})
_ALWAYS_CHROME_TAGS = frozenset({"script", "style", "noscript", "template", "form", "button", "input", "select",
                                 "textarea", "nav", "aside", "footer", "dialog", "svg", "math", "object", "embed",
                                 "iframe", "frame", "frameset", "link", "meta", "base", "canvas", "audio", "video",
                                 "source", "map"})
_CHROME_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary", "search", "dialog"})
# Class or id tokens of site furniture (matched against whole tokens, prefix-anchored).
_CHROME_TOKEN = re.compile(
    r"^(?:skip-link|screen-reader-text|sr-only|visually-hidden|menu|navbar|nav|navigation|site-header|site-footer"
    r"|header-wrap|masthead|breadcrumbs?|sidebar|widget|widget-area|share|shares|sharing|sharedaddy|social|"
    r"social-share|share-buttons|sd-sharing|jp-relatedposts|related|related-posts|related-articles|yarpp|"
    r"newsletter|subscribe|subscription|signup|promo|promotion|sponsored|advert|advertisement|ads?|ad-slot|"
    r"ad-container|adsbygoogle|dfp|cookie|cookies|cookie-banner|cookie-notice|gdpr|consent|comments?|comment-respond|"
    r"respond|post-navigation|nav-links|pagination|tags-links|post-tags|tag-links|cat-links|entry-footer|"
    r"author-box|author-bio|about-author|recommended|outbrain|taboola|zergnet|popup|modal|paywall|"
    r"print-only|hidden|toolbar|read-more|more-stories|trending|most-popular|key-points|keypoints|"
    r"zinger-key-points|article-share|post-share|entry-share)(?:$|[-_])", re.I)
# Advertising slots, whatever the theme calls them ("td-a-rec", "zenger-ad--sidebar", "ad-slot").
_AD_TOKEN = re.compile(r"(?:^|[-_])(?:ad|ads|adspot|adslot|advert|adverts|advertisement|a-rec|dfp|gpt)(?:$|[-_])",
                       re.I)
_NEVER_CHROME = frozenset({"html", "body", "main", "article"})
_CHROME_TOKEN_EXCEPTIONS = re.compile(r"^(?:wp-block-embed|twitter-tweet|instagram-media|wp-caption|has-)", re.I)
_CONTAINER_CLASSES = frozenset({"entry-content", "article-content-body-only", "td-post-content", "post-content",
                                "article-body", "post-body", "story-body", "article-content"})
# XML white space: what separates class tokens, and what XPath's normalize-space() strips (not NBSP: it can be part
# of a token).
XML_SPACE = re.compile(r"[ \t\r\n]+")
_PROMO_TEXT = re.compile(
    r"^(?:See Also|Related Links?|Related|Also Read|Read Next|Read More|Read Also|Also See|More From \w+|"
    r"Don['’]t Miss|Now Read|Check (?:It )?Out|Trending|Recommended(?: for you| from our partners)?|"
    r"You (?:may|might) also like|Sponsored|Popular|Must Read|Editor['’]s Picks?|Top Stories|Latest News|"
    r"Also on \w+)\s*(?::|：|-|–|—|$)"
    r"|^The post .{1,300} appeared first on .{1,80}$"
    r"|^(?:Sign up|Subscribe)\b.{0,120}\b(?:newsletters?|inbox|updates)\b"
    r"|^Recommended from our partners$|^[-–—\s]*Advertisement[-–—\s]*$|^Skip to (?:main )?content$"
    r"|^(?:Share|Share this|Share this article|Share on \w+|Tweet|Email|Print)(?: this)?(?: article| story)?:?$",
    re.I)
_TICKER_HREF = re.compile(r"/(?:stock|quote|stocks)/([A-Za-z][A-Za-z0-9.\-]{0,9})/?(?:#([A-Za-z]+))?$")
# Starts only where a run of white space starts (the leftmost match does): from every space of a long run, "\s*"
# read the rest of the run again (quadratic).
_YOAST_FOOTER = re.compile(r"(?<!\s)\s*+The post .{1,300}? appeared first on .{1,80}?\.?\s*$", re.I | re.S)


def text_of(el: HtmlElement) -> str:
    """The same string as ``el.text_content()`` at a quarter of the cost: libxml2 writes the text out directly,
    without setting up an XPath evaluation. Most elements asked have no child node but text (``len()`` counts
    elements, comments, PIs and entity references): their ``.text`` is that string, for a third of the cost."""
    if not len(el):
        return el.text or ""
    return etree.tostring(el, method="text", encoding="unicode", with_tail=False)


# How many elements of one kind (bylines, dates, deks, h1s) nested in one another have their texts read.
_NESTED_READS = 4


def outer_ones(elements: list[HtmlElement]) -> list[HtmlElement]:
    """``elements`` less those inside four others of them (the order kept). The text of an element holds the texts
    of the ones inside it: reading each one's text read the innermost text once per level (quadratic in a hostile
    nesting). Real pages nest a byline in a byline, or a date in a date, two or three deep at most.

    How many of them hold an element comes from a climb from each one, stopping at an ancestor already climbed:
    ``above`` keeps how many of them are at or above each ancestor."""
    kind = set(elements)
    above: dict[HtmlElement, int] = {}
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


def class_tokens(el: HtmlElement) -> list[str]:
    return (el.get("class") or "").split() + ([id_attr] if (id_attr := el.get("id")) else [])


# Elements with their class, id and itemprop attributes (None when missing): read once for all the searches among
# them (reading an attribute costs more than the rest of a test).
Names = tuple[str | None, str | None, str | None]
NamedElements = list[tuple[HtmlElement, str | None, str | None, str | None]]
_NO_NAMES: Names = (None, None, None)


def named(el: HtmlElement) -> tuple[HtmlElement, str | None, str | None, str | None]:
    """An element with its class, id and itemprop (None when missing)."""
    return el, el.get("class"), el.get("id"), el.get("itemprop")


def _names_unless_chrome(el: HtmlElement, tag: str) -> Names | None:
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
        if "hidden" in names or "aria-hidden" in names and el.get("aria-hidden") == "true" \
                and tag not in ("img", "figure"):
            return None
        if _names_chrome(class_attr, id_attr):
            return None
    return class_attr, id_attr, el.get("itemprop") if "itemprop" in names else None


@lru_cache(maxsize=4096)
def _names_chrome(class_attr: str | None, id_attr: str | None) -> bool:
    """Cached by attribute value: a theme repeats the same few class strings on every element and page."""
    return any((_CHROME_TOKEN.match(t) or _AD_TOKEN.search(t)) and not _CHROME_TOKEN_EXCEPTIONS.match(t)
               for t in (class_attr or "").split() + ([id_attr] if id_attr else []))


def strip_chrome(root: HtmlElement) -> NamedElements:
    """Remove every chrome element under ``root``: one depth-first walk that skips removed subtrees.

    Returns the elements that stay with their class, id and itemprop, ``root`` first, in document order, so that
    callers look for things among them rather than walk the page again (or read the attributes the walk has read).
    """
    kept, doomed = [named(root)], []
    tweet_holders = _tweet_holders(root)  # chrome that holds a tweet embed stays; its other chrome goes
    # The children still to visit, the next one last: a list costs less per element than lxml's iterwalk.
    pending = root[::-1]
    while pending:
        el = pending.pop()
        if not isinstance(tag := el.tag, str):  # a comment or processing instruction, if the tree has any
            continue
        if (names := _names_unless_chrome(el, tag)) is not None:
            kept.append((el, *names))
        elif el in tweet_holders:
            kept.append(named(el))
        else:
            doomed.append(el)
            continue
        pending += el[::-1]
    remove_all(doomed)
    return kept


def remove_all(dropped: Iterable[HtmlElement], opened: Iterable[HtmlElement] = ()) -> None:
    """Drop the ``dropped`` elements, their tails left in place (what ``drop_tree()`` does), and open the ``opened``
    ones, their text, children and tail left in place (``drop_tag()``), each parent's children and texts set once.
    Both append to the text before the element (and drop_tag() looks for it among its siblings), once per element:
    quadratic in the elements of one parent."""
    drop, open_ = set(dropped), set(opened)
    parents = dict.fromkeys(parent for el in (*drop, *open_) if (parent := el.getparent()) is not None
                            and parent not in drop and parent not in open_)
    for parent in parents:
        _rebuild(parent, drop, open_)


def _rebuild(parent: HtmlElement, dropped: set[HtmlElement], opened: set[HtmlElement]) -> None:
    """``parent``'s content without ``dropped`` and with ``opened`` opened: the texts and the elements that stay,
    in order, then the ones from inside opened elements moved into place and each text set once."""
    kept: list[HtmlElement] = []
    texts: list[list[str]] = [[]]  # texts[0]: the parent's text; texts[i]: the tail of kept[i - 1]
    pending: list[str | HtmlElement] = _content(parent)[::-1]  # what comes next, last
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


def _content(el: HtmlElement) -> list[str | HtmlElement]:
    """``el``'s text, then each child and its tail."""
    content: list[str | HtmlElement] = [el.text or ""]
    for child in el:
        content += (child, child.tail or "")
    return content


def _tweet_holders(root: HtmlElement) -> set[HtmlElement]:
    """Every ancestor of a tweet embed (``blockquote.twitter-tweet``) under ``root``: one climb per embed, stopping
    at an ancestor an earlier one added (an XPath query for all their ancestors was quadratic in their nesting)."""
    holders: set[HtmlElement] = set()
    for quote in root.iterdescendants("blockquote"):
        if "twitter-tweet" in (quote.get("class") or ""):
            for el in quote.iterancestors():
                if el in holders:
                    break
                holders.add(el)
    return holders


def _is_descendant(el: HtmlElement, ancestor: HtmlElement) -> bool:
    return any(parent is ancestor for parent in el.iterancestors())


def ticker_links(root: HtmlElement) -> list[Ticker]:
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


def promo_blocks(block: HtmlElement, text: str, leaving: set[HtmlElement]) -> list[HtmlElement]:
    """A promo block, and for a short promo heading the list right after it ("Zinger Key Points" and its bullets),
    the elements already ``leaving`` the body passed over."""
    following = block.getnext()
    while following is not None and following in leaving:
        following = following.getnext()
    if following is not None and following.tag in ("ul", "ol") and len(text) < 60:
        return [block, following]
    return [block]


def mark_line_breaks(body: HtmlElement) -> None:
    """Make ``<br>`` visible in the block's text so each line of a block can be matched on its own."""
    for br in body.iter("br"):
        br.tail = "\n" + (br.tail or "")


def strip_yoast_footer(text: str) -> str:
    """Plain text without Yoast's "The post … appeared first on …" RSS footer."""
    return _YOAST_FOOTER.sub("", text)


_SCORED_TAGS = ("p", "h2", "h3", "blockquote", "li")


def content_root(doc: HtmlElement, elements: NamedElements) -> HtmlElement | None:
    """The element holding the article's paragraphs; ``elements`` are all of the document's, in document order
    (the caller has them already: looking for known containers among them costs no walk over the page).

    Known containers win when they hold at least half of the best paragraph cluster's text; otherwise the element
    whose direct paragraphs carry the most text is taken (any theme).
    """
    best, best_score = None, 0
    scores: dict[HtmlElement, int] = {}
    scored = list(doc.iter(*_SCORED_TAGS))
    knowns = [el for el, class_attr, id_attr, itemprop in elements
              if itemprop == "articleBody" or id_attr == "article-body" or _names_container(class_attr)]
    # Scored elements or known containers nested in one another would each read the text they share again
    # (quadratic in the depth): then the lengths come from one walk over the page instead.
    lengths = _TextLengths(doc) if len(knowns) > 4 or any(map(_holds_scored, scored)) else None
    for p in scored:
        parent = p.getparent()
        if parent is None:
            continue
        if p.tag == "li" and (grandparent := parent.getparent()) is not None:
            parent = grandparent
        length = lengths.stripped(p) if lengths is not None else len(text_of(p).strip())
        scores[parent] = scores.get(parent, 0) + (length if p.tag == "p" else length // 2)
    for el, score in scores.items():
        if score > best_score:
            best, best_score = el, score
    for known in knowns:
        text_len = lengths.length(known) if lengths is not None else len(text_of(known))
        if best is not None and (known is best or _is_descendant(best, known)) and text_len < best_score * 4 + 2000:
            return known
        if best is None or text_len >= best_score * 0.5 and scores.get(known, 0) >= best_score * 0.5:
            return known
    return best


def _holds_scored(el: HtmlElement) -> bool:
    """Whether a scored element holds another (stops at the first: the subtrees of those that hold none are
    disjoint, so asking all of them reads the page once)."""
    return next(islice(el.iter(*_SCORED_TAGS), 1, None), None) is not None


class _TextLengths:
    """``len(text_of(el))`` and ``len(text_of(el).strip())`` of every element of a tree, from one walk.

    The text of an element is its text nodes in document order (its own ``.text``, then each descendant's text and
    each descendant's tail): a contiguous run of the pieces the walk collects, so its length is a difference of two
    prefix sums, and what ``strip()`` removes lies in the first and last pieces that are not all white space."""

    def __init__(self, root: HtmlElement) -> None:
        pieces: list[str] = []
        self._spans: dict[HtmlElement, tuple[int, int]] = {}
        starts: dict[HtmlElement, int] = {}
        for event, node in etree.iterwalk(root, events=("start", "end")):
            if event == "start":
                starts[node] = len(pieces)
                pieces.append((node.text or "") if isinstance(node.tag, str) else "")  # a comment's text is no text
            else:
                self._spans[node] = (starts.pop(node), len(pieces))
                pieces.append(node.tail or "")
        self._pieces = pieces
        self._sums = list(accumulate(map(len, pieces), initial=0))
        count = len(pieces)
        # The first piece at or after i (the last at or before i) that is not all white space; count (-1) if none.
        self._next, self._previous = [count] * (count + 1), [-1] * (count + 1)
        for i in range(count - 1, -1, -1):
            self._next[i] = i if pieces[i] and not pieces[i].isspace() else self._next[i + 1]
        for i in range(count):
            self._previous[i + 1] = i if pieces[i] and not pieces[i].isspace() else self._previous[i]

    def length(self, el: HtmlElement) -> int:
        start, end = self._spans[el]
        return self._sums[end] - self._sums[start]

    def stripped(self, el: HtmlElement) -> int:
        start, end = self._spans[el]
        first, last = self._next[start], self._previous[end]
        if first >= end:
            return 0
        head, tail = self._pieces[first], self._pieces[last]
        if first == last:
            return len(head.strip())
        return (self._sums[last] - self._sums[first + 1] + len(head.lstrip()) + len(tail.rstrip()))


@lru_cache(maxsize=4096)
def _names_container(class_attr: str | None) -> bool:
    return bool(class_attr and not _CONTAINER_CLASSES.isdisjoint(XML_SPACE.split(class_attr)))


def text_blocks(root: HtmlElement) -> Iterator[HtmlElement]:
    """Leaf block elements (a paragraph, heading, list item or a div of inline content), in document order."""
    for el in root.iter(etree.Element):
        if el is root or el.tag not in BLOCK_TAGS or el.tag in ("ul", "ol", "table", "figure", "hr"):
            continue
        if not any(child.tag in BLOCK_TAGS for child in el.iterdescendants(etree.Element)):
            yield el


def paragraphize(root: HtmlElement) -> None:
    """Wrap loose text and inline runs of a container into ``<p>`` (API bodies are often bare text).

    Two consecutive ``<br>`` end a paragraph, as in WordPress's classic editor.
    """
    containers = [root] + [el for el in root.iter("div", "section", "article", "main", "td")
                           if el is not root and any(c.tag in BLOCK_TAGS for c in el)]
    for container in containers:
        _wrap_runs(container)


def _wrap_runs(container: HtmlElement) -> None:
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
        p = html.Element("p")  # filled before it goes in: no climb of the container's ancestors per item
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
