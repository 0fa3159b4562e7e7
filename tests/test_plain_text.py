"""Plain-text fields (issue #16, items 7 and 11).

* One normalisation for every plain-text leaf of a document (everything but the body and embed HTML and the URLs):
  no control or format character (Unicode Cc, Cf) but the joiners ZWNJ and ZWJ, single spaces between words.
  Checked on every document the fixtures and samples give, and with bidi controls, marks, BOM, soft hyphens and
  C0/C1 controls injected into each plain-text position of a page, a feed item and a Benzinga API story.
* Text that merely looks like a tag in a parsed document ("&lt;Title&gt;" in the source) stays text; a raw field
  (a JSON or RSS title) that carries real markup still loses its tags.
"""
from __future__ import annotations

import json
import sys
import unicodedata
from collections.abc import Callable, Iterator
from itertools import cycle
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest

from ingest_plugin import parse_items
from ingest_plugin.parsing.text import _INVISIBLE, _INVISIBLE_ASTRAL, clean
from tests.hostile.contexts import LEAD, LEAD_TEXT, TAIL, benzinga_story, wordpress_feed, xml_safe
from tests.pagebuilder import zenger_page

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
INPUTS = sorted(path for root in (REPO / "tests" / "fixtures", REPO / "samples", SHARED / "samples" / "benzinga-api-v2",
                                  SHARED / "seeds") if root.exists() for path in root.rglob("*") if path.is_file())
JOINERS = "\u200c\u200d"
URL_KEYS = frozenset({"uri", "href", "schema"})
# What an attacker hides in text: bidi overrides, isolates and marks, Arabic letter mark, BOM, soft hyphen, zero-width
# space, word joiner, C0 and C1 controls, a tag character, and some of them as character references.
INVISIBLE = ["\u202e", "\u2066", "\u2067", "\u2068", "\u2069", "\u200e", "\u200f", "\u061c", "\ufeff", "\u00ad",
             "\u200b", "\u2060", "\x01", "\x08", "\x1b", "\x7f", "\x80", "\x9b", "\x9f", "\U000e0041", "&#x202E;",
             "&#8294;", "&shy;", "&rlm;", "&#xFEFF;", "&#1;", "&#x1B;", "&#127;"]
JOINED = "می‌خواهم क्‍ष 👨‍👩‍👧"  # ZWNJ in Persian, ZWJ after a Devanagari virama, a ZWJ emoji sequence


def plain_text_leaves(value: Any, path: str = "$") -> Iterator[tuple[str, str]]:
    """``(path, text)`` of every plain-text string in a document: not the HTML bodies and embeds, not the URLs."""
    if isinstance(value, dict):
        not_text = value.get("contentType") == "text/html" or value.get("role") == "canonical-url"
        for key, child in value.items():
            if key not in URL_KEYS and not (key == "value" and not_text):
                yield from plain_text_leaves(child, f"{path}.{key}")
    elif isinstance(value, list):
        for number, child in enumerate(value):
            yield from plain_text_leaves(child, f"{path}[{number}]")
    elif isinstance(value, str):
        yield path, value


def normalisation_problems(text: str) -> list[str]:
    invisible = sorted({f"U+{ord(c):04X}" for c in text
                        if unicodedata.category(c) in ("Cc", "Cf") and c not in JOINERS})
    return ([f"invisible characters {invisible}"] if invisible else []) + (
        ["white space not collapsed"] if text != " ".join(text.split()) else []) + (
        ["a word of joiners only"] if any(not word.strip(JOINERS) for word in text.split()) else [])


def documents(data: bytes) -> list[dict]:
    results = list(parse_items(data, input_name="plain-text"))
    assert [r.error.to_dict() for r in results if r.error] == []
    return [r.document for r in results if r.document is not None]


def _kind(path: str) -> str:
    """``$.associations[0].descriptions[1].value`` -> ``$.associations.descriptions.value``."""
    return "".join(part.split("]", 1)[-1] for part in path.split("["))


# --- every document the fixtures and samples give ---------------------------------------------------------------

@pytest.mark.parametrize("path", INPUTS, ids=lambda p: str(p.relative_to(REPO.parent)))
def test_every_plain_text_leaf_of_every_fixture_document_is_normalised(path: Path) -> None:
    found = {f"{r.input_name} {where}: {text[:80]!r}": problems
             for r in parse_items(path.read_bytes(), input_name=path.name) if r.ok
             for where, text in plain_text_leaves(r.document) if (problems := normalisation_problems(text))}
    assert found == {}


