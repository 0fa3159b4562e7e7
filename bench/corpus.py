"""A seeded, deterministic corpus of realistic partner content for the benchmark.

Modelled on the hand-reviewed pages in ``tests/fixtures/pages`` and on ``/work/shared/notes/partner-markup.md``:

* **Zenger News** article pages: WordPress with the Yoast ``@graph`` JSON-LD, OpenGraph and Twitter labels, inline
  styles and scripts, ad slots, navigation, sidebars, related posts, newsletter promos, a cookie banner and tracking
  scripts; in the body a "By" line and a dateline, photos (lazy ``data-src``/``data-srcset`` with a ``<noscript>``
  fallback, plain ``srcset``, classic ``wp-caption``) with captions and credits, tweet embeds, subheads, lists,
  quotes, and the trailer lines (disclaimer, "Produced in association with Benzinga", "Edited by ..."). Two themes
  (the tagDiv "Newspaper" theme and an ``_s``-derived one), as the fixtures show.
* **Benzinga** article pages: the Next.js layout (``h1.layout-title``, ``.article-content-body-only`` with
  ``.core-block`` paragraphs and ticker links, "Zinger Key Points", cross-promos, the AI disclaimer, photo credit,
  ``__NEXT_DATA__``).
* **WordPress RSS** feeds (``content:encoded`` carrying whole stories) and **Benzinga RSS** feeds (entity-encoded
  ``description``).

Sizes run from about 5 KB to about 1 MB. Big pages are big the way real ones are: long stories with many photos and
tweets, long comment threads, inline state and styles. All text is generated from the word lists below; no page,
story or quote is copied from anywhere.

Everything depends only on the seed: ``corpus(seed)`` returns byte-identical documents on every run, and
:func:`rekey` gives a document new partner article ids (a *new* article for the publisher) without generating it
again, which is how the publish and memory benchmarks get thousands of distinct articles from a small set.
"""
from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from html import escape

DEFAULT_SEED = 20240611
KB = 1024
MIN_SIZE = 5 * KB
MAX_SIZE = 1000 * KB
LONG_READ = 120 * KB  # pages above this carry long stories, comment threads and inline state
HEAD_FILL = "\u0000HEAD\u0000"
EXTRA = "\u0000EXTRA\u0000"
NEXT = "\u0000NEXT\u0000"
MEGA = "\u0000MEGA\u0000"
MORE = "\u0000MORE\u0000"
STYLE_FILL = "\u0000STYLE\u0000"

# ---------------------------------------------------------------------------------------------------------------
# Word lists: every sentence, headline, name and organisation is assembled from these.

_SUBJECTS = (
    "Regional officials", "The city council", "Grain traders", "Port workers", "The central bank", "Local farmers",
    "Hospital administrators", "Shipping companies", "Energy regulators", "School districts",
    "Transit authorities", "Small-business owners", "Fishing cooperatives", "Water utilities",
    "Housing advocates", "Airline executives", "Emergency crews", "Provincial lawmakers", "Wildlife rangers",
    "Refinery operators", "Coffee growers", "Textile exporters", "Chip manufacturers", "The finance ministry",
    "Union leaders", "Vineyard owners", "Rail operators", "Public health officials", "Insurance firms",
    "Mining companies", "Dairy producers", "Bus drivers", "Tenant groups", "Battery makers", "Forest managers",
)
_VERBS = (
    "said they would expand", "moved to delay", "warned against cutting", "agreed to review",
    "pushed back on plans to limit", "announced new funding for", "reported a sharp rise in",
    "reported a steady decline in", "began testing", "called for an audit of", "set aside money for",
    "postponed a vote on", "outlined a plan to modernize", "struggled to keep up with", "raised concerns about",
    "promised faster approvals for", "quietly scaled back", "doubled their spending on", "asked for clarity on",
    "filed objections to",
)
_OBJECTS = (
    "the coastal flood barriers", "seasonal hiring", "export quotas", "the emergency reserve",
    "a network of cold-storage depots", "rural clinics", "electricity tariffs", "the northern rail corridor",
    "drought relief payments", "night-shift staffing", "cross-border freight permits",
    "solar panels on public buildings", "fertilizer subsidies", "the harbor dredging project",
    "early-warning sirens", "apprenticeship programs", "the municipal bond sale", "water rationing rules",
    "a fleet of electric buses", "ferry schedules", "grain storage capacity", "the new toll bridge",
    "broadband for remote villages", "pension contributions", "the wholesale fuel market",
)
_TIMES = (
    "on Tuesday", "this week", "earlier this month", "after weeks of talks", "ahead of the harvest",
    "before the winter peak", "for the third year running", "late on Friday", "following a review",
    "despite a tight budget", "on Monday", "over the weekend", "since the spring", "in a statement on Thursday",
)
_QUOTES = (
    "We have never seen demand like this", "Nobody expected the numbers to move this fast",
    "The next few months will decide whether this works", "We are asking for patience, not money",
    "It is cheaper to prepare now than to rebuild later", "Our members are running out of options",
    "The plan is sound, but the timing is wrong", "We will keep the doors open as long as we can",
    "Every week of delay costs families real money", "The data tells a more careful story than the headlines",
    "We built this for a smaller city, and the city grew", "There is no single fix, only a long list of small ones",
)
_ROLES = ("an analyst", "a senior economist", "the director of operations", "a spokesperson", "a researcher",
          "the chief executive", "a board member", "a policy adviser", "the head of planning")
_ORGS = (
    "Northgate Analytics", "Bellweather Capital", "the Corvin Institute", "Marlow & Finch Advisors",
    "the Tessaly Ports Authority", "the Redfern Agricultural Union", "Oakshade Health Trust",
    "Lindqvist Energy Partners", "Arrowmere Bank", "Quillon Labs", "the Amberly Freight Council",
    "the Sableport Water Board", "Kestrel Mobility", "Fairhollow University", "the Dunmore Policy Center",
)
_FIRST = (
    "Amina", "Daniel", "Priya", "Tomasz", "Lucia", "Kwame", "Hannah", "Mateo", "Yuki", "Oluwaseun", "Grace",
    "Rafael", "Ingrid", "Samir", "Chloe", "Dmitri", "Nadia", "Jonah", "Farah", "Elliot", "Marisol", "Kofi",
    "Leah", "Anders", "Beatriz", "Tariq", "Sofia", "Owen", "Mei", "Gabriel", "Zainab", "Callum", "Ruth", "Ivan",
)
_LAST = (
    "Okafor", "Lindgren", "Castellanos", "Nakamura", "Whitfield", "Mensah", "Kowalczyk", "Delgado", "Haddad",
    "Brennan", "Achterberg", "Rahman", "Oyelaran", "Sorensen", "Vasquez", "Mbeki", "Thornbury", "Albescu",
    "Kariuki", "Fontaine", "Petrova", "Holloway", "Ibarra", "Quartey", "Jankowski", "Marchetti", "Eklund",
)
_PLACES = (
    ("NAIROBI", "Kenya"), ("LAGOS", "Nigeria"), ("KYIV", "Ukraine"), ("MIAMI", "Florida"), ("SAO PAULO", "Brazil"),
    ("JAKARTA", "Indonesia"), ("MANILA", "Philippines"), ("TEL AVIV", "Israel"), ("CAPE TOWN", "South Africa"),
    ("HOUSTON", "Texas"), ("MEXICO CITY", "Mexico"), ("LONDON", "England"), ("BERLIN", "Germany"),
    ("MUMBAI", "India"), ("SEOUL", "South Korea"), ("WARSAW", "Poland"), ("LIMA", "Peru"), ("ACCRA", "Ghana"),
    ("HANOI", "Vietnam"), ("DENVER", "Colorado"),
)
_AGENCIES = ("AFP via Getty Images", "Getty Images", "Reuters", "AP Photo", "Zenger", "Anadolu via Getty Images")
_ZENGER_CATEGORIES = ("U.S. News", "World", "Ukraine", "Politics", "Business", "Markets", "Technology", "Science",
                      "Health", "Weather", "Africa", "Entertainment", "Sports", "Florida Man", "Opinion")
_BZ_CHANNELS = ("News", "Markets", "Earnings", "Analyst Ratings", "Tech", "EVs", "Economics", "Top Stories",
                "Movers", "Guidance", "Commodities", "Politics")
_COMPANIES = (
    ("Northwind Motors Inc.", "NASDAQ", "NWMT"), ("Calloway Foods Corp.", "NYSE", "CLWF"),
    ("Brightline Semiconductor Inc.", "NASDAQ", "BLSC"), ("Harbor & Vine Holdings", "NYSE", "HVH"),
    ("Pellucid Pharma Inc.", "NASDAQ", "PLCD"), ("Greystone Rail Co.", "NYSE", "GRRC"),
    ("Aurelian Mining Ltd.", "OTC", "AURLF"), ("Tidewater Air Group", "NYSE", "TWAG"),
    ("Cobalt Cloud Systems", "NASDAQ", "CBCS"), ("Marrow Bay Energy", "NYSE", "MBEN"),
)


