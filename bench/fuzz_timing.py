"""Structure-aware timing fuzzer for the whole parse (part of ``make fuzz``): a report, not a test.

    python -m bench.fuzz_timing [--size 102400] [--only NAME] [--timeout 120]

Each family takes a real input (``tests/pagebuilder.zenger_page``, the fixture pages, feeds and Benzinga JSON, a page
without dates for the fallbacks that read the visible header) and grows one thing in it until the input has the
size asked for: a run of characters (in a paragraph, a caption, a byline, an image file name, an attribute, a JSON
string), a nesting (divs, blockquotes, lists, spans, tweet embeds, pictures), or a count (images, figures, pictures,
tweets, links, promos, credit lines, feed items, tickers). Every input is parsed with ``parse_items`` at n and 8n
bytes (and at 64n when that is expected to take under 20 s), in a forked child, its CPU time taken with
``time.process_time``.

The bound (issue 16): for every family, CPU(8n) <= 16 x CPU(n) for n >= 100 KB; a linear parse grows ~8x, a
quadratic one ~64x. The report gives each family's ratio, the slowest inputs per KB (a nesting capped by libxml2's
depth limit grows linearly but can still cost far more per KB than an ordinary page), and the CPU time of a 10 MB
page of ordinary article markup against the default parse budget of 10 s. The exit status is 1 when a ratio is over
the bound, a parse runs past ``--timeout`` seconds, or the 10 MB page takes over the budget.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest_plugin import log
from ingest_plugin.parsing import DEFAULT_MAX_BYTES
from ingest_plugin.parsing.pipeline import parse_items
from tests.pagebuilder import DEFAULT_BODY, zenger_page

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
BOUND = 16.0
BIG_STEP = 20.0  # CPU seconds: 64n is timed when expected under this
BUDGET = 10.0  # the default parse budget ([limits] parse_budget_seconds)
TWEET = ('<blockquote class="twitter-tweet"><p lang="en">Words of a tweet</p>&mdash; Jane (@jane) '
         '<a href="https://twitter.com/jane/status/1670334346735198208">June 18, 2023</a></blockquote>')
IMG = '<img src="https://www.zenger.news/wp-content/uploads/2024/03/photo-1024x683.jpg" width="1024" height="683">'
FIGURE = (f'<figure class="wp-block-image">{IMG}<figcaption>Crowds gather in the square on Tuesday. '
          '(Photo by Jane Doe/Getty Images)</figcaption></figure>')


# ---------------------------------------------------------------------------------------------------------------
# Inputs: a base document with room for one grown part

Build = Callable[[str], tuple[bytes, dict[str, Any]]]


def in_page(chunk: str) -> tuple[bytes, dict[str, Any]]:
    """The chunk leads the story of a small Zenger page."""
    return zenger_page(chunk + DEFAULT_BODY).encode(), {}


def in_head(chunk: str) -> tuple[bytes, dict[str, Any]]:
    return zenger_page(head_extra=chunk).encode(), {}


def in_fixture(name: str) -> Build:
    """The chunk opens the content container of a fixture page."""
    page = (FIXTURES / "pages" / name).read_text()
    opening = re.search(r'<div[^>]*class="[^"]*(?:entry-content|td-post-content|article-content-body)[^"]*"[^>]*>',
                        page)
    assert opening is not None, name
    return lambda chunk: ((page[:opening.end()] + chunk + page[opening.end():]).encode(), {})


def in_dateless_page(chunk: str, head: str = "") -> tuple[bytes, dict[str, Any]]:
    """A page with no metadata (no date, byline or dek): the visible header is read for them."""
    return (f'<!DOCTYPE html><html><head><title>Flood Waters Rise</title>{head}</head><body><article>'
            f'<h1>Flood Waters Rise</h1>{chunk}<div class="entry-content">{DEFAULT_BODY}</div>'
            f'</article></body></html>').encode(), {}


def in_dateless_head(chunk: str) -> tuple[bytes, dict[str, Any]]:
    """The chunk is the whole head metadata of a page (its JSON-LD the only one)."""
    return in_dateless_page("", chunk)


def in_feed(chunk: str) -> tuple[bytes, dict[str, Any]]:
    """The chunk leads the first item's ``content:encoded`` of the WordPress feed fixture."""
    feed = (FIXTURES / "feeds" / "zenger-wordpress.rss").read_text()
    at = feed.index("<content:encoded><![CDATA[") + len("<content:encoded><![CDATA[")
    return (feed[:at] + chunk.replace("]]>", "]]&gt;") + feed[at:]).encode(), {}