def test_the_fixture_documents_hold_every_kind_of_plain_text_field() -> None:
    """Guards the test above: its walk reaches every plain-text field the issue names."""
    kinds = {_kind(where) for path in INPUTS for r in parse_items(path.read_bytes()) if r.ok
             for where, _ in plain_text_leaves(r.document)}
    assert {"$.headlines.value", "$.by", "$.infoSources.name", "$.descriptions.value", "$.located", "$.subjects.name",
            "$.organisations.name", "$.organisations.symbols.symbol", "$.organisations.symbols.exchange",
            "$.associations.by", "$.associations.copyrightNotice", "$.associations.descriptions.value",
            "$.copyrightHolder"} <= kinds


# --- the normalisation itself -----------------------------------------------------------------------------------

def test_clean_removes_every_control_and_format_character_but_the_joiners() -> None:
    """Against the running Python's Unicode database; the character class may hold code points that are format
    characters in a later Unicode only (unassigned here)."""
    every = "".join(map(chr, range(sys.maxunicode + 1)))
    wanted = {ord(c) for c in every if unicodedata.category(c) in ("Cc", "Cf")} - {0x200C, 0x200D}
    matched = set(map(ord, _INVISIBLE.findall(every) + _INVISIBLE_ASTRAL.findall(every)))
    assert sorted(map(hex, wanted - matched)) == []
    assert {unicodedata.category(chr(c)) for c in matched - wanted} <= {"Cn"}
    for c in map(chr, wanted):
        assert clean(f"Ford{c}Motor") == ("Ford Motor" if c.isspace() else "FordMotor")


@pytest.mark.parametrize("text, expected", [
    ("Ford\u202e Motor\u2066 \u2069Co", "Ford Motor Co"),
    ("Bundes\u00adtag", "Bundestag"),  # a soft hyphen only says where the word may break: removed, not a hyphen
    ("ภาษา\u200bไทย", "ภาษาไทย"),  # a zero-width space separates Thai words that show no space: removed, no space
    ("Ford\x85Motor\x1cCo\u2028Inc", "Ford Motor Co Inc"),  # controls Unicode counts as white space separate words
    (f" {JOINED} ", JOINED),
    ("Ford \u200d Motor \u200c\u200d", "Ford Motor"),  # joiners that join nothing go
    ("\u202e\u200d", ""),
])
def test_clean_normalises_invisible_characters(text: str, expected: str) -> None:
    assert clean(text) == expected
    assert clean(text, markup=False) == expected


# --- invisible characters injected into every plain-text position ----------------------------------------------

FIELDS = {
    "headline": "Congress Passes Spending Bill", "dek": "The House approved the measure after weeks of talks",
    "summary": "Lawmakers approved a spending bill that funds the government through September.",
    "author": "Jane Doe", "keyword": "Federal Budget", "city": "WASHINGTON", "caption": "Senators meet in Washington.",
    "credit": "Ann Photographer", "alt": "Senators in the chamber", "ticker": "AAPL", "symbol": "F",
    "exchange": "NYSE", "disclaimer": "Zenger News does not provide investment advice.",
    "distributor": "Produced in association with Benzinga", "editors": "Edited by Jane Eyre and John Checker",
}


def _body(f: dict[str, str], image: str = "https://wpcdn.zenger.news/2024/03/senate.jpg") -> str:
    """``image``: on the partner's own media host."""
    return (f"<p>{f['city']} — {LEAD_TEXT} that would fund the government, aides said after weeks of talks.</p>"
            f"<figure class='wp-block-image'><img src='{image}' width='800' height='600' alt='{f['alt']}'>"
            f"<figcaption>{f['caption']} <cite>{f['credit']}</cite></figcaption></figure>"
            "<p>Shares of Apple (NASDAQ:<a class='ticker' href='https://www.benzinga.com/quote/AAPL#NASDAQ'>"
            f"{f['ticker']}</a>) rose.</p>{TAIL}<p>{f['disclaimer']}</p><p>{f['distributor']}</p>"
            f"<p>{f['editors']}</p>")


def page(f: dict[str, str]) -> bytes:
    head = (f"<meta property='og:description' content='{f['summary']}'>"
            f"<meta property='article:tag' content='{f['keyword']}'>")
    body = f"<p class='entry-subtitle'>{f['dek']}</p>{_body(f)}"
    return zenger_page(body, headline=f["headline"], author=f["author"], head_extra=head).encode("utf-8")


def rss_item(f: dict[str, str]) -> bytes:
    f = {key: xml_safe(value) for key, value in f.items()}  # XML 1.0 carries no C0 control: a feed with one is refused
    extra = f"<category>{escape(f['keyword'])}</category><description>{escape(f['summary'])}</description>"
    feed = wordpress_feed([(930001, f["headline"], _body(f))], extra=lambda n: extra)
    return feed.replace(b"<![CDATA[Jane Doe]]>", f"<![CDATA[{f['author']}]]>".encode())


def benzinga_api(f: dict[str, str]) -> bytes:
    story = benzinga_story(40400001, _body(f, "https://cdn.benzinga.com/files/images/story/2024/senate.jpg"),
                           title=f["headline"], teaser=f["summary"], author=f["author"],
                           tags=[{"name": f["keyword"]}], stocks=[{"symbol": f["symbol"], "exchange": f["exchange"]}])
    return json.dumps([story]).encode()


