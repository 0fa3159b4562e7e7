"""Photos and embedded tweets: lifted out of the body into associations before anything is sanitized.

Each one leaves a placeholder (``<figure data-association="photo-1">`` / ``<div data-association="tweet-1">``)
where it stood, so the CMS can render it in place from the structured data.
"""
from __future__ import annotations

import re
from itertools import groupby
from urllib.parse import urlsplit

from lxml import etree, html
from lxml.html import HtmlElement

from ingest_plugin.parsing.extract.body import BLOCK_TAGS, text_of
from ingest_plugin.parsing.model import Picture, Tweet
from ingest_plugin.parsing.names import name_case
from ingest_plugin.parsing.text import clean, web_url

_TWEET_URL = re.compile(r"^https?://(?:www\.|mobile\.)?(twitter\.com|x\.com)/(\w{1,15})/status(?:es)?/(\d+)", re.I)
_HANDLE_IN_TEXT = re.compile(r"\(@(\w{1,15})\)")
_SRCSET_ITEM = re.compile(r"(\S+)(?:\s+(\d+(?:\.\d+)?)([wx]))?")
_PLACEHOLDER_SRC = re.compile(r"^data:|placeholder|lazy[-_]?load|blank\.(?:gif|png)|spacer\.gif|1x1|pixel\.gif",
                              re.I)
# One of these is in every match of the pattern above (see _rules_out).
_PLACEHOLDER_WORDS = ("data:", "placeholder", "lazy", "blank.", "spacer.gif", "1x1", "pixel.gif")
_IMG_ATTRS = ("data-orig-file", "data-large-file", "data-full-url", "data-lazy-src", "data-src", "data-original",
              "data-url", "src")
_SRCSET_ATTRS = ("data-lazy-srcset", "data-srcset", "srcset")
# descendant:: rather than .// (descendant-or-self::node()/child::), which libxml2 evaluates one child step at a time.
_CAPTION_ELEMENT = etree.XPath("descendant::figcaption | descendant::*[contains(@class,'wp-caption-text') or "
                               "contains(@class,'caption')]")
_CREDIT_ELEMENT = etree.XPath("descendant::*[self::cite or self::small or contains(@class,'credit') or "
                              "contains(@class,'copyright') or contains(@class,'photographer')]")
_CREDIT_WORDS = r"(?:Photo(?:graph)?|Image|Picture|Graphic|Illustration|Credit)s?"
_CAPTION_CREDITS = (
    # "… (Photo by Jane Doe/Getty Images)" or "… (Jane Doe/Getty Images)". Only the last "(" can start a match,
    # which ends the caption: the lookahead rules out every other "(" at the cost of reading up to the next
    # parenthesis, where an unclosed one made each "/" after it cost a scan to the end (quadratic).
    re.compile(rf"(?<!\s)\s*+\((?=[^()]*+\)\.?$)\s*(?:{_CREDIT_WORDS}\s*(?:by|courtesy(?: of)?|credit|via)?\s*:?\s*)?"
               rf"([^()]*\w/[^()]+|(?<=\()\s*{_CREDIT_WORDS}\b[^()]+)\)\.?$", re.I),
    # "… Photo: Jane Doe" / "… Credit: Shutterstock" / "… Photo courtesy of X"
    re.compile(rf"(?:^|(?<=[.!?”\"’)])\s)\s*{_CREDIT_WORDS}\s*(?:by|courtesy(?: of)?|credit|via)?\s*:?\s+(.+)$"),
    # "… in January 2021. DARRIAN TRAYNOR" or "… AFP/GETTY IMAGES"
    re.compile(r"(?<=[.!?”\"’)])\s+([A-Z][A-Z.'’\-]+(?:\s+[A-Z][A-Z.'’\-]+)+(?:\s*/\s*[A-Z][A-Z.'’ \-]+)?"
               r"|[A-Z][A-Z.'’\-]+\s*/\s*[A-Z][A-Z.'’ \-]+)$"),
    # "… Jane Doe/Getty Images"
    re.compile(r"(?<=[.!?”\"’)])\s+([A-Z][\w.'’\-]+(?:\s+[A-Z][\w.'’\-]+){0,3}\s*/\s*[A-Z][\w.'’ \-]+)$"),
)
_CAPS_CREDIT = _CAPTION_CREDITS[2]
_CREDIT_LINE = re.compile(
    rf"^(?:Featured\s+)?{_CREDIT_WORDS}\s*(?:(?:by|courtesy(?: of)?|credit|via|source)\s*:?|:)\s*(?P<credit>.+)$"
    rf"|^(?:Featured\s+)?{_CREDIT_WORDS}\s+(?:generated|created|made)\s+(?:using|with|by)\s+(?P<tool>.+)$"
    r"|^Courtesy(?: of)?\s*:?\s+(?P<courtesy>.+)$", re.I)
