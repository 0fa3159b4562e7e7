"""Hostile inputs too large or too regular to keep as files: built on demand, deterministically, with their sizes
stated, so "memory and time stay bounded" is a statement about known sizes and checked outputs."""
from __future__ import annotations

import json

from tests.hostile.contexts import LEAD, TAIL, benzinga_story, wordpress_feed
from tests.pagebuilder import zenger_page


def big_feed(items: int = 10_000, vectors: list[str] | None = None, first_id: int = 1_000_000) -> bytes:
    """A WordPress feed with ``items`` distinct articles; item ``n`` carries ``vectors[n % len(vectors)]``."""
    vectors = vectors or [""]
    return wordpress_feed([(first_id + n, f"Budget Story Number {n}",
                            f"<p>WASHINGTON — Story {n}: lawmakers met on Tuesday to debate a spending bill.</p>"
                            f"{vectors[n % len(vectors)]}<p>The measure now heads to the Senate for a vote.</p>")
                           for n in range(items)])


def big_api_array(stories: int = 1_000, vectors: list[str] | None = None) -> bytes:
    vectors = vectors or [""]
    return json.dumps([benzinga_story(41_000_000 + n, LEAD + vectors[n % len(vectors)] + TAIL)
                       for n in range(stories)]).encode("utf-8")


def oversized(limit: int) -> bytes:
    """One byte over ``limit``: a real page padded with a comment."""
    page = zenger_page().encode("utf-8")
    return page.replace(b"</body>", b"<!--" + b"x" * (limit + 1 - len(page) - 7) + b"--></body>")


def huge_paragraph(size: int) -> bytes:
    """A legitimate article whose middle paragraph makes the page about ``size`` bytes."""
    words = "word " * max(0, (size - 3000) // 5)
    return zenger_page(LEAD + f"<p>{words}</p>" + TAIL).encode("utf-8")


def many_elements(count: int, tag: str = "p") -> bytes:
    return zenger_page(LEAD + f"<{tag}>x</{tag}>" * count + TAIL).encode("utf-8")


def wide_element(attributes: int) -> bytes:
    return zenger_page(LEAD + "<p " + " ".join(f"a{n}=1" for n in range(attributes)) + ">wide</p>" + TAIL
                       ).encode("utf-8")


def deep_html(depth: int, tag: str = "div") -> bytes:
    return zenger_page(LEAD + f"<{tag}>" * depth + "<p>Deep text.</p>" + f"</{tag}>" * depth + TAIL).encode("utf-8")


def deep_json(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def deep_json_story(depth: int) -> bytes:
    """A real story with one deeply nested field."""
    story = json.dumps([benzinga_story(41_500_000, LEAD + TAIL, extra="DEEP")])
    return story.replace('"DEEP"', "[" * depth + "]" * depth).encode("utf-8")


def deep_xml(depth: int) -> bytes:
    item = wordpress_feed([(910_001, "Deep Feed", LEAD + TAIL)]).decode()
    return item.replace("<channel>", "<channel>" + "<x>" * depth + "</x>" * depth).encode("utf-8")


def entity_expansion_feed(levels: int = 12, fanout: int = 10) -> bytes:
    """Billion laughs: ``fanout ** levels`` copies of "lol" if a parser expanded it."""
    entities = '<!ENTITY l0 "lol">' + "".join(
        f'<!ENTITY l{n} "{("&l" + str(n - 1) + ";") * fanout}">' for n in range(1, levels + 1))
    feed = wordpress_feed([(910_002, "Laughs", LEAD + TAIL)]).decode()
    feed = feed.replace("<rss ", f"<!DOCTYPE rss [{entities}]>\n<rss ", 1)
    return feed.replace("<title>Laughs</title>", f"<title>&l{levels};</title>").encode("utf-8")


def quadratic_blowup_feed(entity_bytes: int = 50_000, references: int = 2_000) -> bytes:
    """One large entity referenced many times: ``entity_bytes * references`` bytes if expanded (100 MB here)."""
    feed = wordpress_feed([(910_003, "Blowup", LEAD + TAIL)]).decode()
    feed = feed.replace("<rss ", f'<!DOCTYPE rss [<!ENTITY a "{"a" * entity_bytes}">]>\n<rss ', 1)
    return feed.replace("<title>Blowup</title>", "<title>" + "&a;" * references + "</title>").encode("utf-8")


def many_character_references(count: int) -> bytes:
    return zenger_page(LEAD + "<p>" + "&amp;" * count + "</p>" + TAIL).encode("utf-8")
