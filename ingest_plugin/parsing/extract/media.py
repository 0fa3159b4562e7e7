"""Photos and embedded tweets: lifted out of the body into associations before anything is sanitized.

Each one leaves a placeholder (``<figure data-association="photo-1">`` / ``<div data-association="tweet-1">``)
where it stood, so the CMS can render it in place from the structured data.
"""
from __future__ import annotations

import re
from itertools import groupby, islice
from typing import Iterable, Iterator
from urllib.parse import urlsplit

from lxml import etree
from lxml.etree import _Element as Element

from ingest_plugin import partners
from ingest_plugin.parsing.extract.body import BLOCK_TAGS, in_sentence, remove_all, text_of
from ingest_plugin.parsing.model import Picture, Tweet
from ingest_plugin.parsing.names import name_case, person_name
from ingest_plugin.parsing.text import clean, web_url

# Used with match(): anchored where the match starts, also inside a text (see _Embeds.wrapped_tweet).
_TWEET_URL = re.compile(r"https?://(?:www\.|mobile\.)?(twitter\.com|x\.com)/(\w{1,15})/status(?:es)?/(\d+)", re.I)
_HANDLE_IN_TEXT = re.compile(r"\(@(\w{1,15})\)")
# The HTML standard's srcset parsing: a candidate's URL runs to white space (commas inside it are its own, as in
# Cloudinary's and Substack's "w_424,c_limit"; commas ending it end the candidate), its descriptors to the next comma
# outside parentheses. Possessive: each call reads its characters once.
_SRCSET_URL = re.compile(r"[\t\n\f\r ,]*+([^\t\n\f\r ]++)")
_SRCSET_DESCRIPTORS = re.compile(r"(?:[^,(]++|\([^)]*+\)?+)*+,?")
_SRCSET_SIZE = re.compile(r"(\d+(?:\.\d+)?)([wx])")
_PLACEHOLDER_SRC = re.compile(r"^data:|placeholder|lazy[-_]?load|blank\.(?:gif|png)|spacer\.gif|1x1|pixel\.gif",
                              re.I)
# One of these is in every match of the pattern above (see _rules_out).
_PLACEHOLDER_WORDS = ("data:", "placeholder", "lazy", "blank.", "spacer.gif", "1x1", "pixel.gif")
_IMG_ATTRS = ("data-orig-file", "data-large-file", "data-full-url", "data-lazy-src", "data-src", "data-original",
              "data-url", "src")
_SRCSET_ATTRS = ("data-lazy-srcset", "data-srcset", "srcset")
# descendant:: rather than .// (descendant-or-self::node()/child::), which libxml2 evaluates one child step at a time.
# The first caption: one step, no union of two queries (libxml2 merges those comparing every node of one with every
# node of the other, quadratic in a figure of many captions).
_CAPTION_ELEMENT = etree.XPath("descendant::*[self::figcaption or contains(@class,'wp-caption-text') or "
                               "contains(@class,'caption')][1]")
# Class words of a picture's credit element (``photo-credit``, Drupal's ``field--name-field-copyright``).
_CREDIT_WORDS_IN_CLASS = ("credit", "copyright", "photographer")
_CREDIT_ELEMENT = etree.XPath("descendant::*[self::cite or self::small or "
                              + " or ".join(f"contains(@class,'{word}')" for word in _CREDIT_WORDS_IN_CLASS) + "]")
# "Foto" is the word of most European languages (German, Dutch, Spanish, Portuguese, Italian, Polish, Czech...).
_CREDIT_WORDS = r"(?:Photo(?:graph)?|Foto|Image|Picture|Graphic|Illustration|Credit)s?"
_CAPTION_CREDITS = (
    # "… (Photo by Jane Doe/Getty Images)" or "… (Jane Doe/Getty Images)". Only the last "(" can start a match,
    # which ends the caption: the lookahead rules out every other "(" at the cost of reading up to the next
    # parenthesis, where an unclosed one made each "/" after it cost a scan to the end (quadratic).
    re.compile(rf"(?<!\s)\s*+\((?=[^()]*+\)\.?$)\s*(?:{_CREDIT_WORDS}\s*(?:by|courtesy(?: of)?|credit|via)?\s*:?\s*)?"
               rf"([^()]*\w/[^()]+|(?<=\()\s*{_CREDIT_WORDS}\b[^()]+)\)\.?$", re.I),
    # "… Photo: Jane Doe" / "… Credit: Shutterstock" / "… Photo courtesy of X"; with a colon, also glued to the
    # sentence before it, as Hugo's figure shortcode writes a caption and its attribution ("…on Friday.Photo: X").
    re.compile(rf"(?:^|(?<=[.!?”\"’)])\s|(?<=[.!?”\"’)])(?={_CREDIT_WORDS}\s*:))\s*{_CREDIT_WORDS}\s*"
               r"(?:by|courtesy(?: of)?|credit|via)?\s*:?\s+(.+)$"),
    # "… in January 2021. DARRIAN TRAYNOR" or "… AFP/GETTY IMAGES" (after a dash too, as Wagtail's demo writes it)
    re.compile(r"(?<=[.!?”\"’)])\s+(?:[-–—]\s+)?([A-Z][A-Z.'’\-]+(?:\s+[A-Z][A-Z.'’\-]+)+"
               r"(?:\s*/\s*[A-Z][A-Z.'’ \-]+)?|[A-Z][A-Z.'’\-]+\s*/\s*[A-Z][A-Z.'’ \-]+)$"),
    # "… Jane Doe/Getty Images", "… - Jane Doe/Getty Images"
    re.compile(r"(?<=[.!?”\"’)])\s+(?:[-–—]\s+)?([A-Z][\w.'’\-]+(?:\s+[A-Z][\w.'’\-]+){0,3}\s*/\s*[A-Z][\w.'’ \-]+)$"),
)
_CAPS_CREDIT = _CAPTION_CREDITS[2]
# "… in Lagos on Tuesday. (Jane Doe)": a name in parentheses after the caption's last sentence. Only a position
# after a sentence's end can start a match, and the name is bounded.
_PAREN_CREDIT = re.compile(r"(?<=[.!?”\"’])\s*+\(([^()]{3,80})\)\.?$")
_CREDIT_LINE = re.compile(
    # Also in parentheses, a line of its own under the picture: "(Credit: Jane Doe/Agency)".
    rf"^\(?(?:Featured\s+)?{_CREDIT_WORDS}\s*(?:(?:by|courtesy(?: of)?|credit|via|source)\s*:?|:)\s*(?P<credit>.+)$"
    rf"|^(?:Featured\s+)?{_CREDIT_WORDS}\s+(?:generated|created|made)\s+(?:using|with|by)\s+(?P<tool>.+)$"
    r"|^Courtesy(?: of)?\s*:?\s+(?P<courtesy>.+)$", re.I)