_CREDIT_PREFIX = re.compile(rf"^(?:{_CREDIT_WORDS}\b\s*)?(?:(?:by|courtesy(?: of)?|credit|via)\b)?\s*:?\s*", re.I)
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


def lift_tweets(root: HtmlElement) -> list[Tweet]:
    """Tweet embeds: the standard ``blockquote.twitter-tweet`` (wrapped or not) and WordPress embed blocks that
    were saved before the widget rendered (only the tweet's URL inside ``figure.wp-block-embed-twitter``)."""
    tweets: list[Tweet] = []
    for el in list(root.iter("blockquote", "figure", "div")):
        if not _is_inside(el, root):
            continue  # replaced together with an earlier embed
        tweet_url, quote = _tweet_in(el)
        if tweet_url is None:
            continue
        host, handle, status = tweet_url.groups()
        uri = f"https://{host.lower()}/{handle}/status/{status}"
        holder = _embed_holder(quote if quote is not None else el, root)
        captions = [clean(text_of(c)) for c in holder.iter("figcaption")]
        name = f"tweet-{len(tweets) + 1}"
        if quote is not None:
            quote.tail = None
            markup = etree.tostring(quote, encoding="unicode", method="html", with_tail=False)
        else:
            markup = f'<blockquote class="twitter-tweet"><a href="{uri}">{uri}</a></blockquote>'
        tweets.append(Tweet(name=name, uri=uri, handle=f"@{handle}", html=markup,
                            caption=next((c for c in captions if c), None)))
        _replace(holder, "div", name)
    return tweets


def _tweet_in(el: HtmlElement) -> tuple[re.Match | None, HtmlElement | None]:
    """(status URL match, the blockquote or None) when ``el`` is a tweet embed."""
    if el.tag == "blockquote":
        links = [a.get("href", "") for a in el.iter("a")] + [el.get("cite") or ""]
        matches = [m for m in map(_TWEET_URL.match, links) if m]
        marked = "twitter" in (el.get("class") or "") or "twitter" in _classes_up(el) \
            or bool(_HANDLE_IN_TEXT.search(text_of(el)))
        return (matches[-1], el) if matches and marked else (None, None)
    if "twitter" not in (el.get("class") or "") or el.find(".//blockquote") is not None:
        return None, None
    candidates = [a.get("href", "") for a in el.iter("a")] + clean(text_of(el)).split()
    match = next((m for m in map(_TWEET_URL.match, candidates) if m), None)
    return match, None