class Words:
    """Sentences, paragraphs, headlines and names from the word lists, driven by one seeded RNG."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def person(self) -> str:
        return f"{self.rng.choice(_FIRST)} {self.rng.choice(_LAST)}"

    def number(self) -> str:
        r = self.rng
        return r.choice((f"{r.randint(2, 96)}%", f"{r.randint(2, 900)} million",
                         f"${r.randint(1, 90)}.{r.randint(1, 9)} billion", f"{r.randint(1, 40)},{r.randint(100, 999)}"))

    def sentence(self) -> str:
        r = self.rng
        kind = r.random()
        if kind < 0.45:
            return f"{r.choice(_SUBJECTS)} {r.choice(_VERBS)} {r.choice(_OBJECTS)} {r.choice(_TIMES)}."
        if kind < 0.65:
            return (f"The figure {r.choice(('rose', 'fell', 'climbed', 'slipped'))} {r.randint(2, 60)}% from a year "
                    f"earlier to {self.number()}, according to data from {r.choice(_ORGS)}.")
        if kind < 0.82:
            return (f"“{r.choice(_QUOTES)},” said {self.person()}, {r.choice(_ROLES)} at {r.choice(_ORGS)}.")
        return (f"{r.choice(_SUBJECTS)} {r.choice(_VERBS)} {r.choice(_OBJECTS)}, while {r.choice(_SUBJECTS).lower()} "
                f"{r.choice(_VERBS)} {r.choice(_OBJECTS)}.")

    def paragraph(self, low: int = 2, high: int = 5) -> str:
        return " ".join(self.sentence() for _ in range(self.rng.randint(low, high)))

    def headline(self) -> str:
        r = self.rng
        subject = r.choice(_SUBJECTS).replace("The ", "")
        verb = r.choice(("Expand", "Delay", "Review", "Rethink", "Fund", "Test", "Audit", "Cut", "Boost", "Pause"))
        obj = r.choice(_OBJECTS).replace("the ", "").replace("a ", "")
        tail = r.choice(("As Costs Climb", "After Record Season", "Amid Budget Fight", "Before Winter",
                         "Despite Warnings", "As Demand Surges", "In Surprise Move", "After Weeks Of Talks"))
        return " ".join(w[:1].upper() + w[1:] for w in f"{subject} {verb} {obj} {tail}".split())

    def slug(self, text: str) -> str:
        return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


# ---------------------------------------------------------------------------------------------------------------
# Filler the way real pages carry it: minified CSS and JavaScript of a given size.

def css_blob(rng: random.Random, size: int, prefix: str = "td") -> str:
    parts, total = [], 0
    props = ("color", "background-color", "margin", "padding", "font-size", "line-height", "border-radius",
             "letter-spacing", "max-width", "gap")
    while total < size:
        sel = f".{prefix}-{rng.choice(('block', 'module', 'post', 'widget', 'menu', 'ad'))}-{rng.randint(1, 999)}"
        if rng.random() < 0.5:
            sel += f" .{prefix}-{rng.choice(('title', 'meta', 'thumb', 'excerpt', 'item'))}"
        values = (f"{rng.randint(0, 48)}px", f"#{rng.randrange(16**6):06x}", f"{rng.randint(1, 30) / 10}em")
        decl = ";".join(f"{rng.choice(props)}:{rng.choice(values)}" for _ in range(rng.randint(2, 5)))
        rule = f"{sel}{{{decl}}}"
        parts.append(rule)
        total += len(rule)
    return "\n".join(parts)


def js_blob(rng: random.Random, size: int) -> str:
    parts, total = ["!function(e,t){\"use strict\";"], 0
    while total < size:
        name = f"_{rng.choice('abcdefghijklmnopqrstuvwxyz')}{rng.randint(0, 9999)}"
        kind = rng.random()
        if kind < 0.4:
            stmt = (f"var {name}=function(n){{return n&&n.{name}?n.{name}:[{rng.randint(0, 99)},"
                    f"{rng.randint(0, 99)}]}};")
        elif kind < 0.7:
            stmt = (f"e.{name}={{id:{rng.randint(1, 99999)},lazy:{rng.choice(('!0', '!1'))},margin:"
                    f"{rng.randint(0, 400)},slot:\"/2281{rng.randint(1000, 9999)}/site/{name}\"}};")
        else:
            event = rng.choice(("scroll", "load", "resize", "click"))
            stmt = (f"function {name}(a,b){{for(var c=0;c<a.length;c++)if(a[c]===b)return c;return-1}}"
                    f"t.addEventListener(\"{event}\",{name},{{passive:!0}});")
        parts.append(stmt)
        total += len(stmt)
    parts.append("}(window,document);")
    return "".join(parts)


def link_grid(words: Words, size: int, base: str, image_base: str, kind: str = "td") -> str:
    """Element-heavy chrome of about ``size`` bytes: a mega menu or "more stories" grid of cards with thumbnails,
    headlines, dates and share links (real pages carry tens of KB of this around the story)."""
    rng = words.rng
    cards, total = [], 0
    while total < size:
        headline = words.headline()
        day = f"{rng.randint(2021, 2025)}/{rng.randint(1, 12):02d}/{rng.randint(1, 28):02d}"
        href = f"{base}/{day}/{words.slug(headline)}/"
        card = (f'<div class="{kind}-module-container {kind}-module-{rng.randint(1, 16)}"><div class="{kind}-module-'
                f'thumb"><a href="{href}" rel="bookmark" class="{kind}-image-wrap" title="{escape(headline)}"><span '
                f'class="entry-thumb {kind}-thumb-css" style="background-image: url({image_base}/{words.slug(headline)}'
                f'-218x150.jpg)"></span></a></div><div class="{kind}-module-meta-info"><h3 class="entry-title '
                f'{kind}-module-title"><a href="{href}" rel="bookmark" title="{escape(headline)}">{escape(headline)}'
                f'</a></h3><span class="{kind}-post-date"><time class="entry-date updated {kind}-module-date" '
                f'datetime="2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}">{rng.randint(1, 28)} hours ago'
                f'</time></span><ul class="{kind}-share"><li><a href="https://www.facebook.com/sharer.php?u={href}" '
                f'class="{kind}-social-facebook"><i class="{kind}-icon-facebook"></i></a></li><li><a href="https://'
                f'twitter.com/intent/tweet?url={href}" class="{kind}-social-twitter"><i class="{kind}-icon-twitter">'
                f'</i></a></li></ul></div></div>')
        cards.append(card)
        total += len(card)
    return f'<div class="{kind}-block-grid {kind}-mega-grid">\n' + "\n".join(cards) + "\n</div>"


# ---------------------------------------------------------------------------------------------------------------
# Documents

@dataclass(frozen=True)
class Doc:
    """One input: its bytes, what it is, and the partner article ids written into it (one per article)."""

    name: str
    kind: str  # zenger-page | benzinga-page | wordpress-rss | benzinga-rss
    data: bytes
    source_url: str | None
    ids: tuple[int, ...]

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def items(self) -> int:
        return len(self.ids)

    @property
    def is_page(self) -> bool:
        return self.kind.endswith("-page")

    @property
    def size_class(self) -> str:
        return "small (<15 KB)" if self.size < 15 * KB else "typical (15-120 KB)" if self.size <= 120 * KB \
            else "large (>120 KB)"


def rekeyed_ids(doc: Doc, serial: int) -> tuple[int, ...]:
    """The partner ids :func:`rekey` gives ``doc`` for ``serial``: distinct for every (partner, serial)."""
    base = (90_000_000 if doc.kind.startswith("benzinga") else 9_000_000) + serial * 64
    return tuple(base + offset for offset in range(len(doc.ids)))


def rekey(doc: Doc, serial: int) -> Doc:
    """The same document as new articles: every partner id becomes a fresh one derived from ``serial``.

    Ids are replaced only where they stand as whole numbers, so nothing else in the page changes.
    """
    data = doc.data
    new_ids = rekeyed_ids(doc, serial)
    for old, new in zip(doc.ids, new_ids, strict=True):
        data = re.sub(rb"(?<![0-9])" + str(old).encode() + rb"(?![0-9])", str(new).encode(), data)
    return replace(doc, name=f"{doc.name}@{serial}", data=data, ids=new_ids)


def _when(rng: random.Random) -> tuple[datetime, datetime]:
    start = datetime(2022, 1, 1, tzinfo=timezone.utc)
    published = start + timedelta(minutes=rng.randrange(4 * 365 * 24 * 60))
    return published, published + timedelta(minutes=rng.randint(5, 600))


def _iso(moment: datetime, tz: str = "+00:00") -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + tz


def _long_date(moment: datetime) -> str:
    return f"{moment.strftime('%B')} {moment.day}, {moment.year}"


# --- Zenger --------------------------------------------------------------------------------------------------

_ZN = "https://www.zenger.news"
_WPCDN = "https://wpcdn.zenger.news/wp-content/uploads"


class _Zenger:
    """One Zenger article: its facts, then the pieces of markup built from them."""

    def __init__(self, rng: random.Random, post_id: int) -> None:
        self.rng = rng
        self.w = Words(rng)
        self.post_id = post_id
        self.headline = self.w.headline()
        self.dek = self.w.sentence().rstrip(".") if rng.random() < 0.6 else None
        self.published, self.modified = _when(rng)
        self.url = f"{_ZN}/{self.published:%Y/%m/%d}/{self.w.slug(self.headline)}/"
        self.authors = [self.w.person() for _ in range(rng.choice((0, 1, 1, 1, 2)))]
        self.editors = [self.w.person() for _ in range(rng.choice((1, 2, 2)))]
        self.categories = rng.sample(_ZENGER_CATEGORIES, rng.randint(1, 3))
        self.tags = [self.w.slug(o).replace("-", " ").title() for o in rng.sample(_OBJECTS, rng.randint(2, 6))]
        self.description = self.w.sentence()
        self.photo_serial = 0
        self.tweet_serial = 0
        self.lean = False
        self.featured = self.photo_url(2560, 1707)

    # -- media
    def photo_url(self, width: int, height: int) -> str:
        self.photo_serial += 1
        stamp = f"{self.published:%d}{self.rng.randint(0, 235959):06d}"
        return (f"{_WPCDN}/{self.published:%Y/%m}/{stamp}/{self.w.slug(self.rng.choice(_OBJECTS))}-"
                f"{self.photo_serial}-{width}x{height}.jpg")

    def credit(self) -> str:
        r = self.rng
        return r.choice((f"(Photo by {self.w.person()}/{r.choice(_AGENCIES)})", self.w.person().upper(),
                         f"Credit: {self.w.person()}/{r.choice(_AGENCIES)}", "(Shutterstock)"))

    def figure(self) -> str:
        r = self.rng
        width, height = r.choice(((1024, 683), (1024, 682), (1024, 576), (800, 1200)))
        base = self.photo_url(width, height)[:-len(f"-{width}x{height}.jpg")]
        widths = (300, 768, 1024, 1536, 2048)
        srcset = ", ".join(f"{base}-{w}x{w * height // width}.jpg {w}w" for w in widths)
        src = f"{base}-{width}x{height}.jpg"
        alt = escape(r.choice(_SUBJECTS))
        caption = f"{escape(self.w.sentence())} {escape(self.credit())}"
        wp_id = r.randint(10000, 99999)
        style = r.random()
        if style < 0.45:  # lazy-load plugin: placeholder src, real image in data-*, <noscript> fallback
            gif = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"
            return (f'<figure class="wp-block-image size-large"><img decoding="async" width="{width}" '
                    f'height="{height}" src="{gif}" data-src="{src}" data-srcset="{srcset}" '
                    f'data-sizes="(max-width: {width}px) 100vw, {width}px" alt="{alt}" '
                    f'class="lazy lazy-hidden wp-image-{wp_id}" /><noscript><img decoding="async" width="{width}" '
                    f'height="{height}" src="{src}" alt="{alt}" class="wp-image-{wp_id}" srcset="{srcset}" '
                    f'sizes="(max-width: {width}px) 100vw, {width}px" /></noscript>'
                    f'<figcaption class="wp-element-caption">{caption}</figcaption></figure>')
        if style < 0.8:
            return (f'<figure class="wp-block-image size-large"><img loading="lazy" decoding="async" '
                    f'width="{width}" height="{height}" src="{src}" alt="{alt}" class="wp-image-{wp_id}" '
                    f'srcset="{srcset}" sizes="(max-width: {width}px) 100vw, {width}px" />'
                    f'<figcaption class="wp-element-caption">{caption}</figcaption></figure>')
        return (f'<div id="attachment_{wp_id}" style="width: {width + 10}px" class="wp-caption aligncenter">'
                f'<img aria-describedby="caption-attachment-{wp_id}" decoding="async" class="size-large '
                f'wp-image-{wp_id}" src="{src}" alt="" width="{width}" height="{height}" srcset="{srcset}" '
                f'sizes="(max-width: {width}px) 100vw, {width}px" /><p id="caption-attachment-{wp_id}" '
                f'class="wp-caption-text">{caption}</p></div>')

    def tweet(self) -> str:
        r = self.rng
        self.tweet_serial += 1
        name = self.w.person()
        handle = name.replace(" ", "")[: r.randint(8, 14)]
        status = 1_600_000_000_000_000_000 + r.randrange(10**17)
        text = escape(self.w.sentence())
        when = _long_date(self.published - timedelta(days=r.randint(0, 3)))
        return (f'<figure class="wp-block-embed is-type-rich is-provider-twitter wp-block-embed-twitter">'
                f'<div class="wp-block-embed__wrapper">\n<blockquote class="twitter-tweet" data-width="550" '
                f'data-dnt="true"><p lang="en" dir="ltr">{text} <a href="https://t.co/{r.randrange(36**10):x}">'
                f'pic.twitter.com/{r.randrange(36**10):x}</a></p>&mdash; {name} (@{handle}) <a href="https://twitter'
                f'.com/{handle}/status/{status}?ref_src=twsrc%5Etfw">{when}</a></blockquote><script async '
                f'src="https://platform.twitter.com/widgets.js" charset="utf-8"></script>\n</div>'
                + (f'<figcaption class="wp-element-caption">A post by {name}.</figcaption>' if r.random() < 0.3
                   else "") + "</figure>")

    # -- body
    def body_blocks(self, budget: int, *, count_media: bool = True) -> list[str]:
        """Story blocks until ``budget`` bytes: By line, dateline, paragraphs, photos, tweets, subheads, lists.

        ``count_media=False`` counts the text blocks only, so photos and tweets come on top of the story's words.
        """
        r = self.rng
        blocks: list[str] = []
        if self.authors and r.random() < 0.4:
            blocks.append(f"<p>By {' and '.join(self.authors)}</p>")
        city, country = r.choice(_PLACES)
        blocks.append(f"<p>{city}, {country} — {escape(self.w.paragraph(2, 3))}</p>")
        size = sum(map(len, blocks))
        while size < budget:
            pick = r.random()
            if pick < 0.07:
                block = self.figure()
            elif pick < 0.10:
                block = self.tweet()
            elif pick < 0.14:
                block = f'<h2 class="wp-block-heading">{escape(self.w.headline())}</h2>'
            elif pick < 0.16:
                block = ('<ul class="wp-block-list">' + "".join(f"<li>{escape(self.w.sentence())}</li>"
                                                                 for _ in range(r.randint(2, 5))) + "</ul>")
            elif pick < 0.18:
                block = f'<blockquote class="wp-block-quote"><p>{escape(self.w.sentence())}</p></blockquote>'
            elif pick < 0.20:
                block = ('<div class="zenger-ad zenger-ad--incontent"><span class="zenger-ad__label">Advertisement'
                         f'</span><div id="div-gpt-ad-incontent-{r.randint(2, 9)}" style="min-height:250px;">'
                         "<script>googletag.cmd.push(function(){googletag.display('div-gpt-ad-incontent');});"
                         "</script></div></div>")
            else:
                block = f"<p>{escape(self.w.paragraph())}</p>"
            blocks.append(block)
            if count_media or pick >= 0.10:
                size += len(block) + 4
        return blocks

    def trailer(self) -> list[str]:
        r = self.rng
        lines = []
        if r.random() < 0.85:
            lines.append("<p><em>Zenger News does not provide investment advice.</em></p>")
        if r.random() < 0.5:
            lines.append("<p><em>Produced in association with Benzinga</em></p>")
        lines.append(f"<p><em>Edited by {' and '.join(self.editors)}</em></p>")
        return lines

    # -- head
    def graph(self) -> str:
        person_ids = [f"{_ZN}/#/schema/person/{self.rng.randrange(16**32):032x}" for _ in self.authors or [0]]
        names = self.authors or ["Zenger News"]
        graph = [
            {"@type": ["Article", "NewsArticle"], "@id": f"{self.url}#article", "isPartOf": {"@id": self.url},
             "author": [{"name": n, "@id": i} for n, i in zip(names, person_ids, strict=True)],
             "headline": self.headline,
             "datePublished": _iso(self.published), "dateModified": _iso(self.modified),
             "mainEntityOfPage": {"@id": self.url}, "wordCount": self.rng.randint(300, 2400), "commentCount": 0,
             "publisher": {"@id": f"{_ZN}/#organization"}, "image": {"@id": f"{self.url}#primaryimage"},
             "thumbnailUrl": self.featured, "keywords": self.tags, "articleSection": self.categories,
             "inLanguage": "en-US"},
            {"@type": "WebPage", "@id": self.url, "url": self.url, "name": f"{self.headline} - Zenger News",
             "isPartOf": {"@id": f"{_ZN}/#website"}, "primaryImageOfPage": {"@id": f"{self.url}#primaryimage"},
             "datePublished": _iso(self.published), "dateModified": _iso(self.modified),
             "description": self.description, "breadcrumb": {"@id": f"{self.url}#breadcrumb"},
             "inLanguage": "en-US", "potentialAction": [{"@type": "ReadAction", "target": [self.url]}]},
            {"@type": "ImageObject", "inLanguage": "en-US", "@id": f"{self.url}#primaryimage",
             "url": self.featured, "contentUrl": self.featured, "width": 2560, "height": 1707},
            {"@type": "BreadcrumbList", "@id": f"{self.url}#breadcrumb", "itemListElement": [
                {"@type": "ListItem", "position": 1, "name": "Home", "item": f"{_ZN}/"},
                {"@type": "ListItem", "position": 2, "name": self.categories[0],
                 "item": f"{_ZN}/category/{self.w.slug(self.categories[0])}/"},
                {"@type": "ListItem", "position": 3, "name": self.headline}]},
            {"@type": "WebSite", "@id": f"{_ZN}/#website", "url": f"{_ZN}/", "name": "Zenger News",
             "description": "News from a global network of independent journalists",
             "publisher": {"@id": f"{_ZN}/#organization"}, "inLanguage": "en-US"},
            {"@type": "Organization", "@id": f"{_ZN}/#organization", "name": "Zenger News", "url": f"{_ZN}/",
             "logo": {"@type": "ImageObject", "url": f"{_WPCDN}/2020/05/12091133/zenger-logo.png", "width": 600,
                      "height": 160, "caption": "Zenger News"},
             "sameAs": ["https://www.facebook.com/zengernews", "https://x.com/ZengerNews"]},
        ] + [{"@type": "Person", "@id": i, "name": n, "url": f"{_ZN}/author/{self.w.slug(n)}/"}
             for n, i in zip(names, person_ids, strict=True)]
        if self.lean:  # a stripped (print or AMP-like) page: the article, its page and its people
            graph = graph[:1] + graph[6:]
        text = json.dumps({"@context": "https://schema.org", "@graph": graph}, ensure_ascii=False,
                          separators=(",", ":"))
        return text.replace("/", "\\/") if self.rng.random() < 0.5 else text  # older Yoast escapes slashes

    def head(self, chrome: float) -> str:
        title = escape(f"{self.headline} - Zenger News")
        author = self.authors[0] if self.authors else "Zenger News"
        parts = [
            '<meta charset="UTF-8" />',
            '<meta name="viewport" content="width=device-width, initial-scale=1.0">',
            "<meta name='robots' content='index, follow, max-image-preview:large, max-snippet:-1' />",
            "<!-- This site is optimized with the Yoast SEO plugin v22.6 - "
            "https://yoast.com/wordpress/plugins/seo/ -->",
            f"<title>{title}</title>",
            f'<meta name="description" content="{escape(self.description)}" />',
            f'<link rel="canonical" href="{self.url}" />',
            '<meta property="og:locale" content="en_US" />', '<meta property="og:type" content="article" />',
            f'<meta property="og:title" content="{title}" />',
            f'<meta property="og:description" content="{escape(self.description)}" />',
            f'<meta property="og:url" content="{self.url}" />',
            '<meta property="og:site_name" content="Zenger News" />',
            f'<meta property="article:published_time" content="{_iso(self.published)}" />',
            f'<meta property="article:modified_time" content="{_iso(self.modified)}" />',
            f'<meta property="og:image" content="{self.featured}" />',
            '<meta property="og:image:width" content="2560" />', '<meta property="og:image:height" content="1707" />',
            f'<meta name="author" content="{escape(author)}" />',
            '<meta name="twitter:card" content="summary_large_image" />',
            '<meta name="twitter:label1" content="Written by" />',
            f'<meta name="twitter:data1" content="{escape(author)}" />',
            f'<script type="application/ld+json" class="yoast-schema-graph">{self.graph()}</script>',
            "<!-- / Yoast SEO plugin. -->",
            f"<link rel='shortlink' href='{_ZN}/?p={self.post_id}' />",
            f'<link rel="alternate" type="application/rss+xml" title="Zenger News &raquo; Feed" href="{_ZN}/feed/" />',
        ]
        if self.lean:  # a stripped page keeps the essentials only
            keep = ("<meta charset", "<title", "<link rel=\"canonical", "<meta property=\"og:type",
                    "<meta property=\"article:", "<meta property=\"og:image\"", "<meta name=\"author",
                    "<script type=\"application/ld+json", "<link rel='shortlink")
            parts = [part for part in parts if part.startswith(keep)]
        if chrome > 0.2:
            parts += [
                "<link rel='dns-prefetch' href='//stats.wp.com' />",
                "<link rel='dns-prefetch' href='//fonts.googleapis.com' />",
                f"<link rel='stylesheet' id='wp-block-library-css' href='{_ZN}/wp-includes/css/dist/block-library/"
                "style.min.css?ver=6.5.2' type='text/css' media='all' />",
                "<script async src=\"https://securepubads.g.doubleclick.net/tag/js/gpt.js\"></script>",
                f'<link rel="icon" href="{_WPCDN}/2020/05/12091210/cropped-zenger-favicon-32x32.png" sizes="32x32" />',
            ]
        parts.append(HEAD_FILL)  # inline emoji script, global styles, theme CSS: sized last, see page()
        return "\n\t".join(parts)

    # -- chrome
    def nav(self) -> str:
        items = "\n".join(
            f'<li id="menu-item-{1200 + i}" class="menu-item menu-item-type-taxonomy menu-item-object-category '
            f'menu-item-{1200 + i}"><a href="{_ZN}/category/{self.w.slug(c)}/">{escape(c)}</a></li>'
            for i, c in enumerate((("Latest",) + _ZENGER_CATEGORIES)[: 2 if self.lean else None]))
        return (f'<nav id="site-navigation" class="main-navigation"><button class="menu-toggle" aria-controls='
                f'"primary-menu" aria-expanded="false">Menu</button><div class="menu-main-container"><ul '
                f'id="primary-menu" class="menu">\n{items}\n</ul></div></nav>')

    def link_list(self, count: int) -> str:
        r = self.rng
        out = []
        for _ in range(count):
            headline = self.w.headline()
            day = self.published - timedelta(days=r.randint(1, 90))
            out.append(f'<li><a href="{_ZN}/{day:%Y/%m/%d}/{self.w.slug(headline)}/">{escape(headline)}</a>'
                       f'<span class="post-date">{_long_date(day)}</span></li>')
        return "\n".join(out)

    def related(self, count: int) -> str:
        cards = []
        for _ in range(count):
            headline = self.w.headline()
            href = f"{_ZN}/{self.published:%Y/%m/%d}/{self.w.slug(headline)}/"
            cards.append(f'<article class="related-post"><a href="{href}" class="related-post__thumb"><img '
                         f'width="300" height="200" src="{self.photo_url(300, 200)}" class="attachment-medium '
                         f'size-medium wp-post-image" alt="" loading="lazy" decoding="async" /></a><h3 class='
                         f'"related-post__title"><a href="{href}" rel="bookmark">{escape(headline)}</a></h3></article>')
        return ('<section class="related-posts"><h2 class="related-posts__heading">Related posts</h2><div class='
                '"related-posts__grid">\n' + "\n".join(cards) + "\n</div></section>")

    def sidebar(self, chrome: float) -> str:
        return (
            '<aside id="secondary" class="widget-area" role="complementary">'
            '<section id="search-2" class="widget widget_search"><form role="search" method="get" class="search-form"'
            f' action="{_ZN}/"><label><span class="screen-reader-text">Search for:</span><input type="search" '
            'class="search-field" placeholder="Search &hellip;" value="" name="s" /></label><input type="submit" '
            'class="search-submit" value="Search" /></form></section>'
            '<section class="widget widget_custom_html"><div class="zenger-ad zenger-ad--sidebar"><span class='
            '"zenger-ad__label">Advertisement</span><div id="div-gpt-ad-sidebar" style="min-width:300px;min-height:'
            "250px;\"><script>googletag.cmd.push(function(){googletag.display('div-gpt-ad-sidebar');});</script>"
            '</div></div></section>'
            f'<section id="recent-posts-3" class="widget widget_recent_entries"><h2 class="widget-title">Trending Now'
            f'</h2><ul>\n{self.link_list(max(2, int(8 * chrome)))}\n</ul></section>'
            '<section class="widget widget_zn_newsletter"><div class="zn-newsletter-box"><p class="zn-newsletter-'
            'kicker">“What’s the latest with Florida Man?”</p><p class="zn-newsletter-pitch">Get news, handpicked '
            f'just for you, in your box.</p><p><a class="zn-newsletter-button" href="{_ZN}/newsletters/">Check out our'
            ' free email newsletters</a></p></div></section></aside>')

    def footer(self) -> str:
        if self.lean:
            return f'<footer id="colophon" class="site-footer">&copy; {self.published.year} Zenger News</footer>'
        return (
            '<footer id="colophon" class="site-footer"><div class="footer-widgets"><div class="footer-col"><h4>Zenger '
            'News</h4><p>Zenger is a wire service that delivers news, features and video from a global network of '
            'independent journalists to publishers around the world.</p></div><div class="footer-col"><h4>Company'
            f'</h4><ul><li><a href="{_ZN}/about-us/">About Us</a></li><li><a href="{_ZN}/contact/">Contact</a></li>'
            f'<li><a href="{_ZN}/careers/">Careers</a></li></ul></div><div class="footer-col"><h4>Legal</h4><ul><li>'
            f'<a href="{_ZN}/privacy-policy/">Privacy Policy</a></li><li><a href="{_ZN}/terms-of-use/">Terms of Use'
            f'</a></li></ul></div></div><div class="site-info">&copy; {self.published.year} Zenger News. All rights '
            'reserved.</div></footer>')

    def cookie_banner(self) -> str:
        cats = "".join(
            f'<details class="cmplz-category cmplz-{c}"><summary><span class="cmplz-category-header"><span class='
            f'"cmplz-category-title">{c.title()}</span></span></summary><div class="cmplz-description"><span>'
            f'{escape(self.w.sentence())}</span></div></details>' for c in ("functional", "statistics", "marketing"))
        return (
            '<div id="cmplz-cookiebanner-container"><div class="cmplz-cookiebanner cmplz-hidden banner-1 optin" '
            'aria-modal="true" data-nosnippet="true" role="dialog"><div class="cmplz-header"><div class="cmplz-title"'
            '>Manage Cookie Consent</div><div class="cmplz-close" tabindex="0" role="button" aria-label="Close dialog">'
            '<svg aria-hidden="true" focusable="false" role="img" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 352 '
            '512"><path fill="currentColor" d="M242.72 256l100.07-100.07c12.28-12.28 12.28-32.19 0-44.48l-22.24-22.'
            '24c-12.28-12.28-32.19-12.28-44.48 0L176 189.28 75.93 89.21z"></path></svg></div></div><div class="cmplz-'
            'body"><div class="cmplz-message"><p>To provide the best experiences, we use technologies like cookies to'
            f' store and/or access device information.</p></div><div class="cmplz-categories">{cats}</div></div>'
            '<div class="cmplz-buttons"><button class="cmplz-btn cmplz-accept">Accept</button><button class="cmplz-'
            'btn cmplz-deny">Deny</button></div></div></div>')

    def comments(self, budget: int) -> str:
        """A WordPress comment thread of about ``budget`` bytes (big pages carry hundreds of comments)."""
        r = self.rng
        items, size = [], 0
        while size < budget:
            cid = r.randint(100000, 999999)
            moment = self.published + timedelta(minutes=r.randint(5, 20000))
            item = (f'<li id="comment-{cid}" class="comment even thread-even depth-1"><article id="div-comment-{cid}"'
                    ' class="comment-body"><footer class="comment-meta"><div class="comment-author vcard"><img alt="" '
                    f'src="https://secure.gravatar.com/avatar/{r.randrange(16**32):032x}?s=32&#038;d=mm&#038;r=g" '
                    f'class="avatar avatar-32 photo" height="32" width="32" loading="lazy" /><b class="fn">'
                    f'{self.w.person()}</b> <span class="says">says:</span></div><div class="comment-metadata"><a '
                    f'href="{self.url}#comment-{cid}"><time datetime="{_iso(moment)}">{_long_date(moment)}</time></a>'
                    f'</div></footer><div class="comment-content"><p>{escape(self.w.paragraph(1, 3))}</p></div><div '
                    f'class="reply"><a rel="nofollow" class="comment-reply-link" href="#comment-{cid}">Reply</a></div>'
                    "</article></li>")
            items.append(item)
            size += len(item)
        return (f'<div id="comments" class="comments-area"><h2 class="comments-title">{len(items)} thoughts on '
                f'&ldquo;{escape(self.headline)}&rdquo;</h2><ol class="comment-list">\n' + "\n".join(items) +
                '\n</ol><div id="respond" class="comment-respond"><h3 id="reply-title" class="comment-reply-title">'
                'Leave a Reply</h3><form action="/wp-comments-post.php" method="post" id="commentform"><p class='
                '"comment-form-comment"><textarea id="comment" name="comment" cols="45" rows="8"></textarea></p>'
                '<p class="form-submit"><input name="submit" type="submit" id="submit" class="submit" value="Post '
                'Comment" /></p></form></div></div>')

    def header_block(self, theme: str) -> str:
        cats = ", ".join(f'<a href="{_ZN}/category/{self.w.slug(c)}/" rel="category tag">{escape(c)}</a>'
                         for c in self.categories)
        dek = (f'<p class="{"td-post-sub-title" if theme == "td" else "entry-subtitle"}">{escape(self.dek)}</p>'
               if self.dek else "")
        times = (f'<time class="entry-date published" datetime="{_iso(self.published)}">{_long_date(self.published)}'
                 f'</time><time class="updated" datetime="{_iso(self.modified)}">{_long_date(self.modified)}</time>')
        if theme == "td":
            who = self.authors[0] if self.authors else "Zenger News"
            return (f'<div class="td-post-header"><ul class="td-category"><li class="entry-category">{cats}</li></ul>'
                    f'<header class="td-post-title"><h1 class="entry-title">{escape(self.headline)}</h1>{dek}<div '
                    f'class="td-module-meta-info"><div class="td-post-author-name"><div class="td-author-by">By</div> '
                    f'<a href="{_ZN}/author/{self.w.slug(who)}/">{escape(who)}</a></div><span class="td-post-date">'
                    f'{times}</span></div></header></div>')
        byline = ""
        if self.authors and self.rng.random() < 0.5:
            byline = (f'<span class="byline"> by <span class="author vcard"><a class="url fn n" href="{_ZN}/author/'
                      f'{self.w.slug(self.authors[0])}/">{escape(self.authors[0])}</a></span></span>')
        return (f'<header class="entry-header"><div class="entry-cats">{cats}</div><h1 class="entry-title">'
                f'{escape(self.headline)}</h1>{dek}<div class="entry-meta"><span class="posted-on">Posted on <a '
                f'href="{self.url}" rel="bookmark">{times}</a></span>{byline}</div></header>')

    def featured_block(self, theme: str) -> str:
        caption = escape(f"{self.w.sentence()} {self.credit()}")
        small = self.featured.replace("-2560x1707.jpg", "-696x464.jpg")
        if theme == "td":
            return (f'<div class="td-post-featured-image"><figure><a href="{self.featured}" data-caption="{caption}">'
                    f'<img width="696" height="464" class="entry-thumb td-modal-image" src="{small}" srcset="{small} '
                    f'696w, {self.featured} 2560w" sizes="(max-width: 696px) 100vw, 696px" alt="" title="" /></a>'
                    f'<figcaption class="wp-caption-text">{caption}</figcaption></figure></div>')
        return (f'<div class="post-thumbnail"><img width="1024" height="683" src="{small}" class="attachment-large '
                f'size-large wp-post-image" alt="" srcset="{small} 696w, {self.featured} 2560w" /></div>')

    def page(self, target: int) -> str:
        r = self.rng
        theme = r.choice(("td", "s"))
        chrome = min(1.0, max(0.0, (target - MIN_SIZE) / (30 * KB)))  # small pages: lean chrome
        self.lean = chrome < 0.15
        if self.lean:
            self.tags = self.tags[:2]
        head = self.head(chrome)
        cls = (f"post-{self.post_id} post type-post status-publish format-standard has-post-thumbnail hentry "
               + " ".join(f"category-{self.w.slug(c)}" for c in self.categories)
               + " " + " ".join(f"tag-{self.w.slug(t)}" for t in self.tags))
        tags = ", ".join(f'<a href="{_ZN}/tag/{self.w.slug(t)}/" rel="tag">{escape(t)}</a>' for t in self.tags)
        content_class = "td-post-content tagdiv-type" if theme == "td" else "entry-content"
        promo = ('<div class="wp-block-group zn-newsletter-cta has-background"><h3 class="wp-block-heading '
                 'has-text-align-center">“What’s the latest with Florida Man?”</h3><p class="has-text-align-center">'
                 'Get news, handpicked just for you, in your box.</p><div class="wp-block-buttons"><div class='
                 f'"wp-block-button"><a class="wp-block-button__link" href="{_ZN}/newsletters/?utm_source=article">'
                 'Check out our free email newsletters</a></div></div></div>') if chrome > 0.3 else ""
        article_open = (f'<article id="post-{self.post_id}" class="{cls}">' + self.header_block(theme)
                        + (self.featured_block(theme) if chrome > 0.1 else "") + f'<div class="{content_class}">\n')
        article_close = (f"{promo}\n</div><footer class=\"entry-footer\"><span class=\"tags-links\">Tagged {tags}"
                         "</span></footer></article>")
        before = (f'<!DOCTYPE html>\n<html lang="en-US">\n<head>\n\t{head}\n</head>\n<body class="post-template-'
                  f'default single single-post postid-{self.post_id} single-format-standard">\n<div id="page" '
                  'class="site"><a class="skip-link screen-reader-text" href="#primary">Skip to content</a>\n'
                  + ('<div class="zenger-ad zenger-ad--leaderboard"><span class="zenger-ad__label">Advertisement</span>'
                     "<div id=\"div-gpt-ad-leaderboard\" style=\"min-height:90px;\"><script>googletag.cmd.push("
                     "function(){googletag.display('div-gpt-ad-leaderboard');});</script></div></div>\n"
                     if chrome > 0.2 else "")
                  + '<header id="masthead" class="site-header"><div class="site-branding"><a href="https://www.zenger'
                  '.news/" class="custom-logo-link" rel="home"><img width="600" height="160" src="'
                  f'{_WPCDN}/2020/05/12091133/zenger-logo.png" class="custom-logo" alt="Zenger News" /></a><p class='
                  '"site-title"><a href="https://www.zenger.news/" rel="home">Zenger News</a></p></div>'
                  + self.nav() + MEGA + '</header>\n<div id="content" class="site-content"><main id="primary" '
                  f'class="site-main">\n{article_open}')
        after_parts = [article_close]
        if chrome > 0.3:
            after_parts.append(self.related(r.randint(3, 6)))
            after_parts.append('<div class="zn-partner-recs"><h2 class="zn-partner-recs__title">Recommended from our '
                               'partners</h2><div id="taboola-below-article-thumbnails"></div><script type="text/'
                               "javascript\">window._taboola = window._taboola || [];_taboola.push({mode: 'alternating"
                               "-thumbnails-a', container: 'taboola-below-article-thumbnails', placement: 'Below "
                               "Article Thumbnails', target_type: 'mix'});</script></div>")
        after_parts.append(f"{MORE}{EXTRA}</main>")
        if chrome > 0.15:
            after_parts.append(self.sidebar(chrome))
        after_parts.append("</div>" + self.footer())
        if chrome > 0.5:
            after_parts.append(self.cookie_banner())
            after_parts.append(f'<script type="text/javascript" src="{_ZN}/wp-includes/js/jquery/jquery.min.js?ver='
                               f'3.7.1" id="jquery-core-js"></script>\n<script type="text/javascript">\n/* <![CDATA[ */'
                               f"\nvar complianz = {js_blob(r, int(2500 * chrome))};\n/* ]]> */\n</script>")
        after = "\n".join(after_parts) + "\n</div>\n</body>\n</html>\n"
        trailer = self.trailer()
        skeleton = (len(before) + len(after) + sum(map(len, trailer)) - len(HEAD_FILL) - len(EXTRA) - len(MEGA)
                    - len(MORE))
        room = target - skeleton
        if target <= LONG_READ:  # an ordinary story; the rest of the page is chrome
            story = min(story_bytes(r), max(400, room - 300))
        else:  # long reads and live blogs; what the target asks beyond that is comments and inline state
            story = int(min(room * 0.55, 300 * KB))
        blocks = self.body_blocks(story, count_media=target > LONG_READ) + trailer
        fill = target - skeleton - sum(map(len, blocks)) - 2 * len(blocks)
        head_fill = extra = mega = more = ""
        if target > LONG_READ and fill > 48 * KB:
            head_fill = inline_assets(r, 20 * KB)
            mega = link_grid(self.w, 10 * KB, _ZN, f"{_WPCDN}/2024/01", "td")
            more = link_grid(self.w, 10 * KB, _ZN, f"{_WPCDN}/2024/02", "td")
            fill -= len(head_fill) + len(mega) + len(more)
            extra = self.comments(int(fill * 0.6))
            state = fill - len(extra)
            if state > KB:
                extra += f"<script>var tdLocalCache = {{}};\n{js_blob(r, state)}\n</script>"
        elif fill > 600:  # the rest of an ordinary page: half inline scripts and styles, half menus and grids
            head_fill = inline_assets(r, fill // 2)
            mega = link_grid(self.w, fill // 4 - 300, _ZN, f"{_WPCDN}/2024/01", "td")
            more = link_grid(self.w, fill - len(head_fill) - len(mega) - 300, _ZN, f"{_WPCDN}/2024/02", "td")
        return (before.replace(HEAD_FILL, head_fill).replace(MEGA, mega) + "\n\n".join(blocks)
                + after.replace(MORE, more).replace(EXTRA, extra))


def story_bytes(rng: random.Random) -> int:
    """The size of an ordinary story's markup: about 750 words (250 to 2,500), as wire stories run."""
    words = min(2500.0, max(250.0, rng.lognormvariate(6.62, 0.45)))
    return int(words * 6.4)