_CREDIT_PREFIX = re.compile(
    rf"^(?:{_CREDIT_WORDS}\b\s*)?(?:(?:(?:taken |shot )?by|courtesy(?: of)?|credit|via)\b)?\s*:?\s*", re.I)
_CREDIT_SEPARATOR = re.compile(r"\s*+\|\s*+")
_ON_SERVICE = re.compile(r"^(?P<who>[^/]+?)\s+(?:on|via|from)\s+(?P<service>Unsplash|Pexels|Pixabay|Flickr|Wikimedia"
                         r"(?: Commons)?|Shutterstock|Getty Images)$", re.I)
_DECORATION = re.compile(r"(?:^|[/_\-\s.])(?:logo|logos|icon|icons|avatar|avatars|emoji|sprite|pixel|spacer|tiny|"
                         r"gravatar|badge)(?:$|[/_\-\s.])", re.I)
# One of these is in every match of the pattern above (see _rules_out).
_DECORATION_WORDS = ("logo", "icon", "avatar", "emoji", "sprite", "pixel", "spacer", "tiny", "badge")
_IMAGE_PATH = re.compile(r"\.(?:jpe?g|png|gif|webp|avif|bmp|tiff?)$", re.I)
_SIZE_SUFFIX = re.compile(r"(?:-\d+x\d+|-scaled|-e\d+)+(?=\.\w+$)")
# Beyond this a file name is no WordPress size variant worth pairing: it is compared as it stands. The suffix
# pattern tries every "-" and runs to the end of the name from each: quadratic on a long run of "-1x1".
_MAX_FILE_NAME = 500
# The all-capitals credit ("… DARRIAN TRAYNOR", "… AFP/GETTY IMAGES") is looked for in the caption's last characters
# only: the pattern runs to the end of the caption from every sentence start, quadratic on many short capitalised
# sentences, and no credit is that long.
_CAPS_CREDIT_WINDOW = 300
_AGENCY_ABBREVIATIONS = {"AFP", "AP", "EPA", "UPI", "DPA", "ANP", "ANSA", "EFE", "TASS", "PA", "NASA"}


def lift_tweets(root: Element) -> list[Tweet]:
    """Tweet embeds: the standard ``blockquote.twitter-tweet`` (wrapped or not) and WordPress embed blocks that
    were saved before the widget rendered (only the tweet's URL inside ``figure.wp-block-embed-twitter``)."""
    tweets: list[Tweet] = []
    embeds = _Embeds(root)
    for el in list(root.iter("blockquote", "figure", "div")):
        if el in embeds.gone:
            continue  # replaced together with an earlier embed
        if el.tag == "blockquote":
            tweet_url, quote = embeds.quoted_tweet(el), el
        else:
            tweet_url, quote = embeds.wrapped_tweet(el), None
        if tweet_url is None:
            continue
        host, handle, status = tweet_url.groups()
        uri = f"https://{host.lower()}/{handle}/status/{status}"
        holder = embeds.holder(quote if quote is not None else el)
        captions = [clean(text_of(c)) for c in holder.iter("figcaption")]
        name = f"tweet-{len(tweets) + 1}"
        if quote is not None:
            quote.tail = None
            markup = etree.tostring(quote, encoding="unicode", method="html", with_tail=False)
        else:
            markup = f'<blockquote class="twitter-tweet"><a href="{uri}">{uri}</a></blockquote>'
        tweets.append(Tweet(name=name, uri=uri, handle=f"@{handle}", html=markup,
                            caption=next((c for c in captions if c), None)))
        embeds.gone.update(holder.iter("blockquote", "figure", "div"))
        _replace(holder, "div", name)
    return tweets