def in_feed_items(chunk: str) -> tuple[bytes, dict[str, Any]]:
    feed = (FIXTURES / "feeds" / "zenger-wordpress.rss").read_text()
    at = feed.index("<item>")
    return (feed[:at] + chunk + feed[at:]).encode(), {}


def _story() -> dict[str, Any]:
    return json.loads((FIXTURES / "api" / "benzinga-api-small.json").read_text())[0]


def in_json_field(field: str) -> Build:
    """The chunk is a JSON string field of a Benzinga API story (the body: in front of its own)."""
    def build(chunk: str) -> tuple[bytes, dict[str, Any]]:
        story = _story()
        story[field] = chunk + (story[field] if field == "body" else "")
        return json.dumps([story]).encode(), {}
    return build


def in_json_list(field: str) -> Build:
    """The chunk is the inside of a JSON list field (``"a", "b", …``) of a Benzinga API story."""
    def build(chunk: str) -> tuple[bytes, dict[str, Any]]:
        text = json.dumps([{**_story(), field: []}])
        at = text.index(f'"{field}": [') + len(f'"{field}": [')
        return (text[:at] + chunk.rstrip(", ") + text[at:]).encode(), {}
    return build


def _letters(number: int) -> str:
    """A capitalised word that differs for every number ("Ab", "Ac", …): distinct names where digits are no name."""
    word = ""
    while True:
        number, digit = divmod(number, 26)
        word = "abcdefghijklmnopqrstuvwxyz"[digit] + word
        if not number:
            return "A" + word


