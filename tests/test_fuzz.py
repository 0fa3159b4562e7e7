"""Generated inputs on ``parse_items`` (hypothesis): obfuscated XSS markup in every position, whole RSS feeds, Benzinga
JSON, byte-level mutations of the real fixtures, and re-encoded pages with right or wrong charset declarations.

tests/test_properties.py already feeds random bytes, random markup in a page and random JSON, and checks "a valid
document or a coded error". Here inputs are built to be *nearly* valid, so they reach the deep stages (extraction,
media, credits, sanitizing, mapping), and every outcome is held to more:

* no executable content in any document (tests/hostile/safety.py);
* no parser bug hidden by the unexpected-error fallback (an ``unexpected_parse_error`` log event fails the test);
* ``parse_items`` never raises, and a feed or API array gives exactly one result per item;
* output size stays linear in input size.

CI runs a short, derandomized pass (``FUZZ_EXAMPLES``, default 60 examples per test). ``make fuzz`` runs a long,
randomized one (``FUZZ_EXAMPLES=20000``); a failure prints the ``@reproduce_failure`` blob and the input, which
then becomes a regression test in tests/test_hostile.py.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from structlog.testing import capture_logs

from ingest_plugin import parse_items
from ingest_plugin.errors import ErrorCode
from ingest_plugin.parsing.validate import problems
from tests.hostile import all_vectors, corpus
from tests.hostile.contexts import LEAD, LEAD_TEXT, MARKUP_CONTEXTS, TAIL, URL_CONTEXTS, benzinga_story, xml_safe
from tests.hostile.safety import document_problems
from tests.pagebuilder import zenger_page

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "60"))
LONG = EXAMPLES > 1000
FIXTURES = Path(__file__).parent / "fixtures"
SEEDS = sorted(p for folder in ("pages", "feeds", "api") for p in (FIXTURES / folder).iterdir()) + corpus()

fuzz = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not LONG,  # CI: the same examples on every run; `make fuzz`: new ones each time
    database=None if not LONG else settings.default.database,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    print_blob=True,
)


def check(data: bytes, *, items: int | None = None, **options) -> list:
    """Parse ``data`` and hold every outcome to the promises above; return the results."""
    with capture_logs() as events:
        results = list(parse_items(data, input_name="fuzz", **options))
    assert results
    for result in results:
        if result.error is not None:
            assert result.error.code in set(ErrorCode) and result.error.input.startswith("fuzz")
        else:
            assert problems(result.document) == []
            assert document_problems(result.document) == [], result.input_name
    assert [e for e in events if e["event"] == "unexpected_parse_error"] == []
    if items is not None:
        assert len(results) == max(items, 1)
    assert sum(len(json.dumps(r.document)) for r in results if r.ok) <= 8 * len(data) + 64_000
    return results


# --- obfuscation: how filter-evasion rewrites a string ----------------------------------------------------------

IGNORABLE = ["\t", "\n", "\r", " ", "\x00", "\x0b", "\x0c", "\u200b", "\u00ad", "\ufeff", "&#9;", "&#x0A;", "&Tab;",
             "&NewLine;", "&#0;"]


@st.composite
def obfuscated(draw, text: str) -> str:
    """``text`` with mixed case, character references and ignorable characters a browser skips."""
    out = []
    for char in text:
        how = draw(st.integers(0, 9))
        if how == 0:
            out.append(f"&#{ord(char)}{draw(st.sampled_from([';', '']))}")
        elif how == 1:
            out.append(f"&#x{ord(char):0{draw(st.integers(1, 7))}x}{draw(st.sampled_from([';', '']))}")
        elif how == 2:
            out.append(char.swapcase())
        else:
            out.append(char)
        if draw(st.integers(0, 12)) == 0:
            out.append(draw(st.sampled_from(IGNORABLE)))
    return "".join(out)


SCHEMES = ["javascript:", "vbscript:", "livescript:", "data:text/html,", "data:image/svg+xml;base64,",
           "https:", "http:", "mailto:", "ftp:", "file:", "jar:", ""]
PAYLOADS = ["alert(1)", "//evil.example/x.js", "<script>alert(1)</script>", "PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+",
            "%0aalert(1)", "wpcdn.zenger.news/a.jpg", "//wpcdn.zenger.news/a.jpg"]
urls = st.builds(lambda s, p: s + p, st.sampled_from(SCHEMES), st.sampled_from(PAYLOADS)).flatmap(obfuscated)
css = st.sampled_from(["x:expression(alert(1))", "background:url(javascript:alert(1))", "behavior:url(x.htc)",
                       "-moz-binding:url(https://evil.example/x.xml#x)", "color:red", "\\65 xpression(alert(1))",
                       "@import 'https://evil.example/x.css'"]).flatmap(obfuscated)
ATTRIBUTE_NAMES = ["href", "src", "srcset", "data-lazy-src", "data-src", "style", "onclick", "onerror", "onload",
                   "onmouseover", "srcdoc", "formaction", "action", "xlink:href", "background", "data", "cite",
                   "poster", "title", "class", "alt", "id", "name", "lang", "data-association", "target", "rel"]
TAGS = ["p", "a", "img", "figure", "figcaption", "blockquote", "div", "span", "em", "b", "table", "td", "ul", "li",
        "h2", "script", "style", "svg", "math", "mtext", "mglyph", "annotation-xml", "foreignObject", "iframe",
        "object", "embed", "form", "button", "input", "textarea", "title", "noscript", "template", "xmp",
        "noembed", "base", "meta", "link", "video", "source", "details", "select", "option", "frame", "frameset"]
JUNK = ["<!--", "-->", "<![CDATA[", "]]>", "</", "<", ">", "\"", "'", "`", "&", "&lt;script&gt;", "\x00", "</p>",
        "<?", "<!DOCTYPE x>", "\ufffd", "&#x0;", "&#xD800;", "\u2028"]


@st.composite
def attributes(draw) -> str:
    parts = []
    for _ in range(draw(st.integers(0, 4))):
        name = draw(st.sampled_from(ATTRIBUTE_NAMES))
        value = draw(css if name == "style" else urls if name in ("href", "src", "srcset", "data-lazy-src",
                     "data-src", "action", "formaction", "xlink:href", "background", "data", "cite", "poster")
                     else st.one_of(urls, st.sampled_from(all_vectors()), st.text(max_size=12)))
        quote = draw(st.sampled_from(['"', "'", "`", ""]))
        separator = draw(st.sampled_from([" ", "/", "\n", "\t", " \x0c"]))
        value = value.replace(quote, "") if quote else value.replace(" ", "").replace(">", "")
        parts.append(f"{separator}{draw(obfuscated(name)) if draw(st.booleans()) else name}={quote}{value}{quote}")
    return "".join(parts)


markup = st.recursive(
    st.one_of(st.text(max_size=20), st.sampled_from(all_vectors()), st.sampled_from(JUNK)),
    lambda inner: st.builds(
        lambda tag, attrs, body, close: f"<{tag}{attrs}>{body}" + (f"</{tag}>" if close else ""),
        st.sampled_from(TAGS), attributes(), st.lists(inner, max_size=4).map("".join), st.booleans()),
    max_leaves=12)


@fuzz
@given(st.sampled_from(sorted(MARKUP_CONTEXTS)), markup)
@example("page-body", "<svg><a xlink:href=javascript:alert(1)><text>x</text></a></svg>")
def test_generated_markup_in_every_position(position: str, fragment: str) -> None:
    check(MARKUP_CONTEXTS[position](fragment))


@fuzz
@given(st.sampled_from(sorted(URL_CONTEXTS)), urls)
def test_generated_urls_in_every_position(position: str, url: str) -> None:
    check(URL_CONTEXTS[position](url))


# --- whole feeds --------------------------------------------------------------------------------------------------

xml_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\ufffe\uffff",
                                          max_codepoint=0x2FFFF).filter(lambda c: c >= " " or c in "\t\n\r"),
                   max_size=40)
DATES = ["Wed, 05 Jun 2024 06:40:00 +0000", "2024-06-05T06:40:00Z", "Wed, 31 Feb 2024 25:61:00 +9999", "yesterday",
         "", "Tue, 04 Jun 99999 08:55:00 +0000", "0000-00-00", "1717570800"]


def _cdata(text: str) -> str:
    return "<![CDATA[" + xml_safe(text).replace("]]>", "]]]]><![CDATA[>") + "]]>"


@st.composite
def feed_item(draw, number: int) -> str:
    parts = []
    if draw(st.booleans()) or number % 3 == 0:
        parts.append(f"<title>{escape(xml_safe(draw(st.one_of(xml_text, st.sampled_from(all_vectors())))))}</title>")
    if draw(st.integers(0, 4)):
        parts.append(f"<link>https://www.zenger.news/2024/06/05/{escape(draw(xml_text))}-{number}/</link>")
    if draw(st.integers(0, 3)):
        parts.append(f'<guid isPermaLink="false">https://www.zenger.news/?p={draw(st.integers(-5, 10**12))}</guid>')
    creators = st.one_of(xml_text, st.sampled_from(["Jane Doe", "Zenger News", "By A and B", "<b>X</b>"]))
    for _ in range(draw(st.integers(0, 2))):
        parts.append(f"<dc:creator>{_cdata(draw(creators))}</dc:creator>")
    for _ in range(draw(st.integers(0, 2))):
        parts.append(f"<category>{_cdata(draw(xml_text))}</category>")
    parts.append(f"<pubDate>{escape(draw(st.sampled_from(DATES)))}</pubDate>")
    if draw(st.booleans()):
        parts.append(f"<media:content url={quoteattr(xml_safe(draw(urls)))} medium='image'/>")
    body = LEAD * draw(st.integers(0, 1)) + draw(markup) + TAIL * draw(st.integers(0, 1))
    if draw(st.booleans()):
        parts.append(f"<content:encoded>{_cdata(body)}</content:encoded>")
    else:
        parts.append(f"<description>{escape(xml_safe(body))}</description>")
    return "<item>" + "".join(draw(st.permutations(parts))) + "</item>"


@st.composite
def feeds(draw) -> tuple[bytes, int]:
    count = draw(st.integers(0, 6))
    items = [draw(feed_item(n)) for n in range(count)]
    channel_link = draw(st.sampled_from(["https://www.zenger.news", "https://www.benzinga.com/markets", "",
                                         "https://evil.example/"]))
    generator = draw(st.sampled_from(["https://wordpress.org/?v=6.5.2", ""]))
    doctype = draw(st.sampled_from(["", '<!DOCTYPE rss [<!ENTITY e "&lt;script&gt;alert(1)&lt;/script&gt;">]>',
                                    '<!DOCTYPE rss SYSTEM "http://127.0.0.1:9/x.dtd">']))
    feed = (f'<?xml version="1.0" encoding="UTF-8"?>{doctype}<rss version="2.0" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/" '
            f'xmlns:media="http://search.yahoo.com/mrss/"><channel><title>Feed</title><link>{channel_link}</link>'
            f"<generator>{generator}</generator>{''.join(items)}</channel></rss>")
    return feed.encode("utf-8"), count


@fuzz
@given(feeds())
def test_generated_feeds_give_one_result_per_item(feed: tuple[bytes, int]) -> None:
    data, count = feed
    check(data, items=count)


# --- Benzinga JSON ------------------------------------------------------------------------------------------------

json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(allow_nan=True),
                         st.text(max_size=20), st.sampled_from(all_vectors()))


@st.composite
def stories(draw) -> object:
    if draw(st.integers(0, 9)) == 0:
        return draw(json_scalars)  # not a story at all
    fields = {
        "id": st.one_of(st.integers(0, 10**12), st.text(max_size=12), json_scalars),
        "title": st.one_of(st.just("Ford Shares Sink As Warranty Costs Rise"), json_scalars, markup),
        "body": st.one_of(markup.map(lambda m: LEAD + m + TAIL), markup, json_scalars),
        "teaser": st.one_of(markup, json_scalars),
        "author": st.one_of(st.just("Jordan Whitcombe"), json_scalars),
        "authors": st.lists(st.one_of(json_scalars, st.fixed_dictionaries({"name": json_scalars})), max_size=3),
        "created": st.one_of(st.sampled_from(DATES), json_scalars),
        "updated": st.one_of(st.sampled_from(DATES), json_scalars),
        "url": st.one_of(urls, st.just("https://www.benzinga.com/news/24/07/40129871/x"), json_scalars),
        "image": st.lists(st.fixed_dictionaries({"size": st.sampled_from(["large", "thumb", "x"]), "url": urls}),
                          max_size=2),
        "stocks": st.lists(st.one_of(json_scalars, st.fixed_dictionaries(
            {"name": json_scalars, "symbol": json_scalars, "exchange": json_scalars})), max_size=3),
        "channels": st.lists(st.one_of(json_scalars, st.fixed_dictionaries({"name": json_scalars})), max_size=3),
        "tags": st.lists(json_scalars, max_size=3),
    }
    keys = draw(st.sets(st.sampled_from(sorted(fields)), max_size=len(fields)))
    story = benzinga_story(draw(st.integers(1, 10**9)), LEAD + TAIL) if draw(st.booleans()) else {}
    story.update({key: draw(fields[key]) for key in keys})
    if draw(st.integers(0, 5)) == 0:
        story = {"api_version": "webhook/v1", "kind": "News/v1",
                 "data": {"action": draw(st.sampled_from(["Created", "Updated", "Removed", "?"])), "content": story}}
    return story


@fuzz
@given(st.lists(stories(), max_size=6), st.booleans())
def test_generated_benzinga_json_gives_one_result_per_story(values: list, as_array: bool) -> None:
    payload = values if as_array or len(values) != 1 else values[0]
    data = json.dumps(payload, allow_nan=True).encode("utf-8")
    check(data, items=len(values) if isinstance(payload, list) else 1)


# --- mutations of real inputs -------------------------------------------------------------------------------------

TOKENS = [b"<script>", b"</script>", b"]]>", b"<![CDATA[", b"&#x0;", b"<!ENTITY x SYSTEM 'file:///etc/passwd'>",
          b"&x;", b"\xff", b"\xc0\xbc", b"\xe2\x80", b'"', b"'", b"</p>", b"<p>", b"{", b"}", b"[", b'"id":',
          b"\x00", b"<svg onload=alert(1)>", b"javascript:", b"&lt;script&gt;", b"<!--", b"-->", b"\xef\xbb\xbf",
          b"<meta charset=utf-16>", b"<?xml version='1.0' encoding='UTF-16'?>", b"<item>", b"</item>"]


@st.composite
def mutated(draw) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)).read_bytes())
    for _ in range(draw(st.integers(1, 8))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        how = draw(st.integers(0, 5))
        if how == 0:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif how == 1:
            del data[at:at + draw(st.integers(1, 400))]
        elif how == 2:
            data[at:at] = draw(st.sampled_from(TOKENS))
        elif how == 3:
            end = min(len(data), at + draw(st.integers(1, 400)))
            data[at:at] = data[at:end] * draw(st.integers(1, 20))
        elif how == 4:
            del data[at:]
        else:
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
    return bytes(data)


@fuzz
@given(mutated())
def test_mutated_real_inputs(data: bytes) -> None:
    check(data)


# --- encodings ----------------------------------------------------------------------------------------------------

CODECS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "cp1252", "latin-1", "iso-8859-15",
          "shift_jis", "euc-jp", "gb18030", "koi8-r", "mac-roman", "cp1250", "utf-7"]
QUOTE = "“We’re not against the bill,” said Hélène Gagné — the café owner."


@fuzz
@given(st.sampled_from(CODECS), st.sampled_from(CODECS + ["x-bogus", ""]), st.sampled_from(["meta", "header", "none"]))
def test_pages_in_any_encoding_with_any_declaration(actual: str, declared: str, where: str) -> None:
    page = zenger_page(LEAD + f"<p>{QUOTE}</p>" + TAIL)
    if where == "meta":
        page = page.replace('<meta charset="utf-8">', f'<meta charset="{declared}">')
    else:
        page = page.replace('<meta charset="utf-8">', "")
    data = page.encode(actual, "xmlcharrefreplace")
    results = check(data, content_type=f"text/html; charset={declared}" if where == "header" else None)
    honest = where == "none" or declared == actual
    if actual in ("utf-8", "utf-8-sig", "utf-16", "utf-32") and honest:
        [result] = results  # unambiguous bytes, honest or no declaration: read exactly
        assert result.ok and QUOTE in result.document["bodies"][0]["value"]
        assert LEAD_TEXT in result.document["bodies"][0]["value"]