class _Embeds:
    """What :func:`lift_tweets` learns of a body's embeds as it goes, so that no subtree is read once per embed
    around it: nested blockquotes or twitter-classed wrappers each read all those inside them again (quadratic).

    An embed that is no tweet tells something of everything inside it: no tweet link among its links (none among
    theirs either), no "(@handle)" in its text (none in theirs), no tweet URL among its words (one of theirs can
    only start one where a word of the wrapper runs into it). Each subtree read is replaced, or teaches one of
    these; elements are read in document order, so the subtree of each one asked about is still as it was."""

    def __init__(self, root: Element) -> None:
        self.root = root
        self.gone: set[Element] = set()  # inside an embed already replaced
        self._no_links: set[Element] = set()  # no link to a tweet inside (a blockquote's cite aside)
        self._no_handle: set[Element] = set()  # blockquotes whose text holds no "(@handle)"
        self._words: dict[Element, tuple[str, int, int]] = {}  # see wrapped_tweet
        self._quote_holders: set[Element] | None = None
        self._wrappers: dict[Element, Element | None] = {}  # see _wrapper_above

    def quoted_tweet(self, quote: Element) -> re.Match[str] | None:
        """The status URL of a tweet blockquote, marked as one by its class, its parent's or a "(@handle)" in its
        text: the cite attribute's, else its last link to a tweet."""
        cite = _TWEET_URL.match(quote.get("cite") or "")
        if cite is None and quote in self._no_links:
            return None
        if "twitter" not in (quote.get("class") or "") and "twitter" not in _classes_up(quote):
            if quote in self._no_handle:
                return None
            if not _HANDLE_IN_TEXT.search(text_of(quote)):
                self._no_handle.update(quote.iter("blockquote"))
                return None
        if cite is not None or quote in self._no_links:
            return cite
        matches = [m for m in map(_TWEET_URL.match, (a.get("href", "") for a in quote.iter("a"))) if m]
        if not matches:
            self._no_links.update(quote.iter("blockquote", "figure", "div"))
        return matches[-1] if matches else None

    def wrapped_tweet(self, wrapper: Element) -> re.Match[str] | None:
        """The first tweet URL among the links, then the words, of a twitter-classed figure or div that holds no
        blockquote: an embed saved before the widget rendered."""
        if "twitter" not in (wrapper.get("class") or "") or wrapper in self._holding_quotes():
            return None
        if wrapper not in self._no_links:
            links = (a.get("href", "") for a in wrapper.iter("a"))
            if match := next((m for m in map(_TWEET_URL.match, links) if m), None):
                return match
            self._no_links.update(wrapper.iter("blockquote", "figure", "div"))
        if wrapper in self._words:
            # Inside a wrapper whose words hold no tweet URL: each of its words is one of those, or the start of
            # one, but for a first word that starts inside a word of the wrapper's (exact for text that clean()
            # leaves as it is; escaped markup or entities are read as text).
            text, start, end = self._words[wrapper]
            if 0 < start < end and not text[start - 1].isspace() and not text[start].isspace():
                return _TWEET_URL.match(text, start, end)
            return None
        words = clean(text_of(wrapper)).split()
        match = next((m for m in map(_TWEET_URL.match, words) if m), None)
        if match is None:
            self._words.update(_wrappers_inside(wrapper))
        return match

    def _holding_quotes(self) -> set[Element]:
        """Elements with a blockquote inside (what ``.//blockquote`` asked of each wrapper's subtree): one climb
        per blockquote, each stopping where an earlier one passed."""
        if self._quote_holders is None:
            self._quote_holders = set()
            for quote in self.root.iter("blockquote"):
                for el in quote.iterancestors():
                    if el in self._quote_holders:
                        break
                    self._quote_holders.add(el)
        return self._quote_holders

    def holder(self, embed: Element) -> Element:
        """What replaces an embed: its outermost figure or wp-block-embed wrapper up through divs, else itself."""
        above = self._wrapper_above(embed.getparent())
        return above if above is not None else embed

    def _wrapper_above(self, el: Element | None) -> Element | None:
        """The outermost figure or wp-block-embed wrapper from ``el`` up through divs. Each element's answer is kept:
        tweets side by side in deep divs each climbed them all."""
        climbed = []
        while el is not None and el is not self.root and el not in self._wrappers \
                and (el.tag == "div" or _is_embed_wrapper(el)):
            climbed.append(el)
            el = el.getparent()
        found = self._wrappers.get(el) if el is not None else None
        for node in reversed(climbed):
            if found is None and _is_embed_wrapper(node):
                found = node
            self._wrappers[node] = found
        return found


def _is_embed_wrapper(el: Element) -> bool:
    return el.tag == "figure" or "wp-block-embed" in (el.get("class") or "")


def _wrappers_inside(wrapper: Element) -> dict[Element, tuple[str, int, int]]:
    """The twitter-classed figures and divs inside ``wrapper``, each with the wrapper's text (zero-width spaces out,
    as clean() takes them) and where its own text starts and ends in it: one walk of the wrapper."""
    pieces: list[str] = []
    length = 0
    starts: dict[Element, int] = {}
    spans: dict[Element, tuple[int, int]] = {}
    for event, node in etree.iterwalk(wrapper, events=("start", "end")):
        if event == "start":
            if node is not wrapper and node.tag in ("figure", "div") and "twitter" in (node.get("class") or ""):
                starts[node] = length
            piece = node.text if isinstance(node.tag, str) else None  # a comment's text is no text
        else:
            if node in starts:
                spans[node] = (starts.pop(node), length)
            piece = node.tail if node is not wrapper else None
        if piece:
            piece = piece.replace("\u200b", "")
            pieces.append(piece)
            length += len(piece)
    text = "".join(pieces)
    return {node: (text, start, end) for node, (start, end) in spans.items()}