def lift_pictures(root: HtmlElement, base_url: str | None) -> list[Picture]:
    pictures: list[Picture] = []
    images = _image_counts(root)  # kept up to date as pictures leave the tree
    for img in list(root.iter("img")):
        if not _is_inside(img, root):
            continue  # removed together with an earlier figure
        href, width, height = best_image_source(img, base_url)
        holder = _figure_holder(img, root, images)
        if href is None:
            doomed = holder if holder is not None and images.get(holder) == 1 else img
            _forget_images(doomed, root, images)
            doomed.drop_tree()
            continue
        caption, credit = _caption_and_credit(holder) if holder is not None else (None, None)
        name = f"photo-{len(pictures) + 1}"
        picture = Picture(name=name, href=href, caption=caption, credit=credit, alt=clean(img.get("alt")) or None,
                          width=width, height=height)
        pictures.append(picture)
        if holder is not None:
            _forget_images(holder, root, images)
            _replace(holder, "figure", name)
        else:
            _forget_images(img, root, images)
            block = img
            while (parent := block.getparent()) is not None and parent is not root and block.tag not in BLOCK_TAGS:
                block = parent
            placeholder = html.Element("figure", {"data-association": name})
            if block is img:
                _replace(img, "figure", name)
            else:
                block.addnext(placeholder)
                placeholder.tail, block.tail = block.tail, None
                img.drop_tree()
    return pictures


def _image_counts(root: HtmlElement) -> dict[HtmlElement, int]:
    """How many ``<img>`` each element under ``root`` (``root`` included) holds, for :func:`_figure_holder`: one climb
    per picture, where counting each ancestor's pictures anew cost a walk of the shared container per picture."""
    counts: dict[HtmlElement, int] = {}
    for img in root.iter("img"):
        for ancestor in img.iterancestors():
            counts[ancestor] = counts.get(ancestor, 0) + 1
            if ancestor is root:
                break
    return counts


def _forget_images(el: HtmlElement, root: HtmlElement, counts: dict[HtmlElement, int]) -> None:
    """``el`` (an ``<img>`` or an element holding some) is about to leave the tree: its ancestors hold its pictures
    no more."""
    gone = 1 if el.tag == "img" else counts.get(el, 0)
    if gone:
        for ancestor in el.iterancestors():
            counts[ancestor] = counts.get(ancestor, 0) - gone
            if ancestor is root:
                break


def featured_picture(doc: HtmlElement, body: HtmlElement, image_url: str, base_url: str | None) -> Picture:
    """The page's featured image, with the caption and credit of its hero figure when the page shows one
    outside the article body."""
    in_body = set(body.iter("img"))
    images = _image_counts(doc)
    for img in doc.iter("img"):
        holder = _figure_holder(img, doc, images) if img not in in_body else None
        if holder is None:
            continue  # the holder is the cheap test: only a figure's picture can be the hero
        href, width, height = best_image_source(img, base_url)
        if href and same_image(href, image_url):
            caption, credit = _caption_and_credit(holder)
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


def best_image_source(img: HtmlElement, base_url: str | None) -> tuple[str | None, int | None, int | None]:
    """The real image behind lazy-loading: the widest ``srcset`` candidate, else the best ``data-*``/``src``."""
    width_attr, height_attr = _int(img.get("width")), _int(img.get("height"))
    candidates: list[tuple[float, int, str]] = []
    # libxml2 nests <img> inside an unclosed <source>; the <picture> is the parent or the grandparent.
    picture = next((a for a in img.iterancestors() if a.tag == "picture"), None)
    sources = [img] + (list(picture.iter("source")) if picture is not None else [])
    for rank, (source, attr) in enumerate((s, a) for s in sources for a in _SRCSET_ATTRS):
        for item in (source.get(attr) or "").split(","):
            match = _SRCSET_ITEM.match(item.strip())
            if match and match.group(1):
                size = float(match.group(2) or 0) * (1000 if match.group(3) == "x" else 1)
                candidates.append((size, -rank, match.group(1)))
    for rank, attr in enumerate(_IMG_ATTRS):
        if value := img.get(attr):
            candidates.append((float(width_attr or 0) if attr == "src" else 1e9 - rank if rank < 3 else 0,
                               -10 - rank, value))
    best = _best_usable(candidates, base_url)
    if best is None:
        return None, None, None
    size, url = best
    if _is_decoration(img, url, width_attr, height_attr):
        return None, None, None
    width = int(size) if 0 < size < 1e5 and size == int(size) and size > 50 else width_attr
    height = height_attr
    if width and width_attr and height_attr and width != width_attr:
        height = round(width * height_attr / width_attr)
    return url, width, height