@dataclass(frozen=True)
class Family:
    """``head + unit * k + tail`` put into a base document, k growing the input to the size asked for. A unit
    holding "{i}" (a number) or "{a}" (a capitalised word) is made distinct in each copy."""

    name: str
    base: Build
    unit: str
    head: str = ""
    tail: str = ""

    def build(self, size: int) -> tuple[bytes, dict[str, Any]]:
        empty, _ = self.base(self.head + self.tail)
        count = max(1, (size - len(empty)) // len(self.unit.replace("{i}", "00000").replace("{a}", "Abcd").encode()))
        if "{i}" in self.unit or "{a}" in self.unit:
            units = "".join(self.unit.replace("{i}", str(i)).replace("{a}", _letters(i)) for i in range(count))
        else:
            units = self.unit * count
        return self.base(self.head + units + self.tail)


@dataclass(frozen=True)
class _AsDeepAsTheSize(Family):
    """``unit`` is an opening and its closing: as many nested as the size allows, ``tail`` at the bottom (past
    libxml2's depth limit, load's layout fallback or the limit itself decides what is left)."""

    def build(self, size: int) -> tuple[bytes, dict[str, Any]]:
        opening, closing = self.head, self.unit[len(self.head):]
        empty, _ = self.base(self.tail)
        depth = max(1, (size - len(empty)) // len(self.unit.encode()))
        return self.base(opening * depth + self.tail + closing * depth)


def nested(name: str, base: Build, opening: str, closing: str, unit: str, depth: int = 1500) -> Family:
    """``unit`` repeated at the bottom of a nesting of ``depth`` levels (under libxml2's depth limit of 2048): the
    count grows with the size, all of it inside every level."""
    return Family(name, base, unit, head=opening * depth, tail=closing * depth)


WORDS = "word " * 20
PARAGRAPH = f"<p>{WORDS}</p>"
FAMILIES: list[Family] = [
    # Runs of characters
    Family("paragraph: one long word", in_page, "a", "<p>", "</p>"),
    Family("paragraph: words, no sentence end", in_page, "word ", "<p>", "</p>"),
    Family("paragraph: 'does not provide' repeated", in_page, "does not provide ", "<p>", "advice.</p>"),
    Family("paragraph: 'produced with' repeated", in_page, "produced with ", "<p>", "</p>"),
    Family("paragraph: short capitalised sentences", in_page, "AB. ", "<p>", "</p>"),
    Family("paragraph: white space", in_page, " \n\t", "<p>x", "y</p>"),
    Family("paragraph: ampersands", in_page, "&amp; ", "<p>", "</p>"),
    Family("paragraph: double-escaped entities", in_page, "&amp;amp; ", "<p>", "</p>"),
    Family("paragraph: escaped tags", in_page, "&lt;b&gt;x ", "<p>", "</p>"),
    Family("paragraph: escaped '<' run", in_page, "&lt;", "<p>&lt;b&gt;", "x</p>"),
    Family("paragraph: 'The post' footer repeated", in_feed, "The post x ", "<p>", "appeared first on Zenger.</p>"),
    Family("promo line: 'See Also:' and a long tail", in_page, "word ", "<p>See Also: ", "</p>"),
    Family("byline paragraph: many names", in_page, "Jane Doe, ", "<p>By ", "and John Roe</p>"),
    Family("byline markup: long", in_dateless_page, "Jane Doe ", '<span class="byline">By ', "</span>"),
    Family("editor line: many names", in_page, "Jane Eyre and ", "<p>Edited by ", "John Checker</p>"),
    Family("disclaimer line: long label", in_page, "words ", "<p>Disclaimer: ", "</p>"),
    Family("dateline: long city", in_page, "A", "<p>", ", Kenya — Story.</p>"),
    Family("caption: long", in_page, "crowds ", f'<figure class="wp-block-image">{IMG}<figcaption>',
           "(Photo by Jane Doe/Getty Images)</figcaption></figure>"),
    Family("caption: unclosed parenthesis, slashes", in_page, "a/", f"<figure>{IMG}<figcaption>Crowds (",
           "</figcaption></figure>"),
    Family("caption: capitalised sentences", in_page, "AB. ", f"<figure>{IMG}<figcaption>Crowds. ",
           "A</figcaption></figure>"),
    Family("caption: white space before a credit", in_page, " ", f"<figure>{IMG}<figcaption>Crowds (Photo by",
           "Jane/Getty)</figcaption></figure>"),
    Family("credit element: long", in_page, "Jane Doe ", f'<figure>{IMG}<figcaption>Crowds <span class="credit">',
           "on Unsplash</span></figcaption></figure>"),
    Family("image file name: '-1x1' run", in_page, "-1x1", '<img src="https://www.zenger.news/wp-content/uploads/',
           '.jpg" width="800">'),
    Family("image srcset: many candidates", in_page, "https://www.zenger.news/a-800x600.jpg 800w, ",
           '<img srcset="', 'https://www.zenger.news/a.jpg 2000w" width="800">'),
    Family("attribute: long class", in_page, "a-b ", '<div class="', '">text</div>'),
    Family("attribute: long href", in_page, "a/", '<p><a href="https://www.zenger.news/', '">link</a></p>'),
    Family("JSON: long body text", in_json_field("body"), "word ", "<p>", "</p>"),
    Family("JSON: long title", in_json_field("title"), "word "),
    Family("JSON-LD: long headline", in_head, "word ", '<script type="application/ld+json">{"@type": "Article", '
           '"headline": "', '"}</script>'),
    Family("meta: long description", in_head, "word ", '<meta property="og:description" content="', '">'),
    # Nestings: 1,500 levels (libxml2 keeps 2,048), the content at the bottom growing with the size
    _AsDeepAsTheSize("nesting: divs as deep as the size", in_page, "<div></div>", "<div>", PARAGRAPH),
    _AsDeepAsTheSize("nesting: blockquotes as deep as the size", in_page, "<blockquote></blockquote>",
                     "<blockquote>", PARAGRAPH),
    nested("nesting: divs", in_page, "<div>", "</div>", PARAGRAPH),
    nested("nesting: blockquotes", in_page, "<blockquote>", "</blockquote>", PARAGRAPH),
    nested("nesting: blockquotes, a handle at the bottom", in_page, "<blockquote>", "</blockquote>",
           "<p>(@jane) x</p>"),
    nested("nesting: tweet blockquotes", in_page, '<blockquote class="twitter-tweet">', "</blockquote>", PARAGRAPH),
    nested("nesting: twitter-classed divs", in_page, '<div class="twitter-embed">', "</div>", PARAGRAPH),
    nested("nesting: twitter-classed divs, escaped text", in_page, '<div class="twitter-embed">', "</div>",
           "<p>&amp;amp; x</p>"),
    nested("nesting: lists", in_page, "<ul><li>", "</li></ul>", PARAGRAPH),
    nested("nesting: spans", in_page, "<span>", "</span>", PARAGRAPH),
    nested("nesting: spans with text", in_page, "<span>x ", "</span>", PARAGRAPH),
    nested("nesting: bold", in_page, "<b>", "</b>", PARAGRAPH),
    nested("nesting: empty spans", in_page, "<span>", "</span>", "<p> </p><span> </span>"),
    nested("nesting: figures", in_page, "<figure>", "</figure>", IMG),
    nested("nesting: pictures", in_page, "<picture>", "</picture>", IMG),
    nested("nesting: h1s", in_page, "<h1>", "</h1>", PARAGRAPH),
    nested("nesting: dek-classed divs", in_dateless_page, '<div class="subtitle">', "</div>", PARAGRAPH),
    nested("nesting: date-classed divs", in_dateless_page, '<div class="post-meta">', "</div>", PARAGRAPH),
    nested("nesting: time elements", in_dateless_page, "<time>", "</time>", PARAGRAPH),
    nested("nesting: byline-classed divs", in_dateless_page, '<div class="byline">', "</div>", PARAGRAPH),
    nested("nesting: vcards", in_dateless_page, '<div class="vcard">', "</div>", '<span class="fn">Jane Doe</span>'),
    nested("nesting: itemprop authors", in_dateless_page, '<div itemprop="author">', "</div>",
           '<span itemprop="name">Jane Doe</span>'),
    nested("nesting: divs, then images", in_page, "<div>", "</div>", IMG),
    nested("nesting: spans, then images", in_page, "<span>", "</span>", IMG),
    nested("nesting: divs, then tweets", in_page, "<div>", "</div>", TWEET),
    nested("nesting: divs, then empty paragraphs", in_page, "<div>", "</div>", "<p> </p>"),
    nested("nesting: divs, then images in white space", in_page, "<div>", "</div>", f"{IMG}    "),
    # Counts
    Family("count: images", in_page, IMG),
    Family("count: images in one paragraph", in_page, IMG, "<p>", "</p>"),
    Family("count: figures with captions", in_page, FIGURE),
    Family("count: captions in one figure", in_page, "<figcaption>c</figcaption>", f"<figure>{IMG}", "</figure>"),
    Family("count: pictures with sources", in_page, f'<picture><source srcset="https://www.zenger.news/a.webp 800w">'
           f'{IMG}</picture>'),
    Family("count: images in one picture", in_page, IMG, '<picture><source srcset="https://e.com/a.webp 100w">',
           "</picture>"),
    Family("count: tweets", in_page, TWEET),
    Family("count: tweet wrappers (pre-widget)", in_page,
           '<figure class="wp-block-embed-twitter"><div class="wp-block-embed__wrapper">'
           "https://twitter.com/jane/status/1670334346735198208</div></figure>"),
    Family("count: links", in_page, '<a href="https://www.zenger.news/x/">link</a> ', "<p>", "</p>"),
    Family("count: ticker links", in_page, '(NASDAQ:<a class="ticker" href="https://www.benzinga.com/stock/AAPL">'
           'AAPL</a>) ', "<p>", "</p>"),
    Family("count: paragraphs", in_page, PARAGRAPH),
    Family("count: promo paragraphs", in_page, "<p>See Also: x</p>"),
    Family("count: promo headings with lists", in_page, "<h3>Read Next</h3><ul><li>x</li></ul>"),
    Family("count: photo credit lines", in_page, "<p>Photo: Shutterstock</p>"),
    Family("count: editor lines", in_page, "<p>Edited by Jane Eyre</p>"),
    Family("count: editor lines, distinct names", in_page, "<p>Edited by Jane {a}</p>"),
    Family("count: disclaimer sentences", in_page, "Zenger News does not provide investment advice. ", "<p>",
           "</p>"),
    Family("count: disclaimer sentences, distinct", in_page, "{a} does not provide investment advice. ", "<p>",
           "</p>"),
    Family("count: line breaks", in_page, "x<br>", "<p>", "</p>"),
    Family("count: chrome elements with tails", in_page, "<button>Share</button>word ", "<p>", "</p>"),
    Family("count: placeholder images with tails", in_page, '<img src="data:image/gif;base64,R0lGOD">word ', "<p>",
           "</p>"),
    Family("count: links to nowhere", in_page, '<a href="/tag/x">word</a> ', "<p>", "</p>"),
    Family("count: credit lines, one per line", in_page, "<p>Photo: Shutterstock</p>\n"),
    Family("count: promo paragraphs, one per line", in_page, "<p>See Also: x</p>\n"),
    Family("count: headings", in_page, "<h1>x</h1><h2>y</h2>"),
    Family("count: empty elements", in_page, "<span></span>", "<p>x", "</p>"),
    Family("count: empty paragraphs beside images", in_page, f"<p> </p>{IMG}<p>x<br><br>y</p>"),
    Family("count: time elements", in_dateless_page, "<time>x</time>"),
    Family("count: date-classed elements", in_dateless_page, '<span class="post-date">x</span>'),
    Family("count: dek-classed elements", in_dateless_page, '<div class="subtitle">x</div>'),
    Family("count: byline-classed elements", in_dateless_page, '<span class="author-name">Jane {a}</span>'),
    Family("count: vcards", in_dateless_page, '<div class="vcard"><span class="fn">Jane {a}</span></div>'),
    Family("count: itemprop authors", in_dateless_page, '<div itemprop="author"><span itemprop="name">Jane {a}'
           '</span></div>'),
    Family("count: rel=tag links", in_page, '<a rel="tag" href="/t/x">x{i}</a>'),
    Family("count: rel=author links", in_dateless_page, '<a rel="author" href="/a/x">Jane {a}</a>'),
    Family("count: meta tags", in_head, '<meta property="article:tag" content="x{i}">'),
    Family("count: JSON-LD images", in_dateless_head, '"https://www.zenger.news/a{i}.jpg", ',
           '<script type="application/ld+json">{"@type": "Article", "headline": "H", "image": [', '"x"]}</script>'),
    Family("count: JSON-LD images of one big node", in_dateless_head, '{"@id": "#i"}, ',
           '<script type="application/ld+json">[{"@id": "#i", "url": "https://www.zenger.news/a.jpg", '
           + ", ".join(f'"k{i}": 1' for i in range(5000)) + '}, {"@type": "Article", "headline": "H", "image": [',
           '"x"]}]</script>'),
    Family("count: JSON-LD authors", in_dateless_head, '{"name": "Jane {a}"}, ',
           '<script type="application/ld+json">{"@type": "Article", "headline": "H", "author": [', '"x"]}</script>'),
    Family("count: JSON-LD nodes", in_dateless_head, '{"@type": "Thing", "@id": "x{i}"}, ',
           '<script type="application/ld+json">[', '{"@type": "Article", "headline": "H"}]</script>'),
    Family("count: JSON-LD keywords", in_dateless_head, 'k{i}, ', '<script type="application/ld+json">'
           '{"@type": "Article", "headline": "H", "keywords": "', 'x"}</script>'),
    Family("count: fixture page, images", in_fixture("zenger-blinken.html"), IMG),
    Family("count: fixture page, figures", in_fixture("zenger-kenya-drought.html"), FIGURE),
    Family("count: fixture page, tweets", in_fixture("zenger-blinken.html"), TWEET),
    Family("count: fixture page, paragraphs", in_fixture("benzinga-article.html"), PARAGRAPH),
    Family("count: feed items", in_feed_items, "<item><title>T</title><link>https://www.zenger.news/2024/x/</link>"
           f"<content:encoded><![CDATA[{PARAGRAPH}]]></content:encoded></item>"),
    Family("count: feed story images", in_feed, IMG),
    Family("count: JSON stocks", in_json_list("stocks"), '{"name": "AAPL"}, '),
    Family("count: JSON distinct stocks", in_json_list("stocks"), '{"name": "A{i}"}, '),
    Family("count: JSON channels", in_json_list("channels"), '{"name": "Markets"}, '),
    Family("count: JSON distinct tags", in_json_list("tags"), '{"name": "Tag {i}"}, '),
    Family("count: JSON images", in_json_list("image"), '{"size": "thumb", "url": "https://cdn.benzinga.com/a.jpg"}, '),
]


def ordinary_page(size: int) -> bytes:
    """An article page of ordinary markup (paragraphs with links, figures with captions) of about ``size`` bytes."""
    unit = (f"<p>{WORDS}<a href=\"https://www.zenger.news/2024/03/12/x/\">a link</a> {WORDS}.</p>"
            f"<p>{WORDS}{WORDS}.</p>{FIGURE}")
    empty = len(zenger_page(DEFAULT_BODY).encode())
    return zenger_page(unit * ((size - empty) // len(unit.encode())) + DEFAULT_BODY).encode()


# ---------------------------------------------------------------------------------------------------------------
# Timing

@dataclass
class Timing:
    size: int  # bytes
    cpu: float | None  # seconds; None when killed
    outcome: str  # "ok", the error codes, or "killed after N s"


def _parse_cpu(data: bytes, options: dict[str, Any], conn: Any) -> None:
    log.configure("CRITICAL", json=True)  # the parser's warnings are not the report
    start = time.process_time()
    results = list(parse_items(data, input_name="fuzz", **options))
    cpu = time.process_time() - start
    codes = sorted({str(r.error.code) for r in results if r.error is not None})
    conn.send((cpu, "ok" if not codes else ",".join(codes) + (f" ({len(results)} items)" if len(results) > 1 else "")))


def timed(data: bytes, options: dict[str, Any], timeout: float) -> Timing:
    """Parse CPU time of one input, in a forked child killed after ``timeout`` seconds."""
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_parse_cpu, args=(data, options, sender), daemon=True)
    child.start()
    sender.close()
    try:
        cpu, outcome = receiver.recv() if receiver.poll(timeout) else (None, f"killed after {timeout:.0f} s")
    except EOFError:
        cpu, outcome = None, "the child died"
    if child.is_alive():
        child.kill()
    child.join()
    return Timing(len(data), cpu, outcome)


@dataclass
class Row:
    family: Family
    timings: list[Timing]

    @property
    def ratio(self) -> float:
        """CPU(8n)/CPU(n); infinite when 8n was killed."""
        small, large = self.timings[0], self.timings[1]
        if large.cpu is None or small.cpu is None:
            return float("inf")
        return large.cpu / max(small.cpu, 1e-6)


def run_family(family: Family, size: int, timeout: float) -> Row:
    """Timings at n and 8n, and at 64n when that is expected (from the growth so far) to take under BIG_STEP."""
    timings = [timed(*family.build(size), timeout)]
    timings.append(timed(*family.build(8 * size), timeout))
    small, large = timings[0].cpu, timings[1].cpu
    if small is not None and large is not None and 64 * size <= DEFAULT_MAX_BYTES \
            and large * max(8.0, large / max(small, 1e-6)) < BIG_STEP:
        timings.append(timed(*family.build(64 * size), timeout))
    return Row(family, timings)


def _ms(cpu: float | None) -> str:
    return "killed" if cpu is None else f"{cpu * 1000:,.0f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fuzz_timing", description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=100 * 1024, help="n, in bytes (default 100 KB)")
    parser.add_argument("--only", help="only the families whose name contains this")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per parse before it is killed")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    families = [f for f in FAMILIES if not args.only or args.only in f.name]
    print(f"fuzz_timing: {len(families)} families, parse_items CPU time at n = {args.size / 1024:,.0f} KB and 8n "
          f"(64n when expected under {BIG_STEP:g} s); bound: CPU(8n) <= {BOUND:g} x CPU(n)", flush=True)
    print(f"{'ratio':>7} {'ms at n':>9} {'ms at 8n':>9} {'ms at 64n':>10} {'ms/KB max':>9}  family  [outcome at 8n]")
    rows, failed = [], []
    for family in families:
        row = run_family(family, args.size, args.timeout)
        rows.append(row)
        per_kb = max(t.cpu * 1000 / (t.size / 1024) for t in row.timings if t.cpu is not None) \
            if any(t.cpu is not None for t in row.timings) else float("inf")
        big = _ms(row.timings[2].cpu) if len(row.timings) > 2 else "-"
        mark = " FLAG" if row.ratio > BOUND else ""
        print(f"{row.ratio:7.1f} {_ms(row.timings[0].cpu):>9} {_ms(row.timings[1].cpu):>9} {big:>10} {per_kb:9.2f}  "
              f"{family.name}  [{row.timings[1].outcome}]{mark}", flush=True)
        if mark:
            failed.append(f"{family.name}: ratio {row.ratio:.1f}")
    print()
    print("SLOWEST INPUTS PER KB (CPU ms per KB of input):")
    timings = sorted(((t.cpu * 1000 / (t.size / 1024) if t.cpu is not None else float("inf"), t, row.family.name)
                      for row in rows for t in row.timings), key=lambda x: -x[0])
    for per_kb, timing, name in timings[:12]:
        print(f"  {per_kb:8.2f} ms/KB  {timing.size / 1024:8,.0f} KB  {_ms(timing.cpu):>8} ms  {name}  "
              f"[{timing.outcome}]")
    big_page = ordinary_page(DEFAULT_MAX_BYTES - 64 * 1024)
    timing = timed(big_page, {}, args.timeout)
    print()
    print(f"ORDINARY PAGE: {len(big_page) / 1_000_000:.1f} MB of paragraphs, links and figures with captions parses "
          f"in {_ms(timing.cpu)} ms of CPU [{timing.outcome}], against the default parse budget of {BUDGET:g} s")
    if timing.cpu is None or timing.cpu > BUDGET:
        failed.append("the 10 MB ordinary page is over the parse budget")
    print(f"fuzz_timing: {time.perf_counter() - started:.0f} s" + (f"; OVER THE BOUND: {'; '.join(failed)}"
                                                                   if failed else "; every family within the bound"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