def lift_pictures(root: Element, base_url: str | None) -> list[Picture]:
    pictures: list[Picture] = []
    images = list(root.iter("img"))
    gone: set[Element] = set()  # left the tree with an earlier picture's holder
    sources = _PictureSources(base_url)
    blocks: dict[Element, Element] = {}  # see _block_of
    carriers: list[Element] = []  # see _drop
    for index, img in enumerate(images):
        if img in gone:
            continue  # removed together with an earlier figure
        href, width, height = best_image_source(img, base_url, sources)
        # Every earlier image has left the tree: an element holds another picture exactly when it holds the next.
        shared = _meeting_point(img, images[index + 1]) if index + 1 < len(images) else None
        holder = _figure_holder(img, root, (shared,))
        if href is None:
            doomed = holder if holder is not None and holder is not shared else img
            gone.update(doomed.iter("img"))
            _drop(doomed, carriers)
            continue
        if holder is not None:  # before its credit element (and what that holds) leaves it
            gone.update(holder.iter("img"))
            caption, credit = _caption_and_credit(holder)
        elif (beside := sibling_caption(_block_of(img, root, blocks))) is not None:
            caption, credit = _caption_and_credit_of(beside)
            _drop(beside, carriers)
        else:
            caption, credit = None, None
        name = f"photo-{len(pictures) + 1}"
        picture = Picture(name=name, href=href, caption=caption, credit=credit, alt=clean(img.get("alt")) or None,
                          width=width, height=height)
        pictures.append(picture)
        if holder is not None:
            _replace(holder, "figure", name)
        else:
            block = _block_of(img, root, blocks)
            placeholder = etree.Element("figure", {"data-association": name})
            if block is img:
                _replace(img, "figure", name)
            else:
                block.addnext(placeholder)
                placeholder.tail, block.tail = block.tail, None
                _drop(img, carriers)
    remove_all(carriers + _orphan_captions(root))
    return pictures


# Elements of a picture's own: a figure holding one (an embed's, a video's) keeps its caption.
_MEDIA_TAGS = frozenset({"img", "picture", "video", "audio", "iframe", "object", "embed", "svg", "canvas"})
# Elements a figure of text holds besides a caption: a quotation (in a paragraph too: a pull quote), code, a table, a
# list, a heading, a placeholder figure.
_FIGURE_CONTENT_TAGS = frozenset({"blockquote", "p", "pre", "code", "table", "ul", "ol", "dl", "h2", "h3", "h4",
                                  "figure", "math"})
# Longer text than this is no caption or credit left behind (a pull quote, a video page's description).
_ORPHAN_TEXT = 300


def _orphan_captions(root: Element) -> list[Element]:
    """Captions and credits left in the body without their picture, once every picture has left it: a figure
    holding no picture, embed, quotation, code, table or list, only a short text; and a short caption or credit
    element (``figcaption``, a caption- or credit-named class) holding no block, outside any figure holding
    media. A page that loads its pictures by script leaves their captions and credits only.

    One walk: a figure's (or a caption's) content is read once, and nothing inside one read is tested again."""
    found: list[Element] = []
    read: set[Element] = set()  # the elements inside a figure or caption already decided
    for el in _caption_candidates(root):  # in document order: a holder before what it holds
        if el in read:
            continue
        if el.tag == "figure":
            if el.get("data-association") is not None:  # a placeholder of ours: what it holds is looked at
                continue
            inside = [d for d in el.iterdescendants() if isinstance(d.tag, str)]
            kinds = {d.tag for d in inside}
            if not any(kind in _MEDIA_TAGS or kind.startswith("amp-") for kind in kinds) \
                    and kinds.isdisjoint(_FIGURE_CONTENT_TAGS) and len(text := text_of(el)) <= _ORPHAN_TEXT \
                    and _caption_and_credit_only(el, text, "figcaption" in kinds):
                found.append(el)
            read.update(inside)  # a picture or embed that stays (or its holder) keeps its caption; a figure of text
            continue
        if el.tag != "figcaption" and not _is_caption(el) and not _is_picture_credit(el):
            continue
        inside = [d for d in el.iterdescendants() if isinstance(d.tag, str)]
        if all(d.tag not in BLOCK_TAGS and d.tag not in _MEDIA_TAGS for d in inside) \
                and len(text_of(el)) <= _ORPHAN_TEXT and not in_sentence(el):
            found.append(el)
        read.update(inside)
    return found


def _caption_and_credit_only(figure: Element, text: str, captioned: bool) -> bool:
    """Whether a figure's text is its caption's and a credit at most, or (without a caption) a credit alone
    ("Ana Lima/Harbor Times", "© Agency", "Photo: X"): no fact box, formula or quotation of its own."""
    line = clean("".join(_TEXT_OUTSIDE_CAPTIONS(figure)) if captioned else text)
    if not line:  # a caption alone, or an empty figure left by a picture loaded by script
        return True
    bare = line[1:-1].strip() if line.startswith("(") and line.endswith(")") else line  # "(Jane Doe/Agency)"
    return len(line) <= _CREDIT_MAX and (_NAME_SLASH_AGENCY.match(bare) is not None or bare.startswith("©")
                                          or _AGENCY_CREDIT.search(bare) is not None or credit_line(bare) is not None)


_TEXT_OUTSIDE_CAPTIONS = etree.XPath("descendant::text()[not(ancestor::figcaption)]")
# A picture's credit written as names and an agency: "Ana Lima/Harbor Times", "Judy Eddy/WENN.com".
_NAME_SLASH_AGENCY = re.compile(r"[A-Z][\w.'-]*(?: [A-Z][\w.'-]*){1,3} ?/ ?[A-Z][\w.&' -]{1,40}$")
# A picture agency's credit: "Getty Images", "AFP via Getty Images".
_AGENCY_CREDIT = re.compile(r"\bImages$|\bvia [A-Z]")


# A credit-named class that names a picture's ("photo-credit", "image-copyright"), not a tax credit, an
# accreditation or the story's credits line ("Edited by …").
_PICTURE_CREDIT_CLASS = re.compile(r"photo|image|img|pic|foto|media|copyright|photographer", re.I)


def _is_picture_credit(el: Element) -> bool:
    return _is_credit(el) and _PICTURE_CREDIT_CLASS.search(el.get("class") or "") is not None


