"""The dateline at the start of a story: wire style ("NAIROBI, Kenya —", "ISTANBUL —", "SÃO PAULO, Brazil —",
"Nairobi, Kenya —": in title case with its region, or one word before a new sentence) and press-release style
("Bentonville, AR, May 10, 2026 (GLOBE NEWSWIRE) --"). The text stays in the body; the place goes to ``located``."""
from __future__ import annotations

import re

from lxml.etree import _Element as Element

from ingest_plugin.parsing.extract.body import text_blocks, text_of
from ingest_plugin.parsing.names import name_case
from ingest_plugin.parsing.text import clean

_DASH = r"(?:—|–|--|-)"
_LETTER = r"[^\W\d_]"
# Capitals, any script's ("SÃO PAULO"): each piece of the place is bounded, so a match costs a constant.
_WIRE = re.compile(
    rf"^(?P<city>{_LETTER}(?:{_LETTER}|[.'’\- ]){{1,40}}?)(?:,\s*(?P<region>{_LETTER}(?:\w|[.'’\- ]){{1,30}}?))?"
    rf"\s*(?:\([^)]{{1,40}}\)\s*)?{_DASH}\s")
# Title case ("Nairobi, Kenya —", "Portland, Ore. —"): a place of one to three capitalised words and its region,
# before a long dash; or one word alone when the sentence after the dash starts with a capital ("Istanbul — The").
# A name opening a sentence ("Elon Musk — the billionaire…") is neither.
_TITLE_WORD = r"[^\W\d_a-z][^\W\d_]{1,20}"
_TITLE = re.compile(rf"^(?P<city>{_TITLE_WORD}(?: {_TITLE_WORD}){{0,2}}),\s*(?P<region>{_TITLE_WORD}"
                    rf"(?: {_TITLE_WORD}){{0,2}}|[A-Z]{{2}}|[A-Z][a-z]{{1,4}}\.)\s*(?:—|–|--)\s"
                    rf"|^(?P<alone>{_TITLE_WORD})\s*(?:—|–|--)\s+(?=[A-ZÀ-ÖØ-Þ“\"‘])")
_RELEASE = re.compile(
    rf"^(?P<place>[A-Z][\w.'’\- ]{{1,40}}?(?:,\s*[A-Z][\w.'’\- ]{{1,30}}?)?),\s*(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|"
    rf"Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s+\d{{1,2}},?\s+\d{{4}}\s*(?:/[^/]{{1,40}}/\s*)?(?:\([^)]{{1,60}}\)\s*)?"
    rf"{_DASH}")
_LOOKED_AT = 2  # text blocks, links-only ones (a category list the body kept) aside


def find_dateline(body: Element | None) -> str | None:
    if body is None:
        return None
    looked_at = 0
    for block in text_blocks(body):
        if looked_at >= _LOOKED_AT:
            break
        text = clean(text_of(block))
        if not text or only_links(block, text):
            continue
        looked_at += 1
        if found := _dateline(text):
            return found[0]
    return None


def without_dateline(text: str) -> str:
    """A story's opening without its dateline: "NAIROBI, Kenya — Herders…" reads "Herders…", and a dateline alone
    (its paragraph's whole text, cleaned of the space after the dash) reads ""."""
    found = _dateline(text + " ")
    return text[found[1]:].lstrip() if found else text


def _dateline(text: str) -> tuple[str, int] | None:
    """The place a block's opening dateline names, and where the dateline ends."""
    if match := _RELEASE.match(text):
        return _place(match.group("place")), match.end()
    if (match := _WIRE.match(text)) and match.group("city").replace(" ", "").replace(".", "").isupper():
        region = match.group("region")
        return _place(match.group("city")) + (f", {region.strip()}" if region else ""), match.end()
    if match := _TITLE.match(text):
        return match.group("alone") or f"{match.group('city')}, {match.group('region').strip()}", match.end()
    return None


def only_links(block: Element, text: str) -> bool:
    """A block whose text is all link text: a category or tag list, never a story's first paragraph."""
    linked = sum(len(clean(text_of(a))) for a in block.iter("a"))
    return linked >= len(text)


def _place(place: str) -> str:
    parts = [p.strip() for p in place.split(",")]
    return ", ".join(name_case(p) if p.isupper() and len(p) > 3 else p for p in parts)