def _best_usable(candidates: list[tuple[float, int, str]], base_url: str | None) -> tuple[float, str] | None:
    """(size, URL) of the best candidate whose URL is usable. Best first, so URLs are resolved only until a group of
    equally ranked candidates holds one; the greatest URL of that group wins, as a max() over all of them would."""
    rank_of = lambda candidate: candidate[:2]  # noqa: E731
    for (size, _rank), group in groupby(sorted(candidates, key=rank_of, reverse=True), key=rank_of):
        urls = [url for url in (_usable_image_url(raw, base_url) for *_, raw in group) if url is not None]
        if urls:
            return size, max(urls)
    return None


def _usable_image_url(raw: str, base_url: str | None) -> str | None:
    """The web URL of an image candidate, or None for a placeholder or a link to no image."""
    url = clean(raw)
    if not url.lower().startswith(("http:", "https:", "//")) and not _IMAGE_PATH.search(urlsplit(url).path):
        return None  # "src=x": a relative link to no image at all
    resolved = web_url(url, base_url)
    return resolved if resolved is not None and not _is_placeholder(resolved) else None


def _is_placeholder(url: str) -> bool:
    return not _rules_out(url, _PLACEHOLDER_WORDS) and _PLACEHOLDER_SRC.search(url) is not None


def _is_decoration(img: HtmlElement, url: str, width: int | None, height: int | None) -> bool:
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
    parts = [p.strip() for p in credit.split("/")]
    return "/".join(p if not p.isupper() or p in _AGENCY_ABBREVIATIONS else name_case(p) for p in parts)


def _caption_and_credit(holder: HtmlElement) -> tuple[str | None, str | None]:
    caption_el = next(iter(_CAPTION_ELEMENT(holder)), None)
    if caption_el is None:
        return None, None
    credit_el = next(iter(_CREDIT_ELEMENT(caption_el)), None)
    if credit_el is not None:
        credit = normalise_credit(text_of(credit_el))
        credit_el.drop_tree()
        caption, inner_credit = split_caption_credit(text_of(caption_el))
        return caption, credit or inner_credit
    return split_caption_credit(text_of(caption_el))


def _figure_holder(img: HtmlElement, root: HtmlElement, images: dict[HtmlElement, int]) -> HtmlElement | None:
    """``images``: how many pictures each element holds (:func:`_image_counts`)."""
    el = img.getparent()
    while el is not None and el is not root:
        classes = el.get("class") or ""
        if el.tag == "figure" or "wp-caption" in classes.split() or "wp-block-image" in classes:
            return el
        if el.tag in BLOCK_TAGS and el.tag not in ("div", "p") or images.get(el, 0) > 1:
            return None
        el = el.getparent()
    return None


def _embed_holder(quote: HtmlElement, root: HtmlElement) -> HtmlElement:
    el, holder = quote.getparent(), quote
    while el is not None and el is not root:
        if el.tag == "figure" or "wp-block-embed" in (el.get("class") or ""):
            holder = el
        elif el.tag not in ("div",):
            break
        el = el.getparent()
    return holder


def _classes_up(el: HtmlElement) -> str:
    parent = el.getparent()
    return (parent.get("class") or "") if parent is not None else ""


def _replace(el: HtmlElement, tag: str, name: str) -> None:
    placeholder = html.Element(tag, {"data-association": name})
    placeholder.tail = el.tail
    parent = el.getparent()
    assert parent is not None  # el is inside the root, never the root itself
    parent.replace(el, placeholder)


def _is_inside(el: HtmlElement, root: HtmlElement) -> bool:
    node: HtmlElement | None = el
    while node is not None:
        if node is root:
            return True
        node = node.getparent()
    return False


def _int(value: str | None) -> int | None:
    try:
        return int(float(value)) if value else None
    except ValueError:
        return None