def _caption_candidates(root: Element) -> list:
    """What _orphan_captions looks at, in document order: a class attribute found stands for its element."""
    return [found.getparent() if isinstance(found, etree._ElementUnicodeResult) else found
            for found in _CAPTION_CANDIDATES(root)]


# What _orphan_captions looks at: figures, and caption- or credit-named elements (their class attributes: testing
# the attributes themselves costs libxml2 a third of testing every element's), found by libxml2.
_CAPTION_CANDIDATES = etree.XPath(
    "descendant::figure | descendant::figcaption | descendant::*/@class["
    + " or ".join(f"contains(., '{word}')" for word in ("caption", *_CREDIT_WORDS_IN_CLASS)) + "]")


def _drop(el: Element, carriers: list[Element]) -> None:
    """Take ``el`` out of the tree, its tail left where it was on an empty comment (added to ``carriers``), which
    remove_all() takes out with the others at the end: drop_tree() appends the tail to the text before it, and
    pictures dropped side by side made that text grow by each one's tail in turn (quadratic)."""
    carrier = etree.Comment("")
    carrier.tail = el.tail
    parent = el.getparent()
    assert parent is not None  # el is inside the root, never the root itself
    parent.replace(el, carrier)
    carriers.append(carrier)


def _meeting_point(a: Element, b: Element) -> Element | None:
    """The lowest element holding both ``a`` and ``b`` (two images), found by climbing from both at once: that
    costs their distance to it, and those distances of the images in document order add up to twice the tree's
    size at most, where counting each ancestor's images cost each image the whole climb to the root."""
    seen_a: set[Element] = set()
    seen_b: set[Element] = set()
    x, y = a.getparent(), b.getparent()
    while x is not None or y is not None:
        if x is not None:
            if x in seen_b:
                return x
            seen_a.add(x)
            x = x.getparent()
        if y is not None:
            if y in seen_a:
                return y
            seen_b.add(y)
            y = y.getparent()
    return None


def _block_of(img: Element, root: Element, memo: dict[Element, Element]) -> Element:
    """The block a picture without a holder stands in: its nearest block ancestor below ``root``, or the child of
    ``root`` on the way, or the image itself. ``memo`` keeps each element's answer: pictures in deep inline markup
    each climbed it all."""
    el, climbed = img, []
    while el not in memo and el.tag not in BLOCK_TAGS and (parent := el.getparent()) is not None \
            and parent is not root:
        climbed.append(el)
        el = parent
    block = memo.get(el, el)
    for node in climbed:
        memo[node] = block
    return block


def featured_picture(doc: Element, body: Element, image_url: str, base_url: str | None,
                     leaving: Iterable[Element] = ()) -> Picture:
    """The page's featured image, with the caption and credit of its hero figure when the page shows one
    outside the article body. ``leaving``: parts of ``body`` that will leave it (the article's header)."""
    in_body = set(body.iter("img")).difference(*(part.iter("img") for part in leaving))
    images = list(doc.iter("img"))
    sources = _PictureSources(base_url)
    for index, img in enumerate(images):
        if img in in_body:
            continue
        # An element holds another picture when it holds the one before or the one after.
        shared = (_meeting_point(images[index - 1], img) if index else None,
                  _meeting_point(img, images[index + 1]) if index + 1 < len(images) else None)
        holder = _figure_holder(img, doc, shared)
        caption_el = _caption_beside(img) if holder is None else None
        if holder is None and caption_el is None:
            continue  # the holder is the cheap test: only a captioned picture can be the hero
        href, width, height = best_image_source(img, base_url, sources)
        if href and same_image(href, image_url):
            caption, credit = _caption_and_credit(holder) if holder is not None else _caption_and_credit_of(caption_el)
            return Picture(name="featured", href=href, caption=caption, credit=credit, width=width, height=height,
                           alt=clean(img.get("alt")) or None, featured=True)
    # An unusable URL leaves an empty href: the pipeline publishes only http(s) pictures.
    return Picture(name="featured", href=web_url(image_url, base_url) or "", featured=True)


def same_image(a: str, b: str) -> bool:
    """Two URLs of one picture, whatever WordPress size variant ("-1024x683", "-scaled") each names."""
    return _file_name(a) == _file_name(b)


def _file_name(url: str) -> str:
    """The file name of a picture URL in lower case, without a WordPress size variant's suffix."""
    name = urlsplit(url).path.rsplit("/", 1)[-1].lower()
    return _SIZE_SUFFIX.sub("", name) if len(name) <= _MAX_FILE_NAME else name


def credit_line(text: str) -> str | None:
    """The normalised credit of a "Photo: Shutterstock"-style paragraph, or None for any other text."""
    match = _CREDIT_LINE.match(text) if len(text) < 160 else None
    if match is None:
        return None
    return normalise_credit(match.group("credit") or match.group("tool") or match.group("courtesy"))


def best_image_source(img: Element, base_url: str | None, sources: _PictureSources | None = None
                      ) -> tuple[str | None, int | None, int | None]:
    """The real image behind lazy-loading: the widest ``srcset`` candidate (the image's or its ``<picture>``'s
    sources'), else the best ``data-*``/``src``. ``sources``: one for all the images of a tree."""
    width_attr, height_attr = _int(img.get("width")), _int(img.get("height"))
    candidates = _srcset_candidates(img)
    for rank, attr in enumerate(_IMG_ATTRS):
        if value := img.get(attr):
            candidates.append((float(width_attr or 0) if attr == "src" else 1e9 - rank if rank < 3 else 0,
                               -10 - rank, value))
    around = (sources or _PictureSources(base_url)).best_around(img)
    best = _better(_best_usable(candidates, base_url), around)
    if best is None:
        return None, None, None
    (size, _rank), url = best
    if _is_decoration(img, url, width_attr, height_attr):
        return None, None, None
    width = int(size) if 0 < size < 1e5 and size == int(size) and size > 50 else width_attr
    height = height_attr
    if width and width_attr and height_attr and width != width_attr:
        height = round(width * height_attr / width_attr)
    return url, width, height