def inline_assets(rng: random.Random, size: int) -> str:
    """Inline scripts and styles of about ``size`` bytes, the way WordPress themes and plugins print them."""
    js = int(size * 0.45)
    css = int(size * 0.35)
    return (f'<script type="text/javascript">\n/* <![CDATA[ */\n{js_blob(rng, js)}\n/* ]]> */\n</script>\n'
            f"\t<style id='global-styles-inline-css' type='text/css'>\n{css_blob(rng, css, 'wp')}\n</style>\n"
            f'\t<style type="text/css" id="Newspaper-custom-css">\n{css_blob(rng, size - js - css - 200)}\n</style>')


def zenger_page(rng: random.Random, post_id: int, target: int) -> Doc:
    article = _Zenger(rng, post_id)
    html = article.page(target)
    return Doc(f"zenger-{post_id}.html", "zenger-page", html.encode("utf-8"), article.url, (post_id,))


# --- Benzinga ------------------------------------------------------------------------------------------------

_BZ = "https://www.benzinga.com"


class _Benzinga:
    def __init__(self, rng: random.Random, story_id: int) -> None:
        self.rng = rng
        self.w = Words(rng)
        self.story_id = story_id
        self.companies = rng.sample(_COMPANIES, rng.randint(1, 3))
        name = self.companies[0][0].split()[0]
        self.headline = f"{name} {self.w.headline()}"
        self.published, self.modified = _when(rng)
        self.url = f"{_BZ}/news/{self.published:%y/%m}/{story_id}/{self.w.slug(self.headline)}"
        self.author = rng.choice((self.w.person(), self.w.person(), "Benzinga Neuro", "Benzinga Insights"))
        self.channels = rng.sample(_BZ_CHANNELS, rng.randint(2, 4))
        self.teaser = self.w.sentence()
        self.image = (f"https://cdn.benzinga.com/files/images/story/{self.published:%Y/%m/%d}/"
                      f"{self.w.slug(self.companies[0][0])}_shutterstock.jpeg")

    def ticker(self, company: tuple[str, str, str]) -> str:
        name, exchange, symbol = company
        return (f'<strong>{escape(name)}</strong> ({exchange}:<a class="ticker" href="{_BZ}/stock/{symbol}#{exchange}"'
                f">{symbol}</a>)")

    def body_blocks(self, budget: int) -> list[str]:
        r = self.rng
        blocks = [f'<p class="core-block">{self.ticker(self.companies[0])} {escape(self.w.paragraph(1, 2))}</p>']
        size = len(blocks[0])
        labels = ("What Happened", "Why It Matters", "The Numbers", "What Analysts Say", "Looking Ahead")
        while size < budget:
            pick = r.random()
            if pick < 0.08:
                block = f'<h2 class="wp-block-heading">{r.choice(labels)}</h2>'
            elif pick < 0.14:
                label = r.choice(("See Also", "Related Link", "Read Next"))
                href = f"{_BZ}/news/{self.published:%y/%m}/{r.randint(30000000, 49999999)}/"
                block = (f'<p class="core-block"><em class="core-block">{label}: <a href="{href}'
                         f'{self.w.slug(self.w.headline())}">{escape(self.w.headline())}</a></em></p>')
            elif pick < 0.22:
                block = (f'<p class="core-block">{self.ticker(r.choice(self.companies))} {escape(self.w.sentence())}'
                         "</p>")
            elif pick < 0.26:
                block = ('<ul class="core-block">' + "".join(f"<li>{escape(self.w.sentence())}</li>"
                                                             for _ in range(r.randint(2, 4))) + "</ul>")
            else:
                block = f'<p class="core-block"><strong>{r.choice(labels)}</strong>: {escape(self.w.paragraph())}</p>' \
                    if r.random() < 0.15 else f'<p class="core-block">{escape(self.w.paragraph())}</p>'
            blocks.append(block)
            size += len(block) + 1
        blocks.append(f'<p class="core-block"><strong>Price Action</strong>: {escape(self.companies[0][0])} shares '
                      f'{r.choice(("rose", "fell"))} {r.randint(1, 12)}.{r.randint(0, 9)}% to ${r.randint(5, 400)}.'
                      f'{r.randint(10, 99)}, according to <a href="https://pro.benzinga.com/dashboard/">Benzinga Pro'
                      "</a>.</p>")
        if self.author == "Benzinga Neuro" or r.random() < 0.3:
            blocks.append('<p class="core-block"><strong><em>Disclaimer:</em></strong><em>&nbsp;This content was '
                          'partially produced with the help of&nbsp;<a href="https://www.benzinga.com/author/benzinga-'
                          'neuro">Benzinga Neuro</a>&nbsp;and was reviewed and published by Benzinga editors.</em></p>')
        blocks.append(f'<p class="core-block"><em>{r.choice(("Photo courtesy: Shutterstock", "Photo: Shutterstock"))}'
                      "</em></p>")
        return blocks

    def next_data(self, body: str, extra: int) -> str:
        r = self.rng
        related = []
        size = 0
        while size < extra:
            item = {"nodeId": r.randint(30000000, 49999999), "title": self.w.headline(),
                    "teaserText": self.w.paragraph(1, 2), "url": f"{_BZ}/news/{self.w.slug(self.w.headline())}",
                    "image": self.image, "tickers": [c[2] for c in r.sample(_COMPANIES, 2)]}
            related.append(item)
            size += 300 + len(item["teaserText"])
        data = {"props": {"pageProps": {"article": {
            "nodeId": self.story_id, "title": self.headline, "createdAt": _iso(self.published, "Z"),
            "updatedAt": _iso(self.modified, "Z"), "name": self.author, "type": "story", "teaserText": self.teaser,
            "body": body, "image": self.image,
            "tickers": [{"name": c[2], "exchange": c[1], "primary": i == 0} for i, c in enumerate(self.companies)],
            "channels": [{"name": c} for c in self.channels]}, "related": related}},
            "page": "/article/[...slug]", "buildId": f"{r.randrange(16**16):016x}"}
        return json.dumps(data, ensure_ascii=False)

    def page(self, target: int) -> str:
        r = self.rng
        chrome = min(1.0, max(0.0, (target - MIN_SIZE) / (25 * KB)))
        ld = json.dumps({"@context": "http://schema.org", "@type": "NewsArticle",
                         "mainEntityOfPage": {"@type": "WebPage", "@id": self.url}, "headline": self.headline,
                         "description": self.teaser, "image": [{"@type": "ImageObject", "url": self.image,
                                                                "width": 1200, "height": 800}],
                         "datePublished": _iso(self.published, "-04:00"), "dateModified": _iso(self.modified, "-04:00"),
                         "author": {"@type": "Person", "name": self.author,
                                    "url": f"{_BZ}/author/{self.w.slug(self.author)}"},
                         "publisher": {"@type": "Organization", "name": "Benzinga",
                                       "logo": {"@type": "ImageObject", "url": f"{_BZ}/next-assets/images/logo.png"}}})
        c0 = self.companies[0]
        title = escape(f"{self.headline} - {c0[0].split()[0]} ({c0[1]}:{c0[2]}) - Benzinga")
        head = (f'<meta charSet="utf-8"/><meta name="viewport" content="width=device-width, initial-scale=1"/>\n'
                f"<title>{title}</title>\n<meta name=\"description\" content=\"{escape(self.teaser)}\"/>\n"
                f'<link rel="canonical" href="{self.url}"/>\n<meta name="author" content="{escape(self.author)}"/>\n'
                f'<meta name="keywords" content="{escape(", ".join(self.channels))}"/>\n'
                '<meta property="og:site_name" content="Benzinga"/><meta property="og:type" content="article"/>\n'
                f'<meta property="og:title" content="{escape(self.headline)}"/>\n<meta property="og:url" content='
                f'"{self.url}"/>\n<meta property="og:image" content="{self.image}"/>\n'
                f'<meta property="article:published_time" content="{_iso(self.published, "-04:00")}"/>\n'
                f'<meta property="article:modified_time" content="{_iso(self.modified, "-04:00")}"/>\n'
                f'<script type="application/ld+json">{ld}</script>\n')
        if chrome > 0.2:
            head += (f'<style data-emotion="css-global">{css_blob(r, int(4000 * chrome), "bz")}</style>\n'
                     '<script async src="https://www.googletagmanager.com/gtag/js?id=G-9V1XPVDE4Y"></script>\n'
                     f"<script>{js_blob(r, int(900 * chrome))}</script>\n")
        head += STYLE_FILL  # emotion's per-component styles: sized last
        nav = "\n".join(f'<li class="nav-item"><a href="{_BZ}/{self.w.slug(c)}">{escape(c)}</a></li>'
                        for c in _BZ_CHANNELS)
        tickers = "".join(f'<a class="quote-box" href="{_BZ}/quote/{c[2]}"><span class="symbol">{c[2]}</span><span '
                          f'class="name">{escape(c[0])}</span><span class="price">${r.randint(5, 400)}.'
                          f'{r.randint(10, 99)}</span></a>' for c in self.companies)
        key_points = "".join(f"<li>{escape(self.w.sentence())}</li>" for _ in range(2))
        before = (f'<!DOCTYPE html><html lang="en"><head>{head}</head><body><div id="__next">\n<a class="skip-link" '
                  'href="#main-content">Skip to main content</a>\n<header class="layout-header"><div class="header-'
                  f'inner"><a class="logo" href="{_BZ}/" aria-label="Benzinga"><svg width="140" height="24" '
                  'viewBox="0 0 140 24" aria-hidden="true"><path d="M0 0h20v24H0z" fill="#1a79ff"></path></svg>'
                  f'</a><nav aria-label="Main"><ul class="nav-items">{nav}</ul></nav></div></header>\n'
                  '<main id="main-content" class='
                  '"layout-main"><div class="article-layout"><div class="main-content">\n<nav class="breadcrumbs"><a '
                  f'href="{_BZ}/">Home</a> / <a href="{_BZ}/news">News</a></nav>\n<h1 class="layout-title">'
                  f'{escape(self.headline)}</h1>\n<div class="author-date-wrap"><div class="author-name-wrap"><span>'
                  f'by </span><a class="author-name" href="{_BZ}/author/{self.w.slug(self.author)}">'
                  f'{escape(self.author)}</a><span>, Benzinga Staff Writer</span></div><div class="article-date-wrap">'
                  '<span class="date">'
                  f'{_long_date(self.published)} {self.published:%I:%M %p}</span> | <span class="read-time">'
                  f'{r.randint(1, 6)} min read</span></div></div>\n<div class="ticker-quote-bar">{tickers}</div>\n'
                  f'<div class="key-points"><h2>Zinger Key Points</h2><ul>{key_points}</ul></div>\n<figure class='
                  f'"article-image"><img src="{self.image}" width="1200" height="800" alt="" loading="eager"/></figure>'
                  '\n<div class="article-content-body"><div class="article-content-body-only">\n')
        side = "".join(f'<li><a href="{_BZ}/news/{self.w.slug(self.w.headline())}">{escape(self.w.headline())}</a></li>'
                       for _ in range(max(2, int(6 * chrome))))
        after = ('\n</div></div>\n<div class="edge-promo"><p><strong>Trade confidently with insights and alerts from '
                 'analyst ratings, free reports and breaking news.</strong></p><p><a href="https://pro.benzinga.com/?'
                 'utm_source=article-bottom">Start your free Benzinga Pro trial</a></p></div>\n<div class="tags-wrap">'
                 '<span>Posted In:</span> ' + "".join(f'<a href="{_BZ}/topic/{self.w.slug(c)}">{escape(c)}</a>'
                                                        for c in self.channels)
                 + '</div>\n<div class="newsletter-signup"><h3>The latest market news, right in your inbox</h3><form '
                 f'action="{_BZ}/newsletters/subscribe" method="post"><input type="email" name="email"/><button type='
                 '"submit">Subscribe</button></form></div>\n</div>\n<aside class="main-sidebar"><div class="trending-'
                 f'sidebar"><h3>Trending</h3><ol>{side}</ol></div></aside>\n' + MORE
                 + '</div></main>\n<footer class="footer"><p '
                 f'class="copyright">&copy; {self.published.year} Benzinga.com. Benzinga does not provide investment '
                 'advice. All rights reserved.</p></footer>\n<div id="onetrust-consent-sdk"><div id="onetrust-banner-'
                 'sdk" role="region" aria-label="Cookie banner"><p id="onetrust-policy-text">We use cookies to '
                 'personalise content and ads.</p><button id="onetrust-accept-btn-handler">Accept All Cookies</button>'
                 '</div></div>\n</div>\n' + NEXT +
                 f'<script src="{_BZ}/next-assets/_next/static/chunks/main-{r.randrange(16**12):012x}.js" defer="">'
                 "</script>\n</body></html>\n")
        fixed = len(before) + len(after) - len(NEXT) - len(STYLE_FILL) - len(MORE)
        room = target - fixed
        if target <= LONG_READ:  # Benzinga stories run shorter than Zenger's; __NEXT_DATA__ repeats the body
            story = min(int(story_bytes(r) * 0.7), max(400, (room - 400) // 2))
        else:
            story = int(min(room * 0.42, 250 * KB))
        body = "\n".join(self.body_blocks(story))
        fill = target - fixed - len(body)
        next_data = ""
        if chrome > 0.1:
            # __NEXT_DATA__ carries the body again plus related stories: about half of what is left over
            related = max(0, fill - len(body)) // 2 if target <= LONG_READ else max(0, fill - len(body) - 8 * KB)
            next_data = (f'<script id="__NEXT_DATA__" type="application/json">{self.next_data(body, related)}'
                         "</script>\n")
            fill -= len(next_data)
        styles = (f'<style data-emotion="css">{css_blob(r, fill // 2 - 250, "css")}</style>\n' if fill > 1000 else "")
        images = "https://cdn.benzinga.com/files/images/story/2024"
        movers = (f'<aside class="market-movers">{link_grid(self.w, fill - len(styles) - 300, _BZ, images, "bz")}'
                  "</aside>" if fill > 1000 else "")
        return (before.replace(STYLE_FILL, styles) + body + after.replace(NEXT, next_data).replace(MORE, movers))


def benzinga_page(rng: random.Random, story_id: int, target: int) -> Doc:
    article = _Benzinga(rng, story_id)
    html = article.page(target)
    return Doc(f"benzinga-{story_id}.html", "benzinga-page", html.encode("utf-8"), article.url, (story_id,))


# --- feeds ---------------------------------------------------------------------------------------------------

def _rfc822(moment: datetime, tz: str = "+0000") -> str:
    return moment.strftime("%a, %d %b %Y %H:%M:%S ") + tz


def wordpress_feed(rng: random.Random, first_id: int, items: int, story_bytes: int) -> Doc:
    """A Zenger WordPress feed: ``content:encoded`` carries every whole story."""
    out = []
    ids = []
    for number in range(items):
        article = _Zenger(rng, first_id + number)
        ids.append(article.post_id)
        story = "\n\n\n\n".join(article.body_blocks(story_bytes, count_media=False) + article.trailer())
        excerpt = escape(article.w.paragraph(1, 2))
        cats = "".join(f"<category><![CDATA[{c}]]></category>" for c in article.categories + article.tags)
        creator = article.authors[0] if article.authors else "Zenger News"
        out.append(
            f"\t<item>\n\t\t<title>{escape(article.headline)}</title>\n\t\t<link>{article.url}</link>\n"
            f"\t\t<dc:creator><![CDATA[{creator}]]></dc:creator>\n\t\t<pubDate>{_rfc822(article.published)}</pubDate>\n"
            f"\t\t{cats}\n\t\t<guid isPermaLink=\"false\">{_ZN}/?p={article.post_id}</guid>\n"
            f"\t\t<description><![CDATA[<p>{excerpt} [&#8230;]</p>\n<p>The post <a href=\"{article.url}\">"
            f"{escape(article.headline)}</a> appeared first on <a href=\"{_ZN}\">Zenger News</a>.</p>\n]]>"
            "</description>\n"
            f"\t\t<content:encoded><![CDATA[\n{story}\n<p>The post <a href=\"{article.url}\">{escape(article.headline)}"
            f"</a> appeared first on <a href=\"{_ZN}\">Zenger News</a>.</p>\n]]></content:encoded>\n"
            f"\t\t<post-id xmlns=\"com-wordpress:feed-additions:1\">{article.post_id}</post-id>\n\t</item>")
    xml = ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"\n\txmlns:content="http://purl.org/rss/1.0/modules/'
           'content/"\n\txmlns:dc="http://purl.org/dc/elements/1.1/"\n\txmlns:atom="http://www.w3.org/2005/Atom"\n\t>\n'
           f"<channel>\n\t<title>Zenger News</title>\n\t<atom:link href=\"{_ZN}/feed/\" rel=\"self\" "
           f"type=\"application/rss+xml\" />\n\t<link>{_ZN}</link>\n\t<description>News from a global network of "
           "independent journalists"
           "</description>\n\t<language>en-US</language>\n\t<generator>https://wordpress.org/?v=6.5.2</generator>\n"
           + "\n".join(out) + "\n</channel>\n</rss>\n")
    return Doc(f"zenger-feed-{first_id}.rss", "wordpress-rss", xml.encode("utf-8"), f"{_ZN}/feed/", tuple(ids))


def benzinga_feed(rng: random.Random, first_id: int, items: int, story_bytes: int) -> Doc:
    """A Benzinga taxonomy feed: entity-encoded HTML in ``description``, tracking parameters on links."""
    out, ids = [], []
    for number in range(items):
        article = _Benzinga(rng, first_id + number)
        ids.append(article.story_id)
        body = "\n\n\n\n".join(b.replace(' class="core-block"', "") for b in article.body_blocks(story_bytes))
        cats = "\n ".join(f'<category domain="{_BZ}/taxonomy/term/{rng.randint(1000, 99999)}">{escape(c)}</category>'
                          for c in article.channels)
        out.append(
            f"<item>\n <title>{escape(article.headline)}</title>\n <link>{escape(article.url)}?utm_source=benzinga_"
            f"taxonomy&amp;utm_medium=rss_feed_free&amp;utm_campaign=markets</link>\n <description>{escape(body)}"
            f"</description>\n {cats}\n <pubDate>{_rfc822(article.published, '-0400')}</pubDate>\n <dc:creator>"
            f"{escape(article.author)}</dc:creator>\n <guid isPermaLink=\"false\">{article.story_id} at {_BZ}</guid>\n"
            f" <media:content url=\"{article.image}\" medium=\"image\" type=\"image/jpeg\" />\n</item>")
    xml = ('<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" xml:base="https://www.benzinga.com/views/taxonomy'
           '/term/12345" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:media="http://search.yahoo.com/mrss/">\n'
           f"<channel>\n <title>Benzinga - Markets</title>\n <link>{_BZ}/markets</link>\n <description></description>\n"
           " <language>en</language>\n" + "\n".join(out) + "\n</channel>\n</rss>\n")
    return Doc(f"benzinga-feed-{first_id}.rss", "benzinga-rss", xml.encode("utf-8"), None, tuple(ids))


# ---------------------------------------------------------------------------------------------------------------
# The corpus

def page_sizes(rng: random.Random, count: int) -> list[int]:
    """Target page sizes: mostly typical (15-120 KB, around 50 KB), some small (5-15 KB), some large (to 1 MB).

    The smallest is always ~5 KB and the largest ~1 MB, so both ends are measured on every run.
    """
    sizes = [MIN_SIZE, MAX_SIZE]
    for index in range(count - 2):
        kind = index % 20
        if kind < 3:
            sizes.append(int(rng.uniform(MIN_SIZE, 15 * KB)))
        elif kind < 17:
            sizes.append(int(min(120 * KB, max(15 * KB, rng.lognormvariate(10.8, 0.45)))))
        else:
            sizes.append(int(120 * KB * (MAX_SIZE / (120 * KB)) ** rng.random()))
    return sizes[:count]


def corpus(seed: int = DEFAULT_SEED, pages: int = 60, feeds: int = 6) -> list[Doc]:
    """``pages`` article pages (about 3 Zenger to 1 Benzinga) and ``feeds`` feeds (half WordPress, half Benzinga)."""
    rng = random.Random(seed)
    docs = []
    for index, target in enumerate(page_sizes(rng, pages)):
        page_rng = random.Random(rng.getrandbits(64))
        if index % 4 == 3:
            docs.append(benzinga_page(page_rng, 41_000_000 + index * 64, target))
        else:
            docs.append(zenger_page(page_rng, 7_000_000 + index * 64, target))
    for index in range(feeds):
        feed_rng = random.Random(rng.getrandbits(64))
        items = feed_rng.choice((3, 10, 10, 20))
        story = feed_rng.choice((2 * KB, 4 * KB, 8 * KB))
        if index % 2 == 0:
            docs.append(wordpress_feed(feed_rng, 7_500_000 + index * 64, items, story))
        else:
            docs.append(benzinga_feed(feed_rng, 45_000_000 + index * 64, items, story))
    return docs


def typical_page(seed: int = DEFAULT_SEED, target: int = 50 * KB) -> Doc:
    """One typical Zenger page (for profiling)."""
    return zenger_page(random.Random(seed), 7_999_936, target)


def main() -> None:
    import argparse
    import hashlib
    from pathlib import Path

    parser = argparse.ArgumentParser(prog="python -m bench.corpus", description="Write the benchmark corpus to a "
                                     "directory (or print its summary) to look at what is measured.")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--pages", type=int, default=60)
    parser.add_argument("--feeds", type=int, default=6)
    parser.add_argument("--out", type=Path, help="directory to write the documents to")
    args = parser.parse_args()
    docs = corpus(args.seed, args.pages, args.feeds)
    digest = hashlib.sha256()
    for doc in docs:
        digest.update(doc.data)
        print(f"{doc.name:32} {doc.kind:14} {doc.size / KB:8.1f} KB  {doc.items:3} item(s)")
        if args.out:
            args.out.mkdir(parents=True, exist_ok=True)
            (args.out / doc.name).write_bytes(doc.data)
    print(f"{len(docs)} documents, {sum(d.size for d in docs) / KB / KB:.2f} MB, sha256 {digest.hexdigest()[:16]}")


if __name__ == "__main__":
    main()