BUILDERS: dict[str, Callable[[dict[str, str]], bytes]] = {"page": page, "rss-item": rss_item,
                                                           "benzinga-api": benzinga_api}
# What each input must yield from FIELDS (so that the injection test is not vacuous).
YIELDS = {"$.headlines.value", "$.by", "$.infoSources.name", "$.descriptions.value", "$.located", "$.subjects.name",
          "$.organisations.symbols.symbol", "$.organisations.symbols.exchange", "$.associations.by",
          "$.associations.descriptions.value"}


def spoil(text: str) -> str:
    """``text`` with an invisible character before, inside and after each word (each kind in turn)."""
    chars = cycle(INVISIBLE)
    return " ".join(next(chars) + word[:len(word) // 2] + next(chars) + word[len(word) // 2:] + next(chars)
                    for word in text.split(" "))


@pytest.mark.parametrize("build", BUILDERS.values(), ids=BUILDERS.keys())
def test_invisible_characters_never_reach_a_plain_text_field(build: Callable[[dict[str, str]], bytes]) -> None:
    [plain] = documents(build(FIELDS))
    [spoiled] = documents(build({key: spoil(value) for key, value in FIELDS.items()}))
    expected = dict(plain_text_leaves(plain))
    assert YIELDS <= {_kind(where) for where in expected}
    assert dict(plain_text_leaves(spoiled)) == expected
    assert [where for where, text in expected.items() if normalisation_problems(text)] == []


@pytest.mark.parametrize("build", BUILDERS.values(), ids=BUILDERS.keys())
def test_joiners_stay_where_they_join(build: Callable[[dict[str, str]], bytes]) -> None:
    """ZWNJ and ZWJ inside words (Persian, Devanagari, emoji sequences) are kept; a word of joiners only goes."""
    joined = {key: f"{FIELDS[key]} {JOINED} \u200d" for key in ("headline", "summary", "caption", "alt")}
    [doc] = documents(build({**FIELDS, **joined, "keyword": f"{JOINED} \u200c"}))
    texts = dict(plain_text_leaves(doc))
    assert texts["$.headlines[0].value"] == f"{FIELDS['headline']} {JOINED}"
    assert [s["name"] for s in doc["subjects"]][:1] == [JOINED]
    found = [where for where, text in texts.items() if text == JOINED or text.endswith(f" {JOINED}")]
    assert len(found) == 5, found  # headline, summary, subject, caption, alt
    assert not any(normalisation_problems(text) for text in texts.values())


# --- escaped text stays text ------------------------------------------------------------------------------------

@pytest.mark.parametrize("paragraph, kept, words", [
    ("<p>&lt;Title&gt;</p>", "<p>&lt;Title&gt;</p>", 1),
    ("<p>Use the &lt;b&gt; tag</p>", "<p>Use the &lt;b&gt; tag</p>", 4),
    ("<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>", 4),
    ("<p>&lt;Title&gt;<br>Edited by Ann Checker</p>", "<p>&lt;Title&gt;</p>", 1),  # the credit line goes, not the text
])
def test_escaped_text_in_a_body_paragraph_stays_text(paragraph: str, kept: str, words: int) -> None:
    """Regression (issue #16, item 11): a paragraph whose whole text looked like a tag was read as markup, found
    empty and dropped. It is counted as words, too."""
    [without] = documents(zenger_page(LEAD + TAIL).encode())
    [doc] = documents(zenger_page(LEAD + paragraph + TAIL).encode())
    body = doc["bodies"][0]
    assert body["value"] == without["bodies"][0]["value"].replace("</p><p>", f"</p>{kept}<p>", 1)
    assert body["wordCount"] == without["bodies"][0]["wordCount"] + words


@pytest.mark.parametrize("build", [
    lambda title: json.dumps([benzinga_story(40400002, LEAD + TAIL, title=title)]).encode(),
    lambda title: wordpress_feed([(930002, title, LEAD + TAIL)]),
], ids=["benzinga-api", "rss-item"])
def test_a_raw_title_that_carries_markup_still_loses_its_tags(build: Callable[[str], bytes]) -> None:
    [doc] = documents(build("<b>Big</b> news"))
    assert doc["headlines"][0]["value"] == "Big news"


def test_a_text_made_of_invisible_characters_costs_linear_time() -> None:
    """Like tests/test_linear_time.py: no timing asserted, pytest's run time is the guard (each class is one
    character, no quantifier)."""
    assert clean("\u202e\u200d \U000e0041\u200c " * 100_000 + "Ford") == "Ford"
    assert clean(("Fo\u00adrd\u200d " * 100_000).strip()) == " ".join(["Ford\u200d"] * 100_000)