# A candidate is (size, -rank, raw URL); the best of several is ((size, -rank), usable URL).
Candidate = tuple[float, int, str]
Best = tuple[tuple[float, int], str]


def _srcset_candidates(el: Element) -> list[Candidate]:
    """The candidates of an image's or a source's srcset attributes, ranked in the order of _SRCSET_ATTRS."""
    return [(size, -rank, url) for rank, attr in enumerate(_SRCSET_ATTRS) for url, size in _srcset(el.get(attr) or "")]


def _srcset(value: str) -> Iterator[tuple[str, float]]:
    """Each candidate's URL and size (its width, or its density times 1000; 0 without either) as the HTML standard
    reads a srcset, in one pass: splitting on every comma cut CDN URLs holding commas into links to nowhere."""
    pos = 0
    while (url := _SRCSET_URL.match(value, pos)) is not None:
        raw, pos = url.group(1), url.end()
        if raw.endswith(","):  # "a.jpg, b.jpg": the comma ends the candidate, which has no descriptors
            yield raw.rstrip(","), 0.0
            continue
        descriptors = _SRCSET_DESCRIPTORS.match(value, pos)
        assert descriptors is not None  # it matches the empty string
        pos = descriptors.end()
        first = descriptors.group().rstrip(",").split(maxsplit=1)
        sized = _SRCSET_SIZE.fullmatch(first[0]) if first else None
        yield raw, float(sized.group(1)) * (1000 if sized.group(2) == "x" else 1) if sized else 0.0


def _best_usable(candidates: list[Candidate], base_url: str | None) -> Best | None:
    """The best candidate whose URL is usable. Best first, so URLs are resolved only until a group of equally
    ranked candidates holds one; the greatest URL of that group wins, as a max() over all of them would."""
    rank_of = lambda candidate: candidate[:2]  # noqa: E731
    for key, group in groupby(sorted(candidates, key=rank_of, reverse=True), key=rank_of):
        urls = [url for url in (_usable_image_url(raw, base_url) for *_, raw in group) if url is not None]
        if urls:
            return key, max(urls)
    return None


def _better(a: Best | None, b: Best | None) -> Best | None:
    """The better of two bests of disjoint candidates: of equal rank, they were one group, and the greater URL
    wins."""
    if a is None or b is None:
        return a or b
    if a[0] == b[0]:
        return a[0], max(a[1], b[1])
    return max(a, b)


class _PictureSources:
    """The best candidate of the sources of the ``<picture>`` around an image (any ancestor: libxml2 nests an image
    in an unclosed ``<source>``), ranked after the image's own: worked out once per picture, where
    ``picture.iter("source")`` per image read a picture's sources once per image in it, and nested pictures read
    the inner ones' again. A picture's sources are taken as they are when the first image in it is asked about."""

    def __init__(self, base_url: str | None) -> None:
        self.base_url = base_url
        self._above: dict[Element, Element | None] = {}  # the nearest <picture> at or above an element
        self._best: dict[Element, Best | None] = {}

    def best_around(self, img: Element) -> Best | None:
        picture = self._picture_from(img.getparent())
        if picture is None:
            return None
        if picture not in self._best:
            outer = picture
            while (above := self._picture_from(outer.getparent())) is not None:
                outer = above
            self._read(outer)
        return self._best[picture]

    def _picture_from(self, el: Element | None) -> Element | None:
        """The nearest ``<picture>`` at or above ``el``; each element climbed keeps its answer (images share their
        ancestors: each climbed to the root)."""
        climbed = []
        while el is not None and el.tag != "picture" and el not in self._above:
            climbed.append(el)
            el = el.getparent()
        found = self._above.get(el, el) if el is not None else None
        for node in climbed:
            self._above[node] = found
        return found

    def _read(self, outer: Element) -> None:
        """The best of every picture in ``outer``, itself included, in one walk: each source's best candidate,
        ranked by its place among all of them, and a picture's the best of its own sources' and of the pictures
        inside it. In a picture, a source's three srcset attributes rank after the image's three and those of the
        sources before it."""
        frames: list[list] = []  # per open picture: [its best as (size, -place, -rank, URL) or None, first place]
        place = 0
        for event, el in etree.iterwalk(outer, events=("start", "end"), tag=("picture", "source")):
            if el.tag == "source":
                if event == "start":
                    frame = frames[-1]
                    frame[1] = place if frame[1] is None else frame[1]  # the first place in the picture
                    if (found := _best_usable(_srcset_candidates(el), self.base_url)) is not None:
                        (size, minus_rank), url = found
                        mine = (size, -place, minus_rank, url)
                        frame[0] = mine if frame[0] is None else max(frame[0], mine)
                    place += 1
            elif event == "start":
                frames.append([None, None])
            else:
                best, first = frames.pop()
                self._best[el] = None if best is None else (
                    (best[0], -(3 + 3 * (-best[1] - first) - best[2])), best[3])
                if frames and first is not None:  # the picture around it holds these sources too
                    outside = frames[-1]
                    outside[1] = first if outside[1] is None else outside[1]
                    if best is not None:
                        outside[0] = best if outside[0] is None else max(outside[0], best)


def _usable_image_url(raw: str, base_url: str | None) -> str | None:
    """The web URL of an image candidate, or None for a placeholder or a link to no image."""
    url = clean(raw)
    if not url.lower().startswith(("http:", "https:", "//")) and not _IMAGE_PATH.search(urlsplit(url).path):
        return None  # "src=x": a relative link to no image at all
    resolved = web_url(url, base_url)
    return resolved if resolved is not None and not _is_placeholder(resolved) else None


def _is_placeholder(url: str) -> bool:
    return not _rules_out(url, _PLACEHOLDER_WORDS) and _PLACEHOLDER_SRC.search(url) is not None


def _is_decoration(img: Element, url: str, width: int | None, height: int | None) -> bool:
    """Tracking pixels, logos, icons and avatars are not article photos."""
    if (width is not None and width < 100) or (height is not None and height < 60):
        return True
    return any(not _rules_out(text, _DECORATION_WORDS) and _DECORATION.search(text)
               for text in (urlsplit(url).path, img.get("alt") or "", img.get("class") or ""))


def _rules_out(text: str, words: tuple[str, ...]) -> bool:
    """True when ``text`` is ASCII and its lower case holds none of ``words``, so that a case-insensitive pattern
    with one of them in every match cannot match it: far cheaper than the search, which tries every position.

    Under re.I only non-ASCII characters ("ı", "İ", "ſ", the Kelvin sign) match a letter other than its own two
    cases; text holding any is left to the pattern."""
    if not text.isascii():
        return False
    lowered = text.lower()
    return not any(map(lowered.__contains__, words))


def split_caption_credit(caption: str) -> tuple[str | None, str | None]:
    caption = clean(caption)
    for pattern in _CAPTION_CREDITS:
        start = max(0, len(caption) - _CAPS_CREDIT_WINDOW) if pattern is _CAPS_CREDIT else 0
        match = pattern.search(caption, start)
        if match:
            credit = normalise_credit(match.group(1))
            rest = caption[: match.start()].strip()
            if credit:
                return rest or None, credit
    if caption.endswith((")", ").")) and (match := _PAREN_CREDIT.search(caption)) \
            and person_name(match.group(1).split("/")[0], partners.not_person_names()):
        return caption[: match.start()].strip() or None, normalise_credit(match.group(1))
    return caption or None, None


def normalise_credit(credit: str | None) -> str | None:
    """A credit as a picture desk writes it: "Darrian Traynor", "Jane Doe/Getty Images", "Shutterstock"."""
    credit = clean(credit).strip(" .,;:()[]")
    credit = re.sub(r"^(?:©|\(c\)|copyright)\s*", "", credit, flags=re.I)
    credit = _CREDIT_PREFIX.sub("", credit)
    if not credit:
        return None
    if match := _ON_SERVICE.match(credit):
        credit = f"{match.group('who')}/{match.group('service')}"
    credit = _CREDIT_SEPARATOR.sub("/", credit)  # "Jane Doe | Harbor Times"
    parts = [p.strip() for p in credit.split("/")]
    return "/".join(p if not p.isupper() or p in _AGENCY_ABBREVIATIONS else name_case(p) for p in parts)


def _caption_and_credit(holder: Element) -> tuple[str | None, str | None]:
    """The caption and credit of a picture's holder: its caption element's, else a credit element's beside the
    image (Drupal's ``field--name-field-copyright``); a captioned picture's table, its caption cell's."""
    if holder.tag == "table" and (cell := _table_caption(holder)) is not None:
        return _caption_and_credit_of(cell)
    if (caption_el := next(iter(_CAPTION_ELEMENT(holder)), None)) is not None:
        return _caption_and_credit_of(caption_el)
    credit_el = next((el for el in _CREDIT_ELEMENT(holder) if next(el.iter("img"), None) is None), None)
    return (None, normalise_credit(text_of(credit_el))) if credit_el is not None and _is_short(credit_el) \
        else (None, None)


def _caption_and_credit_of(caption_el: Element | None) -> tuple[str | None, str | None]:
    """The caption and credit one caption element holds (a credit element inside it goes), or the credit a credit
    element is; none without one."""
    if caption_el is None:
        return None, None
    if not _is_caption(caption_el) and _is_credit(caption_el):
        return None, normalise_credit(text_of(caption_el))
    credit_el = next(iter(_CREDIT_ELEMENT(caption_el)), None)
    if credit_el is not None:
        credit = normalise_credit(text_of(credit_el))
        remove_all([credit_el])
        caption, inner_credit = split_caption_credit(text_of(caption_el))
        return caption, credit or inner_credit
    return split_caption_credit(text_of(caption_el))


def _figure_holder(img: Element, root: Element, shared: tuple[Element | None, ...]
                   ) -> Element | None:
    """The figure (or WordPress caption block) holding ``img`` alone. ``shared``: the lowest elements holding
    ``img`` and a neighbouring picture, at and above which every element holds more than one."""
    el: Element | None = img.getparent()
    below = img
    while el is not None and el is not root:
        classes = el.get("class") or ""
        if el.tag == "figure" or "wp-caption" in classes.split() or "wp-block-image" in classes:
            return el
        if el.tag in BLOCK_TAGS and el.tag not in ("div", "p") or el in shared:
            return None
        if el.tag == "td":
            table = _captioned_table(el, shared)
            return table if table is not root else None
        if el.tag in ("div", "p") and len(el) == 2 and (
                _is_caption(other := el[1] if el[0] is below else el[0]) or _is_credit(other) and _image_alone(below)):
            # The image and its caption alone in a div (Elementor's image widget) or a p (Hexo's fancybox), or the
            # image's own wrapper and its credit (Drupal's media fields)
            return el
        below, el = el, el.getparent()
    return None


def _captioned_table(cell: Element, shared: tuple[Element | None, ...]) -> Element | None:
    """The table around an image's cell when it is a captioned picture, as Blogger's "Add caption" and older CMSs
    write one: two rows of one cell each, the image alone in the first, a caption-named cell in the second (a short
    line under a logo or an icon is the story's: a score, a correction), no other picture (``shared``, as in
    :func:`_figure_holder`). A table of more rows or cells is data, and its cells are no captions. Each test reads
    a few elements, so that no picture reads what a caption holds (nested tables of this shape would be read again
    by every picture above them)."""
    row = cell.getparent()
    if row is None or row.tag != "tr" or row.getprevious() is not None or cell.getprevious() is not None \
            or cell.getnext() is not None:
        return None
    caption_row = row.getnext()
    if caption_row is None or caption_row.tag != "tr" or caption_row.getnext() is not None:
        return None
    group = row.getparent()
    table = group.getparent() if group is not None and group.tag == "tbody" \
        and group.getprevious() is None and group.getnext() is None else group
    caption = next(caption_row.iterchildren(), None)
    if table is None or table.tag != "table" or any(el in shared for el in (row, group, table)) \
            or caption is None or caption.tag != "td" or caption.getnext() is not None or not _image_alone(cell):
        return None
    return table if _is_caption(caption) else None


def _table_caption(table: Element) -> Element | None:
    """The caption cell of a table holding a picture (see :func:`_captioned_table`): its last row's first cell."""
    last = next(table.iterchildren(reversed=True), None)
    if last is not None and last.tag == "tbody":
        last = next(last.iterchildren(reversed=True), None)
    cell = next(last.iterchildren(), None) if last is not None and last.tag == "tr" else None
    return cell if cell is not None and cell.tag == "td" else None


# Wrappers of one image, climbed to find the caption a theme writes after them.
_IMAGE_WRAPPERS, _WRAPPER_LEVELS = frozenset({"div", "span", "a", "picture"}), 4


def _caption_beside(img: Element) -> Element | None:
    """The caption right after the wrappers holding ``img`` alone (Kadence's featured image: its caption is the
    next element after the thumbnail's ``<div>``), or None."""
    el = img
    for _ in range(_WRAPPER_LEVELS):
        if (caption := sibling_caption(el)) is not None:
            return caption
        parent = el.getparent()
        if parent is None or parent.tag not in _IMAGE_WRAPPERS or len(parent) != 1:
            return None
        el = parent
    return None


def _is_caption(el: Element) -> bool:
    """A caption a theme writes outside ``figcaption`` (``p.wp-caption-text``, ``.widget-image-caption``)."""
    if el.tag == "figcaption":
        return True
    classes = el.get("class") if isinstance(el.tag, str) else None
    return classes is not None and "caption" in classes and any(
        "caption" in token and token != "wp-caption" for token in classes.split())


# A credit is a name or two and an agency: a longer text in an element so named is a notice (the site's copyright).
_CREDIT_MAX, _CREDIT_TEXT_NODES = 80, 4


def _is_credit(el: Element) -> bool:
    """An element a class token names as a picture's credit (``field--name-field-copyright``, ``photo-credit``),
    holding a short text (read a few text nodes at most)."""
    classes = (el.get("class") or "") if isinstance(el.tag, str) else ""
    return any(word in token for token in classes.split() for word in _CREDIT_WORDS_IN_CLASS) and _is_short(el)


def _is_short(el: Element) -> bool:
    """Whether an element's text is a credit's length, and no site's notice (read a few text nodes at most)."""
    texts = list(islice(el.itertext(), _CREDIT_TEXT_NODES + 1))
    return len(texts) <= _CREDIT_TEXT_NODES and 0 < sum(map(len, texts)) <= _CREDIT_MAX \
        and "rights reserved" not in "".join(texts).lower()



# An image alone in its wrapper: the img and a link or <picture> and sources around it.
_ALONE_ELEMENTS = 5


def _image_alone(el: Element) -> bool:
    """Whether ``el`` holds an image and nothing else: a few elements at most, and no text."""
    return len(list(islice(el.iter(), _ALONE_ELEMENTS + 1))) <= _ALONE_ELEMENTS \
        and not any(text.strip() for text in el.itertext())


def sibling_caption(block: Element) -> Element | None:
    """The caption element right after the block an image stands in (``<p><img></p><p class="wp-caption-text">``,
    or Markdown's ``<p><em>…caption. Photo: Jane Doe</em></p>``)."""
    after = block.getnext()
    while after is not None and not isinstance(after.tag, str):
        after = after.getnext()
    return after if after is not None and (_is_caption(after) or _is_italic_credited_caption(after)) \
        and next(after.iter("img"), None) is None else None


# Longer italic text after a picture is story text (a note, an editor's introduction), whatever it ends with.
_ITALIC_CAPTION_MAX = 400


def _is_italic_credited_caption(el: Element) -> bool:
    """A paragraph that is one italic run ending with a picture credit: how Markdown sites (Jekyll's kramdown)
    caption the picture before it."""
    if el.tag != "p" or len(el) != 1 or el[0].tag not in ("em", "i") or (el.text or "").strip() \
            or (el[0].tail or "").strip():
        return False
    text = text_of(el)
    return len(text) <= _ITALIC_CAPTION_MAX and split_caption_credit(text)[1] is not None


def _classes_up(el: Element) -> str:
    parent = el.getparent()
    return (parent.get("class") or "") if parent is not None else ""


def _replace(el: Element, tag: str, name: str) -> None:
    placeholder = etree.Element(tag, {"data-association": name})
    placeholder.tail = el.tail
    parent = el.getparent()
    assert parent is not None  # el is inside the root, never the root itself
    parent.replace(el, placeholder)


def _int(value: str | None) -> int | None:
    try:
        return int(float(value)) if value else None
    except ValueError:
        return None
